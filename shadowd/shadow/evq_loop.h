/* SPDX-License-Identifier: MIT */
/*
 * Event queues in the shadow's loop (evq_module.c): the loop serves them
 * as it serves the window's queue pairs (Documentation/evq.md).
 */
#ifndef HC_SHADOW_EVQ_LOOP_H
#define HC_SHADOW_EVQ_LOOP_H

#include <stdint.h>

struct hcm_module;
extern const struct hcm_module evq_module;	/* "evq" 1.0 */

/* Queue pair 1 of the window, where the guest places its queues. */
void evq_attach(unsigned char *qp1);

/* The module's functions, without the call around them. */
int64_t evq_create(uint64_t off, uint64_t entries, uint64_t esize,
		   uint64_t dir);
int64_t evq_destroy(uint64_t id);
/* Free destroyed queues a module may still point to (tests only: the
 * shadow keeps them until it exits). */
void evq_forget(void);
struct hcm_evq;
struct evq *evq_of(struct hcm_evq *q);	/* its ring, for tests */

/* A pass of the loop: notify callbacks of queues the guest moved; how
 * many were called (work, for the polling budget). */
int evq_serve(void);
/* After a pass: is the session interrupt due for a queue (counted in
 * qp 1's host_irqs)? */
int evq_notify(void);
/* Going to sleep: HC_EVQ_NEED_WAKEUP where a module waits, full barrier,
 * recheck: 1 if the guest moved meanwhile (flags cleared again). */
int evq_sleep_all(void);
/* Awake: flags cleared; kicked counts a wakeup in qp 1's host_wakeups
 * when a watched queue moved. */
void evq_wake_all(int kicked);

#endif
