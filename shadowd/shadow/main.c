/* SPDX-License-Identifier: MIT */
/*
 * hostcall-shadow: serves one guest session on fd 3 (SOCK_SEQPACKET).
 *
 * One io_uring drives everything: an outstanding recv on fd 3, the
 * operations of calls in flight, reply sends and a poll on a signalfd.
 * A call's packet buffer becomes its reply buffer, so read data lands
 * directly after the reply header and is sent from there.
 * EOF on fd 3 (or SIGTERM from shadowd) ends the session: every process
 * group the shadow started is killed and reaped, then it exits.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "auditfmt.h"
#include "log.h"
#include "session_policy.h"
#include "shadow.h"

/* user_data: a pointer with its kind in the low bits (malloc aligns to 16) */
enum {
	UD_CALL = 0,	/* a call's operation */
	UD_SEND = 1,	/* a call's reply send */
	UD_RECV = 2,
	UD_SIGNAL = 3,
	UD_REAP = 4,	/* a released process: reap it when it exits */
	UD_IGNORE = 5,	/* cancel requests */
	UD_OFFLOAD = 6,	/* offload.c: jobs finished on worker threads */
	UD_MASK = 7,
};

struct io_uring ring;
static struct call calls;		/* in-flight list head */
static int ncalls;			/* calls not yet freed */
static unsigned pending_ops;		/* SQEs without their CQE yet */
static unsigned char *rx_buf;		/* the outstanding recv's buffer */
static int sig_fd = -1;
static int stopping;
static uint32_t session_id;

/* ---- buffers ------------------------------------------------------------ */

#define POOL_MAX 16
static unsigned char *pool[POOL_MAX];
static int npool;

static unsigned char *buf_get(void)
{
	if (npool)
		return pool[--npool];
	return malloc(BUF_SIZE);
}

static void buf_put(unsigned char *b)
{
	if (npool < POOL_MAX)
		pool[npool++] = b;
	else
		free(b);
}

/* ---- ring helpers -------------------------------------------------------- */

static struct io_uring_sqe *get_sqe(uint64_t ud)
{
	struct io_uring_sqe *sqe;

	while (!(sqe = io_uring_get_sqe(&ring)))
		io_uring_submit(&ring);
	io_uring_sqe_set_data64(sqe, ud);
	pending_ops++;
	return sqe;
}

struct io_uring_sqe *call_sqe(struct call *c, int fd, call_done_fn done)
{
	c->pending = 1;
	c->fd = fd;
	c->done = done;
	return get_sqe((uint64_t)(uintptr_t)c | UD_CALL);
}

void ring_flush(void)
{
	io_uring_submit(&ring);
}

static void cancel_call(struct call *c)
{
	struct io_uring_sqe *sqe;

	c->cancelled = 1;
	if (c->offloaded) {
		offload_cancel(c);
		return;
	}
	sqe = get_sqe(UD_IGNORE);
	io_uring_prep_cancel64(sqe, (uint64_t)(uintptr_t)c | UD_CALL, 0);
}

void cancel_calls_fd(int fd)
{
	struct call *c;

	if (fd < 0)
		return;
	for (c = calls.next; c != &calls; c = c->next)
		if (c->pending && c->fd == fd)
			cancel_call(c);
}

const char *call_str(struct call *c)
{
	const unsigned char *in = call_in(c);

	if (c->in_len == 0 || in[c->in_len - 1] != 0 ||
	    memchr(in, 0, c->in_len) != in + c->in_len - 1)
		return NULL;
	return (const char *)in;
}

/* ---- calls -------------------------------------------------------------- */

static void call_free(struct call *c)
{
	if (c->cleanup)
		c->cleanup(c);
	if (c->job_fd >= 0)
		close(c->job_fd);
	buf_put(c->buf);
	free(c->path);
	free(c);
	ncalls--;
}

static void reply(struct call *c, int64_t result)
{
	struct hcp_reply r;
	uint32_t len;
	struct io_uring_sqe *sqe;

	/* Leave the in-flight list: a CANCEL arriving now finds nothing. */
	c->prev->next = c->next;
	c->next->prev = c->prev;
	if (c->proc) {
		proc_unref(c->proc);
		c->proc = NULL;
	}
	if (c->cancelled && (result == -EINTR || result == -ECANCELED))
		result = -ECANCELED;
	if (result < 0 || c->out_len > c->out_max)
		c->out_len = 0;
	len = sizeof(r) + c->out_len;
	memset(&r, 0, sizeof(r));
	hcp_init(&r.hdr, HCP_REPLY, len, c->session, c->tag);
	r.result = result;
	memcpy(c->buf, &r, sizeof(r));
	if (stopping) {
		call_free(c);
		return;
	}
	sqe = get_sqe((uint64_t)(uintptr_t)c | UD_SEND);
	io_uring_prep_send(sqe, SESSION_FD, c->buf, len, MSG_NOSIGNAL);
}

