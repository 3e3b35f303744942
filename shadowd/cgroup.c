/* SPDX-License-Identifier: MIT */
/*
 * A cgroup per session (see cgroup.h). Sessions go below the cgroup
 * shadowd itself was started in, so a service manager's limits on
 * shadowd (or a container's) still hold for every session: that is the
 * "delegated subtree". Every path is shadowd's own; nothing here reads
 * guest data.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "cgroup.h"
#include "log.h"

#define CG_ROOT		"/sys/fs/cgroup"
/* The v1 hierarchy (mount point name under CG_ROOT) of each directory. */
static const char *const v1_name[CGD_N] = { "pids", "memory", "cpu",
					    "freezer" };

static enum cg_kind kind;
static char base[CGD_N][PATH_MAX];	/* parents of the session cgroups */

static int put(const char *dir, const char *file, const char *val)
{
	char path[PATH_MAX + 64];
	int fd, e = 0;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	if (n != (ssize_t)strlen(val))
		e = n < 0 ? -errno : -EIO;
	close(fd);
	return e;
}

static int get(const char *dir, const char *file, char *buf, size_t n)
{
	char path[PATH_MAX + 64];
	ssize_t r;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = read(fd, buf, n - 1);
	close(fd);
	if (r < 0)
		return -errno;
	buf[r] = 0;
	return 0;
}

/* "key N" in a flat keyed file such as pids.events. */
static unsigned long keyed(const char *dir, const char *file,
			   const char *key)
{
	char buf[4096], *p;
	size_t k = strlen(key);

	if (!dir[0] || get(dir, file, buf, sizeof(buf)) < 0)
		return 0;
	for (p = buf; p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, key, k) && p[k] == ' ')
			return strtoul(p + k + 1, NULL, 10);
	return 0;
}

/* Our cgroup in the hierarchy whose /proc/self/cgroup controller list
 * has ctl ("" for v2's "0::"): 0 with its path, or -ENOENT. */
static int own_path(const char *ctl, char *out, size_t n)
{
	char line[1024], *c, *p;
	FILE *f = fopen("/proc/self/cgroup", "re");
	int found = 0;

	if (!f)
		return -errno;
	while (!found && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		c = strchr(line, ':');
		p = c ? strchr(c + 1, ':') : NULL;
		if (!p)
			continue;
		*p++ = 0;
		c++;
		if (!*ctl) {
			found = !strcmp(line, "0") && !*c;
		} else {
			char *t, *save = NULL;

			for (t = strtok_r(c, ",", &save); t && !found;
			     t = strtok_r(NULL, ",", &save))
				found = !strcmp(t, ctl);
		}
		if (found)
			snprintf(out, n, "%s", p);
	}
	fclose(f);
	return found ? 0 : -ENOENT;
}

static int has_word(const char *list, const char *w)
{
	size_t k = strlen(w);
	const char *p;

	for (p = list; (p = strstr(p, w)); p += k)
		if ((p == list || p[-1] == ' ') &&
		    (!p[k] || p[k] == ' ' || p[k] == '\n'))
			return 1;
	return 0;
}

/*
 * v2: the unified hierarchy at CG_ROOT (pure v2) or CG_ROOT/unified
 * (hybrid), usable if our cgroup offers pids. A cgroup with processes
 * cannot give controllers to children ("no internal processes"), so if
 * enabling them fails, shadowd moves itself into a leaf first, as a
 * systemd unit with Delegate=yes is expected to.
 */
static int probe_v2(char *what, size_t n)
{
	static const char *const mounts[] = { CG_ROOT, CG_ROOT "/unified" };
	char own[PATH_MAX], dir[PATH_MAX], leaf[PATH_MAX + 16];
	char ctl[512], sub[512];
	const char *m = NULL;
	size_t i;

	for (i = 0; i < 2 && !m; i++) {
		snprintf(dir, sizeof(dir), "%s/cgroup.controllers", mounts[i]);
		if (access(dir, R_OK) == 0)
			m = mounts[i];
	}
	if (!m || own_path("", own, sizeof(own)) < 0)
		return -ENOENT;
	if ((size_t)snprintf(dir, sizeof(dir), "%s%s", m,
			     strcmp(own, "/") ? own : "") >= sizeof(dir))
		return -ENAMETOOLONG;
	if (get(dir, "cgroup.controllers", ctl, sizeof(ctl)) < 0 ||
	    !has_word(ctl, "pids")) {
		snprintf(what, n, "cgroup v2 at %s without pids (has: %.*s)",
			 dir, (int)strcspn(ctl, "\n"), ctl);
		return -ENOENT;
	}
	if (put(dir, "cgroup.subtree_control", "+pids") == -EBUSY) {
		snprintf(leaf, sizeof(leaf), "%s/shadowd", dir);
		if ((mkdir(leaf, 0755) < 0 && errno != EEXIST) ||
		    put(leaf, "cgroup.procs", "0") < 0 ||
		    put(dir, "cgroup.subtree_control", "+pids") < 0) {
			snprintf(what, n, "cgroup v2 at %s: cannot enable "
				 "pids for children", dir);
			return -EPERM;
		}
	}
	if (get(dir, "cgroup.subtree_control", sub, sizeof(sub)) < 0 ||
	    !has_word(sub, "pids")) {
		snprintf(what, n, "cgroup v2 at %s: pids not enabled for "
			 "children", dir);
		return -EPERM;
	}
	/* Optional: the limits that are not there are not applied. */
	if (has_word(ctl, "memory"))
		put(dir, "cgroup.subtree_control", "+memory");
	if (has_word(ctl, "cpu"))
		put(dir, "cgroup.subtree_control", "+cpu");
	snprintf(base[0], sizeof(base[0]), "%s", dir);
	snprintf(what, n, "cgroup v2 at %s", dir);
	return 0;
}

