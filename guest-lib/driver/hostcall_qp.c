// SPDX-License-Identifier: GPL-2.0
/*
 * hostcall guest driver: the session window (Documentation/window.md).
 *
 * A session's window is BAR2 slot (id - 1): memory shared with the
 * session's shadow, and nothing else. The driver owns queue pair 0: it
 * writes a call's entry into the submission ring and its input into the
 * data area, kicks the shadow only when it sleeps, and takes completions
 * by tag from the interrupt. Queue pair 1 is the user's (mmap(2)); the
 * driver only reads its indices to wake its waiters, and sets its
 * HC_CQ_WAITING while they sleep.
 *
 * The host is on another CPU whatever the guest kernel's configuration,
 * so the barriers are virt_*() (smp_*() on SMP, still real on UP).
 */

#include <linux/bitmap.h>
#include <linux/io.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/barrier.h>

#include "hostcall_drv.h"

#define HC_QP_GONE	(HC_QP_DEAD | HC_QP_BROKEN)

/* A caller's spin for its answer: adaptive between these (ns). */
#define HC_SPIN_MIN	2000
#define HC_SPIN_START	20000

static unsigned int spin_max_us = 50;
module_param(spin_max_us, uint, 0644);
MODULE_PARM_DESC(spin_max_us,
		 "longest a caller polls for its answer before it sleeps (0: never)");

/* What a queue pair's state means for its callers. */
static int hc_qp_state_err(u32 state)
{
	if (state & HC_QP_DEAD)
		return -ECONNRESET;	/* the shadow is gone */
	if (state & HC_QP_BROKEN)
		return -EIO;		/* the shadow stopped serving it */
	return 0;
}

/* Map the session's window and put it on the interrupt's list. */
int hc_qp_map(struct hc_session *s)
{
	struct hc_device *hdev = s->hdev;
	struct hc_qp *qp = &s->qp;
	unsigned long flags;

	if (!s->id || s->id > hdev->win_slots)
		return -EIO;
	/* RAM on the host (a memfd), as ivshmem's BAR2: cached */
	s->win = memremap(hdev->win_base +
			  (phys_addr_t)(s->id - 1) * HC_WIN_SIZE,
			  HC_WIN_SIZE, MEMREMAP_WB);
	if (!s->win)
		return -ENOMEM;
	qp->base = s->win + HC_QP_KERNEL * HC_QP_SIZE;
	qp->ctl = qp->base + HC_QP_CTL_OFF;
	qp->sq = qp->base + HC_QP_SQ_OFF;
	qp->cq = qp->base + HC_QP_CQ_OFF;
	s->uctl = s->win + HC_QP_USER * HC_QP_SIZE + HC_QP_CTL_OFF;
	/* a new window starts at 0; the shadow starts from the same */
	qp->sq_prod = READ_ONCE(qp->ctl->sq_prod);
	qp->cq_cons = READ_ONCE(qp->ctl->cq_cons);
	qp->spin_ns = HC_SPIN_START;
	s->u_seen = READ_ONCE(s->uctl->cq_prod);

	spin_lock_irqsave(&hdev->lock, flags);
	if (hdev->dead)
		s->dead = hdev->dead;
	else
		list_add(&s->node, &hdev->sessions);
	spin_unlock_irqrestore(&hdev->lock, flags);
	return 0;
}

/* The session's last reference: no request is in flight any more. */
void hc_qp_unmap(struct hc_session *s)
{
	struct hc_device *hdev = s->hdev;
	unsigned long flags;

	spin_lock_irqsave(&hdev->lock, flags);
	list_del_init(&s->node);
	spin_unlock_irqrestore(&hdev->lock, flags);
	if (s->win)
		memunmap(s->win);
	s->win = NULL;
}

