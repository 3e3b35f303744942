// SPDX-License-Identifier: GPL-2.0
/*
 * hostcall guest driver: socket fds (HOSTCALL_IOC_SOCKET), sockets served
 * by the host's network stack through the session's "sock" module
 * (Documentation/sock.md).
 *
 * A socket fd is a real file, so read, write, poll, select, epoll, fcntl,
 * dup, fork and close work as on a socket; the other socket calls are one
 * ioctl (HOSTCALL_IOC_SOCK). read is RECV and write SEND, straight between
 * the caller and the window. Readiness is the host's: poll asks POLL now
 * and, for what is not ready, leaves one waiting POLL in flight whose
 * answer wakes the fd's pollers (as a stream's read-ahead does).
 */

#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/jiffies.h>
#include <linux/mutex.h>
#include <linux/net.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <linux/time64.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include "hostcall_drv.h"

/*
 * Waiting POLLs a session keeps in flight at most: each holds an entry of
 * queue pair 0 (HC_QP_ENTRIES), which reads, writes and cancels need too.
 * A socket that finds none free is polled again after HC_SOCK_REPOLL.
 */
#define HC_SOCK_WAITS		32
#define HC_SOCK_REPOLL		(HZ / 50)

#define HC_SOCK_EVENTS		(EPOLLIN | EPOLLPRI | EPOLLOUT | EPOLLRDHUP)

struct hc_sockfd {
	struct hc_session *s;	/* holds a session reference */
	u16 mod;		/* the session's handle of "sock" */
	s32 handle;
	s32 family, type;
	long rcvtimeo, sndtimeo;	/* jiffies; MAX_SCHEDULE_TIMEOUT: none */

	struct mutex plock;	/* the waiting POLL */
	struct hc_request *preq;	/* in flight, or answered and not seen */
	u32 pev;		/* what it waits for */
	wait_queue_head_t pollq;
	struct timer_list repoll;	/* no waiting POLL could be had */
};

static const struct file_operations hc_sock_fops;

static long hc_sock_timeout(const struct hc_sockfd *sk, u16 fn)
{
	switch (fn) {
	case HC_SOCK_RECV:
	case HC_SOCK_RECVFROM:
	case HC_SOCK_ACCEPT:
		return READ_ONCE(sk->rcvtimeo);
	case HC_SOCK_SEND:
	case HC_SOCK_SENDTO:
	case HC_SOCK_CONNECT:
		return READ_ONCE(sk->sndtimeo);
	default:
		return MAX_SCHEDULE_TIMEOUT;
	}
}

/* The functions whose args[1] is HC_SOCK_F_*. */
static bool hc_sock_has_flags(u16 fn)
{
	return fn == HC_SOCK_ACCEPT || fn == HC_SOCK_CONNECT ||
	       fn == HC_SOCK_SEND || fn == HC_SOCK_RECV ||
	       fn == HC_SOCK_SENDTO || fn == HC_SOCK_RECVFROM ||
	       fn == HC_SOCK_POLL;
}

/*
 * One function on the socket: a[] its args[1..3]. Returns 0 with the
 * host's answer (and *tag, to undo it), or a local error; -EAGAIN when
 * the socket's timeout cancelled it before the host did anything.
 */
static long hc_sock_fn(struct hc_sockfd *sk, struct file *file, u16 fn,
		       const s64 a[3], u64 in, u32 in_len, u64 out,
		       u32 out_len, s64 *result, u32 *used, u64 *tag)
{
	s64 args[4] = { sk->handle, a[0], a[1], a[2] };
	/* a datagram is never cut: it waits for window room */
	bool short_ok = sk->type == SOCK_STREAM &&
			(fn == HC_SOCK_SEND || fn == HC_SOCK_RECV);

	if (hc_sock_has_flags(fn) && (file->f_flags & O_NONBLOCK))
		args[1] |= HC_SOCK_F_NONBLOCK;
	return hc_session_call_timeout(sk->s, sk->mod, fn, args, in, in_len,
				       out, out_len, short_ok, result, used,
				       tag, hc_sock_timeout(sk, fn));
}

