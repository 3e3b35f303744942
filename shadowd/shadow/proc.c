/* SPDX-License-Identifier: MIT */
/*
 * HC_MOD_PROC: host commands. Each runs in its own process group with
 * three pipes (or in its own session on a pty); stdio reads and writes
 * are io_uring operations, and WAIT polls a pidfd, so a blocked stream
 * never holds up other calls. The launcher (launcher.c) starts them; they
 * are our children all the same.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "auditfmt.h"
#include "shadow.h"

extern char **environ;

#define SPAWN_FLAGS (HC_SPAWN_F_CWD | HC_SPAWN_F_MERGE_ERR | \
		     HC_SPAWN_F_STDIN_PROC | HC_SPAWN_F_PTY)

/* ---- spawn --------------------------------------------------------------- */

struct spawn_req {
	const char *cwd;
	char **argv;		/* argc + 1, NULL-terminated */
	char **envp;		/* base environment with the request's entries */
	unsigned flags;		/* HC_SPAWN_F_* */
	struct winsize ws;	/* HC_SPAWN_F_PTY: its size; 0 x 0: default */
	struct proc *stdin_proc;	/* HC_SPAWN_F_STDIN_PROC: its stdout */
	char dropped[256];	/* env names the policy kept out */
};

/* Environment entry names are equal up to '='. */
static int same_name(const char *a, const char *b)
{
	while (*a && *a == *b && *a != '=') {
		a++;
		b++;
	}
	return *a == '=' && *b == '=';
}

/* Parse "[cwd\0] argv...\0 env...\0" exactly; -EINVAL on any mismatch. */
static int spawn_parse(struct call *c, struct spawn_req *rq)
{
	int64_t argc = c->args[0], envc = c->args[1], flags = c->args[2];
	const char *in = (const char *)call_in(c), *s, *nul;
	size_t pos = 0, nbase = 0, i, n;
	int64_t k, nstr;
	char **env;

	memset(rq, 0, sizeof(*rq));
	if (argc < 1 || argc > MAX_SPAWN_STRS || envc < 0 ||
	    envc > MAX_SPAWN_STRS || (flags & ~(int64_t)SPAWN_FLAGS))
		return -EINVAL;
	rq->flags = flags;
	if (flags & HC_SPAWN_F_PTY) {
		int64_t sz = c->args[3];

		/* One terminal for all three streams: stdin cannot come
		 * from elsewhere (MERGE_ERR is implied and harmless). */
		if (flags & HC_SPAWN_F_STDIN_PROC)
			return -EINVAL;
		if (sz < 0 || sz > 0xffffffffLL)
			return -EINVAL;
		rq->ws.ws_row = (uint64_t)sz >> 16;
		rq->ws.ws_col = sz & 0xffff;
	}
	if (flags & HC_SPAWN_F_STDIN_PROC) {
		struct proc *src = proc_lookup(c->args[3]);

		/* A pty's master is its stdin too: it cannot be handed on. */
		if (!src)
			return -EBADF;
		if (src->pty)
			return -EINVAL;
		if (src->fds[1] < 0)
			return -EBADF;
		rq->stdin_proc = src;
	}
	for (n = 0; environ[n]; n++)
		;
	nbase = n;
	rq->argv = calloc(argc + 1, sizeof(char *));
	env = calloc(nbase + envc + 1, sizeof(char *));
	rq->envp = env;
	if (!rq->argv || !env)
		return -ENOMEM;

	nstr = argc + envc + ((flags & HC_SPAWN_F_CWD) ? 1 : 0);
	for (k = 0; k < nstr; k++) {
		if (pos >= c->in_len)
			return -EINVAL;
		s = in + pos;
		nul = memchr(s, 0, c->in_len - pos);
		if (!nul)
			return -EINVAL;
		pos = nul - in + 1;
		if ((flags & HC_SPAWN_F_CWD) && k == 0) {
			rq->cwd = s;
			continue;
		}
		i = k - ((flags & HC_SPAWN_F_CWD) ? 1 : 0);
		if ((int64_t)i < argc) {
			rq->argv[i] = (char *)s;
			continue;
		}
		if (s[0] == '=' || !strchr(s, '='))
			return -EINVAL;
		env[nbase + (i - argc)] = (char *)s;
	}
	if (pos != c->in_len || !rq->argv[0][0] || (rq->cwd && !rq->cwd[0]))
		return -EINVAL;

	/* The policy's say on the guest's entries; the names it drops go
	 * into the exec's audit line. */
	for (k = 0, n = 0; k < envc; k++) {
		const char *e = env[nbase + k];
		size_t d = strlen(rq->dropped);

		if (env_allowed(&pol, e)) {
			env[nbase + n++] = (char *)e;
			continue;
		}
		snprintf(rq->dropped + d, sizeof(rq->dropped) - d, "%s%.*s",
			 d ? "," : "", (int)(strchr(e, '=') - e), e);
	}
	envc = n;

	/* Base entries a request entry overrides are dropped; compact. */
	n = 0;
	for (i = 0; i < nbase; i++) {
		int64_t j;
		int over = 0;

		for (j = 0; j < envc && !over; j++)
			over = same_name(environ[i], env[nbase + j]);
		if (!over)
			env[n++] = environ[i];
	}
	for (k = 0; k < envc; k++)
		env[n++] = env[nbase + k];
	env[n] = NULL;
	return 0;
}