/* A window request of this session (a reference on it), no data yet. */
struct hc_request *hc_wreq_alloc(struct hc_session *s, u16 module, u16 op,
				 s64 a0, s64 a1)
{
	struct hc_request *req = hc_req_alloc(s->hdev, 0, GFP_KERNEL);

	if (!req)
		return NULL;
	hc_session_get(s);
	req->s = s;
	req->sqe.module = module;
	req->sqe.op = op;
	req->sqe.args[0] = a0;
	req->sqe.args[1] = a1;
	return req;
}

static bool hc_qp_room(void *arg, u32 n)
{
	struct hc_session *s = arg;

	return READ_ONCE(s->dead) ||
	       bitmap_find_next_zero_area(s->qp.grains, HC_QP_GRAINS, 0, n,
					  0) < HC_QP_GRAINS;
}

/*
 * How many grains a call that may be short gets, of the n it asks for:
 * at most half of what is free (at least 4, when there are), so calls
 * that block on the host (a read of an idle pipe) can never take all of
 * the area from the call that would unblock them. qlock held.
 */
static u32 hc_qp_grant(struct hc_qp *qp, u32 n)
{
	u32 free = HC_QP_GRAINS - bitmap_weight(qp->grains, HC_QP_GRAINS);

	return min(n, max(free / 2, min(free, 4u)));
}

/* A run of n grains, or of fewer down to 1 if may_shrink; qlock held. */
static u32 hc_qp_take(struct hc_qp *qp, u32 n, bool may_shrink,
		      unsigned long *start)
{
	if (may_shrink)
		n = hc_qp_grant(qp, n);
	while (n) {
		*start = bitmap_find_next_zero_area(qp->grains, HC_QP_GRAINS,
						    0, n, 0);
		if (*start < HC_QP_GRAINS) {
			bitmap_set(qp->grains, *start, n);
			return n;
		}
		n = may_shrink ? n / 2 : 0;
	}
	return 0;
}

/*
 * Give the request in_len bytes of input and out_len of output in the
 * data area, until it is freed. The caller fills the input in place. A
 * call that may be short (short_ok: a read or write, which has one of
 * the two) gets less when the area is busy, never waits while any of it
 * is free, and sees the lengths it got in req->sqe.
 */
int hc_wreq_data(struct hc_request *req, u32 in_len, u32 out_len,
		 enum hc_submit_mode mode, bool short_ok)
{
	struct hc_session *s = req->s;
	u32 in_g = DIV_ROUND_UP(in_len, HC_QP_GRAIN);
	u32 n = in_g + DIV_ROUND_UP(out_len, HC_QP_GRAIN);
	bool may_shrink = short_ok && (!in_len || !out_len);
	unsigned long start = 0, flags;
	int ret;

	if (in_len > s->hdev->max_data || out_len > s->hdev->max_data)
		return -E2BIG;
	while (n) {
		spin_lock_irqsave(&s->qlock, flags);
		ret = s->dead;
		if (!ret) {
			req->ngrains = hc_qp_take(&s->qp, n, may_shrink,
						  &start);
			req->grain = start;
		}
		spin_unlock_irqrestore(&s->qlock, flags);
		if (ret)
			return ret;
		if (req->ngrains)
			break;
		/* other calls hold the area: they give it back as they end */
		ret = hc_wait_room(&s->qwq, mode, hc_qp_room, s,
				   may_shrink ? 1 : n);
		if (ret)
			return ret;
	}
	if (may_shrink) {
		in_len = min(in_len, req->ngrains * HC_QP_GRAIN);
		out_len = min(out_len, req->ngrains * HC_QP_GRAIN);
	}
	req->sqe.in_off = in_len ? HC_QP_DATA_OFF + start * HC_QP_GRAIN : 0;
	req->sqe.in_len = in_len;
	req->sqe.out_off = out_len ?
		HC_QP_DATA_OFF + (start + in_g) * HC_QP_GRAIN : 0;
	req->sqe.out_len = out_len;
	req->out_cap = out_len;
	return 0;
}

void *hc_wreq_in(struct hc_request *req)
{
	return req->s->qp.base + req->sqe.in_off;
}

