// SPDX-License-Identifier: GPL-2.0
/*
 * hostcall guest driver: stream fds (HOSTCALL_IOC_STREAM).
 *
 * A stream fd is bound to one stream of a host process of a session, so a
 * guest program (a dualsh pipeline stage, say) reads and writes the host
 * process directly: each read or write is a host-call on the caller's own
 * pinned pages, with no relay process and no bounce copy in the guest.
 */

#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mutex.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "hostcall_drv.h"

#define HC_STREAM_CLOSE_TIMEOUT	(10 * HZ)

/*
 * A read smaller than this asks the host for this much into a kernel
 * buffer and keeps the rest for the next reads: a tool that reads 4 KiB at
 * a time then costs one host-call per HC_STREAM_RA bytes, not per read.
 * Bigger reads go to the caller's pages directly.
 */
#define HC_STREAM_RA		(64 * 1024)

/*
 * Writes smaller than this are copied into a kernel buffer and sent behind
 * the writer's back, one request in flight at a time; what is written
 * meanwhile gathers into the next request. A tool that writes 4 KiB at a
 * time then costs one host-call per up to HC_STREAM_WB bytes, and no
 * latency is added: a lone small write leaves at once. Bigger writes wait
 * for that queue to empty and go from the caller's pages directly.
 */
#define HC_STREAM_WB		(64 * 1024)

static struct workqueue_struct *hc_stream_wq;

struct hc_stream {
	struct hc_session *s;	/* holds a session reference */
	s32 handle;
	u32 stream;
	struct mutex lock;	/* readers, or writers, one at a time */
	struct hc_request *ra;	/* read ahead: its kbuf holds the data */
	u32 ra_off, ra_len;

	/* write-behind, under wlock */
	struct mutex wlock;
	bool busy;		/* the worker is sending */
	void *wbuf;		/* gathering the next request */
	u32 wlen;
	long werr;		/* a sent write failed: later writes fail */
	wait_queue_head_t wq;	/* room in wbuf, or all sent */
	struct work_struct work;
};

/* One HC_PROC_READ or HC_PROC_WRITE on a user buffer; bytes or -errno. */
static ssize_t hc_stream_call(struct hc_stream *st, u16 op, u64 uaddr,
			      u32 len)
{
	s64 args[4] = { st->handle, st->stream, 0, 0 };
	bool rd = op == HC_PROC_READ;
	s64 result;
	u32 used;
	long ret;

	ret = hc_session_call(st->s, HC_MOD_PROC, op, args,
			      rd ? 0 : uaddr, rd ? 0 : len,
			      rd ? uaddr : 0, rd ? len : 0, &result, &used);
	if (ret)
		return ret;
	if (result < 0)
		return hc_errno(result);
	/* never more than asked, nor more than the device wrote */
	if (result > len || (rd && result > used))
		return -EIO;
	return result;
}

/* A request for op on this stream on len bytes of kernel memory at buf. */
static struct hc_request *hc_stream_kreq(struct hc_stream *st, u16 op,
					 void *buf, u32 len, bool out)
{
	struct hc_device *hdev = st->s->hdev;
	struct hc_request *req;

	req = hc_req_alloc(hdev, DIV_ROUND_UP(len, HC_SEG_SIZE) + 1,
			   GFP_KERNEL);
	if (!req)
		return NULL;
	req->desc.session = st->s->id;
	req->desc.module = HC_MOD_PROC;
	req->desc.op = op;
	req->desc.args[0] = st->handle;
	req->desc.args[1] = st->stream;
	req->out_cap = out ? len : 0;
	if (hc_req_add_kbuf(req, buf, len, out)) {
		hc_req_put(req);
		return NULL;
	}
	return req;
}

/* Serve a read from the read-ahead buffer; st->lock held. */
static ssize_t hc_stream_read_cached(struct hc_stream *st, char __user *buf,
				     size_t len)
{
	size_t n = min_t(size_t, len, st->ra_len - st->ra_off);

	if (copy_to_user(buf, (char *)st->ra->kbuf + st->ra_off, n))
		return -EFAULT;
	st->ra_off += n;
	if (st->ra_off == st->ra_len) {
		hc_req_put(st->ra);
		st->ra = NULL;
	}
	return n;
}

