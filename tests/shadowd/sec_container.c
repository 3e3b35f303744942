/* SPDX-License-Identifier: MIT */
/*
 * Each session's container of processes ([vm box]: max-tasks 16, half a
 * CPU): a fork bomb stops at max-tasks while the host keeps answering, a
 * command that SIGKILLs its own shadow leaves nothing behind, a setsid
 * daemon goes when the VM's connection does, and the limit is audited.
 * Then the fallback without root (a private shadowd as O, RLIMIT_NPROC).
 *
 * Every bomb is safe without the feature under test too: it runs under
 * its own `ulimit -p` (RLIMIT_NPROC of the user, 400) and the session's
 * end kills it; the test's alarm is the last net.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "sec.h"

#define BOX_TASKS	16	/* [vm box] max-tasks */
/* The shadow, its launcher and some io_uring workers (cgroup.c). */
#define BOX_SLACK	8
/* dash ends a shell whose fork fails, so its bomb swells to the limit,
 * spins there and dies down; bash retries, sleeping, and stays there. */
#define BOMB "ulimit -p 400; b() { while :; do b & done; }; b"
#define BASH_BOMB "ulimit -u 400; b() { while :; do b & done; }; b"

/* Processes of uid whose command line starts with prefix. */
static int count(uid_t uid, const char *prefix)
{
	char path[300], buf[256], line[128];
	struct dirent *d;
	DIR *dir = opendir("/proc");
	int n = 0, mine;
	ssize_t r;
	FILE *f;

	while (dir && (d = readdir(dir))) {
		if (d->d_name[0] < '1' || d->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/status", d->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		mine = 0;
		while (fgets(line, sizeof(line), f))
			if (!strncmp(line, "Uid:", 4)) {
				mine = strtoul(line + 4, NULL, 10) == uid;
				break;
			}
		fclose(f);
		if (!mine)
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", d->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		r = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[r > 0 ? r : 0] = 0;
		for (ssize_t i = 0; i < r - 1; i++)
			if (!buf[i])
				buf[i] = ' ';
		n += !strncmp(buf, prefix, strlen(prefix));
	}
	if (dir)
		closedir(dir);
	return n;
}

/* Gone within ms: 1, or 0 with how many are left. */
static int none_within(uid_t uid, const char *prefix, int ms, int *left)
{
	for (; (*left = count(uid, prefix)) > 0 && ms > 0; ms -= 100)
		msleep(100);
	return *left == 0;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* The slowest of n host probes (fork and exec of true), in ms. */
static long long probe_host(int n)
{
	long long worst = 0, t;
	pid_t pid;
	int i;

	for (i = 0; i < n; i++) {
		t = now_ms();
		pid = fork();
		if (pid == 0) {
			execl("/bin/true", "true", (char *)NULL);
			_exit(127);
		}
		if (pid > 0)
			waitpid(pid, NULL, 0);
		t = now_ms() - t;
		if (pid < 0)
			t = 99999;
		if (t > worst)
			worst = t;
		msleep(50);
	}
	return worst;
}

/* A fork bomb in a session of vm; most it reached, worst probe. */
static void bomb(struct sess *s, const char *name, const char *sh, int max)
{
	char *argv[] = { (char *)sh, "-c", !strcmp(sh, "sh") ? BOMB :
			 BASH_BOMB, NULL };
	char what[16];
	char label[160];
	long long worst;
	int64_t h;
	int n, most = 0, i, left;

	h = spawn(s, NULL, argv, NULL, 0, NULL);
	if (h < 0) {
		fail(name, "spawn %lld", (long long)h);
		return;
	}
	snprintf(what, sizeof(what), "%s -c", sh);
	for (i = 0, worst = 0; i < 20; i++) {
		long long t;

		n = count(S.uid[UO], what);
		if (n > most)
			most = n;
		t = probe_host(1);
		if (t > worst)
			worst = t;
	}
	snprintf(label, sizeof(label), "%s: a fork bomb stops at max-tasks",
		 name);
	CHECK(label, most >= 4 && most <= max, "%d processes (limit %d)", most,
	      max);
	snprintf(label, sizeof(label), "%s: the host answers within a second "
		 "meanwhile", name);
	CHECK(label, worst < 1000, "a host fork+exec took %lld ms", worst);
	sess_close(s);
	snprintf(label, sizeof(label), "%s: nothing of the bomb is left after "
		 "its session", name);
	CHECK(label, none_within(S.uid[UO], what, 5000, &left),
	      "%d left", left);
}

static void in_box(void *arg)
{
	char *suicide[] = { "sh", "-c", "(setsid sh -c 'sleep 301' >/dev/null "
			    "2>&1 </dev/null &); sleep 0.5; kill -9 $PPID",
			    NULL };
	char *daemon[] = { "sh", "-c", "setsid sleep 302 >/dev/null 2>&1 "
			   "</dev/null & exit 0", NULL };
	struct hc_session_info info;
	struct sess s;
	int ctl = attach("box"), st, left;
	int64_t h;

	(void)arg;
	st = ctl >= 0 ? session(ctl, 1000, &s, &info) : ctl;
	if (st != 0) {
		fail("container: session", "open %d", st);
		goto out;
	}
	bomb(&s, "container", "sh", BOX_TASKS + BOX_SLACK);

	/* The attack: kill the shadow, so it cannot sweep. */
	st = session(ctl, 1000, &s, &info);
	h = st == 0 ? spawn(&s, NULL, suicide, NULL, 0, NULL) : st;
	CHECK("container: a command can SIGKILL its own shadow", h >= 0 &&
	      gone_within(info.shadow_pid, 5000), "spawn %lld, shadow %d",
	      (long long)h, (int)info.shadow_pid);
	CHECK("container: ... and still nothing it started is left",
	      none_within(S.uid[UO], "sh -c sleep 301", 5000, &left),
	      "%d left", left);
	if (st == 0)
		sess_close(&s);

	/* A daemon of a VM that goes away (its connection closes). */
	st = session(ctl, 1000, &s, &info);
	h = st == 0 ? spawn(&s, NULL, daemon, NULL, 0, NULL) : st;
	if (h >= 0)
		call0(&s, T_PROC, HC_PROC_WAIT, h, 0, NULL, 0);
	for (left = 0; left < 50 && count(S.uid[UO], "sleep 302") != 1;
	     left++)
		msleep(100);
	CHECK("container: a setsid daemon runs", count(S.uid[UO],
						       "sleep 302") == 1,
	      "spawn %lld", (long long)h);
	close(ctl);
	ctl = -1;
	CHECK("container: ... and is gone when its VM goes",
	      none_within(S.uid[UO], "sleep 302", 5000, &left), "%d left",
	      left);
	if (st == 0)
		sess_close(&s);
out:
	if (ctl >= 0)
		close(ctl);
}

/* No root, so no cgroup: RLIMIT_NPROC holds the bomb. */
static void private_fallback(void *arg)
{
	const char *policy = arg;
	const char *extra[] = { "--config", policy, NULL };
	struct hc_session_info info;
	struct sess s = { .fd = -1 };
	int ctl = -1, st;
	pid_t d = start_shadowd(extra, &ctl);

	st = d > 0 && hello_vm(ctl, HCP_VERSION, "fallback") == 0 ?
	     open_session(ctl, 1, 1000, &info, &s.fd) : -1;
	if (st != 0) {
		fail("container: fallback session", "open %d", st);
	} else {
		s.id = 1;
		/* The user's other processes (this test, shadowd) count. */
		bomb(&s, "container fallback (RLIMIT_NPROC)", "bash",
		     BOX_TASKS + BOX_SLACK);
	}
	if (ctl >= 0)
		close(ctl);
	if (d > 0)
		waitpid(d, NULL, 0);
}

/*
 * A session left by a shadowd that is gone, whose shadow is gone too: the
 * next shadowd ends what is in it. Made by hand here: a cgroup named for
 * a dead shadowd, with a sleep in it. v1 pids only (this test's probe).
 */
static void stale(void)
{
	char self[256] = "", dir[600], path[700], line[300];
	pid_t dead, sl, d;
	int ctl = -1, i;
	FILE *f = fopen("/proc/self/cgroup", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%*d:pids:%255s", self) == 1)
			break;
	if (f)
		fclose(f);
	if (!self[0] || access("/sys/fs/cgroup/pids/cgroup.procs", W_OK) < 0) {
		skip("container: an earlier shadowd's orphaned session is "
		     "ended", "no cgroup v1 pids hierarchy");
		return;
	}
	/* Above any pid_max: no process has it (pids are reused fast). */
	dead = 4194304;
	snprintf(dir, sizeof(dir), "/sys/fs/cgroup/pids%s/hostcall-%d-0",
		 strcmp(self, "/") ? self : "", (int)dead);
	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	mkdir(dir, 0755);
	sl = fork();
	if (sl == 0) {
		f = fopen(path, "w");
		if (!f || fprintf(f, "0\n") < 0 || fclose(f))
			_exit(126);
		execl("/bin/sleep", "sleep", "304", (char *)NULL);
		_exit(127);
	}
	msleep(200);
	d = start_shadowd(NULL, &ctl);
	CHECK("container: an earlier shadowd's orphaned session is ended",
	      d > 0 && gone_within(sl, 5000), "sleep %d still there",
	      (int)sl);
	for (i = 0; i < 50 && access(dir, F_OK) == 0; i++)
		msleep(100);
	CHECK("container: ... and its cgroup removed", access(dir, F_OK) < 0,
	      "%s still there", dir);
	if (ctl >= 0)
		close(ctl);
	if (d > 0)
		waitpid(d, NULL, 0);
	kill(sl, SIGKILL);
	waitpid(sl, NULL, 0);
	rmdir(dir);
}

void sec_container(void)
{
	char policy[200];
	int i;
	FILE *f;

	run_as(UO, in_box, NULL);
	for (i = 0; i < 50 && !audit_has("event=limit", "vm=box",
					  "limit=max-tasks", NULL); i++)
		msleep(100);
	CHECK("container: the bomb's refused forks are audited", audit_has(
		"event=limit", "vm=box", "limit=max-tasks", "refused=", NULL),
	      "no audit line");
	CHECK("container: the killed shadow's end is audited", audit_has(
		"event=session-end", "vm=box", "result=\"signal 9\"", NULL),
	      "no audit line");

	snprintf(policy, sizeof(policy), "%s/private.conf", S.dir);
	f = fopen(policy, "w");
	if (!f) {
		fail("container: fallback policy", "%s", strerror(errno));
		return;
	}
	fprintf(f, "[vm *]\nmax-tasks = %d\n", BOX_TASKS);
	fclose(f);
	run_as(UO, private_fallback, policy);
	stale();
}