void *hc_wreq_out(struct hc_request *req)
{
	return req->s->qp.base + req->sqe.out_off;
}

/*
 * Copies between a caller and the window, in 8-byte words. Under TCG the
 * kernel's own copies (rep movsb, as the emulated CPU has ERMS) run one
 * emulated iteration per byte: 128 KiB took 400 us, this loop a fraction
 * of that. Under KVM both run at memory speed.
 */
int hc_copy_from_user(void *dst, const void __user *src, u32 len)
{
	const u64 __user *s = src;
	u32 i, words = len / 8;
	u64 *d = dst;

	if (!user_access_begin(src, len))
		return -EFAULT;
	for (i = 0; i < words; i++)
		unsafe_get_user(d[i], s + i, efault);
	user_access_end();
	i = words * 8;
	return copy_from_user(dst + i, src + i, len - i) ? -EFAULT : 0;
efault:
	user_access_end();
	return -EFAULT;
}

int hc_copy_to_user(void __user *dst, const void *src, u32 len)
{
	u64 __user *d = dst;
	u32 i, words = len / 8;
	const u64 *s = src;

	if (!user_access_begin(dst, len))
		return -EFAULT;
	for (i = 0; i < words; i++)
		unsafe_put_user(s[i], d + i, efault);
	user_access_end();
	i = words * 8;
	return copy_to_user(dst + i, src + i, len - i) ? -EFAULT : 0;
efault:
	user_access_end();
	return -EFAULT;
}

/* The same between kernel memory and the window. */
void hc_copy_words(void *dst, const void *src, u32 len)
{
	const u64 *s = src;
	u32 i, words = len / 8;
	u64 *d = dst;

	for (i = 0; i < words; i++)
		d[i] = s[i];
	i = words * 8;
	memcpy(dst + i, src + i, len - i);
}

/* The request is freed: its data area is free again. */
void hc_wreq_release(struct hc_request *req)
{
	struct hc_session *s = req->s;
	unsigned long flags;

	if (!req->ngrains)
		return;
	spin_lock_irqsave(&s->qlock, flags);
	bitmap_clear(s->qp.grains, req->grain, req->ngrains);
	spin_unlock_irqrestore(&s->qlock, flags);
	req->ngrains = 0;
	wake_up_all(&s->qwq);
}

static bool hc_qp_slot_ready(void *arg, u32 limit)
{
	struct hc_session *s = arg;

	return READ_ONCE(s->dead) || READ_ONCE(s->qp.inflight) < limit;
}

/*
 * Put the request's entry into queue pair 0 and kick the shadow if it
 * sleeps. On success the request holds an extra reference until its
 * completion (or the window's end) drops it, and req->done will be
 * completed. Process context.
 */
