/* SPDX-License-Identifier: MIT */
/* Unit test of the shadow's window handling (shadowd/shadow/window.c):
 * the entry check, taking, completing and the sleep/wake protocol. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "window.h"
#include "unit.h"

static struct hc_sqe *sqe(struct wqp *q, uint32_t idx)
{
	return (struct hc_sqe *)(q->base + HC_QP_SQ_OFF) +
	       idx % HC_QP_ENTRIES;
}

static struct hc_sqe entry(uint16_t mod, uint16_t op, uint32_t in_off,
			   uint32_t in_len, uint32_t out_off, uint32_t out_len)
{
	struct hc_sqe e;

	memset(&e, 0, sizeof(e));
	e.module = mod;
	e.op = op;
	e.in_off = in_off;
	e.in_len = in_len;
	e.out_off = out_off;
	e.out_len = out_len;
	return e;
}

static void checks(void)
{
	struct hc_sqe e;

	e = entry(1, HC_SYS_PING, HC_QP_DATA_OFF, 10,
		  HC_QP_SIZE - HC_MAX_DATA, HC_MAX_DATA);
	CHECK("good entry", win_check_sqe(&e) == 0);
	e = entry(1, HC_SYS_PING, 0, 0, 0, 0);
	CHECK("no buffers", win_check_sqe(&e) == 0);
	e = entry(1, HC_SYS_PING, HC_QP_DATA_OFF - 1, 1, 0, 0);
	CHECK("input one byte before the data area",
	      win_check_sqe(&e) == -EFAULT);
	e = entry(1, HC_SYS_PING, HC_QP_SIZE - 4, 5, 0, 0);
	CHECK("input one byte past the queue pair",
	      win_check_sqe(&e) == -EFAULT);
	e = entry(1, HC_SYS_PING, HC_QP_SIZE - 4, 4, 0, 0);
	CHECK("input up to the last byte", win_check_sqe(&e) == 0);
	e = entry(1, HC_SYS_PING, 0, 0, 0xffffff00u, 0x200);
	CHECK("output offset that wraps", win_check_sqe(&e) == -EFAULT);
	e = entry(1, HC_SYS_PING, HC_QP_DATA_OFF, HC_MAX_DATA + 1,
		  0, 0);
	CHECK("input over HC_MAX_DATA", win_check_sqe(&e) == -EINVAL);
	e = entry(7, 200, 0, 0, 0, 0);
	CHECK("a module's functions are the registry's to check",
	      win_check_sqe(&e) == 0);
	e = entry(HC_MOD_SESSION, HC_SESSION_OP_END, 0, 0, 0, 0);
	CHECK("unknown session op", win_check_sqe(&e) == -ENOSYS);
	e = entry(HC_MOD_SESSION, HC_SESSION_BIND, 0, 0, 0, 0);
	CHECK("bind is an entry", win_check_sqe(&e) == 0);
	e = entry(HC_MOD_SESSION, HC_SESSION_OPEN, 0, 0, 0, 0);
	CHECK("session open is not an entry", win_check_sqe(&e) == -ENOSYS);
	e = entry(HC_MOD_SESSION, HC_SESSION_CANCEL, 0, 0, 0, 0);
	CHECK("cancel is an entry", win_check_sqe(&e) == 0);
	e = entry(1, HC_SYS_PING, 0, 0, 0, 0);
	e.flags = 2;
	CHECK("flags", win_check_sqe(&e) == -EINVAL);
}

static void protocol(unsigned char *mem)
{
	struct win w;
	struct wqp *q;
	struct hc_sqe e;
	int err, i, n;

	memset(mem, 0, HC_WIN_SIZE);
	win_init(&w, mem);
	q = &w.qp[1];
	CHECK("nothing to take", win_take(q, &e, &err) == 0);
	CHECK("idle: sleep", win_sleep(&w) == WIN_SLEEP &&
	      q->ctl->sq_flags == HC_SQ_NEED_WAKEUP);
	/* An entry published while going to sleep: the recheck sees it. */
	*sqe(q, 0) = entry(1, HC_SYS_PING, 0, 0, 0, 0);
	sqe(q, 0)->tag = 42;
	q->ctl->sq_prod = 1;
	CHECK("recheck finds the entry", win_sleep(&w) == WIN_WORK &&
	      q->ctl->sq_flags == 0);
	CHECK("take it", win_take(q, &e, &err) == 1 && err == 0 &&
	      e.tag == 42 && q->ctl->sq_cons == 1);
	/* The guest changes the slot after the take: our copy stands. */
	sqe(q, 0)->tag = 7;
	CHECK("one copy", e.tag == 42);
	win_post(q, e.tag, 5, 0);
	CHECK("no waiter: no interrupt", win_notify(q) == 0 &&
	      q->ctl->cq_prod == 1 && q->ctl->host_irqs == 0);
	win_post(q, 43, 0, 0);
	q->ctl->cq_flags = HC_CQ_WAITING;
	CHECK("a waiter: interrupt", win_notify(q) == 1 &&
	      q->ctl->host_irqs == 1);
	CHECK("one interrupt per batch", win_notify(q) == 0);
	/* Guest fields we own are ours: a write there changes nothing. */
	q->ctl->sq_cons = 999;
	CHECK("our sq_cons is our own", win_take(q, &e, &err) == 0);
	/* 64 taken and unreaped: the 65th waits for a completion slot. */
	memset(mem, 0, HC_WIN_SIZE);
	win_init(&w, mem);
	q = &w.qp[0];
	for (i = 0; i < HC_QP_ENTRIES + 1; i++)
		*sqe(q, i) = entry(1, HC_SYS_PING, 0, 0, 0, 0);
	q->ctl->sq_prod = HC_QP_ENTRIES;
	for (n = 0; win_take(q, &e, &err) == 1; n++)
		win_post(q, e.tag, 0, 0);
	q->ctl->sq_prod = HC_QP_ENTRIES + 1;
	CHECK("64 taken, then no slot", n == HC_QP_ENTRIES &&
	      win_take(q, &e, &err) == 0);
	CHECK("stalled, not work", win_sleep(&w) == WIN_STALLED);
	win_wake(&w, 0);
	q->ctl->cq_cons = 1;
	CHECK("a reaped completion frees a slot",
	      win_take(q, &e, &err) == 1);
	/* Nonsense indices break that queue pair only. */
	w.qp[1].ctl->sq_prod = 500;
	CHECK("sq_prod too far ahead breaks qp 1",
	      win_take(&w.qp[1], &e, &err) == -1 &&
	      (w.qp[1].ctl->state & HC_QP_BROKEN) &&
	      w.qp[1].ctl->error == HC_QPERR_SQ_INDEX);
	q->ctl->cq_cons = 2;
	q->ctl->sq_prod++;
	CHECK("qp 0 still takes", win_take(q, &e, &err) == 1 &&
	      !q->broken && !(q->ctl->state & HC_QP_BROKEN));
	q->ctl->cq_cons = 1000;
	q->ctl->sq_prod++;
	CHECK("cq_cons out of range breaks qp 0",
	      win_take(q, &e, &err) == -1 &&
	      q->ctl->error == HC_QPERR_CQ_INDEX);
	CHECK("a broken queue pair gets no completion",
	      (win_post(q, 1, 0, 0), q->ctl->cq_prod == q->cq_prod));
}

int main(void)
{
	unsigned char *mem = aligned_alloc(4096, HC_WIN_SIZE);

	if (!mem)
		return 2;
	checks();
	protocol(mem);
	free(mem);
	return DONE();
}
