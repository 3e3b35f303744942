/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hostcall guest driver: internal definitions shared by the driver's files.
 *
 * Lifetime rules:
 *  - struct hc_device is refcounted through its embedded struct device (the
 *    char device node). Probe holds one reference, every open session holds
 *    one; remove() drops the probe's reference after tearing the hardware
 *    side down, so sessions can outlive the PCI device and then see -ENODEV.
 *  - Two kinds of request. Control requests (session open and close) go
 *    through the control ring in guest RAM, under hdev->lock, their kernel
 *    buffers DMA-mapped one segment each. Every other call is an entry in
 *    queue pair 0 of its session's window (BAR2, hostcall_qp.c), under
 *    s->qlock, its data in the window's data area: no DMA, no pinning.
 *  - Nothing touches the ring or a window once hdev->dead (or, for a
 *    window, s->dead) is set; hc_fail_all() sets them under the locks
 *    first. No register access (a VM exit) happens under a lock: a kick
 *    runs under kick_sem (read), which remove() takes for writing after
 *    setting dead, before the registers are unmapped.
 *  - Lock order: hdev->lock (the session list), then s->qlock.
 *  - struct hc_request is refcounted: one reference for its submitter (the
 *    waiter), one while it is in flight. A window request holds a session
 *    reference for as long as it lives, so the window and its session id
 *    outlive every entry in it; its data area is given back when it is
 *    freed, after its owner copied the output out.
 *  - A waiter hit by a signal asks the host to cancel the call (an entry
 *    HC_SESSION_CANCEL in the same queue pair) and waits (killable) for its
 *    real answer: see hc_session_wait(). Only a fatal signal leaves a call
 *    in flight; it is then an orphan (HC_RQ_ORPHAN), and its late
 *    completion undoes what it created (hc_undo(): HC_SESSION_CANCEL with
 *    HC_CANCEL_F_UNDO, the shadow knows what the call made); so does a
 *    call whose caller is killed as it returns.
 */
#ifndef HOSTCALL_DRV_H
#define HOSTCALL_DRV_H

#include <linux/cdev.h>
#include <linux/completion.h>
#include <linux/device.h>
#include <linux/kref.h>
#include <linux/llist.h>
#include <linux/pci.h>
#include <linux/refcount.h>
#include <linux/rwsem.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "hostcall_abi.h"

#define HC_DRV_NAME		"hostcall"
#define HC_MAX_DEVICES		32
#define HC_DEFAULT_ENTRIES	256

/*
 * Control ring slots kept free for session close, so a ring full of
 * session opens cannot keep a close out.
 */
#define HC_CTRL_RESERVE		16

#define HC_SEG_SIZE		4096	/* segments never cross 4 KiB */

/* Window entries kept free for cancel, stream close and undo. */
#define HC_QP_RESERVE		8
/* The window's data area is handed out in pieces of this size. */
#define HC_QP_GRAIN		1024
#define HC_QP_GRAINS		(HC_QP_DATA_LEN / HC_QP_GRAIN)

struct hc_device {
	struct device dev;		/* char device node, refcount */
	struct cdev cdev;
	struct pci_dev *pdev;
	void __iomem *regs;
	int index;			/* minor; 0 is /dev/hostcall */
	int irq;
	bool msix;
	bool ctrl_hypercall;		/* control ring kicked by hypercall */
	char pci_name[32];

	u32 features;
	u32 accel;
	u32 token;
	u32 transport;			/* HC_TRANSPORT_*: the session kick */
	u32 max_data;
	u32 max_segs;
	u32 win_slots;			/* sessions with a window in BAR2 */
	phys_addr_t win_base;		/* BAR2 */

	/* the control ring */
	void *ring;			/* dma_alloc_coherent() */
	size_t ring_bytes;
	dma_addr_t ring_dma;
	u32 entries;
	u32 normal_limit;		/* entries - HC_CTRL_RESERVE */
	struct hc_ring_hdr *hdr;
	struct hc_req *req_ring;
	struct hc_cpl *cpl_ring;

	struct rw_semaphore kick_sem;	/* held (read) while kicking */
	spinlock_t lock;		/* everything below */
	int dead;			/* 0, -ENODEV (removed) or -EIO */
	u32 req_prod;			/* private copies of our indices */
	u32 cpl_cons;
	u32 inflight;
	u32 tag_seq;
	unsigned long *busy;		/* bitmap of table slots in use */
	struct hc_request **table;	/* in-flight requests by tag index */
	struct list_head sessions;	/* open windows, for the interrupt */

