// SPDX-License-Identifier: MIT
/*
 * hcnet: data on a socket the host serves. send, sendto and sendmsg are
 * SEND (a stream, or a datagram with no address) or SENDTO (a datagram
 * to an address); recv, recvfrom and recvmsg are RECV (a stream) or
 * RECVFROM (a datagram: its source and MSG_TRUNC). A call carries at most
 * HC_MAX_DATA bytes: a blocking stream send loops until all is sent,
 * MSG_WAITALL loops until all is read. MSG_DONTWAIT is HC_SOCK_F_NONBLOCK;
 * the host never raises SIGPIPE, the shim does (unless MSG_NOSIGNAL).
 * Scratch buffers are on the stack or mmap'd, never malloc'd: these calls
 * may run in signal handlers.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "hcnet.h"

#define EXPORT __attribute__((visibility("default")))
#define MSGHDR	sizeof(struct hc_sock_msg)
#define SMALL	4096

struct scratch {
	unsigned char *p;
	size_t n;
	unsigned char small[SMALL];
};

static unsigned char *scratch_get(struct scratch *s, size_t n)
{
	s->n = n;
	if (n <= SMALL)
		return s->p = s->small;
	s->p = mmap(NULL, n, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (s->p == MAP_FAILED)
		s->p = NULL;
	return s->p;
}

static void scratch_put(struct scratch *s)
{
	if (s->p && s->p != s->small)
		munmap(s->p, s->n);
}

static int iov_total(const struct msghdr *m, size_t *total)
{
	size_t t = 0, i;

	if (m->msg_iovlen && !m->msg_iov)
		return -EFAULT;
	for (i = 0; i < m->msg_iovlen; i++) {
		if (m->msg_iov[i].iov_len > SIZE_MAX / 2 - t)
			return -EINVAL;
		t += m->msg_iov[i].iov_len;
	}
	*total = t;
	return 0;
}

/* Copy between a buffer and an iovec from byte off: gather (to_buf) or
 * scatter. */
static void iov_copy(const struct msghdr *m, size_t off, unsigned char *buf,
		     size_t n, int to_buf)
{
	size_t i, k;

	for (i = 0; i < m->msg_iovlen && n; i++) {
		unsigned char *b = m->msg_iov[i].iov_base;
		size_t l = m->msg_iov[i].iov_len;

		if (off >= l) {
			off -= l;
			continue;
		}
		k = l - off < n ? l - off : n;
		if (to_buf)
			memcpy(buf, b + off, k);
		else
			memcpy(b + off, buf, k);
		buf += k;
		n -= k;
		off = 0;
	}
}

/* Where byte off of the iovec lies, and how many bytes follow it there. */
static unsigned char *iov_at(const struct msghdr *m, size_t off, size_t *left)
{
	size_t i;

	for (i = 0; i < m->msg_iovlen; i++) {
		if (off < m->msg_iov[i].iov_len) {
			*left = m->msg_iov[i].iov_len - off;
			return (unsigned char *)m->msg_iov[i].iov_base + off;
		}
		off -= m->msg_iov[i].iov_len;
	}
	*left = 0;
	return NULL;
}

/* A stream: up to HC_MAX_DATA a call, straight from the program's
 * memory when one iovec element holds the chunk. */
static int64_t send_stream(int fd, const struct msghdr *m, size_t total,
			   unsigned nb, int msgf)
{
	struct scratch s;
	unsigned char *p;
	size_t done = 0, n, left;
	int64_t r = 0;

	s.p = NULL;
	while (done < total) {
		n = total - done < HC_MAX_DATA ? total - done : HC_MAX_DATA;
		p = iov_at(m, done, &left);
		if (left < n) {
			if (!s.p && !scratch_get(&s, n)) {
				r = -ENOMEM;
				break;
			}
			iov_copy(m, done, s.p, n, 1);
			p = s.p;
		}
		r = hc_sock_call(fd, HC_SOCK_SEND, nb, msgf, 0, 0, p, n, NULL,
				 0, NULL);
		if (r <= 0)
			break;
		done += (size_t)r;
	}
	scratch_put(&s);
	return done ? (int64_t)done : r;
}

static int64_t send_dgram(int fd, const struct msghdr *m, size_t total,
			  unsigned nb, int msgf, const unsigned char *addr,
			  int alen)
{
	struct hc_sock_msg h;
	struct scratch s;
	size_t head = alen ? MSGHDR : 0;
	int64_t r;

	if (total > HC_MAX_DATA - head)
		return -EMSGSIZE;
	if (!scratch_get(&s, head + total))
		return -ENOMEM;
	if (alen) {
		memset(&h, 0, sizeof(h));
		h.addrlen = (uint32_t)alen;
		memcpy(h.addr, addr, (size_t)alen);
		memcpy(s.p, &h, sizeof(h));
	}
	iov_copy(m, 0, s.p + head, total, 1);
	r = hc_sock_call(fd, alen ? HC_SOCK_SENDTO : HC_SOCK_SEND, nb, msgf, 0,
			 0, s.p, head + total, NULL, 0, NULL);
	scratch_put(&s);
	return r;
}

