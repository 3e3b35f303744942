// SPDX-License-Identifier: MIT
/*
 * Event queues, the guest's side (Documentation/evq.md): a ring of
 * fixed-size entries in the data area of queue pair 1, created through
 * the host module "evq" 1.0 and shared with a host module. The ordering
 * protocol is window.md's, per queue; the barriers are C11 atomics
 * (acquire on the host's index is the rmb, release on ours the wmb, a
 * seq_cst fence the mb).
 *
 * Threads: one mutex per queue serializes its guest end (the index and
 * the slots behind it are ours alone), so any number of threads may put
 * (or get) at once. Nobody sleeps holding it: a thread that waits sets
 * the queue's flag, counted in `sleepers`, and sleeps in the driver
 * (HOSTCALL_IOC_WAIT_WORD) on the host's index, after a short adaptive
 * spin; after a wake-up it competes for the lock again.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#include "hc_internal.h"

/* The spin before sleeping: as the window's (hc_window.c), per queue. */
#define EVQ_SPIN_MIN_NS		1000
#define EVQ_SPIN_MAX_NS		50000
#define EVQ_SPIN_START_NS	10000

struct hc_evq {
	hc_session *hc;
	int handle;			/* our binding of "evq" */
	int id;				/* the host's name for the queue */
	int dir;			/* HC_EVQ_TO_HOST or HC_EVQ_TO_GUEST */
	uint32_t entries, esize;
	uint32_t off;			/* from qp 1's start */
	struct hc_evq_hdr *hdr;		/* in the window */
	unsigned char *ring;
	unsigned char *mem;		/* the window buffer it lives in */
	pthread_mutex_t lock;		/* our end */
	uint32_t own;			/* prod (to-host) or cons (to-guest) */
	unsigned sleepers;		/* threads with our flag set */
	uint32_t sleeps;		/* counted in our flags word */
	__u32 kicked;			/* the host's flags we last kicked */
	uint64_t spin_ns;
};

#define A(field) ((_Atomic __u32 *)&(field))

static __u32 load_acquire(__u32 *f)
{
	return atomic_load_explicit(A(*f), memory_order_acquire);
}

