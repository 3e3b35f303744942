// SPDX-License-Identifier: GPL-2.0
/*
 * hostcall guest driver: the character devices (/dev/hostcall,
 * /dev/hostcall1, ...), sessions and ioctls.
 *
 * Every open file is one session with one shadow process on the host. The
 * identity sent with the session open is the kernel's view of the opener;
 * nothing the caller passes claims an identity. After the open, the
 * session's calls go through its window: queue pair 0 for the ioctls and
 * stream fds, queue pair 1 mapped by mmap(2) for the user.
 */

#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uidgid.h>

#include "hostcall_drv.h"

#define HC_CLOSE_TIMEOUT	(10 * HZ)
/* a cancel that could not be sent (ring reserve full) is tried again */
#define HC_CANCEL_RETRY		(HZ / 10)

static dev_t hc_devt;
static struct class *hc_class;

/* session open payload: owned by the request, the device may write it late */
struct hc_open_buf {
	struct hc_identity id;
	struct hc_session_info info;
};

long hc_errno(s64 result)
{
	if (result >= 0)
		return 0;
	if (result < -MAX_ERRNO)
		return -EIO;
	return (long)result;
}

void hc_session_get(struct hc_session *s)
{
	kref_get(&s->ref);
}

/*
 * The caller of req was killed: leave it in flight. Its completion undoes
 * what it created (HC_RQ_ORPHAN); a window request keeps its session (and
 * the session id) until then.
 */
static void hc_req_orphan(struct hc_request *req)
{
	req->flags |= HC_RQ_ORPHAN;
}

/* The last reference (session fd or stream fd) ends the host session. */
static void hc_session_free(struct kref *ref)
{
	struct hc_session *s = container_of(ref, struct hc_session, ref);
	struct hc_device *hdev = s->hdev;

	/* no entry is in flight: each holds a reference */
	hc_qp_unmap(s);
	/* the host ends the shadow and everything it started */
	if (hc_control(hdev, s->id, HC_MOD_SESSION, HC_SESSION_CLOSE, 0, 0,
		       HC_CLOSE_TIMEOUT) == -ETIMEDOUT)
		dev_warn_ratelimited(&hdev->pdev->dev,
				     "session %u: no answer to close\n", s->id);
	put_device(&hdev->dev);
	kfree(s);
}

void hc_session_put(struct hc_session *s)
{
	kref_put(&s->ref, hc_session_free);
}

/*
 * Wait for a submitted request and return what really happened, as FUSE
 * does with INTERRUPT. A signal asks the host to cancel the call; we then
 * wait (killable) for its answer, which is the truth: a short count when
 * bytes moved, a handle when a process was spawned or a file opened,
 * -ECANCELED when the host did nothing. Returns
 *   0             the answer is in req (result, out_len); the caller
 *                 returns it, and a pending signal is handled after that;
 *   -ERESTARTSYS  a signal cancelled the call before the host did anything:
 *                 the syscall is restarted (SA_RESTART, stop/continue) or
 *                 fails with EINTR, as a pipe's does;
 *   -EINTR        a fatal signal: the call stays in flight as an orphan,
 *                 whose late completion undoes what it created;
 *   req->err      a local failure (-ENODEV, -EIO).
 * The session open (a control request) cannot be cancelled; it is waited
 * for.
 */
int hc_session_wait(struct hc_session *s, struct hc_request *req)
{
	return hc_session_wait_timeout(s, req, MAX_SCHEDULE_TIMEOUT);
}

/*
 * The same, bounded: after timeout jiffies (a socket's SO_RCVTIMEO) the
 * call is cancelled as a signal cancels it, and -EAGAIN means the host
 * did nothing.
 */
int hc_session_wait_timeout(struct hc_session *s, struct hc_request *req,
			    long timeout)
{
	bool cancelled = false, timed_out = false;
	long left;

	if (req->spin)
		hc_qp_spin(req);
	left = wait_for_completion_interruptible_timeout(&req->done, timeout);
	if (left <= 0) {
		timed_out = !left;
		for (;;) {
			/* a cancel that found no window entry is tried again */
			if (!cancelled && req->s)
				cancelled = !hc_wcontrol(s, HC_MOD_SESSION,
							 HC_SESSION_CANCEL,
							 (s64)req->tag, 0);
			left = wait_for_completion_killable_timeout(&req->done,
				cancelled || !req->s ? MAX_SCHEDULE_TIMEOUT :
						       HC_CANCEL_RETRY);
			if (left > 0)
				break;
			if (left < 0) {
				hc_req_orphan(req);
				return -EINTR;
			}
		}
	}
	hc_req_unmap(req);
	if (req->err)
		return req->err;
	if (cancelled && req->result == -ECANCELED)
		return timed_out ? -EAGAIN : -ERESTARTSYS;
	return 0;
}

