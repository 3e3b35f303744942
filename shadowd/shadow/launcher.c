/* SPDX-License-Identifier: MIT */
/*
 * The launcher: a small helper that starts host commands for the shadow.
 *
 * The shadow forks it before it installs its seccomp filter, so the
 * launcher, and every command it starts, runs without that filter (a
 * filter is inherited across fork and execve and would break ordinary
 * programs), but as the same host user, with no_new_privs (no setuid or
 * file-capability gain) and the session's RLIMIT_CPU. It only ever talks
 * to its shadow over a socketpair, checks every request as untrusted
 * input, and applies the command list and the environment filter itself,
 * so a subverted shadow can get from it no more than the policy already
 * grants the guest.
 *
 * Commands are started with clone(CLONE_PARENT): their parent is the
 * shadow, which waits for them, reaps them and is the one their
 * PDEATHSIG watches, exactly as if it had forked them itself.
 *
 * Request:  struct launch_req, then [cwd\0] argv\0... env\0..., with
 *           SCM_RIGHTS: the shadow's cwd (O_PATH) and, for
 *           HC_SPAWN_F_STDIN_PROC, the stdin.
 * Reply:    struct launch_rep, with SCM_RIGHTS: the shadow's ends of
 *           stdin, stdout and stderr (those that exist, in that order).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include "exec.h"
#include "log.h"
#include "shadow.h"

#define LAUNCH_MAGIC	0x4c434831u	/* "LCH1" */
/* The guest's strings plus the shadow's base environment. */
#define LAUNCH_MAX	(HC_MAX_DATA + 64 * 1024)
#define LAUNCH_SOCK	3		/* in the launcher */
#define LAUNCH_AUDIT	4		/* with a command list */

struct launch_req {
	uint32_t magic;
	uint32_t flags;		/* HC_SPAWN_F_* */
	uint32_t argc, envc;
	uint16_t rows, cols;
	uint32_t len;		/* bytes of strings that follow */
};

struct launch_rep {
	int32_t err;		/* 0 or a positive errno */
	int32_t pid;		/* the command (the shadow's child), or 0 */
	uint32_t nfds;		/* 3: stdin, stdout, stderr; see fd_mask */
	uint32_t fd_mask;	/* which of the three are attached */
};

static int chan = -1;		/* the shadow's end */
static pid_t helper_pid;
/* The launcher's newest child, written by clone (execwatch.c). */
static volatile pid_t launching;

/* ---- both sides --------------------------------------------------------- */

static ssize_t send_fds(int sock, const void *buf, size_t len,
			const int *fds, int nfds)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int) * 3)];
	} cm;
	struct iovec iov = { (void *)buf, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (nfds) {
		memset(&cm, 0, sizeof(cm));
		mh.msg_control = cm.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		cm.h.cmsg_level = SOL_SOCKET;
		cm.h.cmsg_type = SCM_RIGHTS;
		cm.h.cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(&cm.h), fds, sizeof(int) * nfds);
	}
	do
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n;
}

/* One packet and up to max fds (the rest closed): length, 0 at EOF,
 * or -errno; MSG_TRUNC shows an oversized packet as such. */
static ssize_t recv_fds(int sock, void *buf, size_t len, int *fds, int max,
			int *nfds)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int) * 4)];
	} cm;
	struct iovec iov = { buf, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cm.buf,
			     .msg_controllen = sizeof(cm.buf) };
	struct cmsghdr *c;
	ssize_t n;
	int got[4], k, ng;

	*nfds = 0;
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC | MSG_TRUNC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		ng = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		if (ng > 4)
			ng = 4;
		memcpy(got, CMSG_DATA(c), ng * sizeof(int));
		for (k = 0; k < ng; k++) {
			if (*nfds < max)
				fds[(*nfds)++] = got[k];
			else
				close(got[k]);
		}
	}
	if (mh.msg_flags & MSG_CTRUNC)
		return -EMSGSIZE;
	return n;
}

/* ---- the launcher process ------------------------------------------------ */

