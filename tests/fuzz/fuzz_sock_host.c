/* SPDX-License-Identifier: MIT */
/*
 * The shadow around the sock module for fuzz_sock.c: the module API
 * (hcm_*) on a fake loop (watches polled when the script says so, offload
 * jobs run when the loop turns), and the system calls that could reach
 * the world wrapped at link time (-Wl,--wrap): bind and connect go only
 * to loopback, connect and sendmsg only to ports this process bound, and
 * getaddrinfo never reads a file or asks DNS (numeric only, plus a few
 * made-up names whose answers carry what glibc might return: other
 * families, other socket types, many records). Every socket the module
 * opens is counted so the harness can check none leaks.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "fuzz_sock.h"

#define CHECK(c)	do { if (!(c)) __builtin_trap(); } while (0)

struct shadow_policy pol;
const struct hcm_module *hcm_current;
static struct hcm_session *self = (struct hcm_session *)&self;

/* ---- calls ---- */

int64_t hcm_arg(const struct hcm_call *c, unsigned int i)
{
	return i < 4 ? call_of(c)->args[i] : 0;
}

const void *hcm_in(const struct hcm_call *c, size_t *len)
{
	*len = call_of(c)->in_len;
	return call_of(c)->in_len ? call_of(c)->in : (const void *)"";
}

void *hcm_out(struct hcm_call *c, size_t *max)
{
	*max = call_of(c)->out_max;
	return call_of(c)->out;
}

void hcm_set_out_len(struct hcm_call *c, size_t len)
{
	/* the module never claims more than the guest gave room for */
	CHECK(len <= call_of(c)->out_max);
	call_of(c)->out_len = (uint32_t)len;
}

void *hcm_state(const struct hcm_call *c)
{
	(void)c;
	return fz_state;
}

struct hcm_session *hcm_self(void)
{
	return self;
}

void hcm_complete(struct hcm_call *h, int64_t result)
{
	struct call *c = call_of(h);

	/* once, and only for a call that went asynchronous */
	CHECK(c->pending && !c->internal);
	CHECK(result != HCM_ASYNC && result >= -4095);
	c->pending = 0;
	c->internal = 1;	/* answered */
	c->on_cancel = NULL;
	c->job_res = result;
}

void hcm_on_cancel(struct hcm_call *c, void (*cancel)(struct hcm_call *c))
{
	call_of(c)->on_cancel = cancel;
}

void hcm_audit(struct hcm_session *s, const char *event, const char *f)
{
	CHECK(s == self && event && f);
}

int shadow_audit_limit(const char *limit, pid_t pid, int err)
{
	(void)limit;
	(void)pid;
	return err;
}

void ring_flush(void)
{
}

int seccomp_resolver(void)	/* no resolver helper here (fs is on) */
{
	__builtin_trap();
}

/* ---- the loop: watches and jobs ---- */

struct watch {
	int fd;
	unsigned events;
	void (*cb)(void *arg, int revents);
	void *arg;
};

static struct watch watches[FZ_MAX_FDS];
static int nwatches;

int hcm_watch(struct hcm_session *s, int fd, unsigned int events,
	      void (*cb)(void *arg, int revents), void *arg)
{
	int i;

	CHECK(s == self && fd >= 0 && cb && events);
	for (i = 0; i < nwatches; i++)
		if (watches[i].fd == fd)
			return -EBUSY;
	CHECK(nwatches < FZ_MAX_FDS);
	watches[nwatches++] = (struct watch){ fd, events, cb, arg };
	return 0;
}

int hcm_unwatch(struct hcm_session *s, int fd)
{
	int i;

	CHECK(s == self);
	for (i = 0; i < nwatches; i++) {
		if (watches[i].fd == fd) {
			watches[i] = watches[--nwatches];
			return 0;
		}
	}
	return -ENOENT;
}

static struct call *jobs[FZ_MAX_CALLS];
static int njobs;

int64_t offload(struct call *c, int64_t (*job)(struct call *c))
{
	CHECK(njobs < FZ_MAX_CALLS);
	c->job = job;
	jobs[njobs++] = c;
	return HCM_ASYNC;
}

/* One turn: finished jobs answered, ready watches fired (spurious is
 * also what a watch may see: the module tries its call again). */
void fz_loop(int spurious)
{
	struct watch now[FZ_MAX_FDS];
	struct pollfd pf;
	int i, j, n;

	while (njobs) {
		struct call *c = jobs[--njobs];

		hcm_complete(hcm_of(c), c->job(c));
	}
	fz_tls_turn();
	/* The watches armed now, each once: a callback may watch again. */
	n = nwatches;
	memcpy(now, watches, n * sizeof(*now));
	for (i = 0; i < n; i++) {
		for (j = 0; j < nwatches; j++)	/* still armed? */
			if (watches[j].fd == now[i].fd &&
			    watches[j].arg == now[i].arg)
				break;
		if (j == nwatches)
			continue;
		pf.fd = now[i].fd;
		pf.events = (short)now[i].events;
		pf.revents = 0;
		if (poll(&pf, 1, 0) <= 0 && !spurious)
			continue;
		watches[j] = watches[--nwatches];
		now[i].cb(now[i].arg, pf.revents);
	}
}

int fz_watching(void)
{
	return nwatches;
}

/* ---- the wrapped system calls ---- */

static unsigned char open_fd[FZ_MAX_FDS];
static uint16_t ports[16];	/* what this process bound, by index */
static unsigned nports;
static uint16_t tls_port;

void fz_tls_port(uint16_t port)
{
	tls_port = port;
}

uint16_t fz_port(unsigned i)
{
	if (i >= 0xb0 && tls_port)
		return tls_port;
	return nports ? ports[i % nports] : 9;
}

