// SPDX-License-Identifier: GPL-2.0
/*
 * hostcall guest driver: stream fds (HOSTCALL_IOC_STREAM).
 *
 * A stream fd is bound to one stream of a host process of a session, so a
 * guest program (a dualsh pipeline stage, say) reads and writes the host
 * process directly, with no relay process. Everything goes through the
 * session's window: big reads and writes copy between the caller and the
 * window once; small reads are served from a read-ahead left in the window
 * (here), small writes gather in a write-behind buffer
 * (hostcall_stream_wb.c). This file: the fd, reads, poll and the fd's
 * lifetime.
 */

#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kref.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "hostcall_stream.h"

/*
 * A read smaller than this asks the host for this much into the window and
 * keeps the rest there for the next reads: a tool that reads 4 KiB at a
 * time then costs one host-call per HC_STREAM_RA bytes, not per read.
 * Bigger reads are one host-call each.
 */
#define HC_STREAM_RA		(64 * 1024)
/*
 * A read-ahead starts this small and doubles while the host fills it: an
 * idle stream (a quiet stderr) keeps little of the window waiting.
 */
#define HC_STREAM_RA_MIN	(4 * 1024)

struct workqueue_struct *hc_stream_wq;

/* One HC_PROC_READ or HC_PROC_WRITE on a user buffer; bytes or -errno. */
ssize_t hc_stream_call(struct hc_stream *st, u16 op, u64 uaddr, u32 len)
{
	s64 args[4] = { st->handle, st->stream, 0, 0 };
	bool rd = op == HC_PROC_READ;
	s64 result;
	u32 used;
	long ret;

	ret = hc_session_call(st->s, st->mod, op, args,
			      rd ? 0 : uaddr, rd ? 0 : len,
			      rd ? uaddr : 0, rd ? len : 0, true, &result, &used,
			      NULL);
	if (ret)
		return ret;
	if (result < 0)
		return hc_errno(result);
	/* never more than asked, nor more than the device wrote */
	if (result > len || (rd && result > used))
		return -EIO;
	return result;
}

/*
 * Start a read-ahead: HC_PROC_READ of up to HC_STREAM_RA bytes into the
 * window, where the request keeps them; its completion wakes pollers.
 * st->lock held.
 */
static int hc_stream_ra_start(struct hc_stream *st, enum hc_submit_mode mode)
{
	u32 cap = min_t(u32, st->ra_size, st->s->hdev->max_data);
	struct hc_request *req;
	int ret;

	req = hc_wreq_alloc(st->s, st->mod, HC_PROC_READ, st->handle,
			    st->stream);
	if (!req)
		return -ENOMEM;
	ret = hc_wreq_data(req, 0, cap, mode, true);
	if (!ret) {
		req->notify = &st->pollq;
		ret = hc_wsubmit(req, mode);
	}
	if (ret) {
		hc_req_put(req);
		return ret;
	}
	st->ra = req;
	st->ra_done = false;
	return 0;
}

/* Take the read-ahead's answer once it came; st->lock held. */
static void hc_stream_ra_take(struct hc_stream *st)
{
	struct hc_request *req = st->ra;
	long err = req->err;

	if (!err && req->result < 0)
		err = hc_errno(req->result);
	else if (!err && (req->result > req->out_cap ||
			  req->result > req->out_len))
		err = -EIO;	/* never more than asked or written */
	st->ra_done = true;
	st->ra_err = err;
	st->ra_off = 0;
	st->ra_len = err ? 0 : req->result;
	/* a full answer asks for more next time, a short one for less */
	if (!err && req->result == req->out_cap)
		st->ra_size = min_t(u32, st->ra_size * 2, HC_STREAM_RA);
	else if (!err)
		st->ra_size = max_t(u32, st->ra_size / 2, HC_STREAM_RA_MIN);
}

static void hc_stream_ra_drop(struct hc_stream *st)
{
	hc_req_put(st->ra);
	st->ra = NULL;
}

/*
 * A read through the read-ahead: wait for it (unless nonblocking), then
 * serve from its buffer; end of stream and errors are given once each.
 * A signal leaves it in flight for the next read (nothing is lost) and
 * restarts the read, or fails it with EINTR, as a pipe read. st->lock
 * held.
 */