static int open_pty(uint16_t rows, uint16_t cols, int *master, int *slave)
{
	struct winsize ws = { .ws_row = rows, .ws_col = cols };
	int m, sl, e;

	m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (m < 0)
		return errno;
	/* TIOCGPTPEER opens the slave from the master itself: no path
	 * lookup under /dev/pts to race with. */
	if (unlockpt(m) < 0 ||
	    (sl = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
		e = errno;
		close(m);
		return e;
	}
	if ((rows || cols) && ioctl(m, TIOCSWINSZ, &ws) < 0) {
		e = errno;
		close(sl);
		close(m);
		return e;
	}
	*master = m;
	*slave = sl;
	return 0;
}

/* Split the strings exactly: 0 or EINVAL. v gets argv[0..argc-1], NULL,
 * env[0..envc-1], NULL. */
static int unpack(const struct launch_req *rq, char *s, size_t len,
		  const char **cwd, char ***argv, char ***envp)
{
	size_t pos = 0, k, nstr, ai = 0, ei = 0;
	int has_cwd = !!(rq->flags & HC_SPAWN_F_CWD);
	char **v, *nul;

	if (rq->argc < 1 || rq->argc > MAX_SPAWN_STRS ||
	    rq->envc > 2 * MAX_SPAWN_STRS || rq->len != len)
		return EINVAL;
	nstr = rq->argc + rq->envc + has_cwd;
	v = calloc(rq->argc + rq->envc + 2, sizeof(char *));
	if (!v)
		return ENOMEM;
	*cwd = NULL;
	for (k = 0; k < nstr; k++) {
		nul = pos < len ? memchr(s + pos, 0, len - pos) : NULL;
		if (!nul) {
			free(v);
			return EINVAL;
		}
		if (k == 0 && has_cwd)
			*cwd = s + pos;
		else if (ai < rq->argc)
			v[ai++] = s + pos;
		else
			v[rq->argc + 1 + ei++] = s + pos;
		pos = nul - s + 1;
	}
	if (pos != len || !v[0][0]) {
		free(v);
		return EINVAL;
	}
	*argv = v;
	*envp = v + rq->argc + 1;
	return 0;
}

/*
 * The environment again: entries of the shadow's own environment (ours
 * too: we are its fork) and those the policy lets a guest set; the rest
 * is dropped, so that even a subverted shadow cannot slip LD_PRELOAD to a
 * listed program.
 */
static void keep_env(char **envp)
{
	extern char **environ;
	char **r, **w, **b;

	for (r = w = envp; *r; r++) {
		for (b = environ; *b && strcmp(*b, *r); b++)
			;
		if (*b || env_allowed(&pol, *r))
			*w++ = *r;
	}
	*w = NULL;
}

/*
 * Start one command: pipes or a pty, clone(CLONE_PARENT), wait for its
 * execve. Fills rep and ours[] (the shadow's ends, rep->nfds of them).
 */
static void launch(const struct launch_req *rq, char *strs, size_t len,
		   int cwd_fd, int stdin_fd, pid_t shadow,
		   struct launch_rep *rep, int ours[3])
{
	struct exec_plan x = { .cwd_fd = cwd_fd, .parent = shadow };
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 };
	int st[2] = { -1, -1 }, child_in, e, i;
	char prog[PATH_MAX];
	char **argv = NULL, **envp = NULL;
	pid_t pid;
	ssize_t r;

	memset(rep, 0, sizeof(*rep));
	ours[0] = ours[1] = ours[2] = -1;
	x.pty = !!(rq->flags & HC_SPAWN_F_PTY);
	x.merge_err = !!(rq->flags & HC_SPAWN_F_MERGE_ERR);
	if ((rq->flags & ~(uint32_t)(HC_SPAWN_F_CWD | HC_SPAWN_F_MERGE_ERR |
				     HC_SPAWN_F_STDIN_PROC | HC_SPAWN_F_PTY)) ||
	    (x.pty && (rq->flags & HC_SPAWN_F_STDIN_PROC)) ||
	    !!(rq->flags & HC_SPAWN_F_STDIN_PROC) != (stdin_fd >= 0)) {
		rep->err = EINVAL;
		return;
	}
	rep->err = unpack(rq, strs, len, &x.cwd, &argv, &envp);
	if (rep->err)
		return;
	x.argv = argv;
	x.envp = envp;
	keep_env(envp);
	/* The command list again, here where the execve happens. */
	e = cmd_resolve(&pol, argv[0], prog, sizeof(prog));
	if (e < 0) {
		rep->err = -e;
		goto out;
	}
	x.prog = prog[0] ? prog : NULL;

	if (x.pty) {
		/* out[0] the master (twice: stdin and stdout side, so closing
		 * one stream leaves the other), out[1] the slave. */
		rep->err = open_pty(rq->rows, rq->cols, &out[0], &out[1]);
		if (rep->err)
			goto out;
		child_in = out[1];
	} else if (stdin_fd >= 0) {
		child_in = stdin_fd;
	} else {
		if (pipe2(in, O_CLOEXEC) < 0)
			goto fail;
		child_in = in[0];
	}
	if ((!x.pty && pipe2(out, O_CLOEXEC) < 0) ||
	    (!x.pty && !x.merge_err && pipe2(err, O_CLOEXEC) < 0) ||
	    pipe2(st, O_CLOEXEC) < 0)
		goto fail;
	/* fork(), but the child's parent is the shadow. */
	pid = syscall(SYS_clone, CLONE_PARENT | CLONE_PARENT_SETTID | SIGCHLD,
		      0, &launching, NULL, 0);
	if (pid < 0)
		goto fail;
	if (pid == 0)
		exec_child(&x, child_in, out[1], x.pty ? out[1] : err[1],
			   st[1]);
	close(st[1]);
	st[1] = -1;
	/* The child holds its ends now; ours must go for EOF to work. */
	if (in[0] >= 0) {
		close(in[0]);
		in[0] = -1;
	}
	close(out[1]);
	out[1] = -1;
	if (err[1] >= 0) {
		close(err[1]);
		err[1] = -1;
	}
	/* Blocks only until the child's execve: errno, or EOF on success. */
	do
		r = read(st[0], &e, sizeof(e));
	while (r < 0 && errno == EINTR);
	rep->pid = pid;
	if (r != 0) {
		rep->err = (r == sizeof(e) && e > 0) ? e : EIO;
		goto out;
	}
	if (x.pty) {
		ours[0] = out[0];
		ours[1] = out[0];
		rep->fd_mask = 3;
	} else {
		ours[0] = in[1];
		ours[1] = out[0];
		ours[2] = err[0];
		rep->fd_mask = (in[1] >= 0 ? 1 : 0) | 2 | (err[0] >= 0 ? 4 : 0);
		in[1] = -1;
		err[0] = -1;
	}
	out[0] = -1;
	goto out;
fail:
	rep->err = errno;
out:
	for (i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
		if (err[i] >= 0)
			close(err[i]);
		if (st[i] >= 0)
			close(st[i]);
	}
	free(argv);
}

