/* SPDX-License-Identifier: MIT */
/*
 * Name lookups for GETADDRINFO (Documentation/sock.md, "Confinement").
 * glibc's getaddrinfo opens /etc/nsswitch.conf, /etc/hosts and
 * /etc/resolv.conf (and may load NSS modules) at every lookup, which a
 * shadow without the fs module may not do once confined. Such a shadow
 * forks this resolver helper before confinement: like the launcher it
 * runs as the same host user without the shadow's allow list, with
 * no_new_privs and a deny list of its own (seccomp_resolver: no exec, no
 * listening, no signals to others, no file changes, opens read only),
 * holding nothing of the shadow's but its channels, and it does one
 * thing: getaddrinfo for checked requests (a subverted shadow gets name
 * lookups from it, nothing more). It dies with its shadow.
 *
 * One channel (a SOCK_SEQPACKET pair) per offload worker, each served by
 * a thread of the helper, so lookups still run side by side.
 *   Request: struct rs_req, then node NUL service NUL (len bytes).
 *   Reply:   struct rs_rep, then count struct rs_rec.
 * A shadow with fs (or whose helper did not start) calls glibc itself;
 * either way the answer is a list sock_freeaddrinfo frees.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include "log.h"
#include "shadow.h"
#include "sock.h"

#define RS_MAGIC	0x52534c31u	/* "RSL1" */
#define RS_CHANS	4		/* offload.c's workers */
#define RS_STR_MAX	512		/* node and service, NULs included */
#define RS_RECS		64		/* records in one answer, at most */
#define RS_FD		3		/* the helper's first channel */

struct rs_req {
	uint32_t magic;
	int32_t family, socktype, flags;
	uint32_t len;
};

struct rs_rep {
	uint32_t magic;
	int32_t err;		/* 0 or EAI_* */
	int32_t sys;		/* errno with EAI_SYSTEM */
	uint32_t count;
};

struct rs_rec {
	int32_t family, socktype, protocol;
	uint32_t addrlen;
	unsigned char addr[28];
};

