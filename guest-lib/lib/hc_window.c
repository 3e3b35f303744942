// SPDX-License-Identifier: MIT
/*
 * The direct data path: calls as entries in queue pair 1 of the session's
 * window, mapped from the session fd, with no system call while the shadow
 * polls. Documentation/window.md has the ordering protocol followed here
 * (the numbered barriers below are its (1) and (4)); guest-abi.md the
 * library's guarantees (threads, fork, signals).
 *
 * One mutex per window serializes the producer side (sq entries, the
 * data-area allocator) and the reaping of completions. Every waiting
 * thread sleeps in the driver itself (HOSTCALL_IOC_WAIT), so a signal
 * interrupts the call of the thread it was sent to, as with the ioctl;
 * whoever reaps a completion hands it to its caller by tag.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>

#include "hc_internal.h"

/* A copy this big is made outside the lock, so other threads can submit. */
#define HC_COPY_LOCKED_MAX	4096
/*
 * The spin before sleeping adapts to whether it pays: a spin the answer
 * ended sets the budget to at least twice the time the answer took, a spin
 * that ran out halves it. Every HC_SPIN_PROBE-th wait spins the longest
 * budget, so a budget that fell (the shadow lost its core for a while)
 * grows back once answers are quick again. Spinning long on a loaded host
 * only keeps the shadow from the core it needs.
 */
#define HC_SPIN_MIN_NS		1000
#define HC_SPIN_MAX_NS		50000
#define HC_SPIN_START_NS	10000
#define HC_SPIN_PROBE		32
/* tag: a sequence number above the waiter's slot; cancels have the top bit */
#define HC_TAG_SLOT_BITS	6
#define HC_TAG_CANCEL		(1ull << 63)

struct hc_waiter {
	uint64_t tag;
	bool done;
	int64_t result;
	uint32_t out_len;
};

struct hc_window {
	unsigned char *qp;		/* qp 1, HC_QP_SIZE bytes */
	struct hc_qp_ctl *ctl;
	struct hc_sqe *sq;
	struct hc_cqe *cq;
	unsigned gen;			/* fork generation it was mapped in */
	pthread_mutex_t lock;
	uint32_t sq_prod;		/* ours, published to ctl->sq_prod */
	uint32_t cq_cons;		/* ours, published to ctl->cq_cons */
	unsigned reserved;		/* sq entries promised, not yet written */
	uint64_t seq;
	uint64_t spin_ns;		/* spin budget, from the submission */
	unsigned spins;			/* spins made, for the probes */
	bool spinning;			/* one spinner is enough */
	int failed;			/* -errno once the queue pair is unusable */
	struct hc_waiter *waiters[HC_QP_ENTRIES];
	struct hc_bufs bufs;
};

/* ---- fork: the driver maps the window VM_DONTCOPY -------------------------- */

static atomic_uint fork_gen;
static pthread_once_t fork_once = PTHREAD_ONCE_INIT;

static void forked_child(void)
{
	/* the child has no mapping: its sessions use the ioctl from now on */
	atomic_fetch_add_explicit(&fork_gen, 1, memory_order_relaxed);
}

static void fork_setup(void)
{
	pthread_atfork(NULL, NULL, forked_child);
}

struct hc_window *hc_win_get(const hc_session *hc)
{
	struct hc_window *w = hc->win;

	if (!w || w->gen != atomic_load_explicit(&fork_gen, memory_order_relaxed))
		return NULL;
	return w;
}

/* ---- shared fields: each written by one side only -------------------------- */

#define A(field) ((_Atomic __u32 *)&(field))

static __u32 load_acquire(__u32 *f)
{
	return atomic_load_explicit(A(*f), memory_order_acquire);
}

static __u32 load_relaxed(__u32 *f)
{
	return atomic_load_explicit(A(*f), memory_order_relaxed);
}

static void store_release(__u32 *f, __u32 v)
{
	atomic_store_explicit(A(*f), v, memory_order_release);
}

/* ---- mapping ---------------------------------------------------------------- */

