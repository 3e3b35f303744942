/* SPDX-License-Identifier: MIT */
/*
 * Event queues, the shadow's side (evq.h, Documentation/evq.md). The
 * protocol is window.md's per queue: acquire on the load of the guest's
 * index is its rmb, release on the store of ours its wmb, a seq_cst
 * fence its mb.
 */
#include <errno.h>
#include <string.h>
#include "evq.h"

#define LOAD(p)		__atomic_load_n((p), __ATOMIC_ACQUIRE)
#define STORE(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define MB()		__atomic_thread_fence(__ATOMIC_SEQ_CST)

int evq_check(uint64_t off, uint64_t entries, uint64_t esize, uint64_t dir)
{
	uint64_t bytes;

	if (dir != HC_EVQ_TO_HOST && dir != HC_EVQ_TO_GUEST)
		return -EINVAL;
	if (entries < 2 || entries > HC_EVQ_ENTRIES_MAX ||
	    (entries & (entries - 1)))
		return -EINVAL;
	if (esize < 8 || esize > HC_EVQ_ENTRY_MAX || esize % 8)
		return -EINVAL;
	bytes = HC_EVQ_BYTES(entries, esize);
	if (bytes > HC_EVQ_MAX_BYTES || off % HC_EVQ_ALIGN)
		return -EINVAL;
	if (off < HC_QP_DATA_OFF || off > HC_QP_SIZE ||
	    bytes > HC_QP_SIZE - off)
		return -EFAULT;
	return 0;
}

int evq_overlap(const struct evq *a, uint32_t off, uint32_t bytes)
{
	uint32_t a_end = a->off + (uint32_t)HC_EVQ_BYTES(a->entries, a->esize);

	return off < a_end && a->off < off + bytes;
}

/* The index we own, in the window. */
static uint32_t *own_word(struct evq *q)
{
	return q->dir == HC_EVQ_TO_HOST ? &q->hdr->cons : &q->hdr->prod;
}

static uint32_t *own_flags(struct evq *q)
{
	return q->dir == HC_EVQ_TO_HOST ? &q->hdr->cons_flags :
	       &q->hdr->prod_flags;
}

static uint32_t *guest_word(struct evq *q)
{
	return q->dir == HC_EVQ_TO_HOST ? &q->hdr->prod : &q->hdr->cons;
}

static uint32_t *guest_flags(struct evq *q)
{
	return q->dir == HC_EVQ_TO_HOST ? &q->hdr->prod_flags :
	       &q->hdr->cons_flags;
}

void evq_init(struct evq *q, unsigned char *qp, uint32_t off,
	      uint32_t entries, uint32_t esize, int dir)
{
	memset(q, 0, sizeof(*q));
	q->dir = dir;
	q->off = off;
	q->entries = entries;
	q->esize = esize;
	q->hdr = (struct hc_evq_hdr *)(qp + off);
	q->ring = qp + off + HC_EVQ_HDR_SIZE;
	/* Our fields are ours to set, whatever the guest left there. */
	STORE(own_flags(q), 0);
	STORE(&q->hdr->error, 0);
	STORE(&q->hdr->state, 0);
	STORE(own_word(q), 0);
}

static int evq_break(struct evq *q, int err)
{
	if (!q->broken) {
		q->broken = err;
		STORE(&q->hdr->error, (uint32_t)err);
		STORE(&q->hdr->state, HC_EVQ_BROKEN);
		/* A guest asleep waits for our index to move: move it
		 * (it means nothing any more), after the state. */
		STORE(own_word(q), q->own ^ 0x80000000u);
		q->alert = 1;
	}
	return -EIO;
}

/* Entries between the two indices: <= entries, or the queue breaks. */
static int fill(struct evq *q, uint32_t prod, uint32_t cons, uint32_t *n)
{
	*n = prod - cons;
	return *n > q->entries ? evq_break(q, HC_EVQERR_INDEX) : 0;
}

int evq_get(struct evq *q, void *ev, size_t len)
{
	uint32_t prod, n;

	if (q->dir != HC_EVQ_TO_HOST || len < q->esize)
		return -EINVAL;
	if (q->broken)
		return -EIO;
	prod = LOAD(&q->hdr->prod);		/* rmb: then the entry */
	if (fill(q, prod, q->own, &n) < 0)
		return -EIO;
	if (!n)
		return -EAGAIN;
	memcpy(ev, q->ring + (size_t)(q->own & (q->entries - 1)) * q->esize,
	       q->esize);
	q->own++;
	/* release: the copy is done before the guest may reuse the slot */
	STORE(&q->hdr->cons, q->own);
	q->moved = 1;
	return (int)q->esize;
}

int evq_put(struct evq *q, const void *ev, size_t len)
{
	unsigned char *slot;
	uint32_t cons, n;

	if (q->dir != HC_EVQ_TO_GUEST || len > q->esize)
		return -EINVAL;
	if (q->broken)
		return -EIO;
	cons = LOAD(&q->hdr->cons);	/* the slot is free once we saw it */
	if (fill(q, q->own, cons, &n) < 0)
		return -EIO;
	if (n == q->entries) {
		q->want_room = 1;
		q->told = cons;
		return -EAGAIN;
	}
	slot = q->ring + (size_t)(q->own & (q->entries - 1)) * q->esize;
	memcpy(slot, ev, len);
	memset(slot + len, 0, q->esize - len);
	q->own++;
	STORE(&q->hdr->prod, q->own);	/* wmb: entry, then index */
	q->moved = 1;
	return 0;
}

int evq_pending(struct evq *q, int take)
{
	uint32_t idx;

	if (q->broken)
		return 0;
	if (q->dir == HC_EVQ_TO_HOST ? !q->watched : !q->want_room)
		return 0;
	idx = LOAD(guest_word(q));
	if (idx == q->told)
		return 0;
	if (take) {
		q->told = idx;
		q->want_room = 0;
	}
	return 1;
}

int evq_due(struct evq *q)
{
	if (q->alert) {
		q->alert = 0;
		q->moved = 0;
		return 1;
	}
	uint32_t f;

	if (!q->moved || q->broken)
		return 0;
	q->moved = 0;
	MB();				/* our index, then the guest's flag */
	f = LOAD(guest_flags(q));
	/* A sleep we interrupted already: its sleeper is on its way (a
	 * new sleep stores a new count, and a Dekker pair with it). */
	if (!(f & HC_EVQ_WAITING) || f == q->irq_flags)
		return 0;
	q->irq_flags = f;
	return 1;
}

void evq_sleep(struct evq *q)
{
	int want = !q->broken && (q->dir == HC_EVQ_TO_HOST ? q->watched :
				  q->want_room);

	if (want != q->asleep) {
		/* each sleep a new value: the guest kicks once per value */
		if (want)
			q->sleeps++;
		STORE(own_flags(q), want ? HC_EVQ_NEED_WAKEUP |
		      q->sleeps << HC_EVQ_SLEEPS_SHIFT : 0);
		q->asleep = want;
	}
}

void evq_wake(struct evq *q)
{
	if (q->asleep && !q->broken)
		STORE(own_flags(q), 0);
	q->asleep = 0;
}