static void __attribute__((noreturn)) serve(pid_t shadow)
{
	struct launch_req rq;
	struct launch_rep rep;
	char *buf = malloc(sizeof(rq) + LAUNCH_MAX + 1);
	int fds[2], nfds, ours[3], send[3], n, i;
	ssize_t len;

	if (!buf)
		_exit(1);
	for (;;) {
		len = recv_fds(LAUNCH_SOCK, buf, sizeof(rq) + LAUNCH_MAX + 1,
			       fds, 2, &nfds);
		if (len == 0)
			_exit(0);	/* the shadow is gone */
		if (len < 0 && len != -EMSGSIZE)
			_exit(1);
		memset(&rep, 0, sizeof(rep));
		memcpy(&rq, buf, len >= (ssize_t)sizeof(rq) ? sizeof(rq) : 0);
		if (len < (ssize_t)sizeof(rq) ||
		    len > (ssize_t)(sizeof(rq) + LAUNCH_MAX) ||
		    rq.magic != LAUNCH_MAGIC || nfds < 1) {
			rep.err = EINVAL;
			memset(ours, -1, sizeof(ours));
		} else {
			/* fds: the cwd, then stdin if F_STDIN_PROC */
			launch(&rq, buf + sizeof(rq), len - sizeof(rq),
			       fds[0], nfds > 1 ? fds[1] : -1, shadow, &rep,
			       ours);
		}
		for (i = 0; i < nfds; i++)
			close(fds[i]);
		n = 0;
		for (i = 0; i < 3; i++)
			if (rep.fd_mask & (1u << i))
				send[n++] = ours[i];
		rep.nfds = n;
		if (send_fds(LAUNCH_SOCK, &rep, sizeof(rep), send, n) < 0)
			_exit(1);
		/* The pty master was sent twice from one descriptor. */
		for (i = 0; i < 3; i++)
			if (ours[i] >= 0 && (i == 0 || ours[i] != ours[i - 1]))
				close(ours[i]);
	}
}

/* With a command list: the Landlock ruleset the launcher enforces on
 * itself, or -1 where the kernel has none (said once in the audit). */
static int exec_rules(void)
{
	int rs;

	if (!pol.commands_listed)
		return -1;
	rs = exec_ruleset(&pol);
	if (rs == -EOPNOTSUPP) {
		shadow_audit("confine", " landlock=absent"
			     " commands=checked-at-spawn-only");
		return -1;
	}
	return rs;
}