static void store_release(__u32 *f, __u32 v)
{
	atomic_store_explicit(A(*f), v, memory_order_release);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static bool pow2(unsigned n)
{
	return n && !(n & (n - 1));
}

hc_evq *hc_evq_create(hc_session *hc, unsigned entries, unsigned entry_size,
		      int direction)
{
	struct hc_window *w = hc ? hc_win_get(hc) : NULL;
	size_t bytes;
	hc_evq *q;
	int64_t id;
	int err;

	if (!hc || entries < 2 || entries > HC_EVQ_ENTRIES_MAX ||
	    !pow2(entries) || entry_size < 8 || entry_size > HC_EVQ_ENTRY_MAX ||
	    entry_size % 8 || (direction != HC_EVQ_TO_HOST &&
			       direction != HC_EVQ_TO_GUEST)) {
		errno = EINVAL;
		return NULL;
	}
	bytes = HC_EVQ_BYTES(entries, entry_size);
	if (bytes > HC_EVQ_MAX_BYTES) {
		errno = EINVAL;
		return NULL;
	}
	if (!w) {
		errno = EOPNOTSUPP;	/* no window: nowhere to put it */
		return NULL;
	}
	q = calloc(1, sizeof(*q));
	if (!q)
		return NULL;
	/* 256-byte granules: aligned beyond the 64 bytes it needs */
	q->mem = hc_win_buf_alloc(w, bytes);
	if (!q->mem) {
		err = ENOSPC;
		goto free;
	}
	memset(q->mem, 0, bytes);	/* the header must start at zero */
	q->hc = hc;
	q->entries = entries;
	q->esize = entry_size;
	q->dir = direction;
	q->off = HC_QP_DATA_OFF + (uint32_t)(q->mem - hc_win_data(w));
	q->hdr = (struct hc_evq_hdr *)q->mem;
	q->ring = q->mem + HC_EVQ_HDR_SIZE;
	q->spin_ns = EVQ_SPIN_START_NS;
	if (pthread_mutex_init(&q->lock, NULL)) {
		err = ENOMEM;
		goto unalloc;
	}
	q->handle = hc_bind(hc, HC_EVQ_MODULE, HC_EVQ_MAJOR, HC_EVQ_MINOR);
	if (q->handle < 0) {
		err = -q->handle;
		goto unlock;
	}
	id = hc_call4(hc, (unsigned)q->handle, HC_EVQ_CREATE, q->off, entries,
		      entry_size, direction, NULL, 0, NULL, 0, NULL);
	if (id < 0 || id > INT32_MAX) {
		err = id < 0 ? (int)-id : EPROTO;
		goto unbind;
	}
	q->id = (int)id;
	return q;
unbind:
	hc_unbind(hc, q->handle);
unlock:
	pthread_mutex_destroy(&q->lock);
unalloc:
	hc_win_buf_free(w, q->mem);
free:
	free(q);
	errno = err;
	return NULL;
}

int hc_evq_destroy(hc_evq *q)
{
	struct hc_window *w;
	int64_t r;

	if (!q)
		return 0;
	r = hc_call4(q->hc, (unsigned)q->handle, HC_EVQ_DESTROY, q->id, 0, 0, 0,
		     NULL, 0, NULL, 0, NULL);
	hc_unbind(q->hc, q->handle);
	/* the memory goes back only once the host let go of it */
	w = hc_win_get(q->hc);
	if (w && r == 0)
		hc_win_buf_free(w, q->mem);
	pthread_mutex_destroy(&q->lock);
	free(q);
	return r < 0 ? (int)r : 0;
}

int hc_evq_id(const hc_evq *q)
{
	return q ? q->id : -EINVAL;
}

unsigned hc_evq_entry_size(const hc_evq *q)
{
	return q ? q->esize : 0;
}

struct hc_evq_hdr *hc_evq_header(hc_evq *q)
{
	return q ? q->hdr : NULL;
}

/* ---- waiting ---------------------------------------------------------------- */

/* Spin for *word to leave seen until the deadline; true if it did. */
static bool spin(__u32 *word, __u32 seen, uint64_t deadline)
{
	for (;;) {
		for (unsigned i = 0; i < 32; i++) {
			if (atomic_load_explicit(A(*word),
						 memory_order_relaxed) != seen)
				return true;
			__builtin_ia32_pause();
		}
		if (now_ns() >= deadline)
			return false;
	}
}

/* Milliseconds to the deadline, rounded up; 0 once it passed. */
static int ms_left(uint64_t deadline)
{
	uint64_t t = now_ns();

	return t >= deadline ? 0 : (int)((deadline - t + 999999) / 1000000);
}

/*
 * Wait for the host to move *word (its index) away from seen: a spin, then
 * our flag, mb, recheck, sleep. Locked on entry and return. 0 (look
 * again), -ETIMEDOUT, -EINTR, -ECONNRESET.
 */
static int wait_host(hc_evq *q, __u32 *word, __u32 seen, __u32 *flags,
		     int timeout_ms, uint64_t deadline)
{
	struct hostcall_ioc_wait_word a = {
		.offset = q->off + (uint32_t)((unsigned char *)word - q->mem),
		.seen = seen,
	};
	uint64_t t0 = now_ns(), budget = q->spin_ns, took;
	bool moved;
	int r = 0;

	pthread_mutex_unlock(&q->lock);
	if (timeout_ms > 0 && t0 + budget > deadline)
		budget = deadline > t0 ? deadline - t0 : 0;
	moved = spin(word, seen, t0 + budget);
	pthread_mutex_lock(&q->lock);
	took = 2 * (now_ns() - t0);
	q->spin_ns = !moved ? q->spin_ns / 2 :
		took > q->spin_ns ? took : q->spin_ns;
	if (q->spin_ns < EVQ_SPIN_MIN_NS)
		q->spin_ns = EVQ_SPIN_MIN_NS;
	if (q->spin_ns > EVQ_SPIN_MAX_NS)
		q->spin_ns = EVQ_SPIN_MAX_NS;
	if (moved)
		return 0;

	/* a new value for each sleep: the host interrupts once per value */
	q->sleepers++;
	q->sleeps++;
	store_release(flags, HC_EVQ_WAITING | q->sleeps << HC_EVQ_SLEEPS_SHIFT);
	pthread_mutex_unlock(&q->lock);
	atomic_thread_fence(memory_order_seq_cst);	/* flag, then index */
	if (load_acquire(word) == seen) {
		a.timeout_ms = timeout_ms < 0 ? -1 : ms_left(deadline);
		if (timeout_ms >= 0 && !a.timeout_ms)
			r = -ETIMEDOUT;
		else if (ioctl(hc_fd(q->hc), HOSTCALL_IOC_WAIT_WORD, &a) < 0)
			r = -errno;
	}
	pthread_mutex_lock(&q->lock);
	if (--q->sleepers == 0)
		store_release(flags, 0);
	return r;
}

/* The queue can be used from this process: 0, or why not. Locked. */
static int usable(hc_evq *q)
{
	if (!hc_win_get(q->hc))
		return -ENODEV;		/* a forked child: not mapped here */
	if (load_acquire(&q->hdr->state) & HC_EVQ_BROKEN)
		return -EIO;
	return 0;
}

/* After the mb: does the shadow sleep on this queue, and is this a sleep
 * we did not kick yet (one kick wakes it; the value changes each sleep)?
 * Locked. */
static bool host_asleep(hc_evq *q, __u32 *flags)
{
	__u32 f = load_acquire(flags);

	if (!(f & HC_EVQ_NEED_WAKEUP) || f == q->kicked)
		return false;
	q->kicked = f;
	return true;
}

static void kick(hc_evq *q)
{
	/* errors: none that the next wait would not also see */
	(void)ioctl(hc_fd(q->hc), HOSTCALL_IOC_KICK);
}

/* ---- put and get -------------------------------------------------------------- */

/*
 * Wait until the host's index (*word: cons for a put, prod for a get)
 * leaves room for a put or an entry for a get. Locked on entry and
 * return: 0, or -EAGAIN (timeout 0), -ETIMEDOUT, -EIO, -EINTR, ...
 */
static int await_host(hc_evq *q, __u32 *word, __u32 *flags, bool put,
		      int timeout_ms)
{
	uint64_t deadline = 0;
	__u32 idx, n;
	int r;

	if (timeout_ms > 0)
		deadline = now_ns() + (uint64_t)timeout_ms * 1000000u;
	for (;;) {
		r = usable(q);
		if (r)
			return r;
		idx = load_acquire(word);	/* rmb: then the slot */
		n = put ? q->own - idx : idx - q->own;	/* in flight */
		if (n > q->entries)
			return -EIO;	/* the host broke its own index */
		if (put ? n < q->entries : n > 0)
			return 0;
		if (!timeout_ms)
			return -EAGAIN;
		r = wait_host(q, word, idx, flags, timeout_ms, deadline);
		if (r)
			return r;
	}
}

/* Our index one further, published; then the host's flag (mb) and the
 * kick if it sleeps. Unlocks. */
static void advance(hc_evq *q, __u32 *own, __u32 *host_flags)
{
	bool need_kick;

	q->own++;
	/* release: the slot written (put) or read (get) before the index */
	store_release(own, q->own);
	atomic_thread_fence(memory_order_seq_cst);	/* mb */
	need_kick = host_asleep(q, host_flags);
	pthread_mutex_unlock(&q->lock);
	if (need_kick)
		kick(q);
}

int hc_evq_put(hc_evq *q, const void *ev, size_t len, int timeout_ms)
{
	unsigned char *slot;
	int r;

	if (!q || q->dir != HC_EVQ_TO_HOST || len > q->esize || (len && !ev))
		return -EINVAL;
	pthread_mutex_lock(&q->lock);
	r = await_host(q, &q->hdr->cons, &q->hdr->prod_flags, true, timeout_ms);
	if (r) {
		pthread_mutex_unlock(&q->lock);
		return r;
	}
	slot = q->ring + (size_t)(q->own & (q->entries - 1)) * q->esize;
	memcpy(slot, ev, len);
	memset(slot + len, 0, q->esize - len);
	advance(q, &q->hdr->prod, &q->hdr->cons_flags);
	return 0;
}

int hc_evq_get(hc_evq *q, void *ev, size_t len, int timeout_ms)
{
	int r;

	if (!q || q->dir != HC_EVQ_TO_GUEST || len < q->esize || !ev)
		return -EINVAL;
	pthread_mutex_lock(&q->lock);
	r = await_host(q, &q->hdr->prod, &q->hdr->cons_flags, false, timeout_ms);
	if (r) {
		pthread_mutex_unlock(&q->lock);
		return r;
	}
	memcpy(ev, q->ring + (size_t)(q->own & (q->entries - 1)) * q->esize,
	       q->esize);
	advance(q, &q->hdr->cons, &q->hdr->prod_flags);
	return (int)q->esize;
}
