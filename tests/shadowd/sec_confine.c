/* SPDX-License-Identifier: MIT */
/*
 * The shadow's confinement as the kernel reports it, and host commands
 * started around it: same user, no_new_privs, no filter, ordinary
 * programs working, setuid powerless.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "sec.h"

/* The value of "Key:" in /proc/PID/status, or "" */
static void status_of(pid_t pid, const char *key, char *val, size_t n)
{
	char path[64], line[512];
	size_t k = strlen(key);
	FILE *f;

	val[0] = 0;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, k) && line[k] == ':') {
			char *v = line + k + 1;

			while (*v == '\t' || *v == ' ')
				v++;
			v[strcspn(v, "\n")] = 0;
			snprintf(val, n, "%s", v);
			break;
		}
	}
	if (f)
		fclose(f);
}

/* The shadow's child named hc-launcher, or -1. */
static pid_t launcher_of(pid_t shadow)
{
	char path[96], comm[64], kids[1024], *p, *end;
	pid_t pid = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)shadow,
		 (int)shadow);
	f = fopen(path, "r");
	if (!f || !fgets(kids, sizeof(kids), f))
		kids[0] = 0;
	if (f)
		fclose(f);
	for (p = kids; *p; p = end) {
		long k = strtol(p, &end, 10);

		if (end == p)
			break;
		snprintf(path, sizeof(path), "/proc/%ld/comm", k);
		f = fopen(path, "r");
		if (f && fgets(comm, sizeof(comm), f) &&
		    !strcmp(comm, "hc-launcher\n"))
			pid = k;
		if (f)
			fclose(f);
	}
	return pid;
}

/* The shadow and the launcher as the kernel sees them. */
static void check_proc_status(pid_t shadow)
{
	char v[4][128], uid[64];
	pid_t l;

	status_of(shadow, "Seccomp", v[0], sizeof(v[0]));
	status_of(shadow, "Seccomp_filters", v[1], sizeof(v[1]));
	status_of(shadow, "NoNewPrivs", v[2], sizeof(v[2]));
	status_of(shadow, "CapEff", v[3], sizeof(v[3]));
	CHECK("confine: shadow has a seccomp filter (Seccomp: 2)",
	      !strcmp(v[0], "2") && !strcmp(v[1], "1"), "Seccomp '%s' "
	      "filters '%s'", v[0], v[1]);
	CHECK("confine: shadow has NoNewPrivs: 1", !strcmp(v[2], "1"),
	      "NoNewPrivs '%s'", v[2]);
	CHECK("confine: shadow has no capabilities",
	      !strcmp(v[3], "0000000000000000"), "CapEff '%s'", v[3]);
	status_of(shadow, "Uid", v[0], sizeof(v[0]));
	snprintf(uid, sizeof(uid), "%u\t%u\t%u\t%u", S.uid[UA], S.uid[UA],
		 S.uid[UA], S.uid[UA]);
	CHECK("confine: shadow's real, effective, saved, fs uid are A's",
	      !strcmp(v[0], uid), "Uid '%s'", v[0]);
	/* the launcher names itself just after its fork: give it a moment */
	for (int i = 0; (l = launcher_of(shadow)) < 0 && i < 200; i++)
		usleep(10000);
	status_of(l, "Seccomp", v[0], sizeof(v[0]));
	status_of(l, "NoNewPrivs", v[1], sizeof(v[1]));
	status_of(l, "Uid", v[2], sizeof(v[2]));
	CHECK("confine: launcher: same user, no_new_privs, no filter",
	      l > 0 && !strcmp(v[0], "0") && !strcmp(v[1], "1") &&
	      !strcmp(v[2], uid), "pid %d Seccomp '%s' NoNewPrivs '%s' "
	      "Uid '%s'", (int)l, v[0], v[1], v[2]);
}