/* A small read: fetch up to HC_STREAM_RA bytes; st->lock held. */
static ssize_t hc_stream_read_ahead(struct hc_stream *st, char __user *buf,
				    size_t len)
{
	struct hc_device *hdev = st->s->hdev;
	u32 cap = min_t(u32, HC_STREAM_RA, hdev->max_data);
	struct hc_request *req;
	long ret;

	void *kbuf = kmalloc(cap, GFP_KERNEL | __GFP_NOWARN);

	req = kbuf ? hc_stream_kreq(st, HC_PROC_READ, kbuf, cap, true) : NULL;
	if (!req) {	/* no memory for read-ahead: read the caller's pages */
		kfree(kbuf);
		return hc_stream_call(st, HC_PROC_READ, (u64)(uintptr_t)buf,
				      len);
	}
	/* the request owns it: an interrupted read's buffer stays valid */
	req->kbuf = kbuf;
	ret = hc_submit(hdev, req, HC_SUBMIT_NORMAL);
	if (!ret)
		ret = hc_session_wait(st->s, req);
	if (!ret && req->result < 0)
		ret = hc_errno(req->result);
	else if (!ret && (req->result > cap || req->result > req->out_len))
		ret = -EIO;
	if (ret || req->result == 0) {
		hc_req_put(req);
		return ret;
	}
	st->ra = req;
	st->ra_off = 0;
	st->ra_len = req->result;
	return hc_stream_read_cached(st, buf, len);
}

static ssize_t hc_stream_read(struct file *file, char __user *buf,
			      size_t len, loff_t *ppos)
{
	struct hc_stream *st = file->private_data;
	ssize_t ret;

	len = min_t(size_t, len, st->s->hdev->max_data);
	if (!len)
		return 0;
	if (mutex_lock_interruptible(&st->lock))
		return -EINTR;
	/* what the host has now, as a pipe read gives */
	if (st->ra)
		ret = hc_stream_read_cached(st, buf, len);
	else if (len < HC_STREAM_RA)
		ret = hc_stream_read_ahead(st, buf, len);
	else
		ret = hc_stream_call(st, HC_PROC_READ, (u64)(uintptr_t)buf,
				     len);
	mutex_unlock(&st->lock);
	return ret;
}

/* Send len bytes of kbuf, then free it; the host may take them in parts. */
static long hc_stream_send(struct hc_stream *st, void *kbuf, u32 len)
{
	struct hc_request *req;
	u32 off = 0;
	long err = 0;

	while (!err && off < len) {
		req = hc_stream_kreq(st, HC_PROC_WRITE, (char *)kbuf + off,
				     len - off, false);
		if (!req) {
			err = -ENOMEM;
			break;
		}
		/* waited for whole, so kbuf may go once it is answered */
		err = hc_submit(st->s->hdev, req, HC_SUBMIT_NORMAL);
		if (!err) {
			wait_for_completion(&req->done);
			err = req->err;
		}
		if (!err && req->result < 0)
			err = hc_errno(req->result);
		else if (!err && (req->result == 0 || req->result > len - off))
			err = -EIO;
		if (!err)
			off += req->result;
		hc_req_put(req);
	}
	kfree(kbuf);
	return err;
}

/* The sending side of write-behind: one request at a time, in order. */
static void hc_stream_work(struct work_struct *work)
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

static bool hc_stream_room(struct hc_stream *st)
{
	return READ_ONCE(st->werr) || READ_ONCE(st->wlen) < HC_STREAM_WB;
}

