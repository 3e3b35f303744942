/* SPDX-License-Identifier: MIT */
/*
 * Taking and checking entries, posting completions: the shadow's half of
 * the window's ordering protocol (Documentation/window.md). The guest may
 * write any byte of the window at any time, so every value read from it
 * is read once, into our own memory, and checked there; the indices we
 * own are kept here and only published to the window.
 *
 * Barriers: acquire on the load of a guest index is the protocol's rmb,
 * release on the store of ours its wmb, a seq_cst fence its mb.
 */
#include <errno.h>
#include <string.h>
#include "window.h"

#define LOAD(p)		__atomic_load_n((p), __ATOMIC_ACQUIRE)
#define STORE(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define MB()		__atomic_thread_fence(__ATOMIC_SEQ_CST)

void win_init(struct win *w, void *mem)
{
	int i;

	memset(w, 0, sizeof(*w));
	w->mem = mem;
	for (i = 0; i < 2; i++) {
		struct wqp *q = &w->qp[i];

		q->base = w->mem + i * HC_QP_SIZE;
		q->ctl = (struct hc_qp_ctl *)(q->base + HC_QP_CTL_OFF);
		/* A new window counts from 0; our fields are ours to set. */
		STORE(&q->ctl->sq_cons, 0);
		STORE(&q->ctl->cq_prod, 0);
		STORE(&q->ctl->sq_flags, 0);
	}
}

/* [off, off + len) inside the data area; nothing at all is fine. */
static int range_ok(uint32_t off, uint32_t len)
{
	return len == 0 || (off >= HC_QP_DATA_OFF && off <= HC_QP_SIZE &&
			    len <= HC_QP_SIZE - off);
}

int win_check_sqe(const struct hc_sqe *e)
{
	/* Other modules' functions are the registry's to check (-EBADF,
	 * -ENOSYS); of the session's, OPEN and CLOSE are the control ring's. */
	if (e->module == HC_MOD_SESSION && (!hc_session_op_valid(e->op) ||
					    e->op == HC_SESSION_OPEN ||
					    e->op == HC_SESSION_CLOSE))
		return -ENOSYS;
	if (e->flags)
		return -EINVAL;
	if (e->in_len > HC_MAX_DATA || e->out_len > HC_MAX_DATA)
		return -EINVAL;
	if (!range_ok(e->in_off, e->in_len) || !range_ok(e->out_off, e->out_len))
		return -EFAULT;
	return 0;
}

static int win_break(struct wqp *q, int err)
{
	if (!q->broken) {
		q->broken = err;
		STORE(&q->ctl->error, (uint32_t)err);
		STORE(&q->ctl->state, LOAD(&q->ctl->state) | HC_QP_BROKEN);
	}
	return -1;
}

/* The guest's indices make sense: 0, or broken (-1). */
static int check_indices(struct wqp *q, uint32_t prod, uint32_t cq_cons)
{
	if (prod - q->sq_cons > HC_QP_ENTRIES)
		return win_break(q, HC_QPERR_SQ_INDEX);
	if (q->cq_prod - cq_cons > HC_QP_ENTRIES)
		return win_break(q, HC_QPERR_CQ_INDEX);
	return 0;
}

int win_take(struct wqp *q, struct hc_sqe *e, int *err)
{
	const struct hc_sqe *sq;
	uint32_t prod, cq_cons;

	if (q->broken)
		return -1;
	prod = LOAD(&q->ctl->sq_prod);		/* rmb: then the entry */
	q->seen_prod = prod;
	if (prod == q->sq_cons)
		return 0;
	cq_cons = LOAD(&q->ctl->cq_cons);
	if (check_indices(q, prod, cq_cons) < 0)
		return -1;
	/* Each entry taken owes one completion: no slot, no take. */
	if (q->sq_cons - cq_cons >= HC_QP_ENTRIES)
		return 0;
	sq = (const struct hc_sqe *)(q->base + HC_QP_SQ_OFF);
	memcpy(e, &sq[q->sq_cons % HC_QP_ENTRIES], sizeof(*e));
	q->sq_cons++;
	/* Release: the copy is done before the guest may reuse the slot. */
	STORE(&q->ctl->sq_cons, q->sq_cons);
	*err = win_check_sqe(e);
	return 1;
}

unsigned char *win_buf(const struct wqp *q, uint32_t off, uint32_t len)
{
	return q->base + (len ? off : HC_QP_DATA_OFF);
}

void win_post(struct wqp *q, uint64_t tag, int64_t result, uint32_t out_len)
{
	struct hc_cqe *cq = (struct hc_cqe *)(q->base + HC_QP_CQ_OFF);
	struct hc_cqe c;

	if (q->broken)
		return;		/* not served any more */
	memset(&c, 0, sizeof(c));
	c.tag = tag;
	c.result = result;
	c.out_len = out_len;
	memcpy(&cq[q->cq_prod % HC_QP_ENTRIES], &c, sizeof(c));
	q->cq_prod++;
	STORE(&q->ctl->cq_prod, q->cq_prod);	/* wmb: entry, then index */
	q->posted = 1;
}

int win_notify(struct wqp *q)
{
	if (!q->posted)
		return 0;
	q->posted = 0;
	MB();					/* (3): cq_prod, then the flag */
	if (!(LOAD(&q->ctl->cq_flags) & HC_CQ_WAITING))
		return 0;
	STORE(&q->ctl->host_irqs, q->ctl->host_irqs + 1);
	return 1;
}

int win_ready(struct wqp *q)
{
	uint32_t prod, cq_cons;

	if (q->broken)
		return 0;
	prod = LOAD(&q->ctl->sq_prod);
	if (prod == q->sq_cons)
		return 0;
	cq_cons = LOAD(&q->ctl->cq_cons);
	if (check_indices(q, prod, cq_cons) < 0)
		return 1;	/* win_take reports it */
	return q->sq_cons - cq_cons < HC_QP_ENTRIES ? 1 : WIN_STALLED;
}

static void set_flags(struct win *w, uint32_t flags)
{
	int i;

	for (i = 0; i < 2; i++)
		if (!w->qp[i].broken)
			STORE(&w->qp[i].ctl->sq_flags, flags);
}

int win_sleep(struct win *w)
{
	int i, r, stalled = 0;

	set_flags(w, HC_SQ_NEED_WAKEUP);
	MB();					/* (2): flag, then sq_prod */
	for (i = 0; i < 2; i++) {
		r = win_ready(&w->qp[i]);
		if (r == 1) {
			set_flags(w, 0);
			return WIN_WORK;
		}
		stalled |= r == WIN_STALLED;
	}
	return stalled ? WIN_STALLED : WIN_SLEEP;
}

void win_wake(struct win *w, int kicked)
{
	int i;

	set_flags(w, 0);
	for (i = 0; kicked && i < 2; i++) {
		struct wqp *q = &w->qp[i];

		if (!q->broken && LOAD(&q->ctl->sq_prod) != q->seen_prod)
			STORE(&q->ctl->host_wakeups, q->ctl->host_wakeups + 1);
	}
}