static void check_commands(struct sess *s, pid_t shadow)
{
	char *st[] = { "sh", "-c", "grep -E '^(NoNewPrivs|Seccomp):' "
		       "/proc/self/status; id -u", NULL };
	char *py[] = { "python3", "-c", "import os; print(os.getuid())",
		       NULL };
	char *sh[] = { "sh", "-c", "printf 'b\\na\\n' | sort | tr -d '\\n'; "
		       "ls / >/dev/null && echo ok", NULL };
	char *parent[] = { "sh", "-c", "cat /proc/$PPID/comm", NULL };
	char snoop_path[64], *snoop[] = { "cat", snoop_path, NULL };
	char want[128], *out = NULL;
	int64_t r;

	r = run_cmd(s, st, NULL, &out);
	snprintf(want, sizeof(want), "NoNewPrivs:\t1\nSeccomp:\t0\n%u\n",
		 S.uid[UA]);
	CHECK("confine: host commands: same user, no_new_privs, no filter",
	      r == 0 && out && !strcmp(out, want), "status %lld out '%s'",
	      (long long)r, out ? out : "");
	free(out);
	if (access("/usr/bin/python3", X_OK) == 0) {
		r = run_cmd(s, py, NULL, &out);
		snprintf(want, sizeof(want), "%u\n", S.uid[UA]);
		CHECK("confine: python3 runs", r == 0 && out &&
		      !strcmp(out, want), "status %lld out '%s'",
		      (long long)r, out ? out : "");
		free(out);
	} else {
		skip("confine: python3 runs", "no /usr/bin/python3");
	}
	r = run_cmd(s, sh, NULL, &out);
	CHECK("confine: a shell pipeline with sort runs", r == 0 && out &&
	      !strcmp(out, "abok\n"), "status %lld out '%s'", (long long)r,
	      out ? out : "");
	free(out);
	r = run_cmd(s, parent, NULL, &out);
	CHECK("confine: a command's parent is the shadow (CLONE_PARENT)",
	      r == 0 && out && !strcmp(out, "hostcall-shadow\n"),
	      "status %lld out '%s'", (long long)r, out ? out : "");
	free(out);
	/* Not dumpable: the user's own programs cannot look inside it. */
	snprintf(snoop_path, sizeof(snoop_path), "/proc/%d/environ",
		 (int)shadow);
	r = run_cmd(s, snoop, NULL, &out);
	CHECK("confine: a host command cannot read the shadow's memory",
	      r > 0 && WIFEXITED(r) && WEXITSTATUS(r) != 0,
	      "status %lld", (long long)r);
	free(out);
}

/* A setuid-root program gives no root under no_new_privs. */
static void check_setuid(struct sess *s)
{
	char path[160], want[32], *out = NULL;
	char *argv[] = { path, "-u", NULL };
	int64_t r;

	snprintf(path, sizeof(path), "%s/suid-id", S.dir);
	r = run_cmd(s, argv, NULL, &out);
	snprintf(want, sizeof(want), "%u\n", S.uid[UA]);
	CHECK("confine: a setuid-root program gains nothing",
	      r == 0 && out && !strcmp(out, want), "status %lld out '%s'",
	      (long long)r, out ? out : "");
	free(out);
}

static void confined(void *arg)
{
	struct hc_session_info info;
	struct sess s;
	int ctl = attach("sec"), st;

	(void)arg;
	st = ctl >= 0 ? session(ctl, 1000, &s, &info) : ctl;
	if (st != 0) {
		fail("confine: session", "open %d", st);
	} else {
		/* The shadow confines itself after its execve, before it
		 * serves: once a call is answered, it is done. */
		call(&s, T_SYS, HC_SYS_PING, 0, 0, 0, "x", 1, 1, NULL,
		     NULL);
		check_proc_status(info.shadow_pid);
		check_commands(&s, info.shadow_pid);
		check_setuid(&s);
		sess_close(&s);
	}
	if (ctl >= 0)
		close(ctl);
}

/* Without no_new_privs the setuid copy does make root: else the check
 * above would prove nothing (a nosuid /tmp, say). */
