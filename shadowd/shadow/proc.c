/* SPDX-License-Identifier: MIT */
/*
 * "proc": host commands. Each runs in its own process group with
 * three pipes (or in its own session on a pty); stdio reads and writes
 * are io_uring operations, and WAIT polls a pidfd, so a blocked stream
 * never holds up other calls. The launcher (launcher.c) starts them; they
 * are our children all the same.
 *
 * Lifetime: a command's leader is reaped only at RELEASE (or session end).
 * WAIT reads its status with WNOWAIT and leaves it a zombie, so its pid,
 * which is also its process group's id, cannot be reused while the handle
 * lives: SIGNAL and RELEASE reach that group or nothing, never a stranger
 * that got the number later.
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
#include "log.h"
#include "registry.h"
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
		if (!src || src->starting)
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

/*
 * SPAWN is asynchronous: the request goes to the launcher, and the call
 * waits (a poll on the channel) for its reply, which comes once the
 * command has exec'd. A hung cwd so delays that SPAWN (and the ones asked
 * after it: the launcher answers in order), never the loop. The calls
 * waiting for a reply are kept in order; only the first polls.
 */
#define MAX_SPAWNS_QUEUED	4	/* requests fit in the channel */

struct spawning {
	struct spawn_req rq;
	struct proc *p;		/* its slot is taken; starting until done */
	int h;
	struct call *next;	/* the next call waiting for a reply */
};

static struct call *spawn_head, **spawn_tail = &spawn_head;
static int spawns_queued;
static int orphans_due;		/* a SIGCHLD came while spawns were queued */

/*
 * SIGCHLD: reap adopted orphans, but not while a launcher reply is
 * unread: the command it names is our child already, and reaping it
 * before we know its pid would lose it (pidfd_open fails ESRCH).
 */
void proc_sigchld(void)
{
	if (spawns_queued) {
		orphans_due = 1;
		return;
	}
	orphans_due = 0;
	orphans_reap();
}

static void spawning_free(struct spawning *sp)
{
	free(sp->rq.argv);
	free(sp->rq.envp);
	free(sp);
}

/* A call ended with its reply unread (session end): the slot goes. */
static void spawn_cleanup(struct call *c)
{
	struct spawning *sp = c->priv;

	proc_table_remove(sp->h);
	free(sp->p);
	spawning_free(sp);
}

static int64_t spawn_done(struct call *c, int res);

static void spawn_poll(struct call *c)
{
	struct io_uring_sqe *sqe = call_sqe(c, launcher_fd(), spawn_done);

	io_uring_prep_poll_add(sqe, launcher_fd(), POLLIN);
}

/* The launcher answered the first waiting call; res: the poll's. */
static int64_t spawn_done(struct call *c, int res)
{
	struct spawning *sp = c->priv;
	struct spawn_req *rq = &sp->rq;
	struct launch_result lr = { .fds = { -1, -1, -1 } };
	struct proc *p = sp->p;
	struct hc_spawn_info info;
	int64_t r;
	int i;

	(void)res;	/* readable, hung up or failed: recv tells */
	spawn_head = sp->next;
	if (!spawn_head)
		spawn_tail = &spawn_head;
	else
		spawn_poll(spawn_head);
	spawns_queued--;
	c->priv = NULL;
	c->cleanup = NULL;
	r = launcher_recv(&lr);
	if (r < 0)
		goto fail;
	if (lr.err) {
		/* A child that failed its execve is still ours to reap. */
		if (lr.pid > 0)
			while (waitpid(lr.pid, NULL, 0) < 0 && errno == EINTR)
				;
		r = -lr.err;
		audit_exec(rq, errname(lr.err), 0);
		goto fail;
	}
	p->pidfd = syscall(SYS_pidfd_open, lr.pid, 0);
	if (p->pidfd < 0) {
		r = -errno;
		/* WAIT polls the pidfd: without one a command is not
		 * started at all. */
		if (r == -ENOSYS)
			log_msg("pidfd_open: this kernel has none (Linux 5.3 "
				"or later is needed); SPAWN fails ENOSYS");
		kill(-lr.pid, SIGKILL);
		while (waitpid(lr.pid, NULL, 0) < 0 && errno == EINTR)
			;
		goto fail;
	}
	audit_exec(rq, "ok", lr.pid);
	if (rq->stdin_proc) {
		/* The earlier stage's stdout now feeds this process; the
		 * guest cannot read it any more (READ gives -EBADF). */
		struct proc *src = rq->stdin_proc;

		cancel_calls_fd(src->fds[1]);
		ring_flush();
		close(src->fds[1]);
		src->fds[1] = -1;
	}
	p->pid = lr.pid;
	p->starting = 0;
	p->refs = 1;		/* the table's */
	p->pty = !!(rq->flags & HC_SPAWN_F_PTY);
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
	r = sp->h;
	p = NULL;
	goto out;
fail:
	proc_table_remove(sp->h);
out:
	for (i = 0; i < 3; i++)
		if (lr.fds[i] >= 0)
			close(lr.fds[i]);
	free(p);
	spawning_free(sp);
	if (!spawns_queued && orphans_due)
		proc_sigchld();
	return r;
}