static const char *const module_names[HC_MOD_COUNT] = {
	[HC_MOD_SESSION] = "session", [HC_MOD_SYS] = "sys",
	[HC_MOD_PROC] = "proc", [HC_MOD_FS] = "fs",
};

/* Writes may be cut to the byte limit (they may be short anyway). */
static int is_write(const struct call *c)
{
	return (c->module == HC_MOD_FS && (c->op == HC_FS_WRITE ||
					   c->op == HC_FS_PWRITE)) ||
	       (c->module == HC_MOD_PROC && c->op == HC_PROC_WRITE);
}

/* The policy's say before a call runs: 0, or the call's result. */
static int64_t policy_gate(struct call *c)
{
	char f[128];
	size_t len = 0;

	if (c->module > HC_MOD_SESSION && c->module < HC_MOD_COUNT &&
	    !(pol.modules & (1u << c->module))) {
		f[0] = 0;
		audit_kv(f, sizeof(f), &len, "module", module_names[c->module]);
		audit_kv(f, sizeof(f), &len, "reason", "module-not-allowed");
		shadow_audit("call-refused", f);
		return -EPERM;
	}
	/* max-bytes: less output asked for is always fine; more input
	 * than allowed only for a write, which is then short. */
	if (c->out_max > pol.max_bytes)
		c->out_max = pol.max_bytes;
	if (c->in_len > pol.max_bytes) {
		if (!is_write(c))
			return -E2BIG;
		c->in_len = pol.max_bytes;
	}
	return 0;
}

static int64_t dispatch(struct call *c)
{
	switch (c->module) {
	case HC_MOD_SYS:
		return sys_call(c);
	case HC_MOD_PROC:
		return proc_call(c);
	case HC_MOD_FS:
		return fs_call(c);
	}
	return -ENOSYS;
}

static void call_start(unsigned char *buf, size_t n)
{
	struct hcp_call hc;
	struct call *c;
	int64_t res;

	memcpy(&hc, buf, sizeof(hc));
	c = calloc(1, sizeof(*c));
	if (!c) {
		/* Cannot even answer; drop the packet, keep serving. */
		log_msg("out of memory; call %llu dropped",
			(unsigned long long)hc.hdr.tag);
		buf_put(buf);
		return;
	}
	ncalls++;
	c->tag = hc.hdr.tag;
	c->session = hc.hdr.session;
	c->module = hc.module;
	c->op = hc.op;
	c->out_max = hc.out_max;
	memcpy(c->args, hc.args, sizeof(c->args));
	c->buf = buf;
	c->in_len = n - sizeof(hc);
	c->fd = -1;
	c->job_fd = -1;
	c->next = calls.next;
	c->prev = &calls;
	calls.next->prev = c;
	calls.next = c;

	if (c->out_max > HC_MAX_DATA)
		res = -EINVAL;
	else if (ncalls > MAX_CALLS)
		res = -EBUSY;
	else if ((res = policy_gate(c)) == 0)
		res = dispatch(c);
	if (res != ASYNC)
		reply(c, res);
}

static void call_complete(struct call *c, int res)
{
	int64_t r;

	c->pending = 0;
	c->fd = -1;
	if (c->cancelled && (res == -ECANCELED || res == -EINTR))
		r = -ECANCELED;
	else if (c->done)
		r = c->done(c, res);
	else
		r = res;	/* an offloaded job's own result */
	if (r != ASYNC)
		reply(c, r);
}

static void cancel_tag(uint64_t tag)
{
	struct call *c;

	for (c = calls.next; c != &calls; c = c->next)
		if (c->tag == tag && c->pending && !c->nocancel)
			cancel_call(c);
}

/* ---- the session socket -------------------------------------------------- */

static void arm_recv(void)
{
	struct io_uring_sqe *sqe;

	if (rx_buf || stopping)
		return;
	rx_buf = buf_get();
	if (!rx_buf) {
		log_msg("out of memory; ending session");
		stopping = 1;
		return;
	}
	sqe = get_sqe(UD_RECV);
	/* BUF_SIZE is one more than the largest legal packet, so an
	 * oversized one shows as such instead of being cut to size. */
	io_uring_prep_recv(sqe, SESSION_FD, rx_buf, BUF_SIZE, 0);
}