static ssize_t hc_stream_read_ra(struct hc_stream *st, char __user *buf,
				 size_t len, bool nonblock)
{
	size_t n;

	if (!st->ra_done) {
		if (nonblock && !completion_done(&st->ra->done))
			return -EAGAIN;
		if (wait_for_completion_interruptible(&st->ra->done))
			return -ERESTARTSYS;
		hc_stream_ra_take(st);
	}
	if (st->ra_err || !st->ra_len) {
		long ret = st->ra_err;

		hc_stream_ra_drop(st);
		return ret;
	}
	n = min_t(size_t, len, st->ra_len - st->ra_off);
	if (hc_copy_to_user(buf, (char *)hc_wreq_out(st->ra) + st->ra_off, n))
		return -EFAULT;
	st->ra_off += n;
	if (st->ra_off == st->ra_len)
		hc_stream_ra_drop(st);
	return n;
}

static ssize_t hc_stream_read(struct file *file, char __user *buf,
			      size_t len, loff_t *ppos)
{
	struct hc_stream *st = file->private_data;
	bool nonblock = file->f_flags & O_NONBLOCK;
	ssize_t ret;

	len = min_t(size_t, len, st->s->hdev->max_data);
	if (!len)
		return 0;
	if (mutex_lock_interruptible(&st->lock))
		return -ERESTARTSYS;
	/* what the host has now, as a pipe read gives */
	if (!st->ra && len >= HC_STREAM_RA && !nonblock) {
		ret = hc_stream_call(st, HC_PROC_READ, (u64)(uintptr_t)buf,
				     len);
		goto out;
	}
	if (!st->ra) {
		ret = hc_stream_ra_start(st, nonblock ? HC_SUBMIT_NOWAIT :
							HC_SUBMIT_NORMAL);
		if (ret == -ENOMEM && !nonblock) {
			/* no memory for read-ahead: straight to the caller */
			ret = hc_stream_call(st, HC_PROC_READ,
					     (u64)(uintptr_t)buf, len);
			goto out;
		}
		if (ret == -EBUSY)
			ret = -EAGAIN;	/* the window is full */
		if (ret)
			goto out;
	}
	ret = hc_stream_read_ra(st, buf, len, nonblock);
out:
	mutex_unlock(&st->lock);
	/* a poller that found us busy looks again */
	wake_up_interruptible_all(&st->pollq);
	return ret;
}

/*
 * Readable once a read-ahead has its answer (poll starts one if none is
 * in flight); writable while the write-behind buffer has room.
 */
static __poll_t hc_stream_poll(struct file *file, poll_table *wait)
{
	struct hc_stream *st = file->private_data;
	__poll_t mask = 0;

	if (st->stream == 0) {
		poll_wait(file, &st->wq, wait);
		if (READ_ONCE(st->werr))
			return EPOLLOUT | EPOLLERR;
		return hc_stream_room(st) ? EPOLLOUT | EPOLLWRNORM : 0;
	}
	poll_wait(file, &st->pollq, wait);
	/* a reader at work wakes pollq when it is done */
	if (!mutex_trylock(&st->lock))
		return 0;
	if (!st->ra) {
		/* cannot start one: say readable, and let read(2) wait */
		if (hc_stream_ra_start(st, HC_SUBMIT_NOWAIT))
			mask = EPOLLIN | EPOLLRDNORM;
	} else if (st->ra_done || completion_done(&st->ra->done)) {
		mask = EPOLLIN | EPOLLRDNORM;
	}
	mutex_unlock(&st->lock);
	return mask;
}

/* The caller is exiting because of a signal, not by exit(2). */
static bool hc_killed(void)
{
	return fatal_signal_pending(current) ||
	       ((current->flags & PF_EXITING) &&
		(READ_ONCE(current->signal->group_exit_code) & 0x7f));
}

/*
 * HC_PROC_CLOSE for the stream: the host process sees end of input, or
 * SIGPIPE on output; pending host operations on it end. Not waited for:
 * the queue pair keeps it after the stream's last write and before
 * anything the closer sends next, and a stalled host must not stall
 * close(2).
 */