static int setuid_works(void)
{
	char path[160];
	int p[2], st;
	char buf[16] = "";
	pid_t pid;

	snprintf(path, sizeof(path), "%s/suid-id", S.dir);
	if (pipe(p) < 0)
		return 0;
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		if (setgid(S.gid[UA]) == 0 && setuid(S.uid[UA]) == 0)
			execl(path, "suid-id", "-u", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	if (read(p[0], buf, sizeof(buf) - 1) < 0)
		buf[0] = 0;
	close(p[0]);
	waitpid(pid, &st, 0);
	return !strcmp(buf, "0\n");
}

/* What fd of pid is open on, or "". */
static void fd_target(pid_t pid, int fd, char *out, size_t n)
{
	char path[64];
	ssize_t r;

	snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)pid, fd);
	r = readlink(path, out, n - 1);
	out[r > 0 ? r : 0] = 0;
}

/* As root, who may read the undumpable shadow's fds: its stdout and
 * stderr, and its launcher's, are not shadowd's (root's log). */
static void check_stdio(void)
{
	struct hc_session_info info;
	char ours[4][256], log[256];
	struct sess s;
	int ctl = attach("sec"), st, i;
	pid_t l = -1;

	st = ctl >= 0 ? session(ctl, 1000, &s, &info) : ctl;
	if (st != 0) {
		fail("confine: stdio session", "open %d", st);
		goto out;
	}
	call(&s, T_SYS, HC_SYS_PING, 0, 0, 0, "x", 1, 1, NULL, NULL);
	for (i = 0; (l = launcher_of(info.shadow_pid)) < 0 && i < 200; i++)
		usleep(10000);
	fd_target(S.shadowd, 2, log, sizeof(log));
	fd_target(info.shadow_pid, 1, ours[0], sizeof(ours[0]));
	fd_target(info.shadow_pid, 2, ours[1], sizeof(ours[1]));
	fd_target(l, 1, ours[2], sizeof(ours[2]));
	fd_target(l, 2, ours[3], sizeof(ours[3]));
	for (i = 0; i < 4 && !strcmp(ours[i], "/dev/null"); i++)
		;
	CHECK("confine: shadow and launcher do not keep shadowd's stdout and "
	      "stderr", log[0] && i == 4, "shadowd's 2: '%s'; shadow's 1, 2: "
	      "'%s' '%s'; launcher's: '%s' '%s'", log, ours[0], ours[1],
	      ours[2], ours[3]);
	sess_close(&s);
out:
	if (ctl >= 0)
		close(ctl);
}

/* An fs-module create with mode 06755 makes a plain 0755 file. */
static void setuid_create(void *arg)
{
	struct hc_session_info info;
	struct sess s;
	int ctl = attach("sec"), st;
	int64_t h = -1;

	st = ctl >= 0 ? session(ctl, 7, &s, &info) : ctl;
	if (st == 0) {
		h = path_call(&s, T_FS, HC_FS_OPEN,
			      O_CREAT | O_WRONLY | O_EXCL, 06755, arg);
		if (h >= 0)
			call0(&s, T_FS, HC_FS_CLOSE, h, 0, NULL, 0);
		sess_close(&s);
	}
	CHECK("confine: the fs module creates the file", h >= 0,
	      "session %d open %lld", st, (long long)h);
	if (ctl >= 0)
		close(ctl);
}

void sec_confine(void)
{
	char dir[160], path[200];
	struct stat st;

	if (!setuid_works())
		skip("confine: setuid baseline", "setuid does not work in "
		     "the scratch directory");
	run_as(UO, confined, NULL);
	check_stdio();
	snprintf(dir, sizeof(dir), "%s/mk", S.dir);
	snprintf(path, sizeof(path), "%s/suid", dir);
	mkdir(dir, 0700);
	if (chown(dir, S.uid[UO], S.gid[UO]) < 0)
		perror(dir);
	run_as(UO, setuid_create, path);
	CHECK("confine: ... but without its setuid, setgid and sticky bits "
	      "(mode 06755 asked)", stat(path, &st) == 0 &&
	      (st.st_mode & 07777) == 0755, "mode %o",
	      (unsigned)(st.st_mode & 07777));
}
