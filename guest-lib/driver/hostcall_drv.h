/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hostcall guest driver: internal definitions shared by the driver's files.
 *
 * Lifetime rules:
 *  - struct hc_device is refcounted through its embedded struct device (the
 *    char device node). Probe holds one reference, every open session holds
 *    one; remove() drops the probe's reference after tearing the hardware
 *    side down, so sessions can outlive the PCI device and then see -ENODEV.
 *  - Everything that touches the ring does so under hdev->lock after
 *    checking hdev->dead; hc_fail_all() sets dead under the lock first, so
 *    nothing touches it once it is gone. No register access (a VM exit)
 *    happens under the lock: the kick runs under kick_sem (read), which
 *    remove() takes for writing after setting dead, before the registers
 *    are unmapped; the reset that fails every request is written between
 *    setting dead and failing them.
 *  - struct hc_request is refcounted: one reference for its submitter (the
 *    waiter), one while it is in flight on the device. Its buffers are
 *    DMA-mapped one segment (at most 4 KiB, one page) each; they are
 *    unmapped once the device is done with them (completion or reset),
 *    before the CPU reads what the device wrote, and unpinned when the
 *    last reference goes.
 *  - A waiter hit by a signal asks the host to cancel the call and waits
 *    (killable) for its real answer: see hc_session_wait(). Only a fatal
 *    signal leaves a call in flight; it is then an orphan (HC_RQ_ORPHAN),
 *    holding a session reference, and its late completion undoes what it
 *    created (hc_undo()); so does a call whose caller is killed as it
 *    returns.
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
 * Ring slots kept free for control requests (session close, cancel), so a
 * ring full of long-running calls cannot keep a cancel or close out.
 */
#define HC_CTRL_RESERVE		16

#define HC_SEG_SIZE		4096	/* segments never cross 4 KiB */

struct hc_device {
	struct device dev;		/* char device node, refcount */
	struct cdev cdev;
	struct pci_dev *pdev;
	void __iomem *regs;
	int index;			/* minor; 0 is /dev/hostcall */
	int irq;
	bool msix;
	char pci_name[32];

	u32 features;
	u32 accel;
	u32 token;
	u32 transport;			/* HC_TRANSPORT_* */
	u32 max_data;
	u32 max_segs;

	/* the ring */
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
	struct llist_node free_node;
	unsigned long flags;

	u64 tag;			/* valid while in flight */
	int err;			/* local failure: -ENODEV, -EIO */
	s64 result;			/* the host's answer */
	u32 out_len;			/* bytes the device wrote, clamped */
	u32 out_cap;			/* size of the output buffer */

	struct hc_req desc;		/* copied into the ring on submit */

	void *kbuf;			/* kernel buffer, freed with the request */
	wait_queue_head_t *notify;	/* woken on completion (poll) */
	struct hc_session *orphan_of;	/* HC_RQ_ORPHAN: holds a reference */
	unsigned int npin_in;		/* pinned pages: input first ... */
	unsigned int npin_out;		/* ... then output */
	unsigned int nsegs;		/* each one DMA mapping until unmapped */
	unsigned int max_segs;
	bool mapped;			/* segs[] addresses are live mappings */
	bool table_mapped;		/* segs[] itself is mapped at table_dma */
	dma_addr_t table_dma;
	struct page **pages;		/* points behind segs[] */
	struct hc_seg segs[];		/* device addresses (DMA API) */
};

/* one per open /dev/hostcall; stream fds hold references too */
struct hc_session {
	struct kref ref;
	struct hc_device *hdev;
	u32 id;
	struct hc_session_info info;
};

/* how a request may wait for a ring slot */
enum hc_submit_mode {
	HC_SUBMIT_NORMAL,	/* interruptible; leaves the reserve alone */
	HC_SUBMIT_CONTROL,	/* may use the reserve; bounded wait */
	HC_SUBMIT_NOWAIT,	/* may use the reserve; never waits */
};

/* hostcall_ring.c */
int hc_ring_init(struct hc_device *hdev, u32 entries);
void hc_ring_free(struct hc_device *hdev);
struct hc_request *hc_req_alloc(struct hc_device *hdev, unsigned int max_segs,
				gfp_t gfp);
void hc_req_put(struct hc_request *req);
void hc_undo(struct hc_device *hdev, u32 session, u16 module, u16 op,
	     s64 result);
void hc_req_unmap(struct hc_request *req);
void hc_req_clear_notify(struct hc_request *req);
int hc_req_add_kbuf(struct hc_request *req, void *buf, size_t len, bool out);
unsigned int hc_user_segs(u64 uaddr, u32 len);
int hc_req_pin_user(struct hc_request *req, u64 uaddr, u32 len, bool out);
int hc_submit(struct hc_device *hdev, struct hc_request *req,
	      enum hc_submit_mode mode);
void hc_process_completions(struct hc_device *hdev);
void hc_fail_all(struct hc_device *hdev, int err);
void hc_free_work(struct work_struct *work);
int hc_control(struct hc_device *hdev, u32 session, u16 module, u16 op,
	       s64 a0, s64 a1, unsigned long timeout);

/* hostcall_main.c */
void hc_kick(struct hc_device *hdev);

/* hostcall_dev.c */
int hc_chrdev_init(void);
void hc_chrdev_exit(void);
int hc_chrdev_setup(struct hc_device *hdev, struct device *parent);
long hc_errno(s64 result);
void hc_session_get(struct hc_session *s);
void hc_session_put(struct hc_session *s);
int hc_session_wait(struct hc_session *s, struct hc_request *req);
long hc_session_call(struct hc_session *s, u16 module, u16 op,
		     const s64 args[4], u64 in_ptr, u32 in_len,
		     u64 out_ptr, u32 out_len, s64 *result, u32 *out_used);

/* hostcall_stream.c */
long hc_ioctl_stream(struct hc_session *s,
		     struct hostcall_ioc_stream __user *uarg);
int hc_stream_init(void);
void hc_stream_exit(void);
int hc_chrdev_add(struct hc_device *hdev);
void hc_chrdev_del(struct hc_device *hdev);

#endif /* HOSTCALL_DRV_H */