/* A host error, or a count that is more than asked or written. */
static long hc_sock_count(s64 result, u32 asked, u32 used, bool out)
{
	if (result < 0)
		return hc_errno(result);
	if (result > asked || (out && result > used))
		return -EIO;
	return result;
}

/*
 * The socket's state may have changed (a call found nothing to do): wake
 * its pollers, so an edge-triggered epoll looks again and leaves a
 * waiting POLL for what it wants.
 */
static void hc_sock_nudge(struct hc_sockfd *sk, long ret)
{
	if (ret == -EAGAIN)
		wake_up_interruptible_all(&sk->pollq);
}

static ssize_t hc_sock_read(struct file *file, char __user *buf, size_t len,
			    loff_t *ppos)
{
	struct hc_sockfd *sk = file->private_data;
	static const s64 a[3];
	u32 n = min_t(size_t, len, sk->s->hdev->max_data);
	u32 used = 0;
	s64 result;
	long ret;

	if (!n && sk->type == SOCK_STREAM)
		return 0;
	ret = hc_sock_fn(sk, file, HC_SOCK_RECV, a, 0, 0,
			 (u64)(uintptr_t)buf, n, &result, &used, NULL);
	if (!ret)
		ret = hc_sock_count(result, n, used, true);
	hc_sock_nudge(sk, ret);
	return ret;
}

/*
 * All of it, as a blocking socket write does, unless interrupted or
 * nonblocking (then what went); one datagram per write.
 */
static ssize_t hc_sock_write(struct file *file, const char __user *buf,
			     size_t len, loff_t *ppos)
{
	struct hc_sockfd *sk = file->private_data;
	u32 max = sk->s->hdev->max_data;
	static const s64 a[3];
	size_t done = 0;
	long ret = 0;

	if (sk->type != SOCK_STREAM && len > max)
		return -EMSGSIZE;
	do {
		u32 n = min_t(size_t, len - done, max);
		s64 result;
		u32 used;

		if (done && signal_pending(current))
			break;
		ret = hc_sock_fn(sk, file, HC_SOCK_SEND, a,
				 (u64)(uintptr_t)(buf + done), n, 0, 0,
				 &result, &used, NULL);
		if (!ret)
			ret = hc_sock_count(result, n, 0, false);
		if (ret == 0 && n)
			ret = -EIO;	/* a send that moves nothing */
		if (ret < 0)
			break;
		done += ret;
		ret = 0;
	} while (done < len && sk->type == SOCK_STREAM);
	hc_sock_nudge(sk, ret);
	if (done)
		return done;
	if (ret == -EPIPE)
		send_sig(SIGPIPE, current, 0);
	return ret;
}

static __poll_t hc_sock_mask(s64 result)
{
	__poll_t m;

	if (result < 0)
		return EPOLLERR;
	m = (__poll_t)result & (HC_SOCK_EVENTS | EPOLLERR | EPOLLHUP);
	if (m & EPOLLIN)
		m |= EPOLLRDNORM;
	if (m & EPOLLOUT)
		m |= EPOLLWRNORM;
	return m;
}

/* Drop the waiting POLL; sk->plock held. */
static void hc_sock_wait_drop(struct hc_sockfd *sk, bool cancel)
{
	struct hc_request *req = sk->preq;

	if (!req)
		return;
	hc_req_clear_notify(req);
	if (cancel && !completion_done(&req->done))
		hc_wcontrol(sk->s, HC_MOD_SESSION, HC_SESSION_CANCEL,
			    (s64)req->tag, 0);
	hc_req_put(req);
	sk->preq = NULL;
	atomic_dec(&sk->s->sock_waits);
}

static void hc_sock_repoll(struct timer_list *t)
{
	struct hc_sockfd *sk = from_timer(sk, t, repoll);

	wake_up_interruptible_all(&sk->pollq);
}

