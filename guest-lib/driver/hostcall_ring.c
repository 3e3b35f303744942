// SPDX-License-Identifier: GPL-2.0
/*
 * hostcall guest driver: requests, and the control ring (session open and
 * close; every other call goes through the session's window,
 * hostcall_qp.c).
 *
 * The control ring lives in guest memory: a header with four free-running indices,
 * then `entries` request slots, then `entries` completion slots. We own
 * req_prod and cpl_cons, the device owns req_cons and cpl_prod. At most
 * `entries` requests are in flight (submitted, completion not yet consumed);
 * that bounds both rings, so no slot is ever overwritten before the device
 * consumed it.
 */

#include <linux/bitmap.h>
#include <linux/dma-mapping.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "hostcall_drv.h"

int hc_ring_init(struct hc_device *hdev, u32 entries)
{
	size_t bytes = HC_RING_BYTES(entries);

	/* coherent: both sides poll the indices in place */
	hdev->ring = dma_alloc_coherent(&hdev->pdev->dev, bytes,
					&hdev->ring_dma, GFP_KERNEL);
	if (!hdev->ring)
		return -ENOMEM;
	hdev->ring_bytes = bytes;
	hdev->table = kcalloc(entries, sizeof(*hdev->table), GFP_KERNEL);
	hdev->busy = bitmap_zalloc(entries, GFP_KERNEL);
	if (!hdev->table || !hdev->busy) {
		hc_ring_free(hdev);
		return -ENOMEM;
	}
	hdev->entries = entries;
	hdev->normal_limit = entries - min_t(u32, HC_CTRL_RESERVE, entries / 4);
	hdev->hdr = hdev->ring;
	hdev->req_ring = (struct hc_req *)(hdev->hdr + 1);
	hdev->cpl_ring = (struct hc_cpl *)(hdev->req_ring + entries);
	hdev->req_prod = 0;
	hdev->cpl_cons = 0;
	hdev->inflight = 0;
	return 0;
}

/* Only once the device has been reset: it must not touch the ring again. */
void hc_ring_free(struct hc_device *hdev)
{
	if (hdev->ring)
		dma_free_coherent(&hdev->pdev->dev, hdev->ring_bytes,
				  hdev->ring, hdev->ring_dma);
	hdev->ring = NULL;
	hdev->hdr = NULL;
	hdev->req_ring = NULL;
	hdev->cpl_ring = NULL;
	kfree(hdev->table);
	hdev->table = NULL;
	bitmap_free(hdev->busy);
	hdev->busy = NULL;
}

/* ---- requests ------------------------------------------------------------ */

struct hc_request *hc_req_alloc(struct hc_device *hdev, unsigned int max_segs,
				gfp_t gfp)
{
	struct hc_request *req;

	req = kzalloc(struct_size(req, segs, max_segs), gfp);
	if (!req)
		return NULL;
	refcount_set(&req->ref, 1);
	init_completion(&req->done);
	req->hdev = hdev;
	req->max_segs = max_segs;
	return req;
}

/*
 * Undo what a window call created when its caller will never see it:
 * killed while the host carried it out, or as the answer came. The shadow
 * knows what each call made (a process, a file, a binding) and releases
 * it; a call that made nothing is left alone. Nobody will ever use it.
 */
void hc_undo_tag(struct hc_session *s, u64 tag)
{
	int ret;

	ret = hc_wcontrol(s, HC_MOD_SESSION, HC_SESSION_CANCEL, (s64)tag,
			  HC_CANCEL_F_UNDO);
	if (ret && ret != -ECONNRESET && ret != -ENODEV)
		dev_warn_ratelimited(&s->hdev->pdev->dev,
				     "session %u: could not undo call %#llx of a killed caller (%d)\n",
				     s->id, tag, ret);
}

/* The same for a request that completed: its answer says what to undo. */
void hc_undo(struct hc_request *req)
{
	struct hc_device *hdev = req->hdev;
	s64 result = req->result;

	if (result < 0)
		return;
	if (req->s) {
		hc_undo_tag(req->s, req->tag);
		return;
	}
	/* the control ring's session open: the session never got a file */
	if (req->desc.module != HC_MOD_SESSION ||
	    req->desc.op != HC_SESSION_OPEN || result == 0 ||
	    result > U32_MAX)
		return;
	if (hc_control(hdev, (u32)result, HC_MOD_SESSION, HC_SESSION_CLOSE,
		       0, 0, 0))
		dev_warn_ratelimited(&hdev->pdev->dev,
				     "session %u: could not close it for a killed opener\n",
				     (u32)result);
}

