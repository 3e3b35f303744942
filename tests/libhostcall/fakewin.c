// SPDX-License-Identifier: MIT
/*
 * The guest driver, as far as libhostcall sees it, on a test client's
 * window: mmap gives qp 1, HOSTCALL_IOC_KICK writes the kick eventfd and
 * counts it, HOSTCALL_IOC_WAIT (and _WAIT_WORD, for event queues) is the
 * guest-wait half of the protocol
 * (HC_CQ_WAITING, mb, recheck, sleep on the interrupt eventfd), INFO sums
 * the statistics. HOSTCALL_IOC_CALL does not exist here (ENOTTY): every
 * call must go through the window.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "fakewin.h"
#include "hostcall.h"

struct sess fw_sess = { .fd = -1 };
volatile sig_atomic_t fw_signal;
int fw_waits;

void *fake_mmap(void *a, size_t l, int p, int f, int fd, off_t o);
int fake_munmap(void *a, size_t l);
int fake_open(const char *p, int f, ...);
int fake_ioctl(int fd, unsigned long req, ...);

void *fake_mmap(void *a, size_t l, int p, int f, int fd, off_t o)
{
	(void)a; (void)p; (void)f; (void)fd;
	if (l != HC_QP_SIZE || o) {
		errno = EINVAL;
		return (void *)-1;
	}
	return fw_sess.win + HC_QP_SIZE;
}

int fake_munmap(void *a, size_t l)
{
	(void)a; (void)l;
	return 0;
}

int fake_open(const char *p, int f, ...)
{
	(void)p; (void)f;
	return dup(fw_sess.fd);
}

static int wait_user(struct hc_qp_ctl *c, const struct hostcall_ioc_wait *w)
{
	int ret = 0;

	__atomic_fetch_add(&fw_waits, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&c->cq_flags, HC_CQ_WAITING, __ATOMIC_RELAXED);
	for (;;) {
		struct pollfd p = { fw_sess.irq, POLLIN, 0 };
		uint64_t v;

		__atomic_thread_fence(__ATOMIC_SEQ_CST);	/* mb (4) */
		if (__atomic_load_n(&c->cq_prod, __ATOMIC_ACQUIRE) != w->cq_seen)
			break;
		if (__atomic_load_n(&c->state, __ATOMIC_ACQUIRE) & HC_QP_DEAD) {
			ret = ECONNRESET;
			break;
		}
		if (fw_signal) {
			fw_signal = 0;
			ret = EINTR;
			break;
		}
		poll(&p, 1, 20);
		if (read(fw_sess.irq, &v, sizeof(v)) < 0 && errno != EAGAIN)
			break;
	}
	/* several test threads may wait: the flag stays while one does */
	__atomic_store_n(&c->cq_flags, 0, __ATOMIC_RELAXED);
	if (ret)
		errno = ret;
	return ret ? -1 : 0;
}

/* HOSTCALL_IOC_WAIT_WORD: the caller set its queue's flag. The driver's
 * interrupt wakes every word waiter; an eventfd wakes one reader only, so
 * here each waiter looks at its word every 20 us instead. */
static int wait_word(struct hc_qp_ctl *c, const struct hostcall_ioc_wait_word *w)
{
	const uint32_t *word = (const uint32_t *)((unsigned char *)c + w->offset);
	struct timespec t0, t;
	int ret = 0;

	if (w->reserved || w->offset % 4 || w->offset > HC_QP_SIZE - 4) {
		errno = EINVAL;
		return -1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct timespec nap = { 0, 20000 };
		long ms;

		if (__atomic_load_n(word, __ATOMIC_ACQUIRE) != w->seen)
			break;
		if (__atomic_load_n(&c->state, __ATOMIC_ACQUIRE) & HC_QP_DEAD) {
			ret = ECONNRESET;
			break;
		}
		if (fw_signal) {
			fw_signal = 0;
			ret = EINTR;
			break;
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
		ms = (t.tv_sec - t0.tv_sec) * 1000 +
		     (t.tv_nsec - t0.tv_nsec) / 1000000;
		if (w->timeout_ms >= 0 && ms >= w->timeout_ms) {
			ret = ETIMEDOUT;
			break;
		}
		nanosleep(&nap, NULL);
	}
	if (ret)
		errno = ret;
	return ret ? -1 : 0;
}

int fake_ioctl(int fd, unsigned long req, ...)
{
	struct hc_qp_ctl *c = sess_ctl(&fw_sess, 1), *c0 = sess_ctl(&fw_sess, 0);
	struct hostcall_ioc_info *i;
	uint64_t one = 1;
	va_list ap;
	void *arg;

	(void)fd;
	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	switch (req) {
	case HOSTCALL_IOC_KICK:
		__atomic_fetch_add(&c->guest_kicks, 1, __ATOMIC_RELAXED);
		return write(fw_sess.kick, &one, sizeof(one)) == sizeof(one) ? 0 : -1;
	case HOSTCALL_IOC_WAIT:
		return wait_user(c, arg);
	case HOSTCALL_IOC_WAIT_WORD:
		return wait_word(c, arg);
	case HOSTCALL_IOC_INFO:
		i = arg;
		memset(i, 0, sizeof(*i));
		i->abi_version = HC_ABI_VERSION;
		i->features = HC_F_WINDOW;
		i->calls = c->sq_prod + c0->sq_prod;
		i->kicks = c->guest_kicks + c0->guest_kicks;
		i->wakeups = c->host_wakeups + c0->host_wakeups;
		i->irqs = c->host_irqs + c0->host_irqs;
		return 0;
	default:
		errno = ENOTTY;
		return -1;
	}
}