static void on_recv(int res)
{
	unsigned char *buf = rx_buf;
	struct hcp_hdr h;

	rx_buf = NULL;
	if (res == -EINTR || res == -EAGAIN) {
		buf_put(buf);
		return;
	}
	if (res <= 0) {
		if (res < 0 && !(stopping && res == -ECANCELED))
			log_msg("session socket: %s", strerror(-res));
		buf_put(buf);
		stopping = 1;
		return;
	}
	if (hcp_check(buf, res) < 0) {
		log_msg("malformed packet (%d bytes); ending session", res);
		buf_put(buf);
		stopping = 1;
		return;
	}
	memcpy(&h, buf, sizeof(h));
	switch (h.type) {
	case HCP_CALL:
		call_start(buf, res);
		return;
	case HCP_CANCEL:
		cancel_tag(h.tag);
		buf_put(buf);
		return;
	}
	log_msg("unexpected packet type %u; ending session", h.type);
	buf_put(buf);
	stopping = 1;
}

/* ---- signals and released processes ------------------------------------ */

static void arm_signal(void)
{
	struct io_uring_sqe *sqe = get_sqe(UD_SIGNAL);

	io_uring_prep_poll_add(sqe, sig_fd, POLLIN);
}

static void on_signal(void)
{
	struct signalfd_siginfo si;

	while (read(sig_fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGCHLD) {
			proc_sigchld();
			continue;
		}
		log_msg("signal %u; ending session", si.ssi_signo);
		stopping = 1;
	}
	if (!stopping)
		arm_signal();
}

static void arm_offload(void)
{
	struct io_uring_sqe *sqe = get_sqe(UD_OFFLOAD);

	io_uring_prep_poll_add(sqe, offload_fd(), POLLIN);
}

static void on_offload(void)
{
	struct call *c;
	int64_t res;

	while ((c = offload_next(&res)))
		call_complete(c, res);
	if (!stopping)
		arm_offload();
}

void proc_reap_later(struct proc *p)
{
	struct io_uring_sqe *sqe = get_sqe((uint64_t)(uintptr_t)p | UD_REAP);

	io_uring_prep_poll_add(sqe, p->pidfd, POLLIN);
}

static void on_reap(struct proc *p, int res)
{
	/* Exited (or the poll failed): reap if we can, else poll again;
	 * session end reaps whatever is left. */
	if (proc_try_reap(p) == 0 && res >= 0 && !stopping) {
		proc_reap_later(p);
		return;
	}
	proc_unref(p);
}

/* ---- main --------------------------------------------------------------- */

static void handle_cqe(struct io_uring_cqe *cqe)
{
	uint64_t ud = io_uring_cqe_get_data64(cqe);
	void *ptr = (void *)(uintptr_t)(ud & ~(uint64_t)UD_MASK);

	pending_ops--;
	switch (ud & UD_MASK) {
	case UD_CALL:
		call_complete(ptr, cqe->res);
		break;
	case UD_SEND:
		if (cqe->res < 0 && cqe->res != -EPIPE &&
		    cqe->res != -ECONNRESET && cqe->res != -ECANCELED)
			log_msg("reply send: %s", strerror(-cqe->res));
		call_free(ptr);
		break;
	case UD_RECV:
		on_recv(cqe->res);
		break;
	case UD_SIGNAL:
		if (cqe->res != -ECANCELED)
			on_signal();
		break;
	case UD_REAP:
		on_reap(ptr, cqe->res);
		break;
	case UD_OFFLOAD:
		if (cqe->res != -ECANCELED)
			on_offload();
		break;
	}
}

static void drain(void)
{
	struct io_uring_cqe *cqe;
	unsigned head, n = 0;

	io_uring_for_each_cqe(&ring, head, cqe) {
		handle_cqe(cqe);
		n++;
	}
	io_uring_cq_advance(&ring, n);
}

/*
 * Session end: kill the process groups, cancel everything still in the
 * ring and wait (bounded) for it, so no buffer is freed under the kernel.
 */