void hc_win_open(hc_session *hc)
{
	const char *env = getenv("HOSTCALL_WINDOW");
	struct hc_window *w;
	void *qp;

	if (env && !strcmp(env, "0"))
		return;
	pthread_once(&fork_once, fork_setup);
	qp = mmap(NULL, HC_QP_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, hc->fd, 0);
	if (qp == MAP_FAILED)
		return;	/* a driver without windows: the ioctl serves */
	w = calloc(1, sizeof(*w));
	if (!w)
		goto unmap;
	w->qp = qp;
	w->ctl = (struct hc_qp_ctl *)((unsigned char *)qp + HC_QP_CTL_OFF);
	w->sq = (struct hc_sqe *)((unsigned char *)qp + HC_QP_SQ_OFF);
	w->cq = (struct hc_cqe *)((unsigned char *)qp + HC_QP_CQ_OFF);
	w->sq_prod = load_relaxed(&w->ctl->sq_prod);
	w->cq_cons = load_relaxed(&w->ctl->cq_cons);
	/* someone else's entries in flight, or a dead or broken queue pair */
	if (w->sq_prod != w->cq_cons || load_relaxed(&w->ctl->state))
		goto free;
	if (pthread_mutex_init(&w->lock, NULL))
		goto free;
	w->spin_ns = HC_SPIN_START_NS;
	w->gen = atomic_load_explicit(&fork_gen, memory_order_relaxed);
	hc_bufs_init(&w->bufs);
	hc->win = w;
	return;
free:
	free(w);
unmap:
	munmap(qp, HC_QP_SIZE);
}

void hc_win_close(hc_session *hc)
{
	struct hc_window *w = hc->win;

	if (!w)
		return;
	/* a forked child's copy: the range is not ours (maybe reused) */
	if (hc_win_get(hc)) {
		munmap(w->qp, HC_QP_SIZE);
		pthread_mutex_destroy(&w->lock);
	}
	free(w);
	hc->win = NULL;
}

unsigned char *hc_win_data(struct hc_window *w)
{
	return w->qp + HC_QP_DATA_OFF;
}

int hc_win_holds(const hc_session *hc, const void *p, size_t len)
{
	const unsigned char *data, *q = p;

	if (!hc || !hc->win || !p)
		return 0;
	data = hc->win->qp + HC_QP_DATA_OFF;
	return q >= data && len <= HC_QP_DATA_LEN &&
	       (size_t)(q - data) <= HC_QP_DATA_LEN - len;
}

/* ---- completions ------------------------------------------------------------ */

static int qp_state_error(struct hc_window *w)
{
	__u32 state = load_acquire(&w->ctl->state);

	if (state & HC_QP_DEAD)
		return -ECONNRESET;
	if (state & HC_QP_BROKEN)
		return -EIO;
	return 0;
}

/* Hand every new completion to its caller. Locked. */
static void reap(struct hc_window *w)
{
	__u32 prod = load_acquire(&w->ctl->cq_prod);	/* rmb after the index */

	if (prod == w->cq_cons) {
		if (!w->failed)
			w->failed = qp_state_error(w);
		return;
	}
	if (prod - w->cq_cons > HC_QP_ENTRIES) {
		w->failed = -EIO;	/* the host broke its own ring */
		return;
	}
	for (; w->cq_cons != prod; w->cq_cons++) {
		const struct hc_cqe *e = &w->cq[w->cq_cons % HC_QP_ENTRIES];
		uint64_t tag = e->tag;
		unsigned slot = tag & (HC_QP_ENTRIES - 1);
		struct hc_waiter *wt = w->waiters[slot];

		if (tag & HC_TAG_CANCEL || !wt || wt->tag != tag)
			continue;	/* a cancel's own answer */
		wt->result = e->result;
		wt->out_len = e->out_len;
		wt->done = true;
		w->waiters[slot] = NULL;
	}
	store_release(&w->ctl->cq_cons, w->cq_cons);
}