/* Leave a POLL waiting for ev in flight; sk->plock held. */
static void hc_sock_wait_start(struct hc_sockfd *sk, u32 ev)
{
	struct hc_request *req = NULL;

	if (atomic_inc_return(&sk->s->sock_waits) <= HC_SOCK_WAITS)
		req = hc_wreq_alloc(sk->s, sk->mod, HC_SOCK_POLL, sk->handle,
				    0);
	if (req) {
		req->sqe.args[2] = ev;
		req->notify = &sk->pollq;
		if (!hc_wsubmit(req, HC_SUBMIT_NOWAIT)) {
			sk->preq = req;
			sk->pev = ev;
			return;
		}
		hc_req_put(req);
	}
	atomic_dec(&sk->s->sock_waits);
	/* none to be had: look again soon */
	mod_timer(&sk->repoll, jiffies + HC_SOCK_REPOLL);
}

/*
 * Ready events, as the host sees them. A waiting POLL that covers what
 * is asked says "not yet" without a host-call; its answer (or its end)
 * wakes the pollers to ask again.
 */
static __poll_t hc_sock_poll(struct file *file, poll_table *wait)
{
	struct hc_sockfd *sk = file->private_data;
	__poll_t want = poll_requested_events(wait) & HC_SOCK_EVENTS;
	__poll_t mask = 0;
	s64 args[4], result;
	u32 used;

	if (!want)
		want = EPOLLIN | EPOLLOUT;
	poll_wait(file, &sk->pollq, wait);
	/* someone else is asking: their answer wakes us */
	if (!mutex_trylock(&sk->plock))
		return 0;
	if (sk->preq && completion_done(&sk->preq->done))
		hc_sock_wait_drop(sk, false);
	if (sk->preq && !(want & ~sk->pev))
		goto out;
	args[0] = sk->handle;
	args[1] = HC_SOCK_F_NONBLOCK;
	args[2] = want;
	args[3] = 0;
	if (hc_session_call(sk->s, sk->mod, HC_SOCK_POLL, args, 0, 0, 0, 0,
			    false, &result, &used, NULL)) {
		/* interrupted or the session is gone: the caller sees why */
		mask = READ_ONCE(sk->s->dead) ? EPOLLERR | EPOLLHUP : 0;
		goto out;
	}
	mask = hc_sock_mask(result);
	want &= ~mask;
	if (!want || (mask & (EPOLLERR | EPOLLHUP)))
		goto out;
	if (sk->preq)
		hc_sock_wait_drop(sk, true);
	hc_sock_wait_start(sk, want);
out:
	mutex_unlock(&sk->plock);
	return mask;
}

static int hc_sock_release(struct inode *inode, struct file *file)
{
	struct hc_sockfd *sk = file->private_data;

	del_timer_sync(&sk->repoll);
	mutex_lock(&sk->plock);
	hc_sock_wait_drop(sk, false);
	mutex_unlock(&sk->plock);
	/* ends what is still queued on it (-EBADF): not waited for */
	hc_wcontrol(sk->s, sk->mod, HC_SOCK_CLOSE, sk->handle, 0);
	hc_session_put(sk->s);
	mutex_destroy(&sk->plock);
	kfree(sk);
	return 0;
}

/*
 * A new fd for host socket handle h, its flags SOCK_NONBLOCK and
 * SOCK_CLOEXEC: reserved, its file in *filep, for hc_sock_commit() once
 * the caller has told user space, or hc_sock_abort(). The fd, or -errno
 * (then h is closed on the host).
 */