static int probe_v1(char *what, size_t n)
{
	char own[PATH_MAX], mnt[PATH_MAX];
	size_t len = 0;
	int i;

	for (i = 0; i < CGD_N; i++) {
		snprintf(mnt, sizeof(mnt), "%s/%s", CG_ROOT, v1_name[i]);
		if (own_path(v1_name[i], own, sizeof(own)) < 0 ||
		    access(mnt, W_OK) < 0)
			continue;
		if ((size_t)snprintf(base[i], sizeof(base[i]), "%s%s", mnt,
				     strcmp(own, "/") ? own : "") >=
		    sizeof(base[i])) {
			base[i][0] = 0;
			continue;
		}
		len += snprintf(what + len, len < n ? n - len : 0, "%s%s",
				len ? "," : "cgroup v1 ", v1_name[i]);
	}
	return base[CGD_PIDS][0] ? 0 : -ENOENT;
}

enum cg_kind cg_probe(char *what, size_t n)
{
	char why[PATH_MAX + 128] = "";

	memset(base, 0, sizeof(base));
	kind = CG_NONE;
	if (geteuid() != 0) {
		snprintf(what, n, "no cgroup (not root)");
		return kind;
	}
	if (probe_v2(why, sizeof(why)) == 0) {
		kind = CG_V2;
		snprintf(what, n, "%s", why);
	} else if ((memset(base, 0, sizeof(base)), probe_v1(what, n)) == 0) {
		kind = CG_V1;
	} else {
		snprintf(what, n, "no cgroup with pids (%s)",
			 why[0] ? why : "no v2, no v1 pids");
	}
	return kind;
}

int cg_create(struct cg *g, const char *name, const struct limits *l)
{
	char num[64];
	int i, e;

	memset(g, 0, sizeof(*g));
	if (kind == CG_NONE)
		return -ENOSYS;
	for (i = 0; i < CGD_N; i++) {
		if (kind == CG_V2 && i > 0)
			break;
		if (!base[i][0])
			continue;
		if (i == CGD_MEMORY && !l->memory)
			continue;
		if (i == CGD_CPU && !l->cpu_pct)
			continue;
		if ((size_t)snprintf(g->dir[i], sizeof(g->dir[i]), "%s/%s",
				     base[i], name) >= sizeof(g->dir[i]))
			errno = ENAMETOOLONG;
		else if (mkdir(g->dir[i], 0755) == 0)
			continue;
		{
			e = -errno;
			g->dir[i][0] = 0;
			cg_remove(g);
			return e;
		}
	}
	/* The shadow and its launcher count too: room for them and for a
	 * few of the shadow's io_uring workers. */
	snprintf(num, sizeof(num), "%u", l->tasks + 8);
	e = put(g->dir[CGD_PIDS], "pids.max", num);
	/* A controller this host lacks: that limit is not applied (the
	 * file is not there), the rest still are. */
	if (!e && l->memory) {
		snprintf(num, sizeof(num), "%llu", l->memory);
		if (kind == CG_V2)
			e = put(g->dir[0], "memory.max", num);
		else
			e = g->dir[CGD_MEMORY][0] ? put(g->dir[CGD_MEMORY],
				"memory.limit_in_bytes", num) : -ENOENT;
		if (e == -ENOENT)
			log_msg("%s: no memory controller; max-memory not "
				"applied", name);
		e = e == -ENOENT ? 0 : e;
	}
	if (!e && l->cpu_pct) {
		/* cpu_pct of one CPU per 100 ms period. */
		snprintf(num, sizeof(num), "%u 100000", l->cpu_pct * 1000);
		if (kind == CG_V2) {
			e = put(g->dir[0], "cpu.max", num);
		} else if (g->dir[CGD_CPU][0]) {
			e = put(g->dir[CGD_CPU], "cpu.cfs_period_us", "100000");
			snprintf(num, sizeof(num), "%u", l->cpu_pct * 1000);
			if (!e)
				e = put(g->dir[CGD_CPU], "cpu.cfs_quota_us",
					num);
		} else {
			e = -ENOENT;
		}
		if (e == -ENOENT)
			log_msg("%s: no cpu controller; max-cpu not applied",
				name);
		e = e == -ENOENT ? 0 : e;
	}
	if (e)
		cg_remove(g);
	return e;
}