/* Fail every waiter (the queue pair died). Locked. */
static void fail_all(struct hc_window *w)
{
	for (unsigned i = 0; i < HC_QP_ENTRIES; i++) {
		if (!w->waiters[i])
			continue;
		w->waiters[i]->result = w->failed;
		w->waiters[i]->out_len = 0;
		w->waiters[i]->done = true;
		w->waiters[i] = NULL;
	}
}

/* ---- submission -------------------------------------------------------------- */

static unsigned in_flight(const struct hc_window *w)
{
	return w->sq_prod - w->cq_cons + w->reserved;
}

static void kick(int fd)
{
	/* errors: none that the next call would not also see */
	(void)ioctl(fd, HOSTCALL_IOC_KICK);
}

/* Write an entry at sq_prod and publish it. Locked; the caller has room.
 * Returns whether the shadow must be kicked: the caller kicks once it has
 * dropped the lock. */
static bool publish(struct hc_window *w, const struct hc_sqe *e)
{
	w->sq[w->sq_prod % HC_QP_ENTRIES] = *e;
	w->sq_prod++;
	store_release(&w->ctl->sq_prod, w->sq_prod);	/* wmb; sq_prod++ */
	atomic_thread_fence(memory_order_seq_cst);	/* mb (1) */
	return load_relaxed(&w->ctl->sq_flags) & HC_SQ_NEED_WAKEUP;
}

/* Ask the shadow to give up on wt's call. Locked; false without room. */
static bool cancel(hc_session *hc, struct hc_window *w, struct hc_waiter *wt)
{
	struct hc_sqe e = {
		.tag = HC_TAG_CANCEL | wt->tag,
		.module = HC_MOD_SESSION,
		.op = HC_SESSION_CANCEL,
		.args = { (int64_t)wt->tag },
	};

	if (in_flight(w) >= HC_QP_ENTRIES)
		return false;
	if (publish(w, &e))
		kick(hc->fd);
	return true;
}

/* ---- waiting ------------------------------------------------------------------ */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Spin for cq_prod to move past seen until the deadline; true if it did. */
static bool spin(struct hc_window *w, __u32 seen, uint64_t deadline)
{
	for (;;) {
		for (unsigned i = 0; i < 32; i++) {
			if (load_relaxed(&w->ctl->cq_prod) != seen ||
			    load_relaxed(&w->ctl->state))
				return true;
			__builtin_ia32_pause();
		}
		if (now_ns() >= deadline)
			return false;
	}
}

static uint64_t spin_deadline(struct hc_window *w, uint64_t t0)
{
	if (++w->spins % HC_SPIN_PROBE == 0)
		return t0 + HC_SPIN_MAX_NS;
	return t0 + w->spin_ns;
}

/* Adapt the budget to a spin's outcome. Locked. */
static void spin_learn(struct hc_window *w, uint64_t t0, bool answered)
{
	uint64_t took = 2 * (now_ns() - t0);

	if (!answered)
		w->spin_ns /= 2;
	else if (took > w->spin_ns)
		w->spin_ns = took;
	if (w->spin_ns < HC_SPIN_MIN_NS)
		w->spin_ns = HC_SPIN_MIN_NS;
	if (w->spin_ns > HC_SPIN_MAX_NS)
		w->spin_ns = HC_SPIN_MAX_NS;
}

/*
 * Sleep until a completion after seen, unlocked. 0, -EINTR (a signal with
 * a handler without SA_RESTART: the driver restarts the wait for the
 * others), -ECONNRESET (the shadow is gone) or another -errno.
 */
static int sleep_for(hc_session *hc, __u32 seen)
{
	struct hostcall_ioc_wait a = { .cq_seen = seen, .timeout_ms = -1 };

	/* the driver sets HC_CQ_WAITING, mb (4), rechecks cq_prod, sleeps */
	if (ioctl(hc->fd, HOSTCALL_IOC_WAIT, &a) < 0)
		return -errno;
	return 0;
}

/*
 * Wait for wt's completion. Locked on entry and return. A signal sends one
 * cancel for the call and the wait goes on for its real answer; returns
 * whether a cancel was sent.
 */