static int chans[RS_CHANS] = { -1, -1, -1, -1 };
static int busy[RS_CHANS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t freed = PTHREAD_COND_INITIALIZER;

/* ---- answers as our own lists ---- */

/* One record onto *tail (inet families only): 0 or -ENOMEM. */
static int add(struct addrinfo ***tail, int family, int socktype,
	       int protocol, const void *addr, size_t addrlen)
{
	struct addrinfo *ai;

	if ((family != AF_INET && family != AF_INET6) ||
	    addrlen > sizeof(struct sockaddr_storage) ||
	    addrlen > sizeof(((struct rs_rec *)0)->addr))
		return 0;
	ai = calloc(1, sizeof(*ai) + sizeof(struct sockaddr_storage));
	if (!ai)
		return -ENOMEM;
	ai->ai_family = family;
	ai->ai_socktype = socktype;
	ai->ai_protocol = protocol;
	ai->ai_addrlen = (socklen_t)addrlen;
	ai->ai_addr = (struct sockaddr *)(ai + 1);
	memcpy(ai->ai_addr, addr, addrlen);
	**tail = ai;
	*tail = &ai->ai_next;
	return 0;
}

void sock_freeaddrinfo(struct addrinfo *ai)
{
	struct addrinfo *n;

	for (; ai; ai = n) {
		n = ai->ai_next;
		free(ai);
	}
}

/* glibc's own lookup, copied: what the helper runs, and the shadow
 * itself when it may open files. */
static int lookup(const char *node, const char *service,
		  const struct addrinfo *hints, struct addrinfo **res)
{
	struct addrinfo *real = NULL, *ai, **tail = res;
	int e;

	*res = NULL;
	e = getaddrinfo(node, service, hints, &real);
	if (e)
		return e;
	for (ai = real; ai && !e; ai = ai->ai_next)
		e = add(&tail, ai->ai_family, ai->ai_socktype,
			ai->ai_protocol, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(real);
	if (e) {
		sock_freeaddrinfo(*res);
		*res = NULL;
		errno = -e;
		return EAI_SYSTEM;
	}
	return 0;
}

/* ---- the helper ---- */

/* A request as the guest's input was checked in the shadow, again: the
 * node and service, or NULL. */
static const char *req_ok(const struct rs_req *q, const char *s, size_t n,
			  const char **service)
{
	size_t nl;

	if (n != sizeof(*q) + q->len || q->magic != RS_MAGIC ||
	    q->len < 2 || q->len > RS_STR_MAX || s[q->len - 1] ||
	    (q->family != AF_UNSPEC && q->family != AF_INET &&
	     q->family != AF_INET6) ||
	    (q->socktype != 0 && q->socktype != SOCK_STREAM &&
	     q->socktype != SOCK_DGRAM) || (q->flags & ~SOCK_AI_OK))
		return NULL;
	nl = strnlen(s, q->len);
	if (nl + 1 >= q->len || nl + 1 + strlen(s + nl + 1) + 1 != q->len)
		return NULL;
	*service = s + nl + 1;
	return s;
}

static void *serve(void *arg)
{
	static __thread union {
		struct rs_req q;
		unsigned char b[sizeof(struct rs_req) + RS_STR_MAX];
	} in;
	static __thread union {
		struct rs_rep p;
		unsigned char b[sizeof(struct rs_rep) +
				RS_RECS * sizeof(struct rs_rec)];
	} out;
	int fd = (int)(intptr_t)arg;
	struct addrinfo hints, *res, *ai;
	const char *node, *service;
	struct rs_rec rec;
	ssize_t n;

	for (;;) {
		n = recv(fd, in.b, sizeof(in.b), 0);
		if (n <= 0)
			_exit(0);	/* the shadow is gone */
		memset(&out.p, 0, sizeof(out.p));
		out.p.magic = RS_MAGIC;
		node = (size_t)n < sizeof(in.q) ? NULL :
		       req_ok(&in.q, (char *)in.b + sizeof(in.q),
			      (size_t)n, &service);
		if (!node) {
			out.p.err = EAI_SYSTEM;
			out.p.sys = EINVAL;
		} else {
			memset(&hints, 0, sizeof(hints));
			hints.ai_family = in.q.family;
			hints.ai_socktype = in.q.socktype;
			hints.ai_flags = in.q.flags;
			out.p.err = lookup(node[0] ? node : NULL,
					   service[0] ? service : NULL,
					   &hints, &res);
			out.p.sys = out.p.err == EAI_SYSTEM ? errno : 0;
			for (ai = out.p.err ? NULL : res;
			     ai && out.p.count < RS_RECS; ai = ai->ai_next) {
				memset(&rec, 0, sizeof(rec));
				rec.family = ai->ai_family;
				rec.socktype = ai->ai_socktype;
				rec.protocol = ai->ai_protocol;
				rec.addrlen = ai->ai_addrlen;
				memcpy(rec.addr, ai->ai_addr, ai->ai_addrlen);
				memcpy(out.b + sizeof(out.p) +
				       out.p.count++ * sizeof(rec), &rec,
				       sizeof(rec));
			}
			if (!out.p.err)
				sock_freeaddrinfo(res);
		}
		if (send(fd, out.b, sizeof(out.p) + out.p.count * sizeof(rec),
			 MSG_NOSIGNAL) < 0)
			_exit(0);
	}
	return NULL;
}

static void helper(int sv[RS_CHANS][2], pid_t shadow)
{
	pthread_t t;
	int i, tmp[RS_CHANS];

	/* Nothing of the shadow's but the channels and stdio: not the
	 * session socket, the window, the ring, the audit socket. */
	for (i = 0; i < RS_CHANS; i++)
		if ((tmp[i] = fcntl(sv[i][1], F_DUPFD_CLOEXEC, 64)) < 0)
			_exit(1);
	for (i = 0; i < RS_CHANS; i++)
		if (dup2(tmp[i], RS_FD + i) < 0)
			_exit(1);
	if (close_range(RS_FD + RS_CHANS, ~0U, 0) < 0)
		_exit(1);
	log_sink = NULL;	/* no audit socket here: stderr */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != shadow)
		_exit(0);
	/* Fail closed: a helper that cannot confine itself answers
	 * nothing (lookups then fail with EIO). */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 || seccomp_resolver() < 0)
		_exit(1);
	prctl(PR_SET_NAME, "hc-resolver");
	for (i = 1; i < RS_CHANS; i++)
		if (pthread_create(&t, NULL, serve,
				   (void *)(intptr_t)(RS_FD + i)) != 0)
			_exit(1);
	serve((void *)(intptr_t)RS_FD);
}

