/* SPDX-License-Identifier: MIT */
/*
 * hostcall-shadow: serves one guest session's window.
 *
 * fd 3 (SOCK_SEQPACKET) brings the window first (winrecv.c) and is then
 * only watched: EOF on it (or SIGTERM from shadowd) ends the session:
 * every process group the shadow started is killed and reaped, then it
 * exits. Calls are entries in the window's two queue pairs (window.c);
 * their input and output stay in the window, and host reads and writes
 * go straight between it and the file.
 *
 * One io_uring drives everything: the operations of calls in flight, a
 * recv on fd 3, polls on a signalfd and, while the shadow sleeps, on the
 * kick eventfd. After work the loop polls the queue pairs for an
 * adaptive budget before it sleeps (Documentation/window.md).
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
#include <sched.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "auditfmt.h"
#include "evq_loop.h"
#include "log.h"
#include "registry.h"
#include "session_policy.h"
#include "shadow.h"
#include "sock.h"
#include "window.h"

/* user_data: a pointer with its kind in the low bits (malloc aligns to 16) */
enum {
	UD_CALL = 0,	/* a call's operation */
	UD_KICK = 1,	/* the kick eventfd is readable */
	UD_RECV = 2,	/* fd 3: anything but EOF is a protocol error */
	UD_SIGNAL = 3,
	UD_REAP = 4,	/* a released process: reap it when it exits */
	UD_IGNORE = 5,	/* cancel requests */
	UD_OFFLOAD = 6,	/* offload.c: jobs finished on worker threads */
	UD_WATCH = 7,	/* hcm_watch(): an fd a module waits for */
	UD_MASK = 7,
};

struct io_uring ring;
static struct call calls;		/* in-flight list head */
static int ncalls;			/* calls not yet freed */
static unsigned pending_ops;		/* SQEs without their CQE yet */
static unsigned char rx_buf[HCP_MAX_MSG + 1];	/* fd 3's recv */
static int rx_armed, kick_armed;
static int sleeping;			/* the last wait was a sleep */
static int sig_fd = -1;
static int stopping;
static uint32_t session_id;

static struct win win;
static int kick_fd = -1, irq_fd = -1;

/* ---- ring helpers -------------------------------------------------------- */

/*
 * Set once the ring is gone (stopping): what the modules' session_fini
 * still asks of it (a watch's cancel, a flush before a close) has nothing
 * left to act on, and liburing would read unmapped rings.
 */
static int ring_gone;

static struct io_uring_sqe *get_sqe(uint64_t ud)
{
	static struct io_uring_sqe dummy;
	struct io_uring_sqe *sqe;

	if (ring_gone) {
		memset(&dummy, 0, sizeof(dummy));
		return &dummy;
	}
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
	if (!ring_gone)
		io_uring_submit(&ring);
}

struct io_uring_sqe *watch_sqe(void *w)
{
	return get_sqe((uint64_t)(uintptr_t)w | UD_WATCH);
}

void watch_cancel(void *w)
{
	struct io_uring_sqe *sqe = get_sqe(UD_IGNORE);

	io_uring_prep_cancel64(sqe, (uint64_t)(uintptr_t)w | UD_WATCH, 0);
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
	if (c->bind)
		registry_call_end(c->bind);
	if (c->job_fd >= 0)
		close(c->job_fd);
	free(c->in_copy);
	free(c->path);
	free(c);
	ncalls--;
}

static void reply(struct call *c, int64_t result)
{
	int kind;

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
	if (!stopping && !c->internal)
		win_post(&win.qp[c->qp], c->tag, result, c->out_len);
	kind = result >= 0 && !c->internal ? undo_kind(c) : UNDO_NONE;
	if (kind && c->undo)
		undo(kind, result);
	else if (kind && !stopping)
		undo_record(c->qp, c->tag, kind, result);
	call_free(c);
}

void call_finish(struct call *c, int64_t result)
{
	reply(c, result);
}

/* Ops whose input goes to the host as it is (write data, a ping's
 * echo): read in place from the window. Every other input is parsed,
 * and so copied out first: the guest may change the window meanwhile. */