static bool wait_done(hc_session *hc, struct hc_window *w,
		      struct hc_waiter *wt, uint64_t t0)
{
	bool cancelled = false;

	for (;;) {
		bool spinner = false, answered;
		uint64_t deadline = 0;
		__u32 seen;
		int r;

		reap(w);
		if (wt->done)
			return cancelled;
		if (w->failed) {
			fail_all(w);
			return cancelled;
		}
		/* everything up to seen is reaped: a later completion is
		 * either ours or wakes us to reap it */
		seen = w->cq_cons;
		if (!w->spinning) {
			spinner = w->spinning = true;
			deadline = spin_deadline(w, t0);
		}
		pthread_mutex_unlock(&w->lock);
		answered = spinner && spin(w, seen, deadline);
		r = answered ? 0 : sleep_for(hc, seen);
		pthread_mutex_lock(&w->lock);
		if (spinner) {
			w->spinning = false;
			spin_learn(w, t0, answered);
		}
		if (r == -EINTR) {
			if (!cancelled && !wt->done)
				cancelled = cancel(hc, w, wt);
		} else if (r < 0 && !w->failed) {
			w->failed = r == -ECONNRESET ? r : -EIO;
		}
	}
}

/* ---- a call ---------------------------------------------------------------------- */

struct hc_bufs_use {
	long off;		/* offset in the data area of our scratch run, or -1 */
	__u32 in_off, out_off;	/* from the queue pair's start, for the sqe */
	bool copy_in, copy_out;
};

/* Place the call's buffers: a window buffer of the caller as it is,
 * anything else in a run of ours. Locked; false when there is no space. */
static bool place(hc_session *hc, struct hc_window *w,
		  const struct hostcall_ioc_call *c, struct hc_bufs_use *u)
{
	const void *in = (const void *)(uintptr_t)c->in_ptr;
	const void *out = (const void *)(uintptr_t)c->out_ptr;
	size_t in_len = c->in_len, out_len = c->out_len, need = 0, in_room;
	unsigned char *data = hc_win_data(w);

	u->off = -1;
	u->copy_in = in_len && !hc_win_holds(hc, in, in_len);
	u->copy_out = out_len && !hc_win_holds(hc, out, out_len);
	in_room = u->copy_in ? (in_len + HC_GRAN - 1) & ~(size_t)(HC_GRAN - 1) : 0;
	need = in_room + (u->copy_out ? out_len : 0);
	if (need) {
		u->off = hc_bufs_alloc(&w->bufs, need);
		if (u->off < 0)
			return false;
	}
	u->in_off = !in_len ? 0 : HC_QP_DATA_OFF + (__u32)(u->copy_in ?
		(size_t)u->off : (size_t)((const unsigned char *)in - data));
	u->out_off = !out_len ? 0 : HC_QP_DATA_OFF + (__u32)(u->copy_out ?
		(size_t)u->off + in_room :
		(size_t)((const unsigned char *)out - data));
	return true;
}

/*
 * Room for an entry, a waiter slot and the buffers. Locked. 0, or
 * HC_WIN_FALLBACK: never wait for room, since the calls holding it may be
 * blocked on the host until this one is made (a reader waiting for the
 * writer): the driver's queue pair serves it instead.
 */
static int reserve(hc_session *hc, struct hc_window *w,
		   const struct hostcall_ioc_call *c, struct hc_bufs_use *u,
		   unsigned *slot)
{
	unsigned i;

	reap(w);
	if (w->failed || in_flight(w) >= HC_QP_ENTRIES)
		return HC_WIN_FALLBACK;
	/* fewer callers than entries in flight: a slot is free */
	for (i = 0; w->waiters[i]; i++)
		;
	if (!place(hc, w, c, u))
		return HC_WIN_FALLBACK;
	*slot = i;
	w->reserved++;
	return 0;
}

