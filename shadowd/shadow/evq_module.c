/* SPDX-License-Identifier: MIT */
/*
 * The built-in host module "evq" 1.0 (CREATE, DESTROY: hostcall_abi.h
 * section 2c), the event-queue part of the module API (hcm_evq_*,
 * hostcall_module.h) and the loop's hooks: the loop serves queues as it
 * serves the window (evq_loop.h).
 *
 * A queue is created by the guest and lives in qp 1's data area; the
 * shadow keeps its own description (placement, sizes, our index) and
 * never reads one back from the window. Ids are not reused soon: the
 * slot is in the low bits, a generation above.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "evq.h"
#include "evq_loop.h"
#include "hostcall_module.h"
#include "log.h"

#define LOAD(p)		__atomic_load_n((p), __ATOMIC_ACQUIRE)
#define STORE(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define MB()		__atomic_thread_fence(__ATOMIC_SEQ_CST)

#define SLOT_BITS	6		/* HC_EVQ_MAX slots */
#define GEN_MAX		(1u << 24)	/* ids stay positive ints */

struct hcm_evq {
	struct evq q;
	uint32_t id;
	int destroyed;
	int reported;			/* its breaking was logged */
	void (*cb)(void *arg, struct hcm_evq *q);
	void *arg;
	struct hcm_evq *dead_next;	/* destroyed, kept for its module */
};

static unsigned char *qp1;		/* queue pair 1 of the window */
static struct hc_qp_ctl *ctl1;
static struct hcm_evq *slots[HC_EVQ_MAX];
static struct hcm_evq *graveyard;
static unsigned nlive;
static uint32_t gen = 1;

void evq_attach(unsigned char *qp)
{
	qp1 = qp;
	ctl1 = (struct hc_qp_ctl *)(qp + HC_QP_CTL_OFF);
}

static void count(uint32_t *stat)
{
	STORE(stat, LOAD(stat) + 1);
}

/* ---- the module's functions --------------------------------------------- */

int64_t evq_create(uint64_t off, uint64_t entries, uint64_t esize,
		   uint64_t dir)
{
	struct hcm_evq *e;
	uint32_t bytes;
	int i, free_slot = -1, err;

	if (!qp1)
		return -ENODEV;
	err = evq_check(off, entries, esize, dir);
	if (err)
		return err;
	bytes = (uint32_t)HC_EVQ_BYTES(entries, esize);
	for (i = 0; i < HC_EVQ_MAX; i++) {
		if (!slots[i]) {
			if (free_slot < 0)
				free_slot = i;
			continue;
		}
		if (evq_overlap(&slots[i]->q, (uint32_t)off, bytes))
			return -EBUSY;
	}
	if (free_slot < 0)
		return -EMFILE;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	evq_init(&e->q, qp1, (uint32_t)off, (uint32_t)entries,
		 (uint32_t)esize, (int)dir);
	e->id = (gen << SLOT_BITS) | (uint32_t)free_slot;
	if (++gen == GEN_MAX)
		gen = 1;
	slots[free_slot] = e;
	nlive++;
	return e->id;
}

static struct hcm_evq *find(uint32_t id)
{
	struct hcm_evq *e = slots[id & (HC_EVQ_MAX - 1)];

	return e && e->id == id ? e : NULL;
}

int64_t evq_destroy(uint64_t id)
{
	struct hcm_evq *e = id <= UINT32_MAX ? find((uint32_t)id) : NULL;

	if (!e)
		return -ENOENT;
	slots[id & (HC_EVQ_MAX - 1)] = NULL;
	nlive--;
	e->destroyed = 1;
	/* Its module hears it (get and put say -EPIPE now), and may keep
	 * the pointer: it is freed at session end only. */
	if (e->cb) {
		e->dead_next = graveyard;
		graveyard = e;
		e->cb(e->arg, e);
	} else {
		free(e);
	}
	return 0;
}

struct evq *evq_of(struct hcm_evq *q)
{
	return &q->q;
}

void evq_forget(void)
{
	while (graveyard) {
		struct hcm_evq *e = graveyard;

		graveyard = e->dead_next;
		free(e);
	}
}