static int hc_sock_install(struct hc_session *s, int mod, s32 h, int family,
			   int type, int flags, struct file **filep)
{
	struct hc_sockfd *sk;
	struct file *file;
	int fd;

	sk = kzalloc(sizeof(*sk), GFP_KERNEL);
	if (!sk) {
		fd = -ENOMEM;
		goto fail;
	}
	sk->mod = mod;
	sk->handle = h;
	sk->family = family;
	sk->type = type;
	sk->rcvtimeo = MAX_SCHEDULE_TIMEOUT;
	sk->sndtimeo = MAX_SCHEDULE_TIMEOUT;
	mutex_init(&sk->plock);
	init_waitqueue_head(&sk->pollq);
	timer_setup(&sk->repoll, hc_sock_repoll, 0);

	fd = get_unused_fd_flags(flags & SOCK_CLOEXEC ? O_CLOEXEC : 0);
	if (fd < 0)
		goto fail;
	file = anon_inode_getfile("[hostcall-socket]", &hc_sock_fops, sk,
				  O_RDWR | (flags & SOCK_NONBLOCK ?
					    O_NONBLOCK : 0));
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		fd = PTR_ERR(file);
		goto fail;
	}
	/* no position: no pread, pwrite or lseek */
	stream_open(file_inode(file), file);
	hc_session_get(s);
	sk->s = s;
	*filep = file;
	return fd;
fail:
	kfree(sk);
	hc_wcontrol(s, mod, HC_SOCK_CLOSE, h, 0);
	return fd;
}

/* User space could not be told: the release closes the host's socket. */
static void hc_sock_abort(int fd, struct file *file)
{
	put_unused_fd(fd);
	fput(file);
}

static int hc_sock_module(struct hc_session *s)
{
	return hc_session_module(s, HC_SOCK_MODULE, HC_SOCK_MAJOR,
				 HC_SOCK_MINOR, &s->sock_mod);
}

long hc_ioctl_socket(struct hc_session *s,
		     struct hostcall_ioc_socket __user *uarg)
{
	struct hostcall_ioc_socket a;
	int flags, type, mod, fd;
	struct file *file;
	s64 args[4], result;
	u64 tag;
	u32 used;
	long ret;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	flags = a.type & (SOCK_NONBLOCK | SOCK_CLOEXEC);
	type = a.type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
	if ((a.family != AF_INET && a.family != AF_INET6) ||
	    (type != SOCK_STREAM && type != SOCK_DGRAM))
		return -EINVAL;
	mod = hc_sock_module(s);
	if (mod < 0)
		return mod;
	args[0] = a.family;
	args[1] = type;
	args[2] = a.protocol;
	args[3] = 0;
	ret = hc_session_call(s, mod, HC_SOCK_SOCKET, args, 0, 0, 0, 0, false,
			      &result, &used, &tag);
	if (ret)
		return ret;
	if (result < 0)
		return hc_errno(result);
	if (result == 0 || result > S32_MAX) {
		hc_undo_tag(s, tag);
		return -EIO;
	}
	fd = hc_sock_install(s, mod, (s32)result, a.family, type, flags,
			     &file);
	if (fd < 0)
		return fd;
	if (put_user(fd, &uarg->fd)) {
		hc_sock_abort(fd, file);
		return -EFAULT;
	}
	fd_install(fd, file);
	return 0;
}

/* SO_RCVTIMEO/SO_SNDTIMEO the host took: the driver applies them. */
static void hc_sock_keep_timeout(struct hc_sockfd *sk,
				 const struct hostcall_ioc_sock *c)
{
	struct __kernel_old_timeval tv;
	long *to;

	if (c->args[0] != SOL_SOCKET || c->in_len != sizeof(tv))
		return;
	if (c->args[1] == SO_RCVTIMEO_OLD)
		to = &sk->rcvtimeo;
	else if (c->args[1] == SO_SNDTIMEO_OLD)
		to = &sk->sndtimeo;
	else
		return;
	if (copy_from_user(&tv, u64_to_user_ptr(c->in_ptr), sizeof(tv)) ||
	    tv.tv_sec < 0 || tv.tv_usec < 0 || tv.tv_usec >= USEC_PER_SEC)
		return;
	if (!tv.tv_sec && !tv.tv_usec)
		WRITE_ONCE(*to, MAX_SCHEDULE_TIMEOUT);
	else if (tv.tv_sec >= MAX_SCHEDULE_TIMEOUT / HZ - 1)
		WRITE_ONCE(*to, MAX_SCHEDULE_TIMEOUT - 1);
	else	/* at least a jiffy, as the kernel's sock_set_timeout */
		WRITE_ONCE(*to, max_t(long, 1, tv.tv_sec * HZ +
					 usecs_to_jiffies(tv.tv_usec)));
}

