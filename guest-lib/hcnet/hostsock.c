// SPDX-License-Identifier: MIT
/*
 * hcnet: the socket calls that are not data. socket(2) makes a pending
 * guest socket; connect and bind decide where it lives (pending.c); on a
 * driver socket fd every call is one HOSTCALL_IOC_SOCK (hc_sock_call),
 * on any other fd libc's own. read, write, poll, select, epoll, fcntl,
 * dup and close need no shim: the driver's fd is a real fd.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "hcnet.h"

#define EXPORT __attribute__((visibility("default")))

int hcnet_is_host(int fd, int *type)
{
	struct hostcall_ioc_sock_info i;

	if (fd < 0 || hc_sock_info(fd, &i) < 0)
		return 0;
	if (type)
		*type = i.type;
	return 1;
}

long hcnet_ret(int64_t r)
{
	if (r < 0) {
		errno = (int)-r;
		return -1;
	}
	return (long)r;
}

/* One call with no data but an address out (accept, names). */
static int64_t call_addr_out(int fd, unsigned fn, int64_t a1, unsigned flags,
			     struct sockaddr *sa, socklen_t *len)
{
	unsigned char a[HC_SOCK_ADDR_MAX];
	size_t used = 0;
	int64_t r;

	r = hc_sock_call(fd, fn, a1, 0, 0, flags, NULL, 0, a, sizeof(a), &used);
	if (r >= 0 && sa && len)
		hcnet_addr_out(a, used < sizeof(a) ? used : sizeof(a), sa, len);
	return r;
}

/* connect and bind: decide a pending socket, then the host's call or
 * libc's */
static int call_addr_in(int fd, const struct sockaddr *sa, socklen_t len,
			enum hcnet_where where, const char *what, unsigned fn,
			int (*real)(int, const struct sockaddr *, socklen_t))
{
	unsigned char a[HC_SOCK_ADDR_MAX];
	int n;

	if (hcnet_decide(fd, where, what, sa, len) < 0)
		return -1;
	if (!hcnet_is_host(fd, NULL))
		return real(fd, sa, len);
	n = hcnet_addr_for_host(sa, len, a);
	if (n < 0)
		return (int)hcnet_ret(n);
	return (int)hcnet_ret(hc_sock_call(fd, fn, 0, 0, 0, 0, a, (size_t)n,
					   NULL, 0, NULL));
}

EXPORT int socket(int domain, int type, int protocol)
{
	int fd = REAL(socket)(domain, type, protocol);
	int base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd >= 0 && (domain == AF_INET || domain == AF_INET6) &&
	    ((base == SOCK_STREAM && (!protocol || protocol == IPPROTO_TCP)) ||
	     (base == SOCK_DGRAM && (!protocol || protocol == IPPROTO_UDP))))
		hcnet_pending_add(fd, domain, base, protocol);
	return fd;
}

EXPORT int connect(int fd, const struct sockaddr *sa, socklen_t len)
{
	return call_addr_in(fd, sa, len, hcnet_where_connect(sa, len), "connect",
			    HC_SOCK_CONNECT, REAL(connect));
}

EXPORT int bind(int fd, const struct sockaddr *sa, socklen_t len)
{
	return call_addr_in(fd, sa, len, hcnet_where_bind(sa, len), "bind",
			    HC_SOCK_BIND, REAL(bind));
}

EXPORT int listen(int fd, int backlog)
{
	/* listening with no address decided: the guest's (as bind to
	 * 0.0.0.0:0 then listen would be on a machine without a NIC) */
	hcnet_decide(fd, HCNET_GUEST, "listen", NULL, 0);
	if (!hcnet_is_host(fd, NULL))
		return REAL(listen)(fd, backlog);
	return (int)hcnet_ret(hc_sock_call(fd, HC_SOCK_LISTEN, backlog, 0, 0,
					   0, NULL, 0, NULL, 0, NULL));
}