static int input_in_place(const struct call *c)
{
	return (c->builtin == MOD_FS && (c->op == HC_FS_WRITE ||
					 c->op == HC_FS_PWRITE)) ||
	       (c->builtin == MOD_PROC && c->op == HC_PROC_WRITE) ||
	       (c->builtin == MOD_SYS && c->op == HC_SYS_PING);
}

/*
 * Plain reads and writes on window addresses: the kernel copies between
 * the file and the window once. Not registered buffers: io_uring charges
 * those to the host user's RLIMIT_MEMLOCK (8 MiB by default), which all
 * of that user's sessions share: 1 MiB each left the eighth session
 * without even its ring.
 */
void call_prep_rw(struct io_uring_sqe *sqe, struct call *c, int fd,
		  uint64_t off, int write)
{
	if (write)
		io_uring_prep_write(sqe, fd, c->in, c->in_len, off);
	else
		io_uring_prep_read(sqe, fd, c->out, c->out_max, off);
}

/* Writes may be cut to the byte limit (they may be short anyway). */
static int is_write(const struct call *c)
{
	return (c->builtin == MOD_FS && (c->op == HC_FS_WRITE ||
					 c->op == HC_FS_PWRITE)) ||
	       (c->builtin == MOD_PROC && c->op == HC_PROC_WRITE);
}

/* The policy's say before a call runs (which modules: at BIND): 0, or
 * the call's result. */