/* One audit line per exec: what, and how it went. */
static void audit_exec(const struct spawn_req *rq, const char *result,
		       pid_t pid)
{
	char f[900], args[600], num[16];
	size_t len = 0, a = 0;
	int i;

	f[0] = args[0] = 0;
	for (i = 1; rq->argv[i] && a < sizeof(args) - 1; i++)
		a += snprintf(args + a, sizeof(args) - a, "%s%s",
			      i > 1 ? " " : "", rq->argv[i]);
	audit_kv(f, sizeof(f), &len, "cmd", rq->argv[0]);
	audit_kv(f, sizeof(f), &len, "args", args);
	if (rq->cwd)
		audit_kv(f, sizeof(f), &len, "cwd", rq->cwd);
	if (rq->flags & HC_SPAWN_F_PTY)
		audit_kv(f, sizeof(f), &len, "pty", "1");
	if (rq->dropped[0])
		audit_kv(f, sizeof(f), &len, "env_dropped", rq->dropped);
	audit_kv(f, sizeof(f), &len, "result", result);
	if (pid > 0) {
		snprintf(num, sizeof(num), "%d", (int)pid);
		audit_kv(f, sizeof(f), &len, "pid", num);
	}
	shadow_audit("exec", f);
}

static const char *errname(int e)
{
	const char *n = strerrorname_np(e);

	return n ? n : "error";
}

static int64_t proc_spawn(struct call *c)
{
	struct spawn_req rq;
	struct hc_spawn_info info;
	struct launch_result lr = { .fds = { -1, -1, -1 } };
	char prog[PATH_MAX];
	int h = -1, i;
	struct proc *p = NULL;
	int64_t res;

	if (c->out_max < sizeof(info))
		return -EINVAL;
	res = spawn_parse(c, &rq);
	if (res < 0)
		goto out;
	/* Here for a clear error and the audit line; the launcher, which
	 * executes, checks again. */
	res = cmd_resolve(&pol, rq.argv[0], prog, sizeof(prog));
	if (res == -EPERM) {
		audit_exec(&rq, "refused", 0);
		goto out;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		res = -ENOMEM;
		goto out;
	}
	p->pidfd = -1;
	p->fds[0] = p->fds[1] = p->fds[2] = -1;
	/* Take the slot now so a full table fails before anything runs. */
	h = proc_table_add(p);
	if (h < 0) {
		res = h;
		goto out;
	}
	res = launcher_spawn(rq.flags, rq.ws.ws_row, rq.ws.ws_col, rq.cwd,
			     rq.argv, rq.envp,
			     rq.stdin_proc ? rq.stdin_proc->fds[1] : -1, &lr);
	if (res < 0)
		goto out_slot;
	if (lr.err) {
		/* A child that failed its execve is still ours to reap. */
		if (lr.pid > 0)
			while (waitpid(lr.pid, NULL, 0) < 0 && errno == EINTR)
				;
		res = -lr.err;
		audit_exec(&rq, errname(lr.err), 0);
		goto out_slot;
	}
	p->pidfd = syscall(SYS_pidfd_open, lr.pid, 0);
	if (p->pidfd < 0) {
		res = -errno;
		kill(-lr.pid, SIGKILL);
		while (waitpid(lr.pid, NULL, 0) < 0 && errno == EINTR)
			;
		goto out_slot;
	}
	audit_exec(&rq, "ok", lr.pid);
	if (rq.stdin_proc) {
		/* The earlier stage's stdout now feeds this process; the
		 * guest cannot read it any more (READ gives -EBADF). */
		struct proc *src = rq.stdin_proc;

		cancel_calls_fd(src->fds[1]);
		ring_flush();
		close(src->fds[1]);
		src->fds[1] = -1;
	}
	p->pid = lr.pid;
	p->refs = 1;		/* the table's */
	p->pty = !!(rq.flags & HC_SPAWN_F_PTY);
	for (i = 0; i < 3; i++) {
		p->fds[i] = lr.fds[i];
		lr.fds[i] = -1;
	}
	p->all_next = all_procs;
	if (all_procs)
		all_procs->all_prev = p;
	all_procs = p;

	memset(&info, 0, sizeof(info));
	info.pid = lr.pid;
	memcpy(call_out(c), &info, sizeof(info));
	c->out_len = sizeof(info);
	res = h;
	p = NULL;
	goto out;

out_slot:
	proc_table_remove(h);
out:
	for (i = 0; i < 3; i++)
		if (lr.fds[i] >= 0)
			close(lr.fds[i]);
	free(p);
	free(rq.argv);
	free(rq.envp);
	return res;
}

