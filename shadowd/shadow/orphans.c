/* SPDX-License-Identifier: MIT */
/*
 * The shadow is the child subreaper of everything its commands start: a
 * process that leaves its command's process group and is orphaned (a
 * daemon that forked and called setsid, say) is re-parented to the shadow
 * instead of to init. So the session's end finds it and ends it too,
 * and until then the shadow reaps such orphans when they exit.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "shadow.h"

#define MAX_LISTED	1024

static int children_fd = -1;

/* The children list is opened now, before the filter: it allows no
 * opens of files later without the fs module. */
int orphans_init(void)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/task/%d/children",
		 (int)getpid());
	children_fd = open(path, O_RDONLY | O_CLOEXEC);
	return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0 ? -errno : 0;
}

/*
 * Our children now: those of the main thread, which is where the kernel
 * re-parents orphans (the first live thread of the subreaper). Returns
 * how many pids were stored.
 */
static int children(pid_t *out, int max)
{
	char buf[8192];
	ssize_t len = 0, r;
	int n = 0;
	char *s, *end;

	/* A seq_file: each pread from 0 lists the children afresh. */
	while (len < (ssize_t)sizeof(buf) - 1 &&
	       (r = pread(children_fd, buf + len, sizeof(buf) - 1 - len,
			  len)) > 0)
		len += r;
	buf[len] = 0;
	for (s = buf; n < max; s = end) {
		long v = strtol(s, &end, 10);

		if (end == s)
			break;
		if (v > 0)
			out[n++] = (pid_t)v;
	}
	return n;
}

/* a command the proc module started (it reaps those itself) */
static int known(pid_t pid)
{
	struct proc *p;

	for (p = all_procs; p; p = p->all_next)
		if (p->pid == pid)
			return 1;
	return pid == launcher_pid();
}

/* SIGCHLD: reap adopted orphans that have exited. */
void orphans_reap(void)
{
	pid_t pids[MAX_LISTED];
	int n = children(pids, MAX_LISTED), i;

	for (i = 0; i < n; i++)
		if (!known(pids[i]))
			waitpid(pids[i], NULL, WNOHANG);
}

/*
 * Session end, after the commands' groups and the launcher are gone:
 * kill every child left, reap it, and go again, since each one killed
 * hands its own children to us. Bounded: 2 s.
 */
void orphans_kill_all(void)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	pid_t pids[MAX_LISTED];
	int tries = 200, n, i;

	while (tries-- > 0 && (n = children(pids, MAX_LISTED)) > 0) {
		for (i = 0; i < n; i++)
			kill(pids[i], SIGKILL);
		for (i = 0; i < n; i++)
			waitpid(pids[i], NULL, WNOHANG);
		nanosleep(&ts, NULL);
	}
}