static void hc_req_free(struct hc_request *req)
{
	struct hc_session *s = req->s;

	hc_req_unmap(req);
	if (s)
		hc_wreq_release(req);
	if ((req->flags & HC_RQ_ORPHAN) && !req->err)
		hc_undo(req);
	kfree(req->kbuf);
	kfree(req);
	/* after the undo: the session (its window, its id) outlives it */
	if (s)
		hc_session_put(s);
}

/* Drop a reference; process context (may sleep: undo, session close). */
void hc_req_put(struct hc_request *req)
{
	if (refcount_dec_and_test(&req->ref))
		hc_req_free(req);
}

/* Drop a reference from atomic context: the freeing is deferred. */
void hc_req_put_atomic(struct hc_request *req)
{
	struct hc_device *hdev = req->hdev;

	if (refcount_dec_and_test(&req->ref)) {
		llist_add(&req->free_node, &hdev->free_list);
		schedule_work(&hdev->free_work);
	}
}

void hc_free_work(struct work_struct *work)
{
	struct hc_device *hdev = container_of(work, struct hc_device,
					      free_work);
	struct llist_node *list = llist_del_all(&hdev->free_list);
	struct hc_request *req, *next;

	llist_for_each_entry_safe(req, next, list, free_node)
		hc_req_free(req);
}

static enum dma_data_direction hc_seg_dir(struct hc_request *req,
					  unsigned int i)
{
	return i < req->desc.nsegs_in ? DMA_TO_DEVICE : DMA_FROM_DEVICE;
}

/*
 * Map one piece of a page (never crossing HC_SEG_SIZE) for the device and
 * add it as the next segment: inputs first, then outputs.
 */
static int hc_req_add_seg(struct hc_request *req, struct page *page,
			  unsigned int off, u32 len, bool out)
{
	struct device *dev = &req->hdev->pdev->dev;
	struct hc_seg *seg;
	dma_addr_t addr;

	if (req->nsegs >= req->max_segs)
		return -E2BIG;
	if (WARN_ON_ONCE(!out && req->desc.nsegs_out))
		return -EINVAL;
	addr = dma_map_page(dev, page, off, len,
			    out ? DMA_FROM_DEVICE : DMA_TO_DEVICE);
	if (dma_mapping_error(dev, addr))
		return -ENOMEM;
	seg = &req->segs[req->nsegs++];
	seg->addr = addr;
	seg->len = len;
	seg->reserved = 0;
	if (out)
		req->desc.nsegs_out++;
	else
		req->desc.nsegs_in++;
	req->mapped = true;
	return 0;
}

/*
 * The device is done with the request (it completed, or the device was
 * reset): end its DMA mappings, so what the device wrote is visible to
 * the CPU (a bounce buffer is copied back here). Idempotent.
 */
void hc_req_unmap(struct hc_request *req)
{
	struct device *dev = &req->hdev->pdev->dev;
	unsigned int i;

	if (req->table_mapped)
		dma_unmap_single(dev, req->table_dma,
				 req->nsegs * sizeof(struct hc_seg),
				 DMA_TO_DEVICE);
	req->table_mapped = false;
	if (!req->mapped)
		return;
	for (i = 0; i < req->nsegs; i++)
		dma_unmap_page(dev, req->segs[i].addr, req->segs[i].len,
			       hc_seg_dir(req, i));
	req->mapped = false;
}

/*
 * Add a kernel buffer (kmalloc'd: in the linear map) as input or output
 * (out_cap accounting is the caller's).
 */
int hc_req_add_kbuf(struct hc_request *req, void *buf, size_t len, bool out)
{
	int ret;

	while (len) {
		unsigned int off = offset_in_page(buf);
		u32 chunk = min_t(size_t, len, HC_SEG_SIZE - off);

		ret = hc_req_add_seg(req, virt_to_page(buf), off, chunk, out);
		if (ret)
			return ret;
		buf += chunk;
		len -= chunk;
	}
	return 0;
}

/* ---- submission ---------------------------------------------------------- */

static bool hc_slot_ready(void *arg, u32 limit)
{
	struct hc_device *hdev = arg;

	return READ_ONCE(hdev->dead) || READ_ONCE(hdev->inflight) < limit;
}

/*
 * Wait as mode says until ready(arg, n), which the side that frees room
 * wakes wq for: 0, -ERESTARTSYS (a signal) or -EBUSY (no room in time).
 */
