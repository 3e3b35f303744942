/* SPDX-License-Identifier: MIT */
/*
 * The last steps of a new host command, in its own process: clean signal
 * state, its own process group (or, on a pty, its own session with the
 * pty as controlling terminal), stdio, cwd, execve. Runs in the child the
 * launcher starts; any failure before execve goes back as an errno on the
 * status pipe. Only async-signal-safe calls after the fork.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <unistd.h>
#include "exec.h"

static void __attribute__((noreturn)) child_fail(int st)
{
	int e = errno;

	if (write(st, &e, sizeof(e)) < 0)
		_exit(126);
	_exit(127);
}

static const char *env_path(char *const envp[])
{
	for (; *envp; envp++)
		if (!strncmp(*envp, "PATH=", 5))
			return *envp + 5;
	return "/usr/local/bin:/usr/bin:/bin";
}

/* execvp without its allocations and without a shell fallback. */
static void __attribute__((noreturn)) exec_search(const struct exec_plan *x,
						  int st)
{
	const char *file = x->argv[0], *p = env_path(x->envp), *end;
	char buf[PATH_MAX];
	int seen_eacces = 0;
	size_t flen = strlen(file), dlen;

	if (x->prog) {
		/* The policy chose the program (cmdpolicy.c). */
		execve(x->prog, x->argv, x->envp);
		child_fail(st);
	}
	if (strchr(file, '/')) {
		execve(file, x->argv, x->envp);
		child_fail(st);
	}
	if (flen > NAME_MAX) {
		errno = ENAMETOOLONG;
		child_fail(st);
	}
	for (;;) {
		end = strchrnul(p, ':');
		dlen = end - p;
		if (dlen + flen + 2 <= sizeof(buf)) {
			if (dlen == 0) {	/* empty element: current dir */
				memcpy(buf, file, flen + 1);
			} else {
				memcpy(buf, p, dlen);
				buf[dlen] = '/';
				memcpy(buf + dlen + 1, file, flen + 1);
			}
			execve(buf, x->argv, x->envp);
			switch (errno) {
			case EACCES:
				seen_eacces = 1;
				break;
			case ENOENT: case ENOTDIR: case ESTALE: case ENODEV:
			case ETIMEDOUT: case ELOOP: case ENAMETOOLONG:
				break;
			default:
				child_fail(st);	/* found, but cannot run */
			}
		}
		if (!*end)
			break;
		p = end + 1;
	}
	errno = seen_eacces ? EACCES : ENOENT;
	child_fail(st);
}

void exec_child(const struct exec_plan *x, int in, int out, int err, int st)
{
	sigset_t none;
	int sig, cwd = -1;

	/* Clear of 0..4 first, so placing the others cannot clobber them. */
	st = fcntl(st, F_DUPFD_CLOEXEC, 10);
	if (st < 0)
		_exit(127);
	if (x->cwd_fd >= 0 &&
	    (cwd = fcntl(x->cwd_fd, F_DUPFD_CLOEXEC, 10)) < 0)
		child_fail(st);

	/* Host commands start clean: default dispositions (the shadow
	 * ignores SIGPIPE) and an empty mask (it blocks SIGTERM...). */
	for (sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (x->pty) {
		/* A session of its own with the pty as its terminal: job
		 * control, and its group is the one SIGNAL hits. */
		if (setsid() < 0 || ioctl(out, TIOCSCTTY, 0) < 0)
			child_fail(st);
	} else {
		/* Own group: SIGNAL and session end reach the whole job. */
		setpgid(0, 0);
	}
	/* Die with the shadow (our parent) even if it is SIGKILLed. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != x->parent)
		_exit(127);

	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 ||
	    dup2(x->merge_err ? out : err, 2) < 0)
		child_fail(st);
	/* The status pipe becomes fd 3 (close-on-exec), the shadow's cwd
	 * 4 until the fchdir below, all else closed. */
	if (dup3(st, 3, O_CLOEXEC) < 0)
		child_fail(st);
	st = 3;
	if (cwd >= 0) {
		if (dup3(cwd, 4, O_CLOEXEC) < 0)
			child_fail(st);
		cwd = 4;
	}
	if (close_range(5, ~0U, 0) < 0) {
		int fd;

		for (fd = 5; fd < 1024; fd++)
			close(fd);
	}
	/* The shadow's cwd (it may have changed since the launcher was
	 * forked), then the request's, which may be relative to it. */
	if ((cwd >= 0 && fchdir(cwd) < 0) || (x->cwd && chdir(x->cwd) < 0))
		child_fail(st);
	exec_search(x, st);
}