int hc_wsubmit(struct hc_request *req, enum hc_submit_mode mode)
{
	struct hc_session *s = req->s;
	struct hc_qp *qp = &s->qp;
	u32 limit = mode == HC_SUBMIT_NORMAL ? HC_QP_ENTRIES - HC_QP_RESERVE :
		HC_QP_ENTRIES;
	unsigned long flags;
	bool kick;
	u32 idx;
	int ret;

	for (;;) {
		spin_lock_irqsave(&s->qlock, flags);
		ret = s->dead;
		if (ret || qp->inflight < limit)
			break;
		spin_unlock_irqrestore(&s->qlock, flags);

		ret = hc_wait_room(&s->qwq, mode, hc_qp_slot_ready, s, limit);
		if (ret)
			return ret;
	}
	if (ret) {
		spin_unlock_irqrestore(&s->qlock, flags);
		return ret;
	}

	/* inflight < HC_QP_ENTRIES: a free tag index exists */
	for (idx = 0; qp->table[idx]; idx++)
		;
	qp->table[idx] = req;
	qp->tag_seq++;
	req->tag = ((u64)qp->tag_seq << 32) | idx;
	req->sqe.tag = req->tag;
	req->sqe.flags = 0;
	refcount_inc(&req->ref);
	/*
	 * Every entry in flight has someone waiting for its answer (a
	 * caller, a read-ahead, an undo). Unless its caller polls for it
	 * first (hc_qp_spin()), ask for interrupts, before the shadow can see
	 * the entry.
	 */
	qp->inflight++;
	if (!req->spin && !qp->irq_waiters++)
		WRITE_ONCE(qp->ctl->cq_flags, HC_CQ_WAITING);

	memcpy(&qp->sq[qp->sq_prod % HC_QP_ENTRIES], &req->sqe,
	       sizeof(req->sqe));
	/* the entry and its input before the index that covers them */
	virt_wmb();
	WRITE_ONCE(qp->ctl->sq_prod, ++qp->sq_prod);
	/* the index before the flag: pairs with the shadow's sleep (2) */
	virt_mb();
	kick = READ_ONCE(qp->ctl->sq_flags) & HC_SQ_NEED_WAKEUP;
	if (kick)
		WRITE_ONCE(qp->ctl->guest_kicks, qp->ctl->guest_kicks + 1);
	spin_unlock_irqrestore(&s->qlock, flags);

	/* outside the lock: a kick may be a VM exit */
	if (kick)
		hc_kick_session(s->hdev, s->id);
	return 0;
}

/*
 * An entry without data (cancel, stream close, undo), sent with the
 * reserve and not waited for. 0 once sent, or why it could not be.
 */
int hc_wcontrol(struct hc_session *s, u16 module, u16 op, s64 a0, s64 a1)
{
	struct hc_request *req = hc_wreq_alloc(s, module, op, a0, a1);
	int ret;

	if (!req)
		return -ENOMEM;
	ret = hc_wsubmit(req, HC_SUBMIT_CONTROL);
	hc_req_put(req);
	return ret;
}

/* Fail every call in flight: the window is gone or broken; qlock held. */
static void hc_qp_fail_locked(struct hc_session *s, int err)
{
	struct hc_qp *qp = &s->qp;
	u32 idx;

	if (s->dead)
		return;
	s->dead = err;
	for (idx = 0; idx < HC_QP_ENTRIES; idx++) {
		struct hc_request *req = qp->table[idx];

		if (!req)
			continue;
		qp->table[idx] = NULL;
		req->err = err;
		hc_req_complete(req);
	}
	qp->inflight = 0;
	qp->irq_waiters = 0;
	wake_up_all(&s->qwq);
	wake_up_interruptible_all(&s->pollq);
	wake_up_interruptible_all(&s->wordq);
}

/* The device is gone (hdev->lock held, interrupts off). */
void hc_qp_fail(struct hc_session *s, int err)
{
	spin_lock(&s->qlock);
	hc_qp_fail_locked(s, err);
	spin_unlock(&s->qlock);
}