int hc_wait_room(wait_queue_head_t *wq, enum hc_submit_mode mode,
		 bool (*ready)(void *arg, u32 n), void *arg, u32 n)
{
	switch (mode) {
	case HC_SUBMIT_NORMAL:
		return wait_event_interruptible(*wq, ready(arg, n));
	case HC_SUBMIT_CONTROL:
		return wait_event_timeout(*wq, ready(arg, n), HZ) ? 0 : -EBUSY;
	default:
		return -EBUSY;
	}
}

/*
 * Put a request on the ring and kick the device. On success the request
 * holds an extra reference until its completion (or a device reset) drops
 * it, and req->done will be completed.
 */
int hc_submit(struct hc_device *hdev, struct hc_request *req,
	      enum hc_submit_mode mode)
{
	u32 limit = mode == HC_SUBMIT_NORMAL ? hdev->normal_limit :
		hdev->entries;
	struct device *dev = &hdev->pdev->dev;
	unsigned long flags;
	struct hc_req *slot;
	u32 idx;
	int ret;

	if (req->nsegs && !req->table_mapped) {
		req->table_dma = dma_map_single(dev, req->segs,
						req->nsegs * sizeof(struct hc_seg),
						DMA_TO_DEVICE);
		if (dma_mapping_error(dev, req->table_dma))
			return -ENOMEM;
		req->table_mapped = true;
	}
	for (;;) {
		spin_lock_irqsave(&hdev->lock, flags);
		if (hdev->dead) {
			ret = hdev->dead;
			spin_unlock_irqrestore(&hdev->lock, flags);
			return ret;
		}
		if (hdev->inflight < limit)
			break;
		spin_unlock_irqrestore(&hdev->lock, flags);

		ret = hc_wait_room(&hdev->slot_wq, mode, hc_slot_ready, hdev,
				   limit);
		if (ret)
			return ret;
	}

	idx = find_first_zero_bit(hdev->busy, hdev->entries);
	/* inflight < entries guarantees a free index */
	__set_bit(idx, hdev->busy);
	hdev->table[idx] = req;
	hdev->inflight++;
	hdev->tag_seq++;
	req->tag = ((u64)hdev->tag_seq << 32) | idx;
	req->desc.tag = req->tag;
	req->desc.segs = req->nsegs ? req->table_dma : 0;
	req->desc.flags = 0;
	refcount_inc(&req->ref);

	slot = &hdev->req_ring[hdev->req_prod & (hdev->entries - 1)];
	*slot = req->desc;
	/* descriptor (and seg table) visible before the index that covers it */
	wmb();
	hdev->req_prod++;
	WRITE_ONCE(hdev->hdr->req_prod, hdev->req_prod);
	spin_unlock_irqrestore(&hdev->lock, flags);

	/*
	 * Kick outside the lock, with interrupts on: a kick is a VM exit,
	 * and another vCPU must not spin on the lock meanwhile. kick_sem
	 * keeps the registers mapped: remove() sets dead, then waits for
	 * the kicks in progress.
	 */
	down_read(&hdev->kick_sem);
	if (!READ_ONCE(hdev->dead))
		hc_kick(hdev);
	up_read(&hdev->kick_sem);
	return 0;
}

/* ---- completion ---------------------------------------------------------- */

static struct hc_request *hc_take_locked(struct hc_device *hdev, u64 tag)
{
	u32 idx = lower_32_bits(tag);
	struct hc_request *req;

	if (idx >= hdev->entries)
		return NULL;
	req = hdev->table[idx];
	if (!req || req->tag != tag)
		return NULL;
	hdev->table[idx] = NULL;
	__clear_bit(idx, hdev->busy);
	hdev->inflight--;
	return req;
}

/*
 * Hand a request its answer, with the lock that guards it held (hdev->lock,
 * or s->qlock for a window request), so notify stays valid.
 */
void hc_req_complete(struct hc_request *req)
{
	complete(&req->done);
	if (req->notify)
		wake_up_interruptible_all(req->notify);
	hc_req_put_atomic(req);
}

/* Stop waking notify; after this returns, the request never touches it. */
void hc_req_clear_notify(struct hc_request *req)
{
	spinlock_t *lock = req->s ? &req->s->qlock : &req->hdev->lock;
	unsigned long flags;

	spin_lock_irqsave(lock, flags);
	req->notify = NULL;
	spin_unlock_irqrestore(lock, flags);
}

/*
 * The device is gone or broken: reset it (so it stops touching guest
 * memory) and fail every request in flight with err. Their pages are
 * unmapped and released by their owners or the free work, after the
 * reset. Only the caller that marks the device dead does this; any
 * context, the register write outside the lock (it is a VM exit).
 */
