/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hostcall guest driver: a stream fd's state, shared by hostcall_stream.c
 * (the fd, reads, poll, lifetime) and hostcall_stream_wb.c (write-behind).
 */
#ifndef HOSTCALL_STREAM_H
#define HOSTCALL_STREAM_H

#include <linux/kref.h>
#include <linux/mutex.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "hostcall_drv.h"

/*
 * Writes smaller than this are copied into a kernel buffer and sent behind
 * the writer's back, one request in flight at a time; what is written
 * meanwhile gathers into the next request. A tool that writes 4 KiB at a
 * time then costs one host-call per up to HC_STREAM_WB bytes, and no
 * latency is added: a lone small write leaves at once. Bigger writes wait
 * for that queue to empty and are copied into the window directly.
 */
#define HC_STREAM_WB		(64 * 1024)

extern struct workqueue_struct *hc_stream_wq;

struct hc_stream {
	struct kref ref;	/* the file's, and the worker's while queued */
	struct hc_session *s;	/* holds a session reference */
	bool closed_sent;	/* HC_PROC_CLOSE went out */
	u16 mod;		/* the session's handle of "proc" */
	s32 handle;
	u32 stream;
	struct mutex lock;	/* readers, or writers, one at a time */
	struct hc_request *ra;	/* read-ahead: its window output has the data */
	bool ra_done;		/* its answer was taken: */
	long ra_err;		/* an error to give, */
	u32 ra_off, ra_len;	/* or the bytes left (none: end of stream) */
	u32 ra_size;		/* the next read-ahead's size (adaptive) */
	wait_queue_head_t pollq;	/* read-ahead answered, reader done */

	/* write-behind, under wlock */
	struct mutex wlock;
	bool busy;		/* the worker is sending */
	void *wbuf;		/* gathering the next request */
	u32 wlen;
	long werr;		/* a sent write failed: later writes fail */
	wait_queue_head_t wq;	/* room in wbuf, or all sent */
	struct work_struct work;
};

ssize_t hc_stream_call(struct hc_stream *st, u16 op, u64 uaddr, u32 len);
void hc_stream_free(struct kref *ref);

/* hostcall_stream_wb.c */
void hc_stream_work(struct work_struct *work);
bool hc_stream_room(struct hc_stream *st);
ssize_t hc_stream_write(struct file *file, const char __user *buf,
			size_t len, loff_t *ppos);

#endif /* HOSTCALL_STREAM_H */