static int hc_open(struct inode *inode, struct file *file)
{
	struct hc_device *hdev = container_of(inode->i_cdev, struct hc_device,
					      cdev);
	struct hc_request *req;
	struct hc_open_buf *buf;
	struct hc_session *s;
	int ret;

	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return -ENOMEM;
	req = hc_req_alloc(hdev, 4, GFP_KERNEL);
	buf = kzalloc(sizeof(*buf), GFP_KERNEL);
	if (!req || !buf) {
		kfree(buf);
		kfree(req);
		kfree(s);
		return -ENOMEM;
	}
	req->kbuf = buf;
	get_device(&hdev->dev);
	s->hdev = hdev;
	INIT_LIST_HEAD(&s->node);
	spin_lock_init(&s->qlock);
	init_waitqueue_head(&s->qwq);
	init_waitqueue_head(&s->pollq);
	init_waitqueue_head(&s->wordq);

	buf->id.uid = from_kuid_munged(&init_user_ns, current_uid());
	buf->id.gid = from_kgid_munged(&init_user_ns, current_gid());
	buf->id.pid = task_tgid_nr(current);
	buf->id.flags = 0;
	get_task_comm(buf->id.comm, current);

	req->desc.session = 0;
	req->desc.module = HC_MOD_SESSION;
	req->desc.op = HC_SESSION_OPEN;
	ret = hc_req_add_kbuf(req, &buf->id, sizeof(buf->id), false);
	if (!ret)
		ret = hc_req_add_kbuf(req, &buf->info, sizeof(buf->info), true);
	req->out_cap = sizeof(buf->info);
	if (!ret)
		ret = hc_submit(hdev, req, HC_SUBMIT_NORMAL);
	if (ret)
		goto out;

	/* killed: if the host opens it anyway, the free path closes it */
	ret = hc_session_wait(s, req);
	if (ret)
		goto out;
	if (req->result <= 0 || req->result > U32_MAX) {
		ret = req->result < 0 ? hc_errno(req->result) : -EIO;
		goto out;
	}

	s->id = (u32)req->result;
	kref_init(&s->ref);
	memcpy(&s->info, &buf->info, min_t(u32, req->out_len, sizeof(s->info)));
	s->info.host_user[sizeof(s->info.host_user) - 1] = '\0';
	s->info.session = s->id;
	hc_req_put(req);
	ret = hc_qp_map(s);
	if (ret) {
		dev_err_ratelimited(&hdev->pdev->dev,
				    "session %u: cannot map its window (%d)\n",
				    s->id, ret);
		/* closes it on the host */
		hc_session_put(s);
		return ret;
	}
	file->private_data = s;
	return nonseekable_open(inode, file);

out:
	hc_req_put(req);
	put_device(&hdev->dev);
	kfree(s);
	return ret;
}

static int hc_release(struct inode *inode, struct file *file)
{
	hc_session_put(file->private_data);
	return 0;
}

/*
 * One call on behalf of the session, through queue pair 0: the input is
 * copied from the caller into the window, the output from the window to
 * the caller, once each. short_ok: the answer may be a short count (a
 * read or write), so when the window's data area is busy it moves less
 * rather than wait for room that calls blocked on the host may never give
 * back. Returns 0 with the host's answer in *result and
 * *out_used (also when a signal came while the host worked: see
 * hc_session_wait()), -ERESTARTSYS when a signal cancelled it before the
 * host did anything, or a local error (-EFAULT, -E2BIG, -ENODEV, -EIO,
 * -ECONNRESET: the shadow is gone). *tag (NULL ok): the call's, to undo it.
 */
long hc_session_call(struct hc_session *s, u16 module, u16 op,
		     const s64 args[4], u64 in_ptr, u32 in_len,
		     u64 out_ptr, u32 out_len, bool short_ok, s64 *result,
		     u32 *out_used, u64 *tag)
{
	return hc_session_call_timeout(s, module, op, args, in_ptr, in_len,
				       out_ptr, out_len, short_ok, result,
				       out_used, tag, MAX_SCHEDULE_TIMEOUT);
}

