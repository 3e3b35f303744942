/* SPDX-License-Identifier: MIT */
/* The session's container of processes (see container.h). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "audit.h"
#include "container.h"
#include "log.h"

#define PENDING_MAX	64

static enum cg_kind kind;
static char what[PATH_MAX + 128];
static unsigned next_id;
/* Killed containers whose last members were still exiting. */
static struct cg pending[PENDING_MAX];
static int npending;

/*
 * A session of an earlier shadowd: its shadow may still serve (shadows
 * outlive shadowd), but if it is gone, what it left is ended now.
 */
static void stale(struct cg *g, int has_shadow)
{
	if (has_shadow)
		return;
	log_msg("ending what is left of an earlier shadowd's session (%s)",
		g->dir[CGD_PIDS]);
	cg_kill(g);
	cg_remove(g);
}

void container_init(void)
{
	kind = cg_probe(what, sizeof(what));
	log_msg("session containers: %s%s", what, kind == CG_NONE ?
		"; max-tasks falls back to RLIMIT_NPROC" : "");
	cg_stale(stale);
}

void container_shutdown(void)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	int tries, i;

	for (tries = 0; npending && tries < 50; tries++) {
		for (i = npending - 1; i >= 0; i--)
			if (cg_remove(&pending[i]) == 0)
				pending[i] = pending[--npending];
		if (npending)
			nanosleep(&ts, NULL);
	}
}

const char *container_kind(void)
{
	return kind == CG_V2 ? "cgroup2" : kind == CG_V1 ? "cgroup1" :
	       "rlimit";
}

/* Tasks (threads, which RLIMIT_NPROC counts too) of uid now. */
static unsigned tasks_of(uid_t uid)
{
	char path[300], line[256];
	struct dirent *d;
	unsigned n = 0, mine = 0;
	DIR *dir = opendir("/proc");
	FILE *f;

	if (!dir)
		return 0;
	while ((d = readdir(dir))) {
		if (d->d_name[0] < '1' || d->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/status", d->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			if (!strncmp(line, "Uid:", 4))
				mine = strtoul(line + 4, NULL, 10) == uid;
			else if (!strncmp(line, "Threads:", 8) && mine)
				n += strtoul(line + 8, NULL, 10);
		}
		mine = 0;
		fclose(f);
	}
	closedir(dir);
	return n;
}

int container_prepare(struct container *c, const struct vm_policy *vm,
		      uid_t uid)
{
	char name[64];
	int e;

	memset(c, 0, sizeof(*c));
	if (kind != CG_NONE) {
		snprintf(name, sizeof(name), "hostcall-%d-%u", (int)getpid(),
			 next_id++);
		e = cg_create(&c->cg, name, &vm->lim);
		if (e == 0) {
			c->in_cg = 1;
			return 0;
		}
		log_msg("session cgroup %s: %s; using RLIMIT_NPROC", name,
			strerror(-e));
	}
	/* RLIMIT_NPROC counts all of the user's tasks on the host (in its
	 * user namespace): what it has now, plus max-tasks, plus room for
	 * the shadow, as its cgroup has (cgroup.c). */
	c->nproc = tasks_of(uid) + vm->lim.tasks + 8;
	return 0;
}

int container_enter(const struct container *c)
{
	struct rlimit rl;

	if (c->in_cg)
		return cg_join(&c->cg);
	if (!c->nproc)
		return 0;
	if (getrlimit(RLIMIT_NPROC, &rl) == 0 && rl.rlim_max != RLIM_INFINITY
	    && rl.rlim_max < c->nproc)
		return 0;	/* lower already */
	rl.rlim_cur = rl.rlim_max = c->nproc;
	return setrlimit(RLIMIT_NPROC, &rl) < 0 ? -errno : 0;
}

static void audit_limit(const char *fields, const char *limit,
			const char *key, unsigned long n)
{
	char f[700];

	snprintf(f, sizeof(f), "%s limit=%s %s=%lu", fields, limit, key, n);
	audit_event("limit", f);
}

void container_end(struct container *c, const char *fields)
{
	unsigned long refused = 0, ooms = 0;
	int i;

	/* Earlier ones first: their members had time to go. */
	for (i = npending - 1; i >= 0; i--)
		if (cg_remove(&pending[i]) == 0)
			pending[i] = pending[--npending];
	if (!c->in_cg)
		return;
	cg_events(&c->cg, &refused, &ooms);
	if (refused)
		audit_limit(fields, "max-tasks", "refused", refused);
	if (ooms)
		audit_limit(fields, "max-memory", "killed", ooms);
	cg_kill(&c->cg);
	if (cg_remove(&c->cg) < 0) {
		if (npending < PENDING_MAX)
			pending[npending++] = c->cg;
		else
			log_msg("cgroup %s still busy; left behind",
				c->cg.dir[0]);
	}
	c->in_cg = 0;
}
