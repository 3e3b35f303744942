/* SPDX-License-Identifier: MIT */
/*
 * The shadow's half of the session window (Documentation/window.md):
 * taking submission entries, checking them, posting completions and the
 * sleep/wake flags, with the barriers of the ordering protocol. Plain C
 * over memory, no system calls: the fuzz harness (tests/fuzz) links it.
 */
#ifndef HC_SHADOW_WINDOW_H
#define HC_SHADOW_WINDOW_H

#include <stdint.h>
#include "hostcall_abi.h"

struct wqp {
	unsigned char *base;		/* the queue pair's first byte */
	struct hc_qp_ctl *ctl;
	uint32_t sq_cons;		/* ours; published in ctl */
	uint32_t cq_prod;		/* ours; published in ctl */
	uint32_t seen_prod;		/* sq_prod when we last looked */
	int broken;			/* HC_QPERR_* once broken, else 0 */
	int posted;			/* completions since the last notify */
};

struct win {
	unsigned char *mem;		/* HC_WIN_SIZE bytes */
	struct wqp qp[2];
};

/* Start serving mem: the indices the window holds now are the start. */
void win_init(struct win *w, void *mem);

/* A copied entry's check: 0, -ENOSYS (unknown module or op; the session
 * module has CANCEL only), -EINVAL (flags, a length over HC_MAX_DATA) or
 * -EFAULT (a buffer outside the data area). */
int win_check_sqe(const struct hc_sqe *e);

/* Take the next entry of q: 1 with *e its one copy and *err its check,
 * 0 when there is none or no completion slot for it yet, -1 when the
 * queue pair is broken (marked so now, or before). */
int win_take(struct wqp *q, struct hc_sqe *e, int *err);

/* A buffer of a checked entry, in the window (len 0: a valid pointer
 * to nothing). */
unsigned char *win_buf(const struct wqp *q, uint32_t off, uint32_t len);

/* Post a completion (the output is in place already). */
void win_post(struct wqp *q, uint64_t tag, int64_t result, uint32_t out_len);

/* After posting: does a guest wait (HC_CQ_WAITING), so that the
 * interrupt is due? Counts host_irqs when it is. */
int win_notify(struct wqp *q);

/* Anything to take (entries and a completion slot for them)? */
int win_ready(struct wqp *q);

/* Going to sleep: NEED_WAKEUP set on every served queue pair, then the
 * recheck. WIN_WORK: entries came meanwhile (the flags are cleared, poll
 * again); WIN_SLEEP: sleep until a kick; WIN_STALLED: entries wait for
 * the guest to reap completions, which it does without a kick: sleep a
 * short while only. */
enum { WIN_SLEEP = 0, WIN_WORK = 1, WIN_STALLED = 2 };
int win_sleep(struct win *w);
/* Awake again: the flags cleared; kicked counts host_wakeups on the
 * queue pairs that have new entries. */
void win_wake(struct win *w, int kicked);

#endif