/* The same, cancelled after timeout jiffies: -EAGAIN if nothing happened. */
long hc_session_call_timeout(struct hc_session *s, u16 module, u16 op,
			     const s64 args[4], u64 in_ptr, u32 in_len,
			     u64 out_ptr, u32 out_len, bool short_ok,
			     s64 *result, u32 *out_used, u64 *tag, long timeout)
{
	char __user *out = u64_to_user_ptr(out_ptr);
	struct hc_request *req;
	long ret;

	/* an output fault after the call would lose its answer: fault first */
	if (out_len && fault_in_writeable(out, out_len))
		return -EFAULT;
	req = hc_wreq_alloc(s, module, op, args[0], args[1]);
	if (!req)
		return -ENOMEM;
	req->sqe.args[2] = args[2];
	req->sqe.args[3] = args[3];
	req->spin = true;	/* hc_session_wait() polls, then sleeps */
	ret = hc_wreq_data(req, in_len, out_len, HC_SUBMIT_NORMAL, short_ok);
	if (!ret && req->sqe.in_len)
		ret = hc_copy_from_user(hc_wreq_in(req), u64_to_user_ptr(in_ptr),
					req->sqe.in_len);
	if (!ret)
		ret = hc_wsubmit(req, HC_SUBMIT_NORMAL);
	if (!ret)
		ret = hc_session_wait_timeout(s, req, timeout);
	if (!ret) {
		*result = req->result;
		*out_used = req->out_len;
		if (tag)
			*tag = req->tag;
		if (req->out_len &&
		    hc_copy_to_user(out, hc_wreq_out(req), req->out_len)) {
			/* the caller never sees what the call created */
			hc_undo(req);
			ret = -EFAULT;
		}
	}
	/* gives the data area back, unless left as an orphan */
	hc_req_put(req);
	return ret;
}

/*
 * The handle of a built-in host module the driver itself uses ("proc" for
 * stream fds, "sock" for socket fds), in *cache: bound (HC_SESSION_BIND,
 * queue pair 0) at the first use and kept. Two callers racing bind twice;
 * the host gives the same handle and counts a reference, which the
 * session's end drops. A handle or -errno.
 */
int hc_session_module(struct hc_session *s, const char *name, u16 major,
		      u16 minor, int *cache)
{
	struct hc_request *req;
	int ret, h = READ_ONCE(*cache);

	if (h > 0)
		return h;
	req = hc_wreq_alloc(s, HC_MOD_SESSION, HC_SESSION_BIND, major, minor);
	if (!req)
		return -ENOMEM;
	ret = hc_wreq_data(req, strlen(name), 0, HC_SUBMIT_NORMAL, false);
	if (!ret) {
		hc_copy_words(hc_wreq_in(req), name, req->sqe.in_len);
		ret = hc_wsubmit(req, HC_SUBMIT_NORMAL);
	}
	if (!ret)
		ret = hc_session_wait(s, req);
	if (!ret) {
		if (req->result > 0 && req->result < HC_MAX_BINDINGS) {
			h = req->result;
			WRITE_ONCE(*cache, h);
		} else {
			ret = req->result < 0 ? hc_errno(req->result) : -EIO;
		}
	}
	hc_req_put(req);
	return ret ? ret : h;
}

int hc_session_proc(struct hc_session *s)
{
	return hc_session_module(s, HC_PROC_MODULE, HC_BUILTIN_MAJOR,
				 HC_BUILTIN_MINOR, &s->proc_mod);
}

static long hc_ioctl_call(struct hc_session *s,
			  struct hostcall_ioc_call __user *uarg)
{
	struct hostcall_ioc_call c;
	u64 tag = 0;
	long ret;

	if (copy_from_user(&c, uarg, sizeof(c)))
		return -EFAULT;
	if (c.flags & ~HOSTCALL_CALL_F_SHORT)
		return -EINVAL;
	/* of the session module, a user binds, unbinds and lists */
	if (c.module == HC_MOD_SESSION && c.op != HC_SESSION_BIND &&
	    c.op != HC_SESSION_UNBIND && c.op != HC_SESSION_MODULES)
		return -EINVAL;
	ret = hc_session_call(s, c.module, c.op, c.args, c.in_ptr, c.in_len,
			      c.out_ptr, c.out_len,
			      c.flags & HOSTCALL_CALL_F_SHORT, &c.result,
			      &c.out_used, &tag);
	if (ret)
		return ret;
	if (put_user(c.result, &uarg->result) ||
	    put_user(c.out_used, &uarg->out_used))
		ret = -EFAULT;
	else if (fatal_signal_pending(current))
		ret = -EINTR;	/* killed as it returns */
	/* the caller will never see what the call created: undo it */
	if (ret && c.result >= 0)
		hc_undo_tag(s, tag);
	return ret;
}

static long hc_ioctl_info(struct hc_session *s,
			  struct hostcall_ioc_info __user *uarg)
{
	struct hc_device *hdev = s->hdev;
	struct hostcall_ioc_info info;

	memset(&info, 0, sizeof(info));
	info.abi_version = HC_ABI_VERSION;
	info.transport = READ_ONCE(hdev->transport);
	info.accel = hdev->accel;
	info.features = hdev->features;
	info.session = s->id;
	info.ring_entries = HC_QP_ENTRIES;
	info.host = s->info;
	strscpy(info.device, hdev->pci_name, sizeof(info.device));
	hc_qp_stats(s, &info);
	if (copy_to_user(uarg, &info, sizeof(info)))
		return -EFAULT;
	return 0;
}