	wait_queue_head_t slot_wq;	/* waiting for a free ring slot */

	/* requests whose last reference went in atomic context */
	struct llist_head free_list;
	struct work_struct free_work;
};

/* hc_request.flags */
#define HC_RQ_ORPHAN		BIT(0)	/* its caller was killed: undo it */

struct hc_request {
	refcount_t ref;
	struct completion done;
	struct hc_device *hdev;
	struct hc_session *s;		/* window request: holds a reference */
	struct llist_node free_node;
	unsigned long flags;

	u64 tag;			/* valid while in flight */
	int err;			/* local failure: -ENODEV, -EIO, ... */
	s64 result;			/* the host's answer */
	u32 out_len;			/* bytes the host wrote, clamped */
	u32 out_cap;			/* size of the output buffer */
	wait_queue_head_t *notify;	/* woken on completion (poll) */

	/* window request: the entry, its pieces of the data area */
	struct hc_sqe sqe;
	u32 grain, ngrains;
	bool spin;			/* its caller polls first: no irq yet */

	/* control request: descriptor, kernel buffer, DMA segments */
	struct hc_req desc;
	void *kbuf;			/* freed with the request */
	unsigned int nsegs;		/* each one DMA mapping until unmapped */
	unsigned int max_segs;
	bool mapped;			/* segs[] addresses are live mappings */
	bool table_mapped;		/* segs[] itself is mapped at table_dma */
	dma_addr_t table_dma;
	struct hc_seg segs[];		/* device addresses (DMA API) */
};

/* queue pair 0 of a session's window, the driver's; under s->qlock */
struct hc_qp {
	void *base;			/* the queue pair in the window */
	struct hc_qp_ctl *ctl;
	struct hc_sqe *sq;
	struct hc_cqe *cq;
	u32 sq_prod;			/* private copies of our indices */
	u32 cq_cons;
	u32 inflight;
	u32 irq_waiters;		/* in flight, not spun for: irq wanted */
	u32 tag_seq;
	u32 spin_ns;			/* adaptive spin budget */
	u32 spins;
	struct hc_request *table[HC_QP_ENTRIES];
	DECLARE_BITMAP(grains, HC_QP_GRAINS);	/* data area in use */
};

/* one per open /dev/hostcall; stream fds and window requests hold refs */
struct hc_session {
	struct kref ref;
	struct hc_device *hdev;
	u32 id;
	struct hc_session_info info;
	struct list_head node;		/* in hdev->sessions while mapped */
	void *win;			/* the window, memremap()ed */

	spinlock_t qlock;		/* qp, dead, u_* */
	int dead;			/* -ECONNRESET, -EIO, -ENODEV */
	struct hc_qp qp;
	wait_queue_head_t qwq;		/* an entry or data freed, or dead */

	/* queue pair 1, the user's (mmap) */
	struct hc_qp_ctl *uctl;
	u32 u_seen;			/* cq_prod at the last interrupt */
	u32 u_waiters;			/* HOSTCALL_IOC_WAIT sleepers */
	wait_queue_head_t pollq;	/* qp 1 completions, or dead */
	/*
	 * HOSTCALL_IOC_WAIT_WORD sleepers (event queues): any interrupt
	 * wakes them to recheck their word
	 */
	u32 word_waiters;
	wait_queue_head_t wordq;
	/* the host module "proc" for stream fds, bound at the first one */
	int proc_mod;
	/* "sock" for socket fds, likewise; their waiting POLLs (<= HC_SOCK_WAITS) */
	int sock_mod;
	atomic_t sock_waits;
};

/* how a request may wait for a ring or window slot */
enum hc_submit_mode {
	HC_SUBMIT_NORMAL,	/* interruptible; leaves the reserve alone */
	HC_SUBMIT_CONTROL,	/* may use the reserve; bounded wait */
	HC_SUBMIT_NOWAIT,	/* may use the reserve; never waits */
};

/* hostcall_ring.c: the control ring */
int hc_ring_init(struct hc_device *hdev, u32 entries);
void hc_ring_free(struct hc_device *hdev);
struct hc_request *hc_req_alloc(struct hc_device *hdev, unsigned int max_segs,
				gfp_t gfp);
