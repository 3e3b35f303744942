/* SPDX-License-Identifier: MIT */
/*
 * The shadow's half of an event queue (Documentation/evq.md): a ring of
 * fixed-size entries in queue pair 1's data area, its header written by
 * the guest at any time. Plain C over memory, no system calls: the unit
 * tests and the fuzz harness (tests/fuzz) link it alone.
 *
 * The guest's index is read once per use and checked against ours (which
 * we keep here and only publish): prod - cons > entries breaks the queue
 * for good. An entry is copied once, between the window and the module's
 * own memory.
 */
#ifndef HC_SHADOW_EVQ_H
#define HC_SHADOW_EVQ_H

#include <stddef.h>
#include <stdint.h>
#include "hostcall_abi.h"

struct evq {
	int dir;			/* HC_EVQ_TO_HOST or HC_EVQ_TO_GUEST */
	uint32_t off, entries, esize;
	struct hc_evq_hdr *hdr;
	unsigned char *ring;
	uint32_t own;		/* ours: cons (to-host) or prod (to-guest) */
	uint32_t told;		/* the guest's index when the module last
				 * heard of it (the edge of evq_pending) */
	int watched;		/* a module wants to hear of the guest */
	int want_room;		/* to-guest: a put found it full */
	int asleep;		/* our HC_EVQ_NEED_WAKEUP is set */
	uint32_t sleeps;	/* our sleeps, in our flags' count */
	uint32_t irq_flags;	/* the guest's flags we last interrupted */
	int moved;		/* we moved our index since evq_due() */
	int alert;		/* broken: interrupt the guest regardless */
	int broken;		/* HC_EVQERR_* once broken, else 0 */
};

/* CREATE's arguments against qp 1's data area: 0, -EINVAL (sizes,
 * alignment, direction) or -EFAULT (not inside the data area). */
int evq_check(uint64_t off, uint64_t entries, uint64_t esize, uint64_t dir);
/* Do two queues' byte ranges meet? */
int evq_overlap(const struct evq *a, uint32_t off, uint32_t bytes);
/* Serve a checked queue at qp + off; our index starts at 0. */
void evq_init(struct evq *q, unsigned char *qp, uint32_t off,
	      uint32_t entries, uint32_t esize, int dir);

/* To-host: one entry into ev (len >= entry size): the entry size,
 * -EAGAIN (empty), -EIO (broken), -EINVAL (direction, len). */
int evq_get(struct evq *q, void *ev, size_t len);
/* To-guest: one entry (len <= entry size, the rest zeroed): 0, -EAGAIN
 * (full: evq_pending says when room came), -EIO, -EINVAL. */
int evq_put(struct evq *q, const void *ev, size_t len);

/* Has the guest moved its index since the module last heard (to-host:
 * new entries while watched; to-guest: room after a full put)? With
 * take set, the edge is consumed: the module hears of it now. */
int evq_pending(struct evq *q, int take);
/* After our moves: is the guest's interrupt due (it sleeps with
 * HC_EVQ_WAITING, or the queue just broke)? Once per guest sleep: the
 * flags word counts the sleeps, and a value already interrupted is not
 * interrupted again. */
int evq_due(struct evq *q);

/* The shadow goes to sleep: HC_EVQ_NEED_WAKEUP where a module waits for
 * the guest. The caller then makes the full barrier and rechecks with
 * evq_pending(q, 0). */
void evq_sleep(struct evq *q);
void evq_wake(struct evq *q);

#endif