/* Take every completion the shadow posted in queue pair 0; qlock held. */
static void hc_qp_reap(struct hc_session *s)
{
	struct device *dev = &s->hdev->pdev->dev;
	struct hc_qp *qp = &s->qp;
	u32 prod, cons = qp->cq_cons;
	int err;

	prod = READ_ONCE(qp->ctl->cq_prod);
	/* the completions after the index that covers them */
	virt_rmb();
	if (prod - cons > qp->inflight) {
		dev_err_ratelimited(dev, "session %u: bad completion index %u (consumer %u, %u in flight)\n",
				    s->id, prod, cons, qp->inflight);
		hc_qp_fail_locked(s, -EIO);
		return;
	}
	while (cons != prod) {
		struct hc_cqe *cqe = &qp->cq[cons % HC_QP_ENTRIES];
		u64 tag = READ_ONCE(cqe->tag);
		u32 idx = lower_32_bits(tag);
		struct hc_request *req;

		cons++;
		req = idx < HC_QP_ENTRIES ? qp->table[idx] : NULL;
		if (!req || req->tag != tag) {
			dev_warn_ratelimited(dev, "session %u: completion for unknown tag %#llx\n",
					     s->id, tag);
			continue;
		}
		qp->table[idx] = NULL;
		qp->inflight--;
		/* nobody waits for an interrupt any more: none */
		if (!req->spin && !--qp->irq_waiters)
			WRITE_ONCE(qp->ctl->cq_flags, 0);
		req->result = READ_ONCE(cqe->result);
		req->out_len = min(READ_ONCE(cqe->out_len), req->out_cap);
		hc_req_complete(req);
	}
	if (cons != qp->cq_cons) {
		/* done reading the slots before handing them back */
		virt_mb();
		qp->cq_cons = cons;
		WRITE_ONCE(qp->ctl->cq_cons, cons);
		wake_up_all(&s->qwq);
	}
	err = hc_qp_state_err(READ_ONCE(qp->ctl->state));
	if (err)
		hc_qp_fail_locked(s, err);
}

/*
 * A caller about to sleep for req's answer polls the completion ring
 * first, for a budget that adapts as libhostcall's does: twice the time
 * an answer took when it came while polling, halved when the poll ran
 * out, the full spin_max_us every 32nd time. A shadow that polls answers
 * in a few microseconds, far less than an interrupt and a wake-up cost.
 * Then it asks for the interrupt: the guest-wait half of the protocol
 * (flag, full barrier, recheck).
 */
void hc_qp_spin(struct hc_request *req)
{
	struct hc_session *s = req->s;
	struct hc_qp *qp = &s->qp;
	u64 max = (u64)READ_ONCE(spin_max_us) * NSEC_PER_USEC;
	u64 start = ktime_get_ns(), budget, t = 0, next;
	u32 spins = READ_ONCE(qp->spins) + 1;
	unsigned long flags;
	bool got = false;

	WRITE_ONCE(qp->spins, spins);
	budget = min_t(u64, spins % 32 ? READ_ONCE(qp->spin_ns) : max, max);
	while (budget) {
		if (completion_done(&req->done)) {
			got = true;
			break;
		}
		t = ktime_get_ns() - start;
		if (t >= budget || need_resched() || signal_pending(current))
			break;
		if (READ_ONCE(qp->ctl->cq_prod) != READ_ONCE(qp->cq_cons)) {
			spin_lock_irqsave(&s->qlock, flags);
			if (!s->dead)
				hc_qp_reap(s);
			spin_unlock_irqrestore(&s->qlock, flags);
			continue;
		}
		cpu_relax();
	}
	next = got ? max_t(u64, READ_ONCE(qp->spin_ns), 2 * t) :
		READ_ONCE(qp->spin_ns) / 2;
	WRITE_ONCE(qp->spin_ns, clamp_t(u64, next, HC_SPIN_MIN, max));
	if (got)
		return;

	spin_lock_irqsave(&s->qlock, flags);
	if (!s->dead && qp->table[lower_32_bits(req->tag)] == req) {
		req->spin = false;
		if (!qp->irq_waiters++)
			WRITE_ONCE(qp->ctl->cq_flags, HC_CQ_WAITING);
		/* the flag before the index: pairs with the shadow's (3) */
		virt_mb();
		hc_qp_reap(s);
	}
	spin_unlock_irqrestore(&s->qlock, flags);
}

/* Wake queue pair 1's waiters when it moved or died; qlock held. */
static void hc_qp_user_check(struct hc_session *s)
{
	u32 prod = READ_ONCE(s->uctl->cq_prod);

	if (prod == s->u_seen && !(READ_ONCE(s->uctl->state) & HC_QP_GONE))
		return;
	s->u_seen = prod;
	/* pollers set it again as poll(2) calls them after the wake-up */
	if (!s->u_waiters)
		WRITE_ONCE(s->uctl->cq_flags, 0);
	wake_up_interruptible_all(&s->pollq);
}