/* ---- streams -------------------------------------------------------------- */

static int64_t io_done(struct call *c, int res)
{
	if (c->proc->released)
		return -ECANCELED;
	/* A pty master reads EIO once the last slave holder is gone: that
	 * is its end of stream. */
	if (res == -EIO && c->op == HC_PROC_READ && c->proc->pty)
		res = 0;
	if (res > 0 && c->op == HC_PROC_READ)
		c->out_len = res;
	return res;
}

static int64_t proc_read(struct call *c, struct proc *p)
{
	int64_t s = c->args[1];
	struct io_uring_sqe *sqe;
	int fd;

	if (s != 1 && s != 2)
		return -EINVAL;
	if (s == 2 && p->pty)
		return 0;	/* all output is on stream 1 */
	fd = p->fds[s];
	if (fd < 0)
		return -EBADF;
	c->proc = proc_ref(p);
	sqe = call_sqe(c, fd, io_done);
	/* Offset -1: a stream, read at the current position. */
	io_uring_prep_read(sqe, fd, call_out(c), c->out_max, (uint64_t)-1);
	return ASYNC;
}

static int64_t proc_write(struct call *c, struct proc *p)
{
	struct io_uring_sqe *sqe;
	int fd;

	if (c->args[1] != 0)
		return -EINVAL;
	fd = p->fds[0];
	if (fd < 0)
		return -EBADF;
	c->proc = proc_ref(p);
	sqe = call_sqe(c, fd, io_done);
	io_uring_prep_write(sqe, fd, call_in(c), c->in_len, (uint64_t)-1);
	return ASYNC;
}

static int64_t proc_close(struct call *c, struct proc *p)
{
	int64_t s = c->args[1];
	int fd;

	if (s < 0 || s > 2)
		return -EINVAL;
	if (s == 2 && p->pty)
		return 0;	/* nothing of its own to close */
	fd = p->fds[s];
	if (fd < 0)
		return -EBADF;
	/* Pending reads or writes on it end with -ECANCELED. */
	cancel_calls_fd(fd);
	ring_flush();
	p->fds[s] = -1;
	return close(fd) < 0 ? -errno : 0;
}

/* ---- wait, signal, release ------------------------------------------------ */

int proc_try_reap(struct proc *p)
{
	int st;
	pid_t r;

	if (p->reaped)
		return 1;
	do
		r = waitpid(p->pid, &st, WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r == p->pid) {
		p->reaped = 1;
		p->status = st;
		if (WIFSIGNALED(st) && WTERMSIG(st) == SIGXCPU)
			shadow_audit_limit("cpu-seconds", p->pid, 0);
		return 1;
	}
	if (r < 0) {
		/* Not ours to wait for any more (cannot happen): stop trying. */
		p->reaped = 1;
		p->status = 0;
		return 1;
	}
	return 0;
}