ssize_t hcnet_host_send(int fd, int type, const struct msghdr *m, int flags)
{
	unsigned char addr[HC_SOCK_ADDR_MAX];
	unsigned nb = flags & MSG_DONTWAIT ? HC_SOCK_F_NONBLOCK : 0;
	int msgf = flags & ~(MSG_DONTWAIT | MSG_NOSIGNAL | MSG_CONFIRM | MSG_EOR);
	size_t total;
	int alen = 0, e;
	int64_t r;

	e = iov_total(m, &total);
	if (e)
		return hcnet_ret(e);
	if (m->msg_controllen)
		return hcnet_ret(-EOPNOTSUPP);	/* no ancillary data */
	/* a stream ignores the address, as Linux's TCP does */
	if (type != SOCK_STREAM && m->msg_name && m->msg_namelen) {
		alen = hcnet_addr_for_host(m->msg_name, m->msg_namelen, addr);
		if (alen < 0)
			return hcnet_ret(alen);
	}
	if (type == SOCK_STREAM)
		r = total ? send_stream(fd, m, total, nb, msgf) : 0;
	else
		r = send_dgram(fd, m, total, nb, msgf, addr, alen);
	if (r == -EPIPE && !(flags & MSG_NOSIGNAL))
		raise(SIGPIPE);
	return hcnet_ret(r);
}

static int64_t recv_stream(int fd, struct msghdr *m, size_t total,
			   unsigned nb, int msgf, int waitall)
{
	size_t done = 0, left;
	unsigned char *p;
	int64_t r = 0;

	while (done < total) {
		p = iov_at(m, done, &left);
		if (left > HC_MAX_DATA)
			left = HC_MAX_DATA;
		r = hc_sock_call(fd, HC_SOCK_RECV, nb, msgf, 0, 0, NULL, 0, p,
				 left, NULL);
		if (r <= 0)
			break;
		done += (size_t)r;
		/* without MSG_WAITALL one answer is enough, unless it
		 * filled its element and the next may have more */
		if (!waitall && ((size_t)r < left || (msgf & MSG_PEEK)))
			break;
		if (!waitall && done < total)
			nb = HC_SOCK_F_NONBLOCK;	/* only what is there */
	}
	if (done && r == -EAGAIN)
		r = 0;
	return done ? (int64_t)done : r;
}

static int64_t recv_dgram(int fd, struct msghdr *m, size_t total, unsigned nb,
			  int msgf)
{
	struct hc_sock_msg h;
	struct scratch s;
	size_t n = total < HC_MAX_DATA - MSGHDR ? total : HC_MAX_DATA - MSGHDR;
	size_t used = 0;
	int64_t r;

	if (!scratch_get(&s, MSGHDR + n))
		return -ENOMEM;
	r = hc_sock_call(fd, HC_SOCK_RECVFROM, nb, msgf, 0, 0, NULL, 0, s.p,
			 MSGHDR + n, &used);
	if (r >= 0 && (used < MSGHDR || (size_t)r > used - MSGHDR))
		r = -EIO;	/* the driver gave less than it said */
	if (r >= 0) {
		memcpy(&h, s.p, sizeof(h));
		iov_copy(m, 0, s.p + MSGHDR, (size_t)r, 0);
		m->msg_flags = (int)(h.flags & MSG_TRUNC);
		if (m->msg_name)
			hcnet_addr_out(h.addr, h.addrlen < HC_SOCK_ADDR_MAX ?
					       h.addrlen : HC_SOCK_ADDR_MAX,
				       m->msg_name, &m->msg_namelen);
	}
	scratch_put(&s);
	return r;
}

ssize_t hcnet_host_recv(int fd, int type, struct msghdr *m, int flags)
{
	unsigned nb = flags & MSG_DONTWAIT ? HC_SOCK_F_NONBLOCK : 0;
	int msgf = flags & (MSG_OOB | MSG_PEEK);
	size_t total;
	int e;

	e = iov_total(m, &total);
	if (e)
		return hcnet_ret(e);
	m->msg_flags = 0;
	m->msg_controllen = 0;
	if (type == SOCK_STREAM) {
		if (m->msg_name)
			m->msg_namelen = 0;	/* as Linux's TCP */
		return hcnet_ret(total ? recv_stream(fd, m, total, nb, msgf,
						     flags & MSG_WAITALL) : 0);
	}
	return hcnet_ret(recv_dgram(fd, m, total, nb, msgf));
}