static void finish(void)
{
	struct __kernel_timespec ts = { .tv_sec = 0, .tv_nsec = 100000000 };
	struct io_uring_cqe *cqe;
	struct io_uring_sqe *sqe;
	int tries = 20;

	proc_kill_all();
	launcher_stop();
	orphans_kill_all();
	if (offload_stop() < 0) {
		/* A worker is stuck in the kernel on a call's buffer. */
		log_msg("a blocking call did not end; exiting anyway");
		_exit(0);
	}
	if (pending_ops) {
		sqe = get_sqe(UD_IGNORE);
		io_uring_prep_cancel64(sqe, 0, IORING_ASYNC_CANCEL_ANY);
	}
	while (pending_ops && tries-- > 0) {
		io_uring_submit_and_wait_timeout(&ring, &cqe, 1, &ts, NULL);
		drain();
	}
	if (pending_ops) {
		/* Something is stuck in the kernel: leave the memory be. */
		log_msg("%u operations did not end; exiting anyway",
			pending_ops);
		_exit(0);
	}
	io_uring_queue_exit(&ring);
	while (calls.next != &calls)
		reply(calls.next, -ECANCELED);	/* frees: stopping is set */
	if (rx_buf)
		buf_put(rx_buf);
	while (npool)
		free(pool[--npool]);
}

static void check_session_fd(void)
{
	struct stat st;
	int type = 0, sz = 1 << 20;
	socklen_t len = sizeof(type);

	if (fstat(SESSION_FD, &st) < 0 || !S_ISSOCK(st.st_mode) ||
	    getsockopt(SESSION_FD, SOL_SOCKET, SO_TYPE, &type, &len) < 0 ||
	    type != SOCK_SEQPACKET)
		die("fd %d is not a SOCK_SEQPACKET socket; "
		    "hostcall-shadow is started by shadowd", SESSION_FD);
	fcntl(SESSION_FD, F_SETFD, FD_CLOEXEC);
	/* Room for several full-size replies (best effort). */
	setsockopt(SESSION_FD, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	setsockopt(SESSION_FD, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
}

static void usage(void)
{
	fprintf(stderr,
"usage: hostcall-shadow --session N [--user NAME] [--guest DESC] [--vm NAME]\n"
"Serves one hostcall session on fd 3; started by shadowd, not by hand.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "session", required_argument, NULL, 's' },
		{ "user", required_argument, NULL, 'u' },
		{ "guest", required_argument, NULL, 'g' },
		{ "vm", required_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct io_uring_params prm;
	const char *guest = "?";
	sigset_t set;
	int o, fd, e;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 's':
			session_id = strtoul(optarg, NULL, 10);
			break;
		case 'g':
			guest = optarg;
			break;
		case 'u':
		case 'v':
			break;	/* for ps and logs; the shadow asks the kernel */
		case 'h':
			usage();
			return 0;
		default:
			usage();
			return 2;
		}
	}
	snprintf(log_prefix, sizeof(log_prefix), "hostcall-shadow[%u]",
		 session_id);
	(void)guest;

	/* fds 5 and 6 first, before anything else could be given them. */
	shadow_audit_init();
	e = policy_read(SHADOW_POLICY_FD);
	if (e < 0)
		die("session policy: %s", strerror(-e));
	/* 0..2 must be open, or pipes of spawned commands could land there. */
	for (fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd)
			die("cannot open /dev/null");
	check_session_fd();

	/* EPIPE instead of death on a closed pipe or session socket. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);	/* adopted orphans to reap */
	sigprocmask(SIG_BLOCK, &set, NULL);
	sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sig_fd < 0)
		die("signalfd: %s", strerror(errno));

	memset(&prm, 0, sizeof(prm));
	/* Created disabled: the ops it may carry are fixed before use. */
	prm.flags = IORING_SETUP_CQSIZE | IORING_SETUP_R_DISABLED;
	prm.cq_entries = 4 * MAX_CALLS;
	e = io_uring_queue_init_params(256, &ring, &prm);
	if (e < 0)
		die("io_uring: %s", strerror(-e));
	e = ring_restrict(&ring, pol.modules);
	if (e < 0)
		die("io_uring restrictions: %s", strerror(-e));

	fsroot_init();
	sys_init();
	e = offload_init();
	if (e < 0)
		die("worker threads: %s", strerror(-e));
	if (confine() < 0)
		die("confinement failed");

	calls.next = calls.prev = &calls;
	arm_signal();
	arm_offload();
	while (!stopping) {
		arm_recv();
		e = io_uring_submit_and_wait(&ring, 1);
		if (e < 0 && e != -EINTR && e != -EAGAIN && e != -EBUSY)
			die("io_uring_submit_and_wait: %s", strerror(-e));
		drain();
	}
	finish();
	close(sig_fd);
	policy_release();
	return 0;
}