static long hc_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct hc_session *s = file->private_data;

	switch (cmd) {
	case HOSTCALL_IOC_CALL:
		return hc_ioctl_call(s, (void __user *)arg);
	case HOSTCALL_IOC_INFO:
		return hc_ioctl_info(s, (void __user *)arg);
	case HOSTCALL_IOC_STREAM:
		return hc_ioctl_stream(s, (void __user *)arg);
	case HOSTCALL_IOC_WAIT:
		return hc_qp_wait_user(s, (void __user *)arg);
	case HOSTCALL_IOC_WAIT_WORD:
		return hc_qp_wait_word(s, (void __user *)arg);
	case HOSTCALL_IOC_SOCKET:
		return hc_ioctl_socket(s, (void __user *)arg);
	case HOSTCALL_IOC_KICK:
		hc_qp_kick_user(s);
		return READ_ONCE(s->dead);
	default:
		return -ENOTTY;
	}
}

/*
 * mmap(2) at offset 0, HC_QP_SIZE bytes: queue pair 1 of the window, and
 * nothing else (never queue pair 0, never a register: the doorbell page
 * holds every session's doorbell, so the user kicks with
 * HOSTCALL_IOC_KICK). Cached, as the window is RAM on the host. Not
 * inherited by fork(2): the child uses the ioctls.
 */
static int hc_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct hc_session *s = file->private_data;
	int err = READ_ONCE(s->dead);

	if (err)
		return err;
	if (vma->vm_pgoff || vma->vm_end - vma->vm_start != HC_QP_SIZE)
		return -EINVAL;
	vma->vm_flags |= VM_DONTCOPY | VM_DONTEXPAND;
	return vm_iomap_memory(vma, s->hdev->win_base +
			       (phys_addr_t)(s->id - 1) * HC_WIN_SIZE +
			       HC_QP_USER * HC_QP_SIZE, HC_QP_SIZE);
}

static __poll_t hc_poll(struct file *file, poll_table *wait)
{
	struct hc_session *s = file->private_data;

	poll_wait(file, &s->pollq, wait);
	return hc_qp_poll_user(s);
}

static const struct file_operations hc_fops = {
	.owner = THIS_MODULE,
	.open = hc_open,
	.release = hc_release,
	.mmap = hc_mmap,
	.poll = hc_poll,
	.unlocked_ioctl = hc_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = no_llseek,
};

/* ---- device nodes -------------------------------------------------------- */

static void hc_dev_release(struct device *dev)
{
	struct hc_device *hdev = container_of(dev, struct hc_device, dev);

	pci_dev_put(hdev->pdev);
	kfree(hdev);
}

/* First device: /dev/hostcall; then /dev/hostcall1, /dev/hostcall2, ... */
int hc_chrdev_setup(struct hc_device *hdev, struct device *parent)
{
	device_initialize(&hdev->dev);
	hdev->dev.class = hc_class;
	hdev->dev.parent = parent;
	hdev->dev.devt = MKDEV(MAJOR(hc_devt), hdev->index);
	hdev->dev.release = hc_dev_release;
	if (hdev->index)
		return dev_set_name(&hdev->dev, HC_DRV_NAME "%d", hdev->index);
	return dev_set_name(&hdev->dev, HC_DRV_NAME);
}

int hc_chrdev_add(struct hc_device *hdev)
{
	cdev_init(&hdev->cdev, &hc_fops);
	hdev->cdev.owner = THIS_MODULE;
	return cdev_device_add(&hdev->cdev, &hdev->dev);
}

void hc_chrdev_del(struct hc_device *hdev)
{
	cdev_device_del(&hdev->cdev, &hdev->dev);
}

static char *hc_devnode(struct device *dev, umode_t *mode)
{
	if (mode)
		*mode = 0660;
	return NULL;
}

int hc_chrdev_init(void)
{
	int ret;

	ret = alloc_chrdev_region(&hc_devt, 0, HC_MAX_DEVICES, HC_DRV_NAME);
	if (ret)
		return ret;
	hc_class = class_create(THIS_MODULE, HC_DRV_NAME);
	if (IS_ERR(hc_class)) {
		unregister_chrdev_region(hc_devt, HC_MAX_DEVICES);
		return PTR_ERR(hc_class);
	}
	hc_class->devnode = hc_devnode;
	return 0;
}

void hc_chrdev_exit(void)
{
	class_destroy(hc_class);
	unregister_chrdev_region(hc_devt, HC_MAX_DEVICES);
}