/* ---- the module API --------------------------------------------------- */

struct hcm_evq *hcm_evq_lookup(struct hcm_session *s, uint32_t id)
{
	(void)s;	/* one session per shadow */
	return find(id);
}

uint32_t hcm_evq_entry_size(const struct hcm_evq *q)
{
	return q->q.esize;
}

int hcm_evq_put(struct hcm_evq *q, const void *ev, size_t len)
{
	if (q->destroyed)
		return -EPIPE;
	return evq_put(&q->q, ev, len);
}

int hcm_evq_get(struct hcm_evq *q, void *ev, size_t len)
{
	if (q->destroyed)
		return -EPIPE;
	return evq_get(&q->q, ev, len);
}

int hcm_evq_notify(struct hcm_evq *q, void (*cb)(void *arg, struct hcm_evq *q),
		   void *arg)
{
	if (q->destroyed) {
		if (!cb)
			q->cb = NULL;	/* it was told; let go */
		return -EPIPE;
	}
	q->cb = cb;
	q->arg = arg;
	q->q.watched = cb != NULL;
	/* entries already waiting are news: the next pass calls cb */
	if (q->q.dir == HC_EVQ_TO_HOST)
		q->q.told = q->q.own;
	return 0;
}

/* ---- the loop's hooks ------------------------------------------------- */

int evq_serve(void)
{
	int i, n = 0;

	for (i = 0; nlive && i < HC_EVQ_MAX; i++) {
		struct hcm_evq *e = slots[i];

		if (e && e->cb && evq_pending(&e->q, 1)) {
			e->cb(e->arg, e);
			n++;
		}
	}
	return n;
}

int evq_notify(void)
{
	int i, irq = 0;

	for (i = 0; nlive && i < HC_EVQ_MAX; i++) {
		struct hcm_evq *e = slots[i];

		if (!e)
			continue;
		if (evq_due(&e->q)) {
			irq = 1;
			count(&ctl1->host_irqs);
		}
		if (e->q.broken && !e->reported) {
			e->reported = 1;
			log_msg("event queue %u broken (indices out of range); "
				"not served any more", e->id);
		}
	}
	return irq;
}

int evq_sleep_all(void)
{
	int i, work = 0;

	if (!nlive)
		return 0;
	for (i = 0; i < HC_EVQ_MAX; i++)
		if (slots[i])
			evq_sleep(&slots[i]->q);
	MB();				/* our flags, then their indices */
	for (i = 0; i < HC_EVQ_MAX && !work; i++)
		work = slots[i] && slots[i]->cb && evq_pending(&slots[i]->q, 0);
	if (work)
		evq_wake_all(0);
	return work;
}

void evq_wake_all(int kicked)
{
	int i, moved = 0;

	for (i = 0; nlive && i < HC_EVQ_MAX; i++) {
		if (!slots[i])
			continue;
		evq_wake(&slots[i]->q);
		moved |= slots[i]->cb && evq_pending(&slots[i]->q, 0);
	}
	if (kicked && moved)
		count(&ctl1->host_wakeups);
}

/* ---- registration ----------------------------------------------------- */

static int64_t fn_create(struct hcm_call *c)
{
	return evq_create((uint64_t)hcm_arg(c, 0), (uint64_t)hcm_arg(c, 1),
			  (uint64_t)hcm_arg(c, 2), (uint64_t)hcm_arg(c, 3));
}

static int64_t fn_destroy(struct hcm_call *c)
{
	return evq_destroy((uint64_t)hcm_arg(c, 0));
}

static const struct hcm_function evq_funcs[] = {
	[HC_EVQ_CREATE - 1] = { "create", fn_create },
	[HC_EVQ_DESTROY - 1] = { "destroy", fn_destroy },
};

const struct hcm_module evq_module = {
	.api = HCM_API_VERSION,
	.name = HC_EVQ_MODULE,
	.major = HC_EVQ_MAJOR,
	.minor = HC_EVQ_MINOR,
	.nfuncs = HC_EVQ_FN_END - 1,
	.funcs = evq_funcs,
};