static int64_t wait_done(struct call *c, int res)
{
	struct proc *p = c->proc;
	struct io_uring_sqe *sqe;

	if (p->released)
		return -ECANCELED;
	if (res < 0)
		return res;
	if (proc_try_reap(p))
		return p->status;
	/* Readable pidfd but not yet waitable: poll again. */
	sqe = call_sqe(c, p->pidfd, wait_done);
	io_uring_prep_poll_add(sqe, p->pidfd, POLLIN);
	return ASYNC;
}

static int64_t proc_wait(struct call *c, struct proc *p)
{
	struct io_uring_sqe *sqe;

	/* The status is kept: a repeated WAIT returns it again. */
	if (proc_try_reap(p))
		return p->status;
	c->proc = proc_ref(p);
	sqe = call_sqe(c, p->pidfd, wait_done);
	io_uring_prep_poll_add(sqe, p->pidfd, POLLIN);
	return ASYNC;
}

static int64_t proc_signal(struct call *c, struct proc *p)
{
	int64_t sig = c->args[1];

	if (sig < 0 || sig >= NSIG)
		return -EINVAL;
	/* The group outlives a reaped leader only while members remain, and
	 * its id is not reused while they do; ESRCH once all are gone. */
	return kill(-p->pid, (int)sig) < 0 ? -errno : 0;
}

/* args[1] = (rows << 16) | cols; the kernel sends the job SIGWINCH. */
static int64_t proc_resize(struct call *c, struct proc *p)
{
	int64_t sz = c->args[1];
	struct winsize ws = { 0 };
	int fd = p->fds[1] >= 0 ? p->fds[1] : p->fds[0];

	if (sz < 0 || sz > 0xffffffffLL)
		return -EINVAL;
	if (!p->pty)
		return -ENOTTY;
	if (fd < 0)
		return -EBADF;
	ws.ws_row = (uint64_t)sz >> 16;
	ws.ws_col = sz & 0xffff;
	return ioctl(fd, TIOCSWINSZ, &ws) < 0 ? -errno : 0;
}

static int64_t proc_release(struct call *c)
{
	struct proc *p = proc_table_remove(c->args[0]);
	int i;

	if (!p)
		return -EBADF;
	/* Pending calls end with -ECANCELED, also one whose operation
	 * completes before its cancel does (the exit the kill causes can
	 * wake a WAIT first): the done handlers look at `released`. */
	p->released = 1;
	for (i = 0; i < 3; i++)
		cancel_calls_fd(p->fds[i]);
	cancel_calls_fd(p->pidfd);
	ring_flush();
	/* Also after the leader was reaped: background members of its
	 * group go too. */
	kill(-p->pid, SIGKILL);
	/* The table's reference passes to the reaper, if one is needed. */
	if (!proc_try_reap(p))
		proc_reap_later(p);
	else
		proc_unref(p);
	return 0;
}

void proc_kill_all(void)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	struct proc *p;
	int left, tries = 200;	/* 2 s at most */

	/* Every group, reaped leader or not: members may remain. */
	for (p = all_procs; p; p = p->all_next)
		kill(-p->pid, SIGKILL);
	do {
		left = 0;
		for (p = all_procs; p; p = p->all_next)
			if (!proc_try_reap(p))
				left++;
		if (left)
			nanosleep(&ts, NULL);
	} while (left && --tries > 0);
}

int64_t proc_call(struct call *c)
{
	struct proc *p;

	if (c->op == HC_PROC_SPAWN)
		return proc_spawn(c);
	if (c->op == HC_PROC_RELEASE)
		return proc_release(c);
	if (c->op < HC_PROC_SPAWN || c->op > HC_PROC_RESIZE)
		return -ENOSYS;
	p = proc_lookup(c->args[0]);
	if (!p)
		return -EBADF;
	switch (c->op) {
	case HC_PROC_READ:
		return proc_read(c, p);
	case HC_PROC_WRITE:
		return proc_write(c, p);
	case HC_PROC_CLOSE:
		return proc_close(c, p);
	case HC_PROC_SIGNAL:
		return proc_signal(c, p);
	case HC_PROC_WAIT:
		return proc_wait(c, p);
	case HC_PROC_RESIZE:
		return proc_resize(c, p);
	}
	return -ENOSYS;
}