int cg_join(const struct cg *g)
{
	int i, e;

	for (i = 0; i < CGD_N; i++)
		if (g->dir[i][0] && (e = put(g->dir[i], "cgroup.procs", "0")))
			return e;
	return 0;
}

void cg_events(const struct cg *g, unsigned long *tasks_refused,
	       unsigned long *oom_kills)
{
	*tasks_refused = keyed(g->dir[CGD_PIDS], "pids.events", "max");
	if (kind == CG_V2)
		*oom_kills = keyed(g->dir[0], "memory.events", "oom_kill");
	else
		*oom_kills = keyed(g->dir[CGD_MEMORY], "memory.oom_control",
				   "oom_kill");
}

/* SIGKILL every pid in dir's cgroup.procs: how many there were. */
static int kill_listed(const char *dir)
{
	char path[PATH_MAX + 32], line[32];
	FILE *f;
	int n = 0;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		pid_t pid = (pid_t)strtol(line, NULL, 10);

		if (pid > 0 && kill(pid, SIGKILL) == 0)
			n++;
	}
	fclose(f);
	return n;
}

/*
 * v2: cgroup.kill (Linux 5.14) kills every member, new forks included.
 * Else (v1, or an older v2) freeze it first where a freezer is at hand,
 * so nothing forks while we kill, then kill round after round: pids.max
 * bounds what can appear between rounds.
 */
void cg_kill(const struct cg *g)
{
	struct timespec ts = { 0, 5 * 1000 * 1000 };
	const char *fz = g->dir[CGD_FREEZER];
	char st[64];
	int i;

	if (!g->dir[CGD_PIDS][0])
		return;
	if (kind == CG_V2 && put(g->dir[0], "cgroup.kill", "1") == 0)
		return;
	if (fz[0] && put(fz, "freezer.state", "FROZEN") == 0) {
		for (i = 0; i < 100; i++) {
			if (get(fz, "freezer.state", st, sizeof(st)) < 0 ||
			    !strncmp(st, "FROZEN", 6))
				break;
			nanosleep(&ts, NULL);
		}
	}
	kill_listed(g->dir[CGD_PIDS]);
	if (fz[0])
		put(fz, "freezer.state", "THAWED");
	for (i = 0; i < 200 && kill_listed(g->dir[CGD_PIDS]); i++)
		nanosleep(&ts, NULL);
}

/* Does the cgroup at dir hold a live shadow? */
static int holds_shadow(const char *dir)
{
	char path[PATH_MAX + 32], line[32], comm[32];
	int found = 0;
	FILE *f, *c;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	f = fopen(path, "re");
	while (f && !found && fgets(line, sizeof(line), f)) {
		snprintf(path, sizeof(path), "/proc/%d/comm", atoi(line));
		c = fopen(path, "re");
		if (c && fgets(comm, sizeof(comm), c))
			found = !strcmp(comm, "hostcall-shadow\n");
		if (c)
			fclose(c);
	}
	if (f)
		fclose(f);
	return found;
}

void cg_stale(void (*fn)(struct cg *g, int has_shadow))
{
	struct dirent *d;
	struct cg g;
	int pid, i;
	DIR *dir;

	if (kind == CG_NONE || !(dir = opendir(base[CGD_PIDS])))
		return;
	while ((d = readdir(dir))) {
		if (sscanf(d->d_name, "hostcall-%d-", &pid) != 1 ||
		    pid == getpid() || kill(pid, 0) == 0 || errno != ESRCH)
			continue;
		memset(&g, 0, sizeof(g));
		for (i = 0; i < CGD_N; i++) {
			if (!base[i][0] || (kind == CG_V2 && i > 0))
				continue;
			size_t k = sizeof(g.dir[i]);

			if ((size_t)snprintf(g.dir[i], k, "%s/%s", base[i],
					     d->d_name) >= k ||
			    access(g.dir[i], F_OK) < 0)
				g.dir[i][0] = 0;
		}
		fn(&g, holds_shadow(g.dir[CGD_PIDS]));
	}
	closedir(dir);
}

int cg_remove(struct cg *g)
{
	struct timespec ts = { 0, 5 * 1000 * 1000 };
	int i, busy = 0, tries;

	for (i = CGD_N - 1; i >= 0; i--) {
		if (!g->dir[i][0])
			continue;
		/* Killed members leave it as they finish exiting. */
		for (tries = 0; rmdir(g->dir[i]) < 0 && errno == EBUSY &&
		     tries < 20; tries++)
			nanosleep(&ts, NULL);
		if (access(g->dir[i], F_OK) == 0)
			busy = 1;
		else
			g->dir[i][0] = 0;
	}
	return busy ? -EBUSY : 0;
}