/* ---- the libc names ---- */

EXPORT ssize_t sendto(int fd, const void *buf, size_t len, int flags,
		      const struct sockaddr *sa, socklen_t salen)
{
	struct iovec v = { (void *)buf, len };
	struct msghdr m = { .msg_name = (void *)sa, .msg_namelen = salen,
			    .msg_iov = &v, .msg_iovlen = 1 };
	int type;

	if (sa && hcnet_decide(fd, hcnet_where_connect(sa, salen), "sendto",
			       sa, salen) < 0)
		return -1;
	if (!hcnet_is_host(fd, &type))
		return REAL(sendto)(fd, buf, len, flags, sa, salen);
	return hcnet_host_send(fd, type, &m, flags);
}

EXPORT ssize_t send(int fd, const void *buf, size_t len, int flags)
{
	return sendto(fd, buf, len, flags, NULL, 0);
}

EXPORT ssize_t sendmsg(int fd, const struct msghdr *m, int flags)
{
	int type;

	if (m && m->msg_name &&
	    hcnet_decide(fd, hcnet_where_connect(m->msg_name, m->msg_namelen),
			 "sendmsg", m->msg_name, m->msg_namelen) < 0)
		return -1;
	if (!m || !hcnet_is_host(fd, &type))
		return REAL(sendmsg)(fd, m, flags);
	return hcnet_host_send(fd, type, m, flags);
}

EXPORT ssize_t recvfrom(int fd, void *buf, size_t len, int flags,
			struct sockaddr *sa, socklen_t *salen)
{
	struct iovec v = { buf, len };
	struct msghdr m = { .msg_name = sa, .msg_iov = &v, .msg_iovlen = 1 };
	ssize_t r;
	int type;

	if (!hcnet_is_host(fd, &type))
		return REAL(recvfrom)(fd, buf, len, flags, sa, salen);
	if (sa && salen)
		m.msg_namelen = *salen;
	else
		m.msg_name = NULL;
	r = hcnet_host_recv(fd, type, &m, flags);
	if (r >= 0 && m.msg_name)
		*salen = m.msg_namelen;
	return r;
}

EXPORT ssize_t recv(int fd, void *buf, size_t len, int flags)
{
	return recvfrom(fd, buf, len, flags, NULL, NULL);
}

EXPORT ssize_t recvmsg(int fd, struct msghdr *m, int flags)
{
	int type;

	if (!m || !hcnet_is_host(fd, &type))
		return REAL(recvmsg)(fd, m, flags);
	return hcnet_host_recv(fd, type, m, flags);
}

EXPORT int sendmmsg(int fd, struct mmsghdr *v, unsigned int n, int flags)
{
	unsigned int i;
	ssize_t r;
	int type;

	if (!hcnet_is_host(fd, &type))
		return REAL(sendmmsg)(fd, v, n, flags);
	for (i = 0; i < n; i++) {
		r = hcnet_host_send(fd, type, &v[i].msg_hdr, flags);
		if (r < 0)
			return i ? (int)i : -1;
		v[i].msg_len = (unsigned int)r;
	}
	return (int)i;
}

EXPORT int recvmmsg(int fd, struct mmsghdr *v, unsigned int n, int flags,
		    struct timespec *timeout)
{
	unsigned int i;
	ssize_t r;
	int type;

	if (!hcnet_is_host(fd, &type))
		return REAL(recvmmsg)(fd, v, n, flags, timeout);
	/* the timeout is not applied (documented): SO_RCVTIMEO is */
	for (i = 0; i < n; i++) {
		r = hcnet_host_recv(fd, type, &v[i].msg_hdr, flags);
		if (r < 0)
			return i ? (int)i : -1;
		v[i].msg_len = (unsigned int)r;
		if (flags & MSG_WAITFORONE)
			flags |= MSG_DONTWAIT;
	}
	return (int)i;
}

/* _FORTIFY_SOURCE's names for recv and recvfrom */
EXPORT ssize_t __recv_chk(int fd, void *buf, size_t len, size_t buflen,
			  int flags)
{
	if (len > buflen)
		abort();
	return recv(fd, buf, len, flags);
}

EXPORT ssize_t __recvfrom_chk(int fd, void *buf, size_t len, size_t buflen,
			      int flags, struct sockaddr *sa, socklen_t *salen)
{
	if (len > buflen)
		abort();
	return recvfrom(fd, buf, len, flags, sa, salen);
}