int hc_win_call(hc_session *hc, struct hostcall_ioc_call *c)
{
	struct hc_window *w = hc_win_get(hc);
	struct hc_waiter wt = { 0 };
	struct hc_bufs_use u;
	unsigned char *qp;
	struct hc_sqe e;
	unsigned slot;
	bool need_kick, cancelled;
	uint64_t t0;
	int r;

	if (!w)
		return HC_WIN_FALLBACK;
	/* what the driver refuses, refused the same way */
	if ((c->module == HC_MOD_SESSION && c->op != HC_SESSION_BIND &&
	     c->op != HC_SESSION_UNBIND && c->op != HC_SESSION_MODULES) ||
	    (c->flags & ~HOSTCALL_CALL_F_SHORT) || c->reserved)
		return -EINVAL;
	if (c->in_len > HC_MAX_DATA || c->out_len > HC_MAX_DATA)
		return -E2BIG;
	if ((c->in_len && !c->in_ptr) || (c->out_len && !c->out_ptr))
		return -EFAULT;

	qp = w->qp;
	pthread_mutex_lock(&w->lock);
	r = reserve(hc, w, c, &u, &slot);
	if (r) {
		pthread_mutex_unlock(&w->lock);
		return r;
	}
	wt.tag = (++w->seq << HC_TAG_SLOT_BITS) | slot;
	w->waiters[slot] = &wt;
	if (u.copy_in) {
		if (c->in_len > HC_COPY_LOCKED_MAX) {
			pthread_mutex_unlock(&w->lock);
			memcpy(qp + u.in_off, (const void *)(uintptr_t)c->in_ptr,
			       c->in_len);
			pthread_mutex_lock(&w->lock);
		} else {
			memcpy(qp + u.in_off, (const void *)(uintptr_t)c->in_ptr,
			       c->in_len);
		}
	}
	e = (struct hc_sqe){
		.tag = wt.tag, .module = c->module, .op = c->op,
		.args = { c->args[0], c->args[1], c->args[2], c->args[3] },
		.in_off = u.in_off, .in_len = c->in_len,
		.out_off = u.out_off, .out_len = c->out_len,
	};
	w->reserved--;
	t0 = now_ns();
	need_kick = publish(w, &e);
	if (need_kick) {
		pthread_mutex_unlock(&w->lock);
		kick(hc->fd);
		pthread_mutex_lock(&w->lock);
	}
	cancelled = wait_done(hc, w, &wt, t0);

	if (wt.out_len > c->out_len)
		wt.out_len = c->out_len;	/* the shadow's count, clamped */
	if (u.copy_out && wt.out_len) {
		if (wt.out_len > HC_COPY_LOCKED_MAX) {
			pthread_mutex_unlock(&w->lock);
			memcpy((void *)(uintptr_t)c->out_ptr, qp + u.out_off,
			       wt.out_len);
			pthread_mutex_lock(&w->lock);
		} else {
			memcpy((void *)(uintptr_t)c->out_ptr, qp + u.out_off,
			       wt.out_len);
		}
	}
	if (u.off >= 0)
		hc_bufs_free(&w->bufs, (size_t)u.off);
	pthread_mutex_unlock(&w->lock);

	/* a cancelled call that had done nothing: as the ioctl's EINTR */
	if (cancelled && wt.result == -ECANCELED)
		return -EINTR;
	c->result = wt.result;
	c->out_used = wt.out_len;
	return 0;
}

/* ---- the program's own window buffers -------------------------------------------- */

void *hc_win_buf_alloc(struct hc_window *w, size_t len)
{
	long off;

	pthread_mutex_lock(&w->lock);
	off = hc_bufs_alloc(&w->bufs, len);
	pthread_mutex_unlock(&w->lock);
	return off < 0 ? NULL : hc_win_data(w) + off;
}

int hc_win_buf_free(struct hc_window *w, void *p)
{
	unsigned char *data = hc_win_data(w), *q = p;

	if (q < data || q >= data + HC_QP_DATA_LEN)
		return 0;
	pthread_mutex_lock(&w->lock);
	hc_bufs_free(&w->bufs, (size_t)(q - data));
	pthread_mutex_unlock(&w->lock);
	return 1;
}