static int64_t proc_spawn(struct call *c)
{
	struct spawning *sp;
	struct spawn_req *rq;
	char prog[PATH_MAX];
	int64_t res;

	if (c->out_max < sizeof(struct hc_spawn_info))
		return -EINVAL;
	if (launcher_fd() < 0)
		return -ENOSYS;
	if (spawns_queued >= MAX_SPAWNS_QUEUED)
		return -EAGAIN;
	sp = calloc(1, sizeof(*sp));
	if (!sp)
		return -ENOMEM;
	rq = &sp->rq;
	res = spawn_parse(c, rq);
	if (res < 0)
		goto out;
	/* Here for a clear error and the audit line; the launcher, which
	 * executes, checks again. */
	res = cmd_resolve(&pol, rq->argv[0], prog, sizeof(prog));
	if (res == -EPERM) {
		audit_exec(rq, "refused", 0);
		goto out;
	}
	sp->p = calloc(1, sizeof(*sp->p));
	if (!sp->p) {
		res = -ENOMEM;
		goto out;
	}
	sp->p->pidfd = -1;
	sp->p->fds[0] = sp->p->fds[1] = sp->p->fds[2] = -1;
	sp->p->starting = 1;
	/* Take the slot now so a full table fails before anything runs. */
	sp->h = proc_table_add(sp->p);
	if (sp->h < 0) {
		res = sp->h;
		goto out;
	}
	res = launcher_send(rq->flags, rq->ws.ws_row, rq->ws.ws_col, rq->cwd,
			    rq->argv, rq->envp,
			    rq->stdin_proc ? rq->stdin_proc->fds[1] : -1);
	if (res < 0) {
		proc_table_remove(sp->h);
		goto out;
	}
	/* Its reply must be read whatever happens: not cancellable. */
	c->nocancel = 1;
	if (rq->stdin_proc)	/* a RELEASE meanwhile must not free it */
		c->proc = proc_ref(rq->stdin_proc);
	c->priv = sp;
	c->cleanup = spawn_cleanup;
	*spawn_tail = c;
	spawn_tail = &sp->next;
	if (spawns_queued++ == 0)
		spawn_poll(c);
	return ASYNC;
out:
	free(sp->p);
	spawning_free(sp);
	return res;
}

/* ---- streams -------------------------------------------------------------- */

static int64_t io_done(struct call *c, int res);

/* READ or WRITE of stream fd, at the current position (offset -1). */
static void rw_submit(struct call *c, int fd)
{
	struct io_uring_sqe *sqe = call_sqe(c, fd, io_done);

	call_prep_rw(sqe, c, fd, (uint64_t)-1, c->op == HC_PROC_WRITE);
}

static int64_t io_done(struct call *c, int res)
{
	struct proc *p = c->proc;
	int fd;

	if (p->released)
		return -ECANCELED;
	/* A tty read or write can take the ring's own task-work
	 * notification for a signal and end -EINTR having moved nothing;
	 * no CANCEL asked for it: go again. */
	if (res == -EINTR && !c->cancelled) {
		fd = c->op == HC_PROC_READ ? p->fds[c->args[1]] : p->fds[0];
		if (fd >= 0) {
			rw_submit(c, fd);
			return ASYNC;
		}
	}
	/* A pty master reads EIO once the last slave holder is gone: that
	 * is its end of stream. */
	if (res == -EIO && c->op == HC_PROC_READ && p->pty)
		res = 0;
	if (res > 0 && c->op == HC_PROC_READ)
		c->out_len = res;
	return res;
}

static int64_t proc_read(struct call *c, struct proc *p)
{
	int64_t s = c->args[1];
	int fd;

	if (s != 1 && s != 2)
		return -EINVAL;
	if (s == 2 && p->pty)
		return 0;	/* all output is on stream 1 */
	fd = p->fds[s];
	if (fd < 0)
		return -EBADF;
	c->proc = proc_ref(p);
	rw_submit(c, fd);
	return ASYNC;
}