/* Gather a small write; the worker sends it. Bytes taken or -errno. */
static ssize_t hc_stream_gather(struct hc_stream *st, const char __user *buf,
				size_t len)
{
	size_t done = 0;
	long err = 0;

	while (done < len) {
		size_t n;

		if (wait_event_interruptible(st->wq, hc_stream_room(st))) {
			err = -EINTR;
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
			queue_work(hc_stream_wq, &st->work);
		mutex_unlock(&st->wlock);
	}
	return done ? done : err;
}

/* A big write: after what was gathered, from the caller's own pages. */
static ssize_t hc_stream_direct(struct hc_stream *st, const char __user *buf,
				size_t len)
{
	size_t done = 0;
	ssize_t r = 0;

	if (wait_event_interruptible(st->wq, hc_stream_idle(st)))
		return -EINTR;
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

static ssize_t hc_stream_write(struct file *file, const char __user *buf,
			       size_t len, loff_t *ppos)
{
	struct hc_stream *st = file->private_data;
	ssize_t r;

	if (!len)
		return 0;
	if (mutex_lock_interruptible(&st->lock))
		return -EINTR;
	if (len < HC_STREAM_WB)
		r = hc_stream_gather(st, buf, len);
	else
		r = hc_stream_direct(st, buf, len);
	mutex_unlock(&st->lock);
	if (r == -EPIPE)
		send_sig(SIGPIPE, current, 0);
	return r;
}

/* The caller is exiting because of a signal, not by exit(2). */
static bool hc_killed(void)
{
	return fatal_signal_pending(current) ||
	       ((current->flags & PF_EXITING) &&
		(READ_ONCE(current->signal->group_exit_code) & 0x7f));
}

/*
 * The last copy is gone: the host closes its end (the process sees end of
 * input, or SIGPIPE on output). This waits for the answer, so the close
 * has happened before the closing process's exit can be observed.
 */
static int hc_stream_release(struct inode *inode, struct file *file)
{
	struct hc_stream *st = file->private_data;
	struct hc_device *hdev = st->s->hdev;
	struct hc_request *req;

	/*
	 * What was written reaches the host first, as bytes in a pipe
	 * outlive their writer. A writer killed by a signal does not wait:
	 * the close below cancels the host write in flight, and the rest is
	 * dropped.
	 */
	if (st->stream == 0 &&
	    (hc_killed() || wait_event_killable(st->wq, hc_stream_idle(st)))) {
		mutex_lock(&st->wlock);
		st->werr = -EPIPE;
		kfree(st->wbuf);
		st->wbuf = NULL;
		st->wlen = 0;
		mutex_unlock(&st->wlock);
	}
	req = hc_req_alloc(hdev, 0, GFP_KERNEL);
	if (req) {
		req->desc.session = st->s->id;
		req->desc.module = HC_MOD_PROC;
		req->desc.op = HC_PROC_CLOSE;
		req->desc.args[0] = st->handle;
		req->desc.args[1] = st->stream;
		if (!hc_submit(hdev, req, HC_SUBMIT_CONTROL))
			wait_for_completion_timeout(&req->done,
						    HC_STREAM_CLOSE_TIMEOUT);
		hc_req_put(req);
	}
	/* the worker is done once its request in flight is answered */
	flush_work(&st->work);
	kfree(st->wbuf);
	if (st->ra)
		hc_req_put(st->ra);
	hc_session_put(st->s);
	mutex_destroy(&st->wlock);
	mutex_destroy(&st->lock);
	kfree(st);
	return 0;
}

static const struct file_operations hc_stream_fops = {
	.owner = THIS_MODULE,
	.read = hc_stream_read,
	.write = hc_stream_write,
	.release = hc_stream_release,
	.llseek = no_llseek,
};

long hc_ioctl_stream(struct hc_session *s,
		     struct hostcall_ioc_stream __user *uarg)
{
	struct hostcall_ioc_stream a;
	struct hc_stream *st;
	struct file *file;
	int fd, flags;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if (a.handle < 0 || a.stream > 2 || (a.flags & ~HC_STREAM_F_CLOEXEC))
		return -EINVAL;
	st = kzalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return -ENOMEM;
	st->handle = a.handle;
	st->stream = a.stream;
	mutex_init(&st->lock);
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