static int64_t policy_gate(struct call *c)
{
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

static int64_t call_input(struct call *c, const unsigned char *in);

/* Ask a call to end: its operation cancelled, or its module's hook. */
static void cancel_one(struct call *c)
{
	if (c->cancelled)
		return;
	if (c->pending) {
		if (!c->nocancel)
			cancel_call(c);
	} else if (c->on_cancel) {
		const struct hcm_module *prev = hcm_current;

		c->cancelled = 1;
		hcm_current = c->bind->m;
		c->on_cancel(hcm_of(c));	/* may answer it at once */
		hcm_current = prev;
	}
}

/* HC_SESSION_CANCEL: a pending call of the same queue pair, by tag. */
static int64_t cancel_tag(int qp, uint64_t tag, int64_t flags)
{
	struct call *c;

	if (flags & ~(int64_t)HC_CANCEL_F_UNDO)
		return -EINVAL;
	for (c = calls.next; c != &calls; c = c->next) {
		if (c->qp != qp || c->tag != tag || c->internal)
			continue;
		if (flags & HC_CANCEL_F_UNDO)
			c->undo = 1;
		cancel_one(c);
		return 0;
	}
	if (flags & HC_CANCEL_F_UNDO)
		undo_answered(qp, tag);
	return 0;
}

void call_cancel_binding(struct binding *b)
{
	struct call *c;

again:
	for (c = calls.next; c != &calls; c = c->next) {
		if (c->bind == b && !c->cancelled &&
		    (c->pending ? !c->nocancel : c->on_cancel != NULL)) {
			cancel_one(c);
			goto again;	/* the list may have changed */
		}
	}
}

static int64_t session_op(struct call *c)
{
	struct hc_bind_info info;
	int64_t r;

	switch (c->op) {
	case HC_SESSION_CANCEL:
		return cancel_tag(c->qp, (uint64_t)c->args[0], c->args[1]);
	case HC_SESSION_BIND:
		if (c->args[0] < 0 || c->args[0] > 0xffff || c->args[1] < 0 ||
		    c->args[1] > 0xffff)
			return -EINVAL;
		r = registry_bind((const char *)call_in(c), c->in_len,
				  c->args[0], c->args[1], &info);
		if (r > 0 && c->out_max >= sizeof(info)) {
			memcpy(call_out(c), &info, sizeof(info));
			c->out_len = sizeof(info);
		}
		return r;
	case HC_SESSION_UNBIND:
		return registry_unbind(c->args[0]);
	case HC_SESSION_MODULES:
		r = registry_modules((char *)call_out(c), c->out_max);
		if (r >= 0)
			c->out_len = r;
		return r;
	}
	return -ENOSYS;	/* OPEN and CLOSE are the control ring's */
}

/* A bound module's function n. */
static int64_t dispatch(struct call *c)
{
	struct binding *b = registry_lookup(c->module);
	int64_t r;

	if (!b)
		return -EBADF;
	if (c->op < 1 || c->op > b->m->nfuncs)
		return -ENOSYS;
	c->bind = b;
	c->builtin = b->builtin;
	registry_call_start(b);
	r = policy_gate(c);
	if (r == 0)
		r = call_input(c, c->in);
	if (r == 0) {
		hcm_current = b->m;
		r = b->m->funcs[c->op - 1].fn(hcm_of(c));
		hcm_current = NULL;
	}
	return r;
}

static struct call *call_new(void)
{
	struct call *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	ncalls++;
	c->fd = -1;
	c->job_fd = -1;
	c->next = calls.next;
	c->prev = &calls;
	calls.next->prev = c;
	calls.next = c;
	return c;
}

void call_internal(int builtin, uint16_t op, int64_t arg)
{
	struct call *c = call_new();
	int64_t res;

	if (!c) {
		log_msg("out of memory: an undo (op %u) is lost", op);
		return;
	}
	c->internal = 1;
	c->builtin = builtin;
	c->op = op;
	c->args[0] = arg;
	c->in = c->out = (unsigned char *)"";
	res = builtin == MOD_PROC ? proc_call(c) : fs_call(c);
	if (res != ASYNC)
		reply(c, res);
}

/* Input: in place, or copied out of the window (the one copy); a
 * module's always copied (hcm_in() is private). */
static int64_t call_input(struct call *c, const unsigned char *in)
{
	if ((c->builtin && input_in_place(c)) || !c->in_len) {
		c->in = (unsigned char *)in;
		return 0;
	}
	c->in_copy = malloc(c->in_len);
	if (!c->in_copy)
		return -ENOMEM;
	memcpy(c->in_copy, in, c->in_len);
	c->in = c->in_copy;
	return 0;
}

/* A taken entry (e: our copy; err: its check) becomes a call. */
static void call_start(int qp, const struct hc_sqe *e, int err)
{
	struct wqp *q = &win.qp[qp];
	struct call *c;
	int64_t res;

	c = call_new();
	if (!c) {
		win_post(q, e->tag, -ENOMEM, 0);
		return;
	}
	c->tag = e->tag;
	c->qp = qp;
	c->module = e->module;
	c->op = e->op;
	c->out_max = e->out_len;
	memcpy(c->args, e->args, sizeof(c->args));
	c->in_len = e->in_len;
	c->out = win_buf(q, e->out_off, e->out_len);
	c->in = win_buf(q, e->in_off, e->in_len);

	if (err)
		res = err;
	else if (c->module == HC_MOD_SESSION)
		res = c->in_len > HC_MODULE_NAME_MAX ? -EINVAL :
		      (res = call_input(c, c->in)) ? res : session_op(c);
	else if (ncalls > MAX_CALLS)
		res = -EBUSY;
	else
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

/* ---- the session socket and the window ------------------------------- */

/* fd 3 after the window: EOF ends the session, and so does anything else. */
static void arm_recv(void)
{
	struct io_uring_sqe *sqe;

	if (rx_armed || stopping)
		return;
	rx_armed = 1;
	sqe = get_sqe(UD_RECV);
	io_uring_prep_recv(sqe, SESSION_FD, rx_buf, sizeof(rx_buf), 0);
}

static void on_recv(int res)
{
	rx_armed = 0;
	if (res == -EINTR || res == -EAGAIN)
		return;
	if (res < 0 && !(stopping && res == -ECANCELED))
		log_msg("session socket: %s", strerror(-res));
	else if (res > 0)
		log_msg("unexpected message (%d bytes) after the window; "
			"ending session", res);
	stopping = 1;
}

static void arm_kick(void)
{
	struct io_uring_sqe *sqe;

	if (kick_armed || stopping)
		return;
	kick_armed = 1;
	sqe = get_sqe(UD_KICK);
	io_uring_prep_poll_add(sqe, kick_fd, POLLIN);
}

static void on_kick(int res)
{
	uint64_t n;

	kick_armed = 0;
	if (sleeping) {
		win_wake(&win, 1);	/* counts the wakeup */
		evq_wake_all(1);
	}
	if (res >= 0 && read(kick_fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_err("kick eventfd");
}

/* Take what the queue pairs have: the number of entries taken. */
static int serve(void)
{
	static int reported[2];
	struct hc_sqe e;
	int i, r = 0, err, n = 0;
	uint64_t one = 1;

	for (i = 0; i < 2; i++) {
		while (!stopping && (r = win_take(&win.qp[i], &e, &err)) == 1) {
			call_start(i, &e, err);
			n++;
		}
		if (r < 0 && !reported[i]) {
			reported[i] = 1;
			log_msg("queue pair %d broken (%s); not served any more",
				i, win.qp[i].broken == HC_QPERR_SQ_INDEX ?
				"sq_prod out of range" :
				"cq_cons out of range");
			/* Its waiters see the state now, not at a timeout. */
			if (write(irq_fd, &one, sizeof(one)) < 0)
				log_err("interrupt eventfd");
		}
	}
	/* event queues the guest moved: their modules' callbacks */
	return n + evq_serve();
}

/* Completions posted: the interrupt, once, if a guest waits for one. */
static void notify(void)
{
	uint64_t one = 1;
	int irq = win_notify(&win.qp[0]);

	irq |= win_notify(&win.qp[1]);
	irq |= evq_notify();
	if (irq && write(irq_fd, &one, sizeof(one)) < 0)
		log_err("interrupt eventfd");
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
	case UD_KICK:
		on_kick(cqe->res);
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
	case UD_WATCH:
		hcm_watch_fired(ptr, cqe->res);
		break;
	}
}

/* Handle the ring's completions: how many. */
static unsigned drain(void)
{
	struct io_uring_cqe *cqe;
	unsigned head, n = 0;

	io_uring_for_each_cqe(&ring, head, cqe) {
		handle_cqe(cqe);
		n++;
	}
	io_uring_cq_advance(&ring, n);
	return n;
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
	struct call *c;

	/* A module's calls end first: no session_fini with one pending. */
again:
	for (c = calls.next; c != &calls; c = c->next) {
		if (!c->pending && c->on_cancel && !c->cancelled) {
			cancel_one(c);
			goto again;
		}
	}
	hcm_watch_drop_all();
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
	ring_gone = 1;
	while (calls.next != &calls)
		reply(calls.next, -ECANCELED);	/* frees: stopping is set */
	registry_fini();
	plugins_unload();
}

/* ---- the loop: serve, poll a while, sleep ------------------------------ */

/*
 * The polling budget (Documentation/window.md): after work the loop keeps
 * looking for an adaptive time before it sleeps. Work found within it
 * doubles it, running out halves it; a sleep that a kick ends soon after
 * the last work (the guest's turnaround was just longer than the budget)
 * raises it to 1.5 times that gap, so halving cannot lock it at the
 * minimum for a caller that would have been caught. sched_yield between
 * looks, so on a 2-core host the vCPU the guest runs on is never starved.
 */
#define POLL_MIN_NS	2000
#define POLL_MAX_NS	200000
static long poll_ns = 16000;

static long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

static void ring_wait(int stalled)
{
	/* Stalled on completion slots: the guest reaps without a kick. */
	struct __kernel_timespec ts = { .tv_sec = 0, .tv_nsec = 1000000 };
	struct io_uring_cqe *cqe;
	int e;

	if (stalled)
		e = io_uring_submit_and_wait_timeout(&ring, &cqe, 1, &ts, NULL);
	else
		e = io_uring_submit_and_wait(&ring, 1);
	if (e < 0 && e != -EINTR && e != -EAGAIN && e != -EBUSY &&
	    e != -ETIME)
		die("io_uring_submit_and_wait: %s", strerror(-e));
}

static void loop(void)
{
	long until = 0, last_work = 0, gap;
	int polling = 0, st, woke = 0;

	while (!stopping) {
		unsigned work;

		arm_recv();
		/* The ring first: a session ending (SIGTERM, EOF on fd 3)
		 * is seen before entries that came with it are taken. */
		if (io_uring_sq_ready(&ring))
			io_uring_submit(&ring);
		work = drain();
		sleeping = 0;
		work += serve();
		if (io_uring_sq_ready(&ring))
			io_uring_submit(&ring);
		notify();
		if (work) {
			long t = now_ns();

			gap = t - last_work;
			if (polling && poll_ns < POLL_MAX_NS)
				poll_ns *= 2;
			else if (woke && gap < POLL_MAX_NS && gap > poll_ns)
				poll_ns = gap + gap / 2 < POLL_MAX_NS ?
					  gap + gap / 2 : POLL_MAX_NS;
			woke = 0;
			polling = 1;
			last_work = t;
			until = t + poll_ns;
			continue;
		}
		if (polling && now_ns() < until) {
			sched_yield();
			continue;
		}
		if (polling && poll_ns > POLL_MIN_NS)
			poll_ns /= 2;
		polling = 0;
		st = win_sleep(&win);
		if (st == WIN_WORK)
			continue;
		/* the same for the queues: flags, mb, recheck */
		if (evq_sleep_all()) {
			win_wake(&win, 0);
			continue;
		}
		arm_kick();
		ring_wait(st == WIN_STALLED);
		sleeping = 1;
		woke = 1;
		win_wake(&win, 0);
		evq_wake_all(0);
	}
}

static void check_session_fd(void)
{
	struct stat st;
	int type = 0;
	socklen_t len = sizeof(type);

	if (fstat(SESSION_FD, &st) < 0 || !S_ISSOCK(st.st_mode) ||
	    getsockopt(SESSION_FD, SOL_SOCKET, SO_TYPE, &type, &len) < 0 ||
	    type != SOCK_SEQPACKET)
		die("fd %d is not a SOCK_SEQPACKET socket; "
		    "hostcall-shadow is started by shadowd", SESSION_FD);
	fcntl(SESSION_FD, F_SETFD, FD_CLOEXEC);
}

static void usage(void)
{
	fprintf(stderr,
"usage: hostcall-shadow --session N [--user NAME] [--guest DESC] [--vm NAME]\n"
"Serves one hostcall session's window (sent on fd 3); started by shadowd,\n"
"not by hand.\n");
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
	void *mem;
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

	/* The window before anything else is served; before confinement. */
	if (window_receive(SESSION_FD, &mem, &kick_fd, &irq_fd) < 0)
		return 1;
	win_init(&win, mem);
	evq_attach(win.qp[HC_QP_USER].base);

	memset(&prm, 0, sizeof(prm));
	/* Created disabled: the ops it may carry are fixed before use. */
	prm.flags = IORING_SETUP_CQSIZE | IORING_SETUP_R_DISABLED;
	/* Small: the kernel charges ring memory to the host user's
	 * RLIMIT_MEMLOCK, shared by all of that user's sessions (64 at
	 * once ran out with 4096 CQEs each). The queue pairs bound the
	 * calls in flight to 128; a full CQ overflows, it loses nothing. */
	prm.cq_entries = 1024;
	e = io_uring_queue_init_params(128, &ring, &prm);
	if (e < 0)
		die("io_uring: %s", strerror(-e));
	e = ring_restrict(&ring, pol.modules);
	if (e < 0)
		die("io_uring restrictions: %s", strerror(-e));

	fsroot_init();
	sys_init();
	hcm_init();
	registry_init();
	plugins_load();	/* before confinement: dlopen, their own fds */
	if (pol.modules & MOD_BIT(MOD_SOCK))
		sock_prepare();	/* force-tls: OpenSSL and the CA store */
	e = offload_init();
	if (e < 0)
		die("worker threads: %s", strerror(-e));
	if (confine() < 0)
		die("confinement failed");

	calls.next = calls.prev = &calls;
	arm_signal();
	arm_offload();
	loop();
	finish();
	close(sig_fd);
	policy_release();
	return 0;
}