static int64_t proc_write(struct call *c, struct proc *p)
{
	int fd;

	if (c->args[1] != 0)
		return -EINVAL;
	fd = p->fds[0];
	if (fd < 0)
		return -EBADF;
	c->proc = proc_ref(p);
	rw_submit(c, fd);
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

/* waitid's siginfo as a waitpid status (what WAIT returns). */
static int wait_status(const siginfo_t *si)
{
	switch (si->si_code) {
	case CLD_EXITED:
		return (si->si_status & 0xff) << 8;
	case CLD_KILLED:
		return si->si_status & 0x7f;
	case CLD_DUMPED:
		return (si->si_status & 0x7f) | 0x80;
	}
	return 0;
}

/* Has the leader exited? Its status is read, but it stays a zombie. */
int proc_exited(struct proc *p)
{
	siginfo_t si;
	int r;

	if (p->exited)
		return 1;
	memset(&si, 0, sizeof(si));
	do
		r = waitid(P_PID, p->pid, &si, WEXITED | WNOHANG | WNOWAIT);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		/* Not ours to wait for (cannot happen): treat as gone. */
		p->exited = p->reaped = 1;
		p->status = 0;
		return 1;
	}
	if (si.si_pid != p->pid)
		return 0;
	p->exited = 1;
	p->status = wait_status(&si);
	if (WIFSIGNALED(p->status) && WTERMSIG(p->status) == SIGXCPU)
		shadow_audit_limit("cpu-seconds", p->pid, 0);
	return 1;
}

/* Reap the leader once it has exited: 1 reaped (now or before), 0 not
 * yet. After this its pid is free, so its group is never signalled. */
int proc_try_reap(struct proc *p)
{
	pid_t r;

	if (p->reaped)
		return 1;
	if (!proc_exited(p))
		return 0;
	do
		r = waitpid(p->pid, NULL, WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return 0;
	p->reaped = 1;
	return 1;
}

#ifndef PIDFD_SIGNAL_PROCESS_GROUP
#define PIDFD_SIGNAL_PROCESS_GROUP	(1U << 2)	/* Linux 6.9 */
#endif

/*
 * Signal p's process group. The leader is unreaped, so the group id is
 * still its own. Where the kernel can, the signal goes through the pidfd,
 * which names the group by its struct pid rather than by a number.
 */
static int group_signal(struct proc *p, int sig)
{
	static int no_pidfd_group;

	if (p->reaped || p->pid <= 0)
		return -ESRCH;
	if (!no_pidfd_group && p->pidfd >= 0) {
		if (syscall(SYS_pidfd_send_signal, p->pidfd, sig, NULL,
			    PIDFD_SIGNAL_PROCESS_GROUP) == 0)
			return 0;
		if (errno != EINVAL)
			return -errno;
		no_pidfd_group = 1;	/* older kernel: the number is safe */
	}
	return kill(-p->pid, sig) < 0 ? -errno : 0;
}

static int64_t wait_done(struct call *c, int res)
{
	struct proc *p = c->proc;
	struct io_uring_sqe *sqe;

	if (p->released)
		return -ECANCELED;
	if (res < 0)
		return res;
	if (proc_exited(p))
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
	if (proc_exited(p))
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
	/* The whole group, also after the leader exited: members may
	 * remain (ESRCH never: the zombie leader is a member). */
	return group_signal(p, (int)sig);
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
	struct proc *p = proc_lookup(c->args[0]);
	int i;

	/* A handle is the guest's once SPAWN has answered, not before. */
	if (!p || p->starting)
		return -EBADF;
	proc_table_remove(c->args[0]);
	/* Pending calls end with -ECANCELED, also one whose operation
	 * completes before its cancel does (the exit the kill causes can
	 * wake a WAIT first): the done handlers look at `released`. */
	p->released = 1;
	for (i = 0; i < 3; i++)
		cancel_calls_fd(p->fds[i]);
	cancel_calls_fd(p->pidfd);
	ring_flush();
	/* Before the reap: background members of its group go too, and
	 * the group id is still the leader's. */
	group_signal(p, SIGKILL);
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

	/* Every group whose leader is not reaped yet (all but those a
	 * RELEASE already reaped, whose groups it killed). */
	for (p = all_procs; p; p = p->all_next)
		group_signal(p, SIGKILL);
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
	if (c->op < 1 || c->op >= HC_PROC_OP_END)
		return -ENOSYS;
	p = proc_lookup(c->args[0]);
	if (!p || p->starting)
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

/* The built-in "proc" 1.0: function n is op n (HC_PROC_*). */
static int64_t proc_fn(struct hcm_call *h)
{
	return proc_call(call_of(h));
}

static const struct hcm_function proc_funcs[] = {
	{ "spawn", proc_fn },
	{ "read", proc_fn },
	{ "write", proc_fn },
	{ "close", proc_fn },
	{ "signal", proc_fn },
	{ "wait", proc_fn },
	{ "release", proc_fn },
	{ "resize", proc_fn },
};

const struct hcm_module proc_module = {
	.api = HCM_API_VERSION,
	.name = HC_PROC_MODULE,
	.major = HC_BUILTIN_MAJOR,
	.minor = HC_BUILTIN_MINOR,
	.nfuncs = sizeof(proc_funcs) / sizeof(proc_funcs[0]),
	.funcs = proc_funcs,
};
