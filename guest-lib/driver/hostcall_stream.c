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
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "hostcall_drv.h"

#define HC_STREAM_CLOSE_TIMEOUT	(10 * HZ)

struct hc_stream {
	struct hc_session *s;	/* holds a session reference */
	s32 handle;
	u32 stream;
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

static ssize_t hc_stream_read(struct file *file, char __user *buf,
			      size_t len, loff_t *ppos)
{
	struct hc_stream *st = file->private_data;

	len = min_t(size_t, len, st->s->hdev->max_data);
	if (!len)
		return 0;
	/* what the host has now, as a pipe read gives */
	return hc_stream_call(st, HC_PROC_READ, (u64)(uintptr_t)buf, len);
}

static ssize_t hc_stream_write(struct file *file, const char __user *buf,
			       size_t len, loff_t *ppos)
{
	struct hc_stream *st = file->private_data;
	size_t done = 0;
	ssize_t r = 0;

	/* all of it, as a blocking pipe write does, unless interrupted */
	while (done < len) {
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
	}
	if (done)
		return done;
	if (r == -EPIPE)
		send_sig(SIGPIPE, current, 0);
	return r;
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
	hc_session_put(st->s);
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