EXPORT int accept4(int fd, struct sockaddr *sa, socklen_t *len, int flags)
{
	if (!hcnet_is_host(fd, NULL))
		return REAL(accept4)(fd, sa, len, flags);
	if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) {
		errno = EINVAL;
		return -1;
	}
	return (int)hcnet_ret(call_addr_out(fd, HC_SOCK_ACCEPT, 0,
					    (unsigned)flags, sa, len));
}

EXPORT int accept(int fd, struct sockaddr *sa, socklen_t *len)
{
	return accept4(fd, sa, len, 0);
}

EXPORT int getsockname(int fd, struct sockaddr *sa, socklen_t *len)
{
	if (!hcnet_is_host(fd, NULL))
		return REAL(getsockname)(fd, sa, len);
	return hcnet_ret(call_addr_out(fd, HC_SOCK_GETSOCKNAME, 0, 0, sa, len)) < 0 ? -1 : 0;
}

EXPORT int getpeername(int fd, struct sockaddr *sa, socklen_t *len)
{
	if (!hcnet_is_host(fd, NULL))
		return REAL(getpeername)(fd, sa, len);
	return hcnet_ret(call_addr_out(fd, HC_SOCK_GETPEERNAME, 0, 0, sa, len)) < 0 ? -1 : 0;
}

/* What the fd says of itself, without the host. */
static int local_opt(int fd, int name, void *val, socklen_t *len)
{
	struct hostcall_ioc_sock_info i;
	int v;

	if (hc_sock_info(fd, &i) < 0)
		return -1;
	if (name == SO_DOMAIN)
		v = i.family;
	else if (name == SO_TYPE)
		v = i.type;
	else
		v = i.type == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP;
	if (!val || !len || *len < sizeof(int)) {
		errno = EINVAL;
		return -1;
	}
	memcpy(val, &v, sizeof(v));
	*len = sizeof(v);
	return 0;
}

EXPORT int getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	size_t used = 0;
	int64_t r;

	if (!hcnet_is_host(fd, NULL))
		return REAL(getsockopt)(fd, level, name, val, len);
	if (level == SOL_SOCKET &&
	    (name == SO_DOMAIN || name == SO_TYPE || name == SO_PROTOCOL))
		return local_opt(fd, name, val, len);
	if (!len) {
		errno = EFAULT;
		return -1;
	}
	r = hc_sock_call(fd, HC_SOCK_GETSOCKOPT, level, name, 0, 0, NULL, 0,
			 val, *len, &used);
	if (r < 0)
		return (int)hcnet_ret(r);
	*len = (socklen_t)used;
	return 0;
}

EXPORT int setsockopt(int fd, int level, int name, const void *val,
		      socklen_t len)
{
	struct hcnet_pending *p;
	int r;

	if (hcnet_is_host(fd, NULL))
		return (int)hcnet_ret(hc_sock_call(fd, HC_SOCK_SETSOCKOPT, level,
						   name, 0, 0, val, len, NULL,
						   0, NULL));
	r = REAL(setsockopt)(fd, level, name, val, len);
	if (r == 0 && (p = hcnet_pending_claim(fd))) {
		hcnet_pending_opt(p, level, name, val, len);
		hcnet_pending_release(p, 0);
	}
	return r;
}

EXPORT int shutdown(int fd, int how)
{
	if (!hcnet_is_host(fd, NULL))
		return REAL(shutdown)(fd, how);
	return (int)hcnet_ret(hc_sock_call(fd, HC_SOCK_SHUTDOWN, how, 0, 0, 0,
					   NULL, 0, NULL, 0, NULL));
}

EXPORT int epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	struct hcnet_pending *p;
	int r = REAL(epoll_ctl)(epfd, op, fd, ev);

	if (r == 0 && (p = hcnet_pending_claim(fd))) {
		hcnet_pending_epoll(p, epfd, op, ev);
		hcnet_pending_release(p, 0);
	}
	return r;
}