static void hc_stream_close_host(struct hc_stream *st)
{
	st->closed_sent = true;
	hc_wcontrol(st->s, st->mod, HC_PROC_CLOSE, st->handle,
		    st->stream);
}

/*
 * The last reference: the file's, or the worker's once what was written
 * before the close is sent (or failed). Closing the host end comes after
 * the data, as the end of a pipe comes after its bytes.
 */
void hc_stream_free(struct kref *ref)
{
	struct hc_stream *st = container_of(ref, struct hc_stream, ref);

	if (!st->closed_sent)
		hc_stream_close_host(st);
	kfree(st->wbuf);
	if (st->ra) {
		/* may still be in flight: it must not wake us after this */
		hc_req_clear_notify(st->ra);
		hc_req_put(st->ra);
	}
	hc_session_put(st->s);
	mutex_destroy(&st->wlock);
	mutex_destroy(&st->lock);
	kfree(st);
}

/*
 * The last copy of the fd is gone. It never waits for the host to take
 * what is still queued (a pipe's close does not either): the worker sends
 * it and then closes the host end. A writer killed by a signal drops it
 * instead, and the close at once cancels the host write in flight.
 * (Process handles are not reused soon, so a late close cannot hit
 * another process: hostcall_abi.h.)
 */
static int hc_stream_release(struct inode *inode, struct file *file)
{
	struct hc_stream *st = file->private_data;

	if (st->stream == 0 && hc_killed()) {
		mutex_lock(&st->wlock);
		st->werr = -EPIPE;
		kfree(st->wbuf);
		st->wbuf = NULL;
		st->wlen = 0;
		mutex_unlock(&st->wlock);
		hc_stream_close_host(st);
	}
	kref_put(&st->ref, hc_stream_free);
	return 0;
}

static const struct file_operations hc_stream_fops = {
	.owner = THIS_MODULE,
	.read = hc_stream_read,
	.write = hc_stream_write,
	.release = hc_stream_release,
	.poll = hc_stream_poll,
	.llseek = no_llseek,
};

long hc_ioctl_stream(struct hc_session *s,
		     struct hostcall_ioc_stream __user *uarg)
{
	struct hostcall_ioc_stream a;
	struct hc_stream *st;
	struct file *file;
	int fd, flags, mod;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if (a.handle < 0 || a.stream > 2 || (a.flags & ~HC_STREAM_F_CLOEXEC))
		return -EINVAL;
	/* streams are "proc" 1.0's READ, WRITE and CLOSE */
	mod = hc_session_proc(s);
	if (mod < 0)
		return mod;
	st = kzalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return -ENOMEM;
	st->mod = mod;
	st->handle = a.handle;
	st->stream = a.stream;
	st->ra_size = HC_STREAM_RA_MIN;
	kref_init(&st->ref);
	mutex_init(&st->lock);
	init_waitqueue_head(&st->pollq);
	mutex_init(&st->wlock);
	init_waitqueue_head(&st->wq);
	INIT_WORK(&st->work, hc_stream_work);
	flags = a.stream == 0 ? O_WRONLY : O_RDONLY;
	if (a.flags & HC_STREAM_F_CLOEXEC)
		flags |= O_CLOEXEC;

	fd = get_unused_fd_flags(flags);
	if (fd < 0) {
		kfree(st);
		return fd;
	}
	/* before the file exists: a failure here has nothing to undo */
	if (put_user(fd, &uarg->fd)) {
		put_unused_fd(fd);
		kfree(st);
		return -EFAULT;
	}
	file = anon_inode_getfile("[hostcall-stream]", &hc_stream_fops, st,
				  flags);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		kfree(st);
		return PTR_ERR(file);
	}
	/* no position: no pread, pwrite or lseek */
	stream_open(file_inode(file), file);
	hc_session_get(s);
	st->s = s;
	fd_install(fd, file);
	return 0;
}

int hc_stream_init(void)
{
	/* unbound: a worker may wait long for a host reader */
	hc_stream_wq = alloc_workqueue("hostcall_stream", WQ_UNBOUND, 0);
	return hc_stream_wq ? 0 : -ENOMEM;
}

void hc_stream_exit(void)
{
	destroy_workqueue(hc_stream_wq);
}