/* ACCEPT's new handle becomes a new fd of the same family and type. */
static long hc_sock_accepted(struct hc_sockfd *sk, struct hostcall_ioc_sock *c,
			     struct hostcall_ioc_sock __user *uarg, u64 tag)
{
	struct file *file;
	int fd;

	if (c->result == 0 || c->result > S32_MAX) {
		hc_undo_tag(sk->s, tag);
		return -EIO;
	}
	fd = hc_sock_install(sk->s, sk->mod, (s32)c->result, sk->family,
			     sk->type, c->flags, &file);
	if (fd < 0)
		return fd;
	if (put_user((s64)fd, &uarg->result) ||
	    put_user(c->out_used, &uarg->out_used)) {
		hc_sock_abort(fd, file);
		return -EFAULT;
	}
	fd_install(fd, file);
	return 0;
}

static long hc_sock_ioctl_call(struct hc_sockfd *sk, struct file *file,
			       struct hostcall_ioc_sock __user *uarg)
{
	struct hostcall_ioc_sock c;
	u64 tag = 0;
	long ret;

	if (copy_from_user(&c, uarg, sizeof(c)))
		return -EFAULT;
	if (c.reserved || !c.fn || c.fn >= HC_SOCK_FN_END ||
	    c.fn == HC_SOCK_SOCKET || c.fn == HC_SOCK_CLOSE ||
	    c.fn == HC_SOCK_GETADDRINFO)
		return -EINVAL;
	if (c.fn == HC_SOCK_ACCEPT ? c.flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)
				   : c.flags)
		return -EINVAL;
	ret = hc_sock_fn(sk, file, c.fn, c.args, c.in_ptr, c.in_len,
			 c.out_ptr, c.out_len, &c.result, &c.out_used, &tag);
	if (c.fn == HC_SOCK_CONNECT && ret == -EAGAIN) {
		/* SO_SNDTIMEO ran out: the connect goes on, as Linux's does */
		c.result = -EINPROGRESS;
		ret = 0;
	}
	if (ret) {
		hc_sock_nudge(sk, ret);
		return ret;
	}
	hc_sock_nudge(sk, c.result);
	if (c.fn == HC_SOCK_ACCEPT && c.result >= 0)
		return hc_sock_accepted(sk, &c, uarg, tag);
	if (c.fn == HC_SOCK_SETSOCKOPT && !c.result)
		hc_sock_keep_timeout(sk, &c);
	if (put_user(c.result, &uarg->result) ||
	    put_user(c.out_used, &uarg->out_used))
		return -EFAULT;
	return 0;
}

static long hc_sock_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	struct hc_sockfd *sk = file->private_data;
	struct hostcall_ioc_sock_info info = {
		.magic = HC_SOCKFD_MAGIC, .family = sk->family,
		.type = sk->type, .handle = sk->handle,
	};

	switch (cmd) {
	case HOSTCALL_IOC_SOCK:
		return hc_sock_ioctl_call(sk, file, (void __user *)arg);
	case HOSTCALL_IOC_SOCK_INFO:
		return copy_to_user((void __user *)arg, &info, sizeof(info)) ?
		       -EFAULT : 0;
	default:
		return -ENOTTY;
	}
}

static const struct file_operations hc_sock_fops = {
	.owner = THIS_MODULE,
	.read = hc_sock_read,
	.write = hc_sock_write,
	.poll = hc_sock_poll,
	.unlocked_ioctl = hc_sock_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.release = hc_sock_release,
	.llseek = no_llseek,
};