void hc_fail_all(struct hc_device *hdev, int err)
{
	struct hc_session *s;
	unsigned long flags;
	u32 idx;

	spin_lock_irqsave(&hdev->lock, flags);
	if (hdev->dead) {
		spin_unlock_irqrestore(&hdev->lock, flags);
		return;
	}
	/* no submission, kick or completion from here on */
	WRITE_ONCE(hdev->dead, err);
	spin_unlock_irqrestore(&hdev->lock, flags);

	writel(HC_CTRL_RESET, hdev->regs + HC_REG_CTRL);

	spin_lock_irqsave(&hdev->lock, flags);
	for (idx = 0; hdev->table && idx < hdev->entries; idx++) {
		struct hc_request *req = hdev->table[idx];

		if (!req)
			continue;
		hdev->table[idx] = NULL;
		__clear_bit(idx, hdev->busy);
		req->err = err;
		hc_req_complete(req);
	}
	hdev->inflight = 0;
	wake_up_all(&hdev->slot_wq);
	/* the windows are BAR2: nothing may touch them after the reset */
	list_for_each_entry(s, &hdev->sessions, node)
		hc_qp_fail(s, err);
	spin_unlock_irqrestore(&hdev->lock, flags);
}

/*
 * Called from the interrupt handler: consume every completion the device
 * published, hand results to their requests and wake the waiters. The
 * registers are read outside the lock.
 */
void hc_process_completions(struct hc_device *hdev)
{
	struct pci_dev *pdev = hdev->pdev;
	unsigned long flags;
	u32 prod, cons, status;
	bool any = false, bad = false;

	spin_lock_irqsave(&hdev->lock, flags);
	if (hdev->dead) {
		spin_unlock_irqrestore(&hdev->lock, flags);
		return;
	}

	prod = READ_ONCE(hdev->hdr->cpl_prod);
	/* read the completions only after the index that covers them */
	rmb();
	cons = hdev->cpl_cons;
	if (prod - cons > hdev->entries) {
		dev_err(&pdev->dev, "bad completion index %u (consumer %u)\n",
			prod, cons);
		bad = true;
		prod = cons;
	}

	while (cons != prod) {
		struct hc_cpl *cpl = &hdev->cpl_ring[cons & (hdev->entries - 1)];
		u64 tag = READ_ONCE(cpl->tag);
		s64 result = READ_ONCE(cpl->result);
		u32 out_len = READ_ONCE(cpl->out_len);
		struct hc_request *req;

		cons++;
		any = true;
		req = hc_take_locked(hdev, tag);
		if (!req) {
			dev_warn_ratelimited(&pdev->dev,
					     "completion for unknown tag %#llx\n",
					     tag);
			continue;
		}
		req->result = result;
		req->out_len = min(out_len, req->out_cap);
		hc_req_complete(req);
	}

	if (any) {
		/* done reading the slots before handing them back */
		mb();
		hdev->cpl_cons = cons;
		WRITE_ONCE(hdev->hdr->cpl_cons, cons);
		wake_up(&hdev->slot_wq);
	}
	spin_unlock_irqrestore(&hdev->lock, flags);

	if (!any && !bad) {
		/* nothing new: see whether the device gave up on the ring */
		status = readl(hdev->regs + HC_REG_STATUS);
		if (status & HC_STATUS_ERROR) {
			dev_err(&pdev->dev, "device error %u\n",
				readl(hdev->regs + HC_REG_ERROR));
			bad = true;
		}
	}
	if (bad)
		hc_fail_all(hdev, -EIO);
}

/*
 * A request without buffers on the control ring (session close), sent
 * with the ring's reserve and waited for up to timeout jiffies (0: not
 * at all), killable. 0 once sent (and answered, when waited for),
 * -ETIMEDOUT without an answer in time, -EINTR when killed, or why it
 * could not be sent.
 */
int hc_control(struct hc_device *hdev, u32 session, u16 module, u16 op,
	       s64 a0, s64 a1, unsigned long timeout)
{
	struct hc_request *req = hc_req_alloc(hdev, 0, GFP_KERNEL);
	int ret;

	if (!req)
		return -ENOMEM;
	req->desc.session = session;
	req->desc.module = module;
	req->desc.op = op;
	req->desc.args[0] = a0;
	req->desc.args[1] = a1;
	ret = hc_submit(hdev, req, HC_SUBMIT_CONTROL);
	if (!ret && timeout) {
		long left = wait_for_completion_killable_timeout(&req->done,
								 timeout);

		ret = left > 0 ? 0 : left < 0 ? -EINTR : -ETIMEDOUT;
	}
	hc_req_put(req);
	return ret;
}