/* The interrupt: scan the open windows. */
void hc_qp_interrupt(struct hc_device *hdev)
{
	struct hc_session *s;
	unsigned long flags;

	spin_lock_irqsave(&hdev->lock, flags);
	if (!hdev->dead) {
		list_for_each_entry(s, &hdev->sessions, node) {
			spin_lock(&s->qlock);
			if (!s->dead) {
				hc_qp_reap(s);
				hc_qp_user_check(s);
			}
			/* no per-queue state here: the woken recheck */
			if (s->word_waiters)
				wake_up_interruptible_all(&s->wordq);
			spin_unlock(&s->qlock);
		}
	}
	spin_unlock_irqrestore(&hdev->lock, flags);
}

/* Why queue pair 1 cannot be waited for, or 0. */
static int hc_qp_user_err(struct hc_session *s)
{
	int err = READ_ONCE(s->dead);

	return err ? err : hc_qp_state_err(READ_ONCE(s->uctl->state));
}

static bool hc_qp_user_ready(struct hc_session *s, u32 seen)
{
	return READ_ONCE(s->dead) || READ_ONCE(s->uctl->cq_prod) != seen ||
	       (READ_ONCE(s->uctl->state) & HC_QP_GONE);
}

/* A waiter of queue pair 1 comes (on) or goes; the flag is set meanwhile. */
static void hc_qp_user_sleeper(struct hc_session *s, bool on)
{
	unsigned long flags;

	spin_lock_irqsave(&s->qlock, flags);
	if (on)
		s->u_waiters++;
	else
		s->u_waiters--;
	if (!s->dead)
		WRITE_ONCE(s->uctl->cq_flags, s->u_waiters ? HC_CQ_WAITING : 0);
	spin_unlock_irqrestore(&s->qlock, flags);
}

/* HOSTCALL_IOC_WAIT: the guest-wait half of the protocol, for qp 1. */
long hc_qp_wait_user(struct hc_session *s, struct hostcall_ioc_wait __user *u)
{
	struct hostcall_ioc_wait w;
	long left, timeout;
	int err;

	if (copy_from_user(&w, u, sizeof(w)))
		return -EFAULT;
	timeout = w.timeout_ms < 0 ? MAX_SCHEDULE_TIMEOUT :
		msecs_to_jiffies(w.timeout_ms);
	hc_qp_user_sleeper(s, true);
	/* the flag before the index: pairs with the shadow's (3) */
	virt_mb();
	left = wait_event_interruptible_timeout(s->pollq,
						hc_qp_user_ready(s, w.cq_seen),
						timeout);
	hc_qp_user_sleeper(s, false);
	if (READ_ONCE(s->dead))
		return s->dead;
	if (READ_ONCE(s->uctl->cq_prod) != w.cq_seen)
		return 0;	/* answers first, even from a dying shadow */
	err = hc_qp_user_err(s);
	if (err)
		return err;
	return left < 0 ? -ERESTARTSYS : -ETIMEDOUT;
}

/* The word HOSTCALL_IOC_WAIT_WORD watches moved, or the shadow is gone. */
static bool hc_qp_word_ready(struct hc_session *s, const u32 *word, u32 seen)
{
	return READ_ONCE(s->dead) || READ_ONCE(*word) != seen ||
	       (READ_ONCE(s->uctl->state) & HC_QP_DEAD);
}

/*
 * HOSTCALL_IOC_WAIT_WORD: an event queue's guest side sleeps until the
 * shadow moves its index. The caller set its HC_EVQ_WAITING flag, full
 * barrier, rechecked; the shadow raises the interrupt after it moved the
 * index and saw the flag, and the interrupt wakes every word waiter.
 * Entering the wait queue before the condition is checked (as
 * wait_event does) closes the gap between the caller's recheck and this
 * sleep. A signal ends the wait (-EINTR, not restarted: nothing happened,
 * and restarting would start the timeout again).
 */
