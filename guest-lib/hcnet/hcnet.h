/* SPDX-License-Identifier: MIT */
/*
 * hcnet: the LD_PRELOAD shim that serves a dynamically linked program's
 * AF_INET and AF_INET6 sockets on the host (Documentation/hcnet.md).
 * Internal to libhcnet.so; nothing here is exported but the libc names
 * the shim interposes.
 */
#ifndef HCNET_H
#define HCNET_H

#include <netdb.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "hostcall.h"

/* ---- the next definitions of what the shim interposes (real.c) ---- */
struct hcnet_real {
	int (*socket)(int, int, int);
	int (*connect)(int, const struct sockaddr *, socklen_t);
	int (*bind)(int, const struct sockaddr *, socklen_t);
	int (*listen)(int, int);
	int (*accept4)(int, struct sockaddr *, socklen_t *, int);
	int (*getsockname)(int, struct sockaddr *, socklen_t *);
	int (*getpeername)(int, struct sockaddr *, socklen_t *);
	int (*getsockopt)(int, int, int, void *, socklen_t *);
	int (*setsockopt)(int, int, int, const void *, socklen_t);
	int (*shutdown)(int, int);
	ssize_t (*sendto)(int, const void *, size_t, int,
			  const struct sockaddr *, socklen_t);
	ssize_t (*recvfrom)(int, void *, size_t, int, struct sockaddr *,
			    socklen_t *);
	ssize_t (*sendmsg)(int, const struct msghdr *, int);
	ssize_t (*recvmsg)(int, struct msghdr *, int);
	int (*sendmmsg)(int, struct mmsghdr *, unsigned int, int);
	int (*recvmmsg)(int, struct mmsghdr *, unsigned int, int,
			struct timespec *);
	int (*getaddrinfo)(const char *, const char *, const struct addrinfo *,
			   struct addrinfo **);
	void (*freeaddrinfo)(struct addrinfo *);
	int (*gethostbyname2_r)(const char *, int, struct hostent *, char *,
				size_t, struct hostent **, int *);
	int (*epoll_ctl)(int, int, int, struct epoll_event *);
};
extern struct hcnet_real hcnet_real;
extern int hcnet_debug;
void hcnet_real_init(void);
/* libc's NAME, looked up now if a constructor called the shim before ours */
#define REAL(name) (*(hcnet_real.socket ? (void)0 : hcnet_real_init(), hcnet_real.name))
/* a line on stderr, "hcnet: ..."; hcnet_dbg only with HCNET_DEBUG set */
void hcnet_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define hcnet_dbg(...) do { if (hcnet_debug) hcnet_say(__VA_ARGS__); } while (0)

/* ---- this process's session, opened lazily, again after fork (session.c) */
hc_session *hcnet_session(void);
/* Report once that the host cannot serve (why: an errno): sockets stay
 * in the guest. */
void hcnet_no_host(int err);

/* ---- where an address lives (addr.c) ---- */
enum hcnet_where {
	HCNET_GUEST,	/* guest loopback, AF_UNIX, 0.0.0.0 to connect to */
	HCNET_HOST,	/* anything else, host.internal included */
	HCNET_LATER,	/* AF_UNSPEC, too short, a wildcard bind to port 0 */
};
enum hcnet_where hcnet_where_connect(const struct sockaddr *sa, socklen_t len);
enum hcnet_where hcnet_where_bind(const struct sockaddr *sa, socklen_t len);
int hcnet_is_loopback(const struct sockaddr *sa, socklen_t len);
/* The address as the host takes it (16 or 28 bytes) into out; its length
 * or -errno (-EINVAL too short, -EAFNOSUPPORT not inet, -ENETUNREACH a
 * guest loopback address: a host socket must never reach the host's). */
int hcnet_addr_for_host(const struct sockaddr *sa, socklen_t len,
			unsigned char out[HC_SOCK_ADDR_MAX]);
/* Copy an address the host gave (n bytes) out as getsockname(2) does. */
void hcnet_addr_out(const void *a, size_t n, struct sockaddr *sa,
		    socklen_t *len);
/* A line for HCNET_DEBUG: "1.2.3.4:80" */
const char *hcnet_addr_str(const struct sockaddr *sa, socklen_t len,
			   char *buf, size_t size);

/* ---- names (gai.c) ---- */
/* 1 when the guest's own resolver answers for node (see gai.c) */
int hcnet_guest_resolves(const char *node, const char *service, int family,
			 int flags);

/* ---- sockets not decided yet (pending.c) ---- */
struct hcnet_pending;
/* socket(2) made fd: remember it as pending. */
void hcnet_pending_add(int fd, int family, int type, int protocol);
/* The fd's pending entry, locked, or NULL (not pending, or the fd is no
 * longer the socket that was: closed and reused). */
struct hcnet_pending *hcnet_pending_claim(int fd);
/* Unlock; decided: forget it. */
void hcnet_pending_release(struct hcnet_pending *p, int decided);
/* A setsockopt(2) that succeeded on the guest socket, replayed on the
 * host's. */
void hcnet_pending_opt(struct hcnet_pending *p, int level, int name,
		       const void *val, socklen_t len);
/* An epoll_ctl(2) that succeeded on the pending socket: the switch closes
 * the guest's socket, which leaves its epoll sets, so the host's is added
 * to them again. */
void hcnet_pending_epoll(struct hcnet_pending *p, int epfd, int op,
			 const struct epoll_event *ev);
/* Make the host's socket and dup2 it over fd: 0, 1 when the host cannot
 * serve (the socket stays in the guest), or -errno. */
int hcnet_pending_to_host(struct hcnet_pending *p, int fd);
/* What connect, bind or sendto (what) to sa decides for a pending fd
 * (where: hcnet_where_*): 0, or -1 with errno (the host's socket could
 * not be made; the fd stays pending). */
int hcnet_decide(int fd, enum hcnet_where where, const char *what,
		 const struct sockaddr *sa, socklen_t len);

/* ---- a socket the host serves (hostsock.c, hostdata.c) ---- */
/* 1 and its type if fd is one of the driver's socket fds, else 0. */
int hcnet_is_host(int fd, int *type);
/* Result of a host call as libc returns it: r >= 0, else -1 and errno. */
long hcnet_ret(int64_t r);
ssize_t hcnet_host_send(int fd, int type, const struct msghdr *m, int flags);
ssize_t hcnet_host_recv(int fd, int type, struct msghdr *m, int flags);

#endif /* HCNET_H */