int launcher_start(void)
{
	int sv[2], sz = 1 << 20, rs;
	pid_t shadow = getpid(), pid;

	rs = exec_rules();
	if (rs < -1)
		return rs;	/* Landlock there but unusable: no commands */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		if (rs >= 0)
			close(rs);
		return -errno;
	}
	/* Room for the largest request in one packet. */
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	pid = fork();
	if (pid < 0) {
		int e = -errno;

		close(sv[0]);
		close(sv[1]);
		if (rs >= 0)
			close(rs);
		return e;
	}
	if (pid == 0) {
		/* Fail closed: a launcher that cannot confine itself starts
		 * nothing (spawns then fail with EIO). */
		if (rs >= 0 && exec_confine(rs) < 0)
			_exit(1);
		/* Nothing of the shadow's but the channel and stdio: not the
		 * session socket, not the ring, not the audit socket. */
		if (dup2(sv[1], LAUNCH_SOCK) < 0)
			_exit(1);
		/* With a command list, the audit socket too: it audits
		 * every execve (execwatch.c). */
		if (rs >= 0)
			shadow_audit_move(LAUNCH_AUDIT);
		if (close_range(rs >= 0 ? LAUNCH_AUDIT + 1 : LAUNCH_SOCK + 1,
				~0U, 0) < 0)
			_exit(1);
		if (rs < 0)
			log_sink = NULL;	/* it has no audit socket */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != shadow)
			_exit(0);
		if (rs >= 0 && execwatch_start(&launching) < 0)
			_exit(1);
		prctl(PR_SET_NAME, "hc-launcher");
		serve(shadow);
	}
	close(sv[1]);
	if (rs >= 0)
		close(rs);
	chan = sv[0];
	helper_pid = pid;
	return 0;
}

pid_t launcher_pid(void)
{
	return chan >= 0 ? helper_pid : 0;
}

void launcher_stop(void)
{
	int i;

	if (chan < 0)
		return;
	close(chan);		/* EOF: the launcher exits */
	chan = -1;
	for (i = 0; i < 200; i++) {
		if (waitpid(helper_pid, NULL, WNOHANG) != 0)
			return;
		usleep(10000);
	}
	kill(helper_pid, SIGKILL);
	waitpid(helper_pid, NULL, 0);
}

/* ---- the shadow's side ----------------------------------------------------- */

int launcher_fd(void)
{
	return chan;
}

int launcher_send(unsigned flags, uint16_t rows, uint16_t cols,
		  const char *cwd, char *const argv[], char *const envp[],
		  int stdin_fd)
{
	struct launch_req rq = { .magic = LAUNCH_MAGIC, .rows = rows,
				 .cols = cols };
	size_t len = 0, n;
	char *msg, *p;
	int fds[2], cwd_fd, i;
	ssize_t r;

	if (chan < 0)
		return -ENOSYS;
	rq.flags = flags & ~(unsigned)HC_SPAWN_F_CWD;
	if (cwd) {
		rq.flags |= HC_SPAWN_F_CWD;
		len += strlen(cwd) + 1;
	}
	for (; argv[rq.argc]; rq.argc++)
		len += strlen(argv[rq.argc]) + 1;
	for (; envp[rq.envc]; rq.envc++)
		len += strlen(envp[rq.envc]) + 1;
	if (len > LAUNCH_MAX)
		return -E2BIG;
	rq.len = len;
	msg = malloc(sizeof(rq) + len);
	if (!msg)
		return -ENOMEM;
	memcpy(msg, &rq, sizeof(rq));
	p = msg + sizeof(rq);
	if (cwd) {
		n = strlen(cwd) + 1;
		memcpy(p, cwd, n);
		p += n;
	}
	for (i = 0; i < (int)rq.argc; i++) {
		n = strlen(argv[i]) + 1;
		memcpy(p, argv[i], n);
		p += n;
	}
	for (i = 0; i < (int)rq.envc; i++) {
		n = strlen(envp[i]) + 1;
		memcpy(p, envp[i], n);
		p += n;
	}
	/* Our cwd goes along: the launcher's is the one it started in. */
	cwd_fd = open(".", SHADOW_DIR_OPEN);	/* the filter's exact form */
	if (cwd_fd < 0) {
		free(msg);
		return -errno;
	}
	fds[0] = cwd_fd;
	fds[1] = stdin_fd;
	r = send_fds(chan, msg, sizeof(rq) + len, fds, stdin_fd >= 0 ? 2 : 1);
	free(msg);
	close(cwd_fd);
	return r < 0 ? -EIO : 0;
}

int launcher_recv(struct launch_result *res)
{
	struct launch_rep rep;
	int fds[3], nfds, i, k;
	ssize_t r;

	memset(res, 0, sizeof(*res));
	res->fds[0] = res->fds[1] = res->fds[2] = -1;
	r = recv_fds(chan, &rep, sizeof(rep), fds, 3, &nfds);
	if (r != sizeof(rep) || (int)rep.nfds != nfds) {
		for (i = 0; i < nfds; i++)
			close(fds[i]);
		log_msg("launcher: %s", r <= 0 ? "gone" : "bad reply");
		return -EIO;
	}
	res->err = rep.err;
	res->pid = rep.pid;
	for (i = 0, k = 0; i < 3; i++)
		if (rep.fd_mask & (1u << i))
			res->fds[i] = k < nfds ? fds[k++] : -1;
	return 0;
}