void hc_req_put(struct hc_request *req);
void hc_req_put_atomic(struct hc_request *req);
void hc_req_complete(struct hc_request *req);
void hc_undo(struct hc_request *req);
void hc_undo_tag(struct hc_session *s, u64 tag);
void hc_req_unmap(struct hc_request *req);
void hc_req_clear_notify(struct hc_request *req);
int hc_req_add_kbuf(struct hc_request *req, void *buf, size_t len, bool out);
int hc_wait_room(wait_queue_head_t *wq, enum hc_submit_mode mode,
		 bool (*ready)(void *arg, u32 n), void *arg, u32 n);
int hc_submit(struct hc_device *hdev, struct hc_request *req,
	      enum hc_submit_mode mode);
void hc_process_completions(struct hc_device *hdev);
void hc_fail_all(struct hc_device *hdev, int err);
void hc_free_work(struct work_struct *work);
int hc_control(struct hc_device *hdev, u32 session, u16 module, u16 op,
	       s64 a0, s64 a1, unsigned long timeout);

/* hostcall_qp.c: the session window */
int hc_qp_map(struct hc_session *s);
void hc_qp_unmap(struct hc_session *s);
struct hc_request *hc_wreq_alloc(struct hc_session *s, u16 module, u16 op,
				 s64 a0, s64 a1);
int hc_wreq_data(struct hc_request *req, u32 in_len, u32 out_len,
		 enum hc_submit_mode mode, bool short_ok);
void *hc_wreq_in(struct hc_request *req);
void *hc_wreq_out(struct hc_request *req);
void hc_wreq_release(struct hc_request *req);
int hc_copy_from_user(void *dst, const void __user *src, u32 len);
int hc_copy_to_user(void __user *dst, const void *src, u32 len);
void hc_copy_words(void *dst, const void *src, u32 len);
int hc_wsubmit(struct hc_request *req, enum hc_submit_mode mode);
void hc_qp_spin(struct hc_request *req);
int hc_wcontrol(struct hc_session *s, u16 module, u16 op, s64 a0, s64 a1);
void hc_qp_interrupt(struct hc_device *hdev);
void hc_qp_fail(struct hc_session *s, int err);
void hc_qp_kick_user(struct hc_session *s);
void hc_qp_stats(struct hc_session *s, struct hostcall_ioc_info *info);
long hc_qp_wait_user(struct hc_session *s, struct hostcall_ioc_wait __user *u);
__poll_t hc_qp_poll_user(struct hc_session *s);
long hc_qp_wait_word(struct hc_session *s,
		     struct hostcall_ioc_wait_word __user *u);

/* hostcall_main.c */
void hc_kick(struct hc_device *hdev);
void hc_kick_session(struct hc_device *hdev, u32 id);

/* hostcall_dev.c */
int hc_chrdev_init(void);
void hc_chrdev_exit(void);
int hc_chrdev_setup(struct hc_device *hdev, struct device *parent);
long hc_errno(s64 result);
void hc_session_get(struct hc_session *s);
void hc_session_put(struct hc_session *s);
int hc_session_wait(struct hc_session *s, struct hc_request *req);
int hc_session_wait_timeout(struct hc_session *s, struct hc_request *req,
			    long timeout);
long hc_session_call(struct hc_session *s, u16 module, u16 op,
		     const s64 args[4], u64 in_ptr, u32 in_len,
		     u64 out_ptr, u32 out_len, bool short_ok, s64 *result,
		     u32 *out_used, u64 *tag);
long hc_session_call_timeout(struct hc_session *s, u16 module, u16 op,
			     const s64 args[4], u64 in_ptr, u32 in_len,
			     u64 out_ptr, u32 out_len, bool short_ok,
			     s64 *result, u32 *out_used, u64 *tag, long timeout);
int hc_session_module(struct hc_session *s, const char *name, u16 major,
		      u16 minor, int *cache);
int hc_session_proc(struct hc_session *s);

/* hostcall_stream.c */
long hc_ioctl_stream(struct hc_session *s,
		     struct hostcall_ioc_stream __user *uarg);
int hc_stream_init(void);
void hc_stream_exit(void);

/* hostcall_sock.c */
long hc_ioctl_socket(struct hc_session *s,
		     struct hostcall_ioc_socket __user *uarg);
int hc_chrdev_add(struct hc_device *hdev);
void hc_chrdev_del(struct hc_device *hdev);

#endif /* HOSTCALL_DRV_H */
