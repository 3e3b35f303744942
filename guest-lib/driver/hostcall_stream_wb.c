// SPDX-License-Identifier: GPL-2.0
/*
 * hostcall guest driver: writes to a stream fd.
 *
 * Small writes are gathered in a kernel buffer and sent by a work item,
 * one request in flight at a time (see HC_STREAM_WB); big ones are copied
 * from the writer into the window once the queue is empty.
 */

#include <linux/fs.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "hostcall_stream.h"

/* Send len bytes of kbuf, then free it; the host may take them in parts. */
static long hc_stream_send(struct hc_stream *st, void *kbuf, u32 len)
{
	struct hc_request *req;
	u32 off = 0;
	long err = 0;

	while (!err && off < len) {
		req = hc_wreq_alloc(st->s, st->mod, HC_PROC_WRITE,
				    st->handle, st->stream);
		if (!req) {
			err = -ENOMEM;
			break;
		}
		/* a worker: no signal ends the wait for window room */
		err = hc_wreq_data(req, len - off, 0, HC_SUBMIT_NORMAL, true);
		if (!err) {
			hc_copy_words(hc_wreq_in(req), (char *)kbuf + off,
				      req->sqe.in_len);
			err = hc_wsubmit(req, HC_SUBMIT_NORMAL);
		}
		/*
		 * As long as the host reader takes: idle, not hung. It ends
		 * when the host takes the bytes, the host process goes
		 * (EPIPE), a killed writer's close cancels it, or the shadow
		 * or the device goes.
		 */
		if (!err) {
			wait_for_completion_state(&req->done, TASK_IDLE);
			err = req->err;
		}
		if (!err && req->result < 0)
			err = hc_errno(req->result);
		else if (!err && (req->result == 0 ||
				  req->result > req->sqe.in_len))
			err = -EIO;
		if (!err)
			off += req->result;
		hc_req_put(req);
	}
	kfree(kbuf);
	return err;
}

/* The sending side of write-behind: one request at a time, in order. */
void hc_stream_work(struct work_struct *work)
{
	struct hc_stream *st = container_of(work, struct hc_stream, work);
	void *kbuf;
	u32 len;
	long err;

	mutex_lock(&st->wlock);
	while (st->wlen && !st->werr) {
		kbuf = st->wbuf;
		len = st->wlen;
		st->wbuf = NULL;
		st->wlen = 0;
		st->busy = true;
		wake_up_all(&st->wq);	/* room for the writers again */
		mutex_unlock(&st->wlock);

		err = hc_stream_send(st, kbuf, len);

		mutex_lock(&st->wlock);
		st->busy = false;
		if (err)
			st->werr = err;
	}
	if (st->werr) {
		kfree(st->wbuf);	/* nobody will read it */
		st->wbuf = NULL;
		st->wlen = 0;
	}
	wake_up_all(&st->wq);
	mutex_unlock(&st->wlock);
	kref_put(&st->ref, hc_stream_free);	/* this run's reference */
}

/*
 * Have the worker send what is gathered; wlock held. Each queued run of
 * the worker holds a reference to the stream.
 */
static void hc_stream_kick(struct hc_stream *st)
{
	if (queue_work(hc_stream_wq, &st->work))
		kref_get(&st->ref);
}

/*
 * Wait conditions: read without wlock (they run in a sleeping state);
 * every change under wlock is followed by a wake-up.
 */
static bool hc_stream_idle(struct hc_stream *st)
{
	return READ_ONCE(st->werr) ||
	       (!READ_ONCE(st->busy) && !READ_ONCE(st->wlen));
}

bool hc_stream_room(struct hc_stream *st)
{
	return READ_ONCE(st->werr) || READ_ONCE(st->wlen) < HC_STREAM_WB;
}

/* Gather a small write; the worker sends it. Bytes taken or -errno. */
static ssize_t hc_stream_gather(struct hc_stream *st, const char __user *buf,
				size_t len, bool nonblock)
{
	size_t done = 0;
	long err = 0;

	while (done < len) {
		size_t n;

		if (nonblock && !hc_stream_room(st)) {
			err = -EAGAIN;
			break;
		}
		if (wait_event_interruptible(st->wq, hc_stream_room(st))) {
			err = -ERESTARTSYS;
			break;
		}
		mutex_lock(&st->wlock);
		err = st->werr;
		if (!err && !st->wbuf) {
			st->wbuf = kmalloc(HC_STREAM_WB, GFP_KERNEL);
			if (!st->wbuf)
				err = -ENOMEM;
		}
		if (err) {
			mutex_unlock(&st->wlock);
			break;
		}
		n = min_t(size_t, len - done, HC_STREAM_WB - st->wlen);
		if (copy_from_user((char *)st->wbuf + st->wlen, buf + done,
				   n)) {
			mutex_unlock(&st->wlock);
			err = -EFAULT;
			break;
		}
		st->wlen += n;
		done += n;
		/* a busy worker takes it when its send is answered */
		if (!st->busy)
			hc_stream_kick(st);
		mutex_unlock(&st->wlock);
	}
	return done ? done : err;
}

/* A big write: after what was gathered, straight into the window. */
static ssize_t hc_stream_direct(struct hc_stream *st, const char __user *buf,
				size_t len)
{
	size_t done = 0;
	ssize_t r = 0;

	if (wait_event_interruptible(st->wq, hc_stream_idle(st)))
		return -ERESTARTSYS;
	mutex_lock(&st->wlock);
	r = st->werr;
	mutex_unlock(&st->wlock);
	/* all of it, as a blocking pipe write does, unless interrupted */
	while (!r && done < len) {
		u32 n = min_t(size_t, len - done, st->s->hdev->max_data);

		if (done && signal_pending(current))
			break;
		r = hc_stream_call(st, HC_PROC_WRITE,
				   (u64)(uintptr_t)(buf + done), n);
		if (r == 0)
			r = -EIO;	/* a blocking host write moves bytes */
		if (r < 0)
			break;
		done += r;
		r = 0;
	}
	return done ? done : r;
}

ssize_t hc_stream_write(struct file *file, const char __user *buf,
			size_t len, loff_t *ppos)
{
	struct hc_stream *st = file->private_data;
	ssize_t r;

	if (!len)
		return 0;
	if (mutex_lock_interruptible(&st->lock))
		return -ERESTARTSYS;
	/* a nonblocking writer takes what room there is, a piece at a time */
	if (len < HC_STREAM_WB || (file->f_flags & O_NONBLOCK))
		r = hc_stream_gather(st, buf, len,
				     file->f_flags & O_NONBLOCK);
	else
		r = hc_stream_direct(st, buf, len);
	mutex_unlock(&st->lock);
	if (r == -EPIPE)
		send_sig(SIGPIPE, current, 0);
	return r;
}