int sock_resolver_start(void)
{
	int sv[RS_CHANS][2], i, e;
	pid_t shadow = getpid(), pid;

	for (i = 0; i < RS_CHANS; i++) {
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
			       sv[i]) < 0) {
			e = -errno;
			while (i--) {
				close(sv[i][0]);
				close(sv[i][1]);
			}
			return e;
		}
	}
	pid = fork();
	if (pid == 0)
		helper(sv, shadow);
	e = pid < 0 ? -errno : 0;
	for (i = 0; i < RS_CHANS; i++) {
		close(sv[i][1]);
		if (e)
			close(sv[i][0]);
		else
			chans[i] = sv[i][0];
	}
	return e;
}

/* ---- the shadow's side ---- */

/* A free channel (one per worker: waiting is for safety only), or -1
 * without a helper. */
static int take_chan(void)
{
	int i = RS_CHANS;

	pthread_mutex_lock(&lock);
	while (chans[0] >= 0) {
		for (i = 0; i < RS_CHANS && busy[i]; i++)
			;
		if (i < RS_CHANS)
			break;
		pthread_cond_wait(&freed, &lock);
	}
	if (i < RS_CHANS)
		busy[i] = 1;
	pthread_mutex_unlock(&lock);
	return i < RS_CHANS ? i : -1;
}

static void give_chan(int i)
{
	pthread_mutex_lock(&lock);
	busy[i] = 0;
	pthread_cond_signal(&freed);
	pthread_mutex_unlock(&lock);
}

/* The helper's answer, checked as input too: 0 or EAI_*. */
static int ask(int fd, const struct addrinfo *hints, const char *node,
	       const char *service, struct addrinfo **res)
{
	union {
		struct rs_req q;
		unsigned char b[sizeof(struct rs_req) + RS_STR_MAX];
	} in;
	union {
		struct rs_rep p;
		unsigned char b[sizeof(struct rs_rep) +
				RS_RECS * sizeof(struct rs_rec)];
	} out;
	size_t nl = strlen(node) + 1, sl = strlen(service) + 1;
	struct addrinfo **tail = res;
	struct rs_rec rec;
	uint32_t i;
	ssize_t n;

	*res = NULL;
	if (nl + sl > RS_STR_MAX)
		return EAI_NONAME;
	memset(&in.q, 0, sizeof(in.q));
	in.q.magic = RS_MAGIC;
	in.q.family = hints->ai_family;
	in.q.socktype = hints->ai_socktype;
	in.q.flags = hints->ai_flags;
	in.q.len = (uint32_t)(nl + sl);
	memcpy(in.b + sizeof(in.q), node, nl);
	memcpy(in.b + sizeof(in.q) + nl, service, sl);
	if (send(fd, in.b, sizeof(in.q) + nl + sl, MSG_NOSIGNAL) < 0 ||
	    (n = recv(fd, out.b, sizeof(out.b), 0)) < (ssize_t)sizeof(out.p))
		goto broken;
	if (out.p.magic != RS_MAGIC || out.p.count > RS_RECS ||
	    (size_t)n != sizeof(out.p) + out.p.count * sizeof(rec))
		goto broken;
	if (out.p.err) {
		errno = out.p.sys;
		return out.p.err;
	}
	for (i = 0; i < out.p.count; i++) {
		memcpy(&rec, out.b + sizeof(out.p) + i * sizeof(rec),
		       sizeof(rec));
		if (add(&tail, rec.family, rec.socktype, rec.protocol,
			rec.addr, rec.addrlen) < 0) {
			sock_freeaddrinfo(*res);
			*res = NULL;
			errno = ENOMEM;
			return EAI_SYSTEM;
		}
	}
	return 0;
broken:
	log_msg("resolver helper: no answer");
	errno = EIO;
	return EAI_SYSTEM;
}

int sock_getaddrinfo(const char *node, const char *service,
		     const struct addrinfo *hints, struct addrinfo **res)
{
	int i, e;

	i = take_chan();
	if (i < 0)
		return lookup(node, service, hints, res);
	e = ask(chans[i], hints, node ? node : "", service ? service : "",
		res);
	give_chan(i);
	return e;
}