int fz_open_fds(void)
{
	int i, n = 0;

	for (i = 0; i < FZ_MAX_FDS; i++)
		n += open_fd[i];
	return n;
}

static void track(int fd)
{
	if (fd >= 0) {
		CHECK(fd < FZ_MAX_FDS && !open_fd[fd]);
		open_fd[fd] = 1;
	}
}

int __real_socket(int d, int t, int p);
int __wrap_socket(int d, int t, int p)
{
	int fd = __real_socket(d, t, p);

	track(fd);
	return fd;
}

int __real_accept4(int fd, struct sockaddr *a, socklen_t *l, int f);
int __wrap_accept4(int fd, struct sockaddr *a, socklen_t *l, int f)
{
	int n = __real_accept4(fd, a, l, f);

	track(n);
	return n;
}

int __real_close(int fd);
int __wrap_close(int fd)
{
	if (fd >= 0 && fd < FZ_MAX_FDS)
		open_fd[fd] = 0;
	return __real_close(fd);
}

static int loopback(const struct sockaddr *a, socklen_t l, uint16_t *port)
{
	if (a->sa_family == AF_INET && l >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *s = (const void *)a;

		*port = ntohs(s->sin_port);
		return (ntohl(s->sin_addr.s_addr) >> 24) == 127;
	}
	if (a->sa_family == AF_INET6 && l >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *s = (const void *)a;

		*port = ntohs(s->sin6_port);
		return IN6_IS_ADDR_LOOPBACK(&s->sin6_addr) ||
		       (IN6_IS_ADDR_V4MAPPED(&s->sin6_addr) &&
			s->sin6_addr.s6_addr[12] == 127);
	}
	return 0;
}

static int ours(uint16_t port)
{
	unsigned i;

	for (i = 0; i < nports; i++)
		if (ports[i] == port)
			return 1;
	return port && port == tls_port;
}

int __real_bind(int fd, const struct sockaddr *a, socklen_t l);
int __wrap_bind(int fd, const struct sockaddr *a, socklen_t l)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	uint16_t port;

	if (!loopback(a, l, &port)) {
		errno = EADDRNOTAVAIL;
		return -1;
	}
	if (__real_bind(fd, a, l) < 0)
		return -1;
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0 &&
	    loopback((struct sockaddr *)&ss, sl, &port) && !ours(port))
		ports[nports++ % 16] = port;
	if (nports > 16)
		nports = 16;
	return 0;
}

int __real_connect(int fd, const struct sockaddr *a, socklen_t l);
int __wrap_connect(int fd, const struct sockaddr *a, socklen_t l)
{
	uint16_t port;

	if (!loopback(a, l, &port) || !ours(port)) {
		errno = ECONNREFUSED;
		return -1;
	}
	return __real_connect(fd, a, l);
}

ssize_t __real_sendmsg(int fd, const struct msghdr *m, int f);
ssize_t __wrap_sendmsg(int fd, const struct msghdr *m, int f)
{
	uint16_t port;

	if (m->msg_name && (!loopback(m->msg_name, m->msg_namelen, &port) ||
			    !ours(port))) {
		errno = ENETUNREACH;
		return -1;
	}
	return __real_sendmsg(fd, m, f);
}

/* Our own records, so every answer is one freeaddrinfo below frees. */
static struct addrinfo *record(int fam, int type, int proto,
			       const void *addr, socklen_t len)
{
	struct addrinfo *ai = calloc(1, sizeof(*ai) + len);

	CHECK(ai);
	ai->ai_family = fam;
	ai->ai_socktype = type;
	ai->ai_protocol = proto;
	ai->ai_addrlen = len;
	ai->ai_addr = (struct sockaddr *)(ai + 1);
	memcpy(ai->ai_addr, addr, len);
	return ai;
}

void __real_freeaddrinfo(struct addrinfo *ai);
int __real_getaddrinfo(const char *node, const char *service,
		       const struct addrinfo *hints, struct addrinfo **res);
int __wrap_getaddrinfo(const char *node, const char *service,
		       const struct addrinfo *hints, struct addrinfo **res)
{
	struct addrinfo h = *hints, *real, *ai, **tail = res;
	struct sockaddr_in a4 = { .sin_family = AF_INET };
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	int e, i;

	*res = NULL;
	if (node && !strcmp(node, "many.test")) {
		/* more records than any output holds, some to skip */
		for (i = 0; i < 300; i++) {
			a4.sin_addr.s_addr = htonl(0x0a000000 + i);
			*tail = i % 7 == 3 ?
				record(AF_UNIX, SOCK_STREAM, 0, &un, sizeof(un)) :
				record(AF_INET, i % 5 == 1 ? SOCK_RAW :
				       SOCK_STREAM, 0, &a4, sizeof(a4));
			tail = &(*tail)->ai_next;
		}
		return 0;
	}
	if (node && !strcmp(node, "odd.test")) {
		*tail = record(AF_INET, SOCK_DGRAM, 0, &a4, sizeof(a4) - 4);
		return 0;
	}
	/* no file, no DNS: numeric only */
	h.ai_flags |= AI_NUMERICHOST | AI_NUMERICSERV;
	e = __real_getaddrinfo(node, service, &h, &real);
	if (e)
		return e;
	for (ai = real; ai; ai = ai->ai_next) {
		*tail = record(ai->ai_family, ai->ai_socktype,
			       ai->ai_protocol, ai->ai_addr, ai->ai_addrlen);
		tail = &(*tail)->ai_next;
	}
	__real_freeaddrinfo(real);
	return 0;
}

void __wrap_freeaddrinfo(struct addrinfo *ai)
{
	struct addrinfo *n;

	for (; ai; ai = n) {
		n = ai->ai_next;
		free(ai);
	}
}