long hc_qp_wait_word(struct hc_session *s,
		     struct hostcall_ioc_wait_word __user *u)
{
	struct hostcall_ioc_wait_word w;
	unsigned long flags;
	const u32 *word;
	long left, timeout;
	int err;

	if (copy_from_user(&w, u, sizeof(w)))
		return -EFAULT;
	if (w.reserved || w.offset % sizeof(u32) ||
	    w.offset > HC_QP_SIZE - sizeof(u32))
		return -EINVAL;
	err = READ_ONCE(s->dead);
	if (err)
		return err;
	word = s->win + HC_QP_USER * HC_QP_SIZE + w.offset;
	timeout = w.timeout_ms < 0 ? MAX_SCHEDULE_TIMEOUT :
		msecs_to_jiffies(w.timeout_ms);
	spin_lock_irqsave(&s->qlock, flags);
	s->word_waiters++;
	spin_unlock_irqrestore(&s->qlock, flags);
	left = wait_event_interruptible_timeout(s->wordq,
						hc_qp_word_ready(s, word, w.seen),
						timeout);
	spin_lock_irqsave(&s->qlock, flags);
	s->word_waiters--;
	spin_unlock_irqrestore(&s->qlock, flags);
	if (READ_ONCE(*word) != w.seen)
		return 0;
	err = READ_ONCE(s->dead);
	if (err)
		return err;
	if (READ_ONCE(s->uctl->state) & HC_QP_DEAD)
		return -ECONNRESET;
	return left < 0 ? -EINTR : -ETIMEDOUT;
}

/* poll(2) on the session fd: POLLIN while qp 1's cq has entries. */
__poll_t hc_qp_poll_user(struct hc_session *s)
{
	unsigned long flags;
	int i;

	for (i = 0; i < 2; i++) {
		if (READ_ONCE(s->dead))
			return EPOLLERR | EPOLLHUP;
		if (READ_ONCE(s->uctl->cq_prod) != READ_ONCE(s->uctl->cq_cons))
			return EPOLLIN | EPOLLRDNORM;
		if (hc_qp_user_err(s))
			return EPOLLERR | EPOLLHUP;
		if (i)
			break;
		/* cleared by the interrupt that wakes us */
		spin_lock_irqsave(&s->qlock, flags);
		if (!s->dead)
			WRITE_ONCE(s->uctl->cq_flags, HC_CQ_WAITING);
		spin_unlock_irqrestore(&s->qlock, flags);
		/* the flag before the index: pairs with the shadow's (3) */
		virt_mb();
	}
	return 0;
}

/* HOSTCALL_IOC_KICK: the user's kick for qp 1, counted there. */
void hc_qp_kick_user(struct hc_session *s)
{
	unsigned long flags;
	bool dead;

	spin_lock_irqsave(&s->qlock, flags);
	dead = s->dead;
	if (!dead)
		WRITE_ONCE(s->uctl->guest_kicks, s->uctl->guest_kicks + 1);
	spin_unlock_irqrestore(&s->qlock, flags);
	if (!dead)
		hc_kick_session(s->hdev, s->id);
}

/* HOSTCALL_IOC_INFO's statistics: both queue pairs summed. */
void hc_qp_stats(struct hc_session *s, struct hostcall_ioc_info *info)
{
	struct hc_qp_ctl *ctl[2] = { s->qp.ctl, s->uctl };
	unsigned long flags;
	int i;

	spin_lock_irqsave(&s->qlock, flags);
	for (i = 0; i < 2 && !s->dead; i++) {
		info->calls += READ_ONCE(ctl[i]->sq_prod);
		info->kicks += READ_ONCE(ctl[i]->guest_kicks);
		info->wakeups += READ_ONCE(ctl[i]->host_wakeups);
		info->irqs += READ_ONCE(ctl[i]->host_irqs);
	}
	spin_unlock_irqrestore(&s->qlock, flags);
}
