/* SPDX-License-Identifier: MIT */
/*
 * The built-in host module "sock" 1.0: guest sockets served by the host's
 * network stack, as the host user (Documentation/sock.md; the function
 * numbers are hostcall_abi.h's enum hc_sock_fn).
 *
 * Every host socket is non-blocking and every function runs on the loop.
 * A call that would block and may wait is queued on its socket: one
 * hcm_watch per socket covers what its queued calls wait for, and when it
 * fires they are tried again in order. Queued calls are cancellable.
 * The resolver blocks, so GETADDRINFO runs on a worker thread.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include "auditfmt.h"
#include "hostcall_abi.h"
#include "log.h"
#include "registry.h"
#include "shadow.h"
#include "sock.h"
#include "sockrule.h"

struct sk;

/* A call waiting on its socket. */
struct pend {
	struct pend *next;
	struct hcm_call *c;
	struct sk *k;
	unsigned events;	/* what it waits for */
	int64_t (*retry)(struct sk *k, struct hcm_call *c);
};

struct sk {
	int fd, handle;
	int family, type;
	int bound, listening, accepted;
	unsigned armed;		/* the events our watch waits for, 0: none */
	struct pend *pend, **pend_tail;
	struct timeval rcvtimeo, sndtimeo;	/* kept for the guest */
	/* for the audit line at close */
	int has_dest;
	struct sockaddr_storage dest;
	char name[SOCKRULE_NAME_MAX + 1];
	char rule[320];
	uint64_t sent, received;
	/* force-tls (sock_tls.c) */
	int tls_wanted;		/* the rules ask for it */
	int tcp_done;		/* the TCP connect finished */
	void *tls;		/* the TLS client, once connected */
	unsigned want;		/* what the last TLS step waits for */
	int hs_bg;		/* a non-blocking CONNECT's handshake runs */
	unsigned hs_want;	/* and waits for this (0: POLLOUT) */
	int hs_err;		/* and failed: SO_ERROR says so, once */
	int notified;		/* our close_notify went (SHUTDOWN) */
};

struct state {
	struct sk **tab;	/* handle h is tab[h - 1] */
	unsigned max;
	struct hcm_session *s;
};

static struct state *st_of(struct hcm_call *c)
{
	return hcm_state(c);
}

static struct sk *lookup(struct hcm_call *c)
{
	struct state *st = st_of(c);
	int64_t h = hcm_arg(c, 0);

	if (h < 1 || h > st->max)
		return NULL;
	return st->tab[h - 1];
}

static int64_t nonblock(struct hcm_call *c)
{
	int64_t f = hcm_arg(c, 1);

	return f & HC_SOCK_F_NONBLOCK;
}

/* ---- the table ---- */

static int table_add(struct state *st, int fd, int family, int type)
{
	struct sk *k;
	unsigned i;

	for (i = 0; i < st->max && st->tab[i]; i++)
		;
	if (i == st->max)
		return shadow_audit_limit("max-sockets", 0, -EMFILE);
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->fd = fd;
	k->handle = i + 1;
	k->family = family;
	k->type = type;
	k->pend_tail = &k->pend;
	st->tab[i] = k;
	return k->handle;
}

/* One audit line per socket that carried a connection or data. */
static void audit_close(struct sk *k)
{
	char f[768], dest[64], num[32];
	size_t len = 0;

	if (!k->has_dest && !k->sent && !k->received)
		return;
	f[0] = 0;
	audit_kv(f, sizeof(f), &len, "proto",
		 k->type == SOCK_STREAM ? "tcp" : "udp");
	if (k->has_dest)
		sock_addr_text(&k->dest, dest, sizeof(dest));
	else
		snprintf(dest, sizeof(dest), "-");
	audit_kv(f, sizeof(f), &len, k->accepted ? "peer" : "dest", dest);
	audit_kv(f, sizeof(f), &len, "name", k->name[0] ? k->name : "-");
	audit_kv(f, sizeof(f), &len, "rule",
		 k->accepted ? "listen" : k->rule[0] ? k->rule : "-");
	audit_kv(f, sizeof(f), &len, "tls", k->tls ? "1" : "0");
	snprintf(num, sizeof(num), "%llu", (unsigned long long)k->sent);
	audit_kv(f, sizeof(f), &len, "sent", num);
	snprintf(num, sizeof(num), "%llu", (unsigned long long)k->received);
	audit_kv(f, sizeof(f), &len, "received", num);
	hcm_audit(hcm_self(), "sock-close", f);
}

/* ---- waiting ---- */

static void fired(void *arg, int revents);

/* Watch for what the queued calls wait for (nothing: no watch). */
static void arm(struct sk *k)
{
	unsigned want = 0;
	struct pend *p;

	for (p = k->pend; p; p = p->next)
		want |= p->events;
	/* A handshake of its own, for a non-blocking CONNECT: only it can
	 * move, the queued calls wait for its end (their events, the
	 * socket's writability above all, are there all along). */
	if (k->hs_bg)
		want = k->hs_want ? k->hs_want : POLLOUT;
	if (want == k->armed)
		return;
	if (k->armed)
		hcm_unwatch(hcm_self(), k->fd);
	k->armed = 0;
	if (want && hcm_watch(hcm_self(), k->fd, want, fired, k) == 0)
		k->armed = want;
}

static void unqueue(struct sk *k, struct pend *p)
{
	struct pend **pp;

	for (pp = &k->pend; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	}
	k->pend_tail = &k->pend;
	while (*k->pend_tail)
		k->pend_tail = &(*k->pend_tail)->next;
	call_of(p->c)->priv = NULL;
}

static void cancelled(struct hcm_call *c)
{
	struct pend *p = call_of(c)->priv;

	if (!p)
		return;
	unqueue(p->k, p);
	free(p);
	hcm_complete(c, -ECANCELED);
}

/* Queue c until events; retry is tried again then. */
static int64_t wait_for(struct sk *k, struct hcm_call *c, unsigned events,
			int64_t (*retry)(struct sk *, struct hcm_call *))
{
	struct pend *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->c = c;
	p->k = k;
	p->events = events;
	p->retry = retry;
	*k->pend_tail = p;
	k->pend_tail = &p->next;
	call_of(c)->priv = p;
	hcm_on_cancel(c, cancelled);
	arm(k);
	if (!k->armed) {
		unqueue(k, p);
		free(p);
		return -ENOMEM;
	}
	return HCM_ASYNC;
}

/* What a call that found its socket not ready waits for: dflt, or what
 * the TLS layer asked for (a write may need a read first). */
static unsigned waits(struct sk *k, unsigned dflt)
{
	return k->tls && k->want ? k->want : dflt;
}

typedef int64_t (*try_fn)(struct sk *k, struct hcm_call *c);

/*
 * A function that may wait: its socket (handle argument 0), argument 2
 * (MSG_* or POLL*) within allowed, its own check (NULL: none), then one
 * try; if that would block, -EAGAIN for a non-blocking call, else the
 * call waits for events (or what TLS asked for) and tries again then.
 */
static int64_t serve(struct hcm_call *c, int64_t allowed, try_fn check,
		     unsigned events, try_fn try)
{
	struct sk *k = lookup(c);
	int64_t r;

	if (!k)
		return -EBADF;
	if (hcm_arg(c, 2) & ~allowed)
		return -EINVAL;
	if (check && (r = check(k, c)))
		return r;
	k->want = 0;
	r = try(k, c);
	if (r != -EAGAIN || nonblock(c))
		return r;
	return wait_for(k, c, waits(k, events), try);
}

static int64_t connect_step(struct sk *k, struct hcm_call *c);

static void fired(void *arg, int revents)
{
	struct sk *k = arg;
	struct pend *p, *next;
	int64_t r;

	(void)revents;
	k->armed = 0;
	if (k->hs_bg) {
		k->want = 0;
		r = connect_step(k, NULL);
		k->hs_want = k->want;
		if (r != -EAGAIN) {
			k->hs_bg = 0;
			k->hs_err = (int)r;
		}
	}
	/* In order; each tries its own system call again, which says
	 * whether it is still early (a readiness may be consumed by an
	 * earlier call). */
	for (p = k->pend; p; p = next) {
		next = p->next;
		k->want = 0;
		r = p->retry(k, p->c);
		if (r == -EAGAIN) {
			/* TLS may need the other direction first. */
			if (k->want)
				p->events = k->want;
			continue;
		}
		unqueue(k, p);
		hcm_complete(p->c, r);
		free(p);
	}
	arm(k);
}

/* ---- the functions ---- */

static int64_t fn_socket(struct hcm_call *c)
{
	int64_t family = hcm_arg(c, 0), type = hcm_arg(c, 1),
		proto = hcm_arg(c, 2);
	int fd, h;

	if (family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
	if (type != SOCK_STREAM && type != SOCK_DGRAM)
		return -EINVAL;
	if (proto && !(type == SOCK_STREAM && proto == IPPROTO_TCP) &&
	    !(type == SOCK_DGRAM && proto == IPPROTO_UDP))
		return -EPROTONOSUPPORT;
	fd = socket((int)family, (int)type | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    (int)proto);
	if (fd < 0)
		return -errno;
	h = table_add(st_of(c), fd, (int)family, (int)type);
	if (h < 0)
		close(fd);
	return h;
}

/* The guest's address in the call's input at off (len bytes). */
static int addr_arg(struct sk *k, const unsigned char *p, size_t len,
		    struct sockaddr_storage *ss, socklen_t *sl)
{
	return sock_addr_in(p, len, k->family, ss, sl);
}

static int bind_checked(struct sk *k, const struct sockaddr_storage *ss,
			socklen_t sl)
{
	char f[256], text[64];
	uint8_t a[16];
	uint16_t port;
	size_t len = 0;
	int fam = sock_addr_key(ss, a, &port);

	if (!sock_listen_allowed(fam, a, port)) {
		sock_addr_text(ss, text, sizeof(text));
		f[0] = 0;
		audit_kv(f, sizeof(f), &len, "addr", text);
		hcm_audit(hcm_self(), "sock-bind-denied", f);
		return -EACCES;
	}
	if (bind(k->fd, (const struct sockaddr *)ss, sl) < 0)
		return -errno;
	k->bound = 1;
	return 0;
}

static int64_t fn_bind(struct hcm_call *c)
{
	struct sk *k = lookup(c);
	struct sockaddr_storage ss;
	socklen_t sl;
	const unsigned char *in;
	size_t len;
	int e;

	if (!k)
		return -EBADF;
	in = hcm_in(c, &len);
	e = addr_arg(k, in, len, &ss, &sl);
	return e ? e : bind_checked(k, &ss, sl);
}

static int64_t fn_listen(struct hcm_call *c)
{
	struct sk *k = lookup(c);
	int64_t backlog = hcm_arg(c, 1);
	struct sockaddr_storage ss;
	int e;

	if (!k)
		return -EBADF;
	if (k->type != SOCK_STREAM)
		return -EOPNOTSUPP;
	/* The kernel would bind an unbound socket to every address: bind
	 * it to the host's loopback instead, as the rules allow. */
	if (!k->bound) {
		memset(&ss, 0, sizeof(ss));
		ss.ss_family = k->family;
		if (k->family == AF_INET)
			((struct sockaddr_in *)&ss)->sin_addr.s_addr =
				htonl(INADDR_LOOPBACK);
		else
			((struct sockaddr_in6 *)&ss)->sin6_addr =
				in6addr_loopback;
		e = bind_checked(k, &ss, k->family == AF_INET ?
				 sizeof(struct sockaddr_in) :
				 sizeof(struct sockaddr_in6));
		if (e)
			return e;
	}
	if (backlog < 1)
		backlog = 1;
	if (backlog > 4096)
		backlog = 4096;
	if (listen(k->fd, (int)backlog) < 0)
		return -errno;
	k->listening = 1;
	return 0;
}

static int64_t try_accept(struct sk *k, struct hcm_call *c)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct state *st = st_of(c);
	struct sk *n;
	size_t max;
	void *out;
	int fd, h;

	fd = accept4(k->fd, (struct sockaddr *)&ss, &sl,
		     SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	h = table_add(st, fd, k->family, k->type);
	if (h < 0) {
		close(fd);
		return h;
	}
	n = st->tab[h - 1];
	n->accepted = 1;
	n->has_dest = 1;
	n->dest = ss;
	out = hcm_out(c, &max);
	if (max) {
		size_t n = sock_addr_out(&ss, sl, out, max);

		hcm_set_out_len(c, n < max ? n : max);
	}
	return h;
}

static int64_t accept_check(struct sk *k, struct hcm_call *c)
{
	(void)c;
	return k->listening ? 0 : -EINVAL;
}

static int64_t fn_accept(struct hcm_call *c)
{
	return serve(c, -1, accept_check, POLLIN, try_accept);
}

/* A connect in progress: done when writable, its result SO_ERROR. */
static int64_t connect_done(struct sk *k)
{
	struct pollfd pf = { .fd = k->fd, .events = POLLOUT };
	socklen_t l = sizeof(int);
	int err = 0;

	if (poll(&pf, 1, 0) == 0)
		return -EAGAIN;
	if (getsockopt(k->fd, SOL_SOCKET, SO_ERROR, &err, &l) < 0)
		return -errno;
	return err ? -err : 0;
}

static void tls_failed(struct sk *k, const char *why)
{
	char f[768], text[64];
	size_t len = 0;

	sock_addr_text(&k->dest, text, sizeof(text));
	f[0] = 0;
	audit_kv(f, sizeof(f), &len, "dest", text);
	audit_kv(f, sizeof(f), &len, "name", k->name[0] ? k->name : "-");
	audit_kv(f, sizeof(f), &len, "why", why);
	hcm_audit(hcm_self(), "sock-tls-failed", f);
}

/* The TCP connect, then (force-tls) the TLS handshake: 0, -EAGAIN
 * (k->want: what it waits for), or the error. */
static int64_t connect_step(struct sk *k, struct hcm_call *c)
{
	char why[160];
	uint8_t a[16];
	uint16_t port;
	int64_t r;
	int fam;

	(void)c;
	if (!k->tcp_done) {
		r = connect_done(k);
		if (r)
			return r;
		k->tcp_done = 1;
	}
	if (!k->tls_wanted)
		return 0;
	if (!k->tls) {
		fam = sock_addr_key(&k->dest, a, &port);
		k->tls = sock_tls_new(k->fd, k->name, fam, a);
		if (!k->tls) {
			k->tls_wanted = 0;
			tls_failed(k, "no TLS context");
			return -ECONNREFUSED;
		}
	}
	why[0] = 0;
	r = sock_tls_handshake(k->tls, &k->want, why, sizeof(why));
	if (r == -EAGAIN || !r)
		return r;
	tls_failed(k, why);
	/* The connection is not usable as plain text either. */
	sock_tls_free(k->tls);
	k->tls = NULL;
	k->tls_wanted = 0;
	shutdown(k->fd, SHUT_RDWR);
	return r;
}

/* May the guest reach ss? 0 with the rule noted in k, or -EACCES
 * (audited). */
static int dest_check(struct sk *k, const struct sockaddr_storage *ss)
{
	char namebuf[SOCKRULE_NAME_MAX + 1], f[768], text[64];
	const char *name, *rule;
	uint8_t a[16];
	uint16_t port;
	size_t len = 0;
	int fam = sock_addr_key(ss, a, &port), ok;

	ok = sock_dest_allowed(fam, a, port, &rule, namebuf, sizeof(namebuf));
	name = namebuf[0] ? namebuf : NULL;
	if (!ok) {
		sock_addr_text(ss, text, sizeof(text));
		f[0] = 0;
		audit_kv(f, sizeof(f), &len, "proto",
			 k->type == SOCK_STREAM ? "tcp" : "udp");
		audit_kv(f, sizeof(f), &len, "dest", text);
		audit_kv(f, sizeof(f), &len, "name", name ? name : "-");
		audit_kv(f, sizeof(f), &len, "rule", rule);
		hcm_audit(hcm_self(), "sock-denied", f);
		return -EACCES;
	}
	k->has_dest = 1;
	k->dest = *ss;
	snprintf(k->name, sizeof(k->name), "%s", name ? name : "");
	snprintf(k->rule, sizeof(k->rule), "%s", rule);
	k->tls_wanted = k->type == SOCK_STREAM &&
			sock_tls_wanted(name, fam, a, port);
	return 0;
}

static int64_t fn_connect(struct hcm_call *c)
{
	struct sk *k = lookup(c);
	struct sockaddr_storage ss;
	const unsigned char *in;
	socklen_t sl;
	size_t len;
	int64_t r;
	int e;

	if (!k)
		return -EBADF;
	in = hcm_in(c, &len);
	e = addr_arg(k, in, len, &ss, &sl);
	if (!e)
		e = dest_check(k, &ss);
	if (e)
		return e;
	/* A stream connects once (UDP may connect again elsewhere). */
	if (k->hs_bg)
		return -EALREADY;
	if (k->type == SOCK_STREAM && (k->tls || k->tcp_done))
		return -EISCONN;
	if (connect(k->fd, (const struct sockaddr *)&ss, sl) == 0)
		k->tcp_done = 1;
	else if (errno != EINPROGRESS)
		return -errno;
	if (nonblock(c) && !k->tls_wanted)
		return k->tcp_done ? 0 : -EINPROGRESS;
	k->want = 0;
	r = connect_step(k, c);
	if (r != -EAGAIN)
		return r;
	if (nonblock(c)) {
		/* force-tls: the handshake goes on on the loop; the socket
		 * is writable once it is done, SO_ERROR tells how. */
		k->hs_bg = 1;
		k->hs_want = k->want;
		arm(k);
		return -EINPROGRESS;
	}
	return wait_for(k, c, k->want ? k->want : POLLOUT, connect_step);
}

/* MSG_* the guest may pass (MSG_WAITALL: its side loops). */
#define SEND_FLAGS	(MSG_OOB | MSG_MORE)
#define RECV_FLAGS	(MSG_OOB | MSG_PEEK | MSG_WAITALL)

static int64_t try_send(struct sk *k, struct hcm_call *c)
{
	const unsigned char *in;
	size_t len;
	ssize_t n;

	in = hcm_in(c, &len);
	if (k->hs_bg)
		return -EAGAIN;	/* the handshake first */
	if (k->tls) {
		n = sock_tls_write(k->tls, in, len, &k->want);
		if (n < 0)
			return n;
		k->sent += n;
		return n;
	}
	n = send(k->fd, in, len, (int)hcm_arg(c, 2) | MSG_NOSIGNAL |
		 MSG_DONTWAIT);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	k->sent += n;
	return n;
}

static int64_t fn_send(struct hcm_call *c)
{
	return serve(c, SEND_FLAGS, NULL, POLLOUT, try_send);
}

static int64_t try_recv(struct sk *k, struct hcm_call *c)
{
	size_t max;
	void *out = hcm_out(c, &max);
	ssize_t n;

	if (k->hs_bg)
		return -EAGAIN;
	if (k->tls) {
		if (hcm_arg(c, 2) & MSG_OOB)
			return -EOPNOTSUPP;
		n = sock_tls_read(k->tls, out, max, hcm_arg(c, 2) & MSG_PEEK,
				  &k->want);
		if (n < 0)
			return n;
	} else {
		n = recv(k->fd, out, max, (int)(hcm_arg(c, 2) & ~MSG_WAITALL) |
			 MSG_DONTWAIT);
		if (n < 0)
			return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	}
	if (!(hcm_arg(c, 2) & MSG_PEEK))
		k->received += n;
	hcm_set_out_len(c, n);
	return n;
}

static int64_t fn_recv(struct hcm_call *c)
{
	return serve(c, RECV_FLAGS, NULL, POLLIN, try_recv);
}

/* SENDTO: struct hc_sock_msg, then the data. The address was checked
 * (and allowed) before the first try. */
static int64_t try_sendto(struct sk *k, struct hcm_call *c)
{
	struct hc_sock_msg m;
	struct sockaddr_storage ss;
	struct msghdr mh;
	struct iovec iov;
	const unsigned char *in;
	socklen_t sl = 0;
	size_t len;
	ssize_t n;

	if (k->hs_bg)
		return -EAGAIN;	/* the handshake first */
	in = hcm_in(c, &len);
	memcpy(&m, in, sizeof(m));
	memset(&mh, 0, sizeof(mh));
	if (m.addrlen) {
		if (sock_addr_in(m.addr, m.addrlen, k->family, &ss, &sl))
			return -EINVAL;
		mh.msg_name = &ss;
		mh.msg_namelen = sl;
	}
	iov.iov_base = (void *)(in + sizeof(m));
	iov.iov_len = len - sizeof(m);
	if (k->tls) {
		n = sock_tls_write(k->tls, iov.iov_base, iov.iov_len,
				   &k->want);
		if (n > 0)
			k->sent += n;
		return n;
	}
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	n = sendmsg(k->fd, &mh, (int)hcm_arg(c, 2) | MSG_NOSIGNAL |
		    MSG_DONTWAIT);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	k->sent += n;
	return n;
}

/* SENDTO's header, and its address checked against the rules. */
static int64_t sendto_check(struct sk *k, struct hcm_call *c)
{
	struct sockaddr_storage ss;
	struct hc_sock_msg m;
	const unsigned char *in;
	socklen_t sl;
	size_t len;
	int e;

	in = hcm_in(c, &len);
	if (len < sizeof(m))
		return -EINVAL;
	memcpy(&m, in, sizeof(m));
	if (m.flags || m.pad || m.addrlen > HC_SOCK_ADDR_MAX)
		return -EINVAL;
	if (m.addrlen) {
		/* A stream socket ignores it when connected; refuse it
		 * rather than check a destination that is not used. */
		if (k->type == SOCK_STREAM)
			return -EISCONN;
		e = sock_addr_in(m.addr, m.addrlen, k->family, &ss, &sl);
		if (!e)
			e = dest_check(k, &ss);
		if (e)
			return e;
	}
	return 0;
}

static int64_t fn_sendto(struct hcm_call *c)
{
	return serve(c, SEND_FLAGS, sendto_check, POLLOUT, try_sendto);
}

/* RECVFROM: struct hc_sock_msg (the source, MSG_TRUNC), then the data. */
static int64_t try_recvfrom(struct sk *k, struct hcm_call *c)
{
	struct hc_sock_msg m;
	struct sockaddr_storage ss;
	struct msghdr mh;
	struct iovec iov;
	unsigned char *out;
	size_t max;
	ssize_t n;

	if (k->hs_bg)
		return -EAGAIN;
	out = hcm_out(c, &max);
	memset(&mh, 0, sizeof(mh));
	memset(&ss, 0, sizeof(ss));
	mh.msg_name = &ss;
	mh.msg_namelen = sizeof(ss);
	iov.iov_base = out + sizeof(m);
	iov.iov_len = max - sizeof(m);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (k->tls) {
		/* A stream: no source address, as recvfrom says on TCP */
		n = sock_tls_read(k->tls, iov.iov_base, iov.iov_len,
				  hcm_arg(c, 2) & MSG_PEEK, &k->want);
		if (n < 0)
			return n;
		mh.msg_namelen = 0;
		mh.msg_flags = 0;
	} else {
		n = recvmsg(k->fd, &mh, (int)(hcm_arg(c, 2) & ~MSG_WAITALL) |
			    MSG_DONTWAIT);
		if (n < 0)
			return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	}
	memset(&m, 0, sizeof(m));
	m.flags = mh.msg_flags & MSG_TRUNC;
	if (mh.msg_namelen)
		m.addrlen = sock_addr_out(&ss, mh.msg_namelen, m.addr,
					  sizeof(m.addr));
	memcpy(out, &m, sizeof(m));
	if (!(hcm_arg(c, 2) & MSG_PEEK))
		k->received += n;
	hcm_set_out_len(c, sizeof(m) + n);
	return n;
}

/* RECVFROM's output holds its header at least. */
static int64_t recvfrom_check(struct sk *k, struct hcm_call *c)
{
	size_t max;

	(void)k;
	hcm_out(c, &max);
	return max < sizeof(struct hc_sock_msg) ? -EINVAL : 0;
}

static int64_t fn_recvfrom(struct hcm_call *c)
{
	return serve(c, RECV_FLAGS, recvfrom_check, POLLIN, try_recvfrom);
}

/* A TLS connection's writing side ends with close_notify, then the
 * TCP shutdown, so the peer reads a clean end of data, not a truncation. */
static int64_t try_shutdown(struct sk *k, struct hcm_call *c)
{
	int64_t how = hcm_arg(c, 1);

	if (k->tls && !k->hs_bg && !k->notified && how != SHUT_RD) {
		if (sock_tls_close_notify(k->tls, &k->want) == -EAGAIN)
			return -EAGAIN;
		k->notified = 1;
	}
	return shutdown(k->fd, (int)how) < 0 ? -errno : 0;
}

static int64_t fn_shutdown(struct hcm_call *c)
{
	struct sk *k = lookup(c);
	int64_t how = hcm_arg(c, 1), r;

	if (!k)
		return -EBADF;
	if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR)
		return -EINVAL;
	k->want = 0;
	r = try_shutdown(k, c);
	/* SHUTDOWN has no non-blocking flag (nor does shutdown(2) block):
	 * a close_notify behind a full send buffer waits for room. */
	return r == -EAGAIN ? wait_for(k, c, k->want, try_shutdown) : r;
}

static void sk_close(struct state *st, struct sk *k)
{
	struct pend *p;

	if (k->armed)
		hcm_unwatch(hcm_self(), k->fd);
	k->armed = 0;
	while ((p = k->pend)) {
		unqueue(k, p);
		hcm_complete(p->c, -EBADF);
		free(p);
	}
	audit_close(k);
	sock_tls_free(k->tls);
	ring_flush();	/* the watch's cancel goes before the close */
	close(k->fd);
	st->tab[k->handle - 1] = NULL;
	free(k);
}

static int64_t fn_close(struct hcm_call *c)
{
	struct sk *k = lookup(c);

	if (!k)
		return -EBADF;
	sk_close(st_of(c), k);
	return 0;
}

static int64_t name_of(struct hcm_call *c, int peer)
{
	struct sk *k = lookup(c);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	size_t max, n;
	void *out;
	int e;

	if (!k)
		return -EBADF;
	memset(&ss, 0, sizeof(ss));
	e = peer ? getpeername(k->fd, (struct sockaddr *)&ss, &sl) :
		   getsockname(k->fd, (struct sockaddr *)&ss, &sl);
	if (e < 0)
		return -errno;
	out = hcm_out(c, &max);
	n = sock_addr_out(&ss, sl, out, max);
	hcm_set_out_len(c, n < max ? n : max);
	return n;
}

static int64_t fn_getsockname(struct hcm_call *c)
{
	return name_of(c, 0);
}

static int64_t fn_getpeername(struct hcm_call *c)
{
	return name_of(c, 1);
}

/* The options a guest may reach (sock.md): 1 a timeout we keep, 2 an int
 * the host socket gets, 3 read only; 0 not one of them. */
static int opt_kind(int64_t level, int64_t name)
{
	if (level == SOL_SOCKET) {
		switch (name) {
		case SO_RCVTIMEO: case SO_SNDTIMEO:
			return 1;
		case SO_KEEPALIVE: case SO_REUSEADDR: case SO_RCVBUF:
		case SO_SNDBUF: case SO_BROADCAST:
			return 2;
		case SO_ERROR: case SO_TYPE:
			return 3;
		}
		return 0;
	}
	if (level == IPPROTO_TCP && name == TCP_NODELAY)
		return 2;
	if (level == IPPROTO_IPV6 && name == IPV6_V6ONLY)
		return 2;
	return 0;
}

static int64_t fn_getsockopt(struct hcm_call *c)
{
	struct sk *k = lookup(c);
	int64_t level = hcm_arg(c, 1), name = hcm_arg(c, 2);
	int kind = opt_kind(level, name), v = 0;
	socklen_t l = sizeof(v);
	size_t max;
	void *out = hcm_out(c, &max);

	if (!k)
		return -EBADF;
	if (!kind)
		return -ENOPROTOOPT;
	if (level == IPPROTO_IPV6 && k->family != AF_INET6)
		return -ENOPROTOOPT;
	if (kind == 1) {
		struct timeval tv = name == SO_RCVTIMEO ? k->rcvtimeo :
					k->sndtimeo;

		if (max < sizeof(tv))
			return -EINVAL;
		memcpy(out, &tv, sizeof(tv));
		hcm_set_out_len(c, sizeof(tv));
		return sizeof(tv);
	}
	if (max < sizeof(v))
		return -EINVAL;
	if (getsockopt(k->fd, (int)level, (int)name, &v, &l) < 0)
		return -errno;
	/* A non-blocking force-tls CONNECT's failure, reported once. */
	if (level == SOL_SOCKET && name == SO_ERROR && k->hs_err) {
		v = -k->hs_err;
		k->hs_err = 0;
	}
	memcpy(out, &v, sizeof(v));
	hcm_set_out_len(c, sizeof(v));
	return sizeof(v);
}

static int64_t fn_setsockopt(struct hcm_call *c)
{
	struct sk *k = lookup(c);
	int64_t level = hcm_arg(c, 1), name = hcm_arg(c, 2);
	int kind = opt_kind(level, name), v;
	const void *in;
	size_t len;

	if (!k)
		return -EBADF;
	in = hcm_in(c, &len);
	if (!kind)
		return -ENOPROTOOPT;
	if (kind == 3)
		return -ENOPROTOOPT;	/* read only */
	if (level == IPPROTO_IPV6 && k->family != AF_INET6)
		return -ENOPROTOOPT;
	if (kind == 1) {
		struct timeval tv;

		if (len != sizeof(tv))
			return -EINVAL;
		memcpy(&tv, in, sizeof(tv));
		if (tv.tv_sec < 0 || tv.tv_usec < 0 || tv.tv_usec >= 1000000)
			return -EDOM;
		if (name == SO_RCVTIMEO)
			k->rcvtimeo = tv;
		else
			k->sndtimeo = tv;
		return 0;
	}
	if (len != sizeof(v))
		return -EINVAL;
	memcpy(&v, in, sizeof(v));
	if (setsockopt(k->fd, (int)level, (int)name, &v, sizeof(v)) < 0)
		return -errno;
	return 0;
}

/* ---- GETADDRINFO, on a worker thread ---- */

static int service_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n > 32)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
		      s[i] == '_'))
			return 0;
	return 1;
}

static int node_ok(const char *s)
{
	unsigned char a[16];

	return sockrule_name_ok(s) || inet_pton(AF_INET, s, a) == 1 ||
	       inet_pton(AF_INET6, s, a) == 1;
}

static int eai(int e)
{
	return e == EAI_SYSTEM ? -errno : -(HC_SOCK_EAI_BASE - e);
}

static int64_t gai_job(struct call *k)
{
	struct hcm_call *c = hcm_of(k);
	const char *in, *node, *service;
	struct addrinfo hints, *res = NULL, *ai;
	struct hc_sock_ai rec;
	unsigned char *out;
	size_t len, max, used = 0;
	int e, count = 0, host_internal;

	in = hcm_in(c, &len);
	node = in;
	service = in + strlen(in) + 1;
	out = hcm_out(c, &max);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = (int)hcm_arg(c, 0);
	hints.ai_socktype = (int)hcm_arg(c, 1);
	hints.ai_flags = (int)hcm_arg(c, 2) & ~AI_CANONNAME;
	host_internal = !strcasecmp(node, HC_SOCK_HOST_NAME);
	if (host_internal) {
		/* The host's loopback, as the guest names it (sock_addr.c
		 * translates the answers). */
		node = hints.ai_family == AF_INET6 ? "::1" : "127.0.0.1";
		hints.ai_flags |= AI_NUMERICHOST;
		hints.ai_flags &= ~AI_ADDRCONFIG;
	}
	e = sock_getaddrinfo(node[0] ? node : NULL,
			     service[0] ? service : NULL, &hints, &res);
	if (e)
		return eai(e);
	for (ai = res; ai; ai = ai->ai_next) {
		struct sockaddr_storage ss;
		uint8_t a[16];
		uint16_t port;
		int fam;

		if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
		    (ai->ai_socktype != SOCK_STREAM &&
		     ai->ai_socktype != SOCK_DGRAM) ||
		    ai->ai_addrlen > sizeof(ss))
			continue;
		if (used + sizeof(rec) > max)
			break;
		memset(&ss, 0, sizeof(ss));
		memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
		memset(&rec, 0, sizeof(rec));
		rec.family = ai->ai_family;
		rec.socktype = ai->ai_socktype;
		rec.protocol = ai->ai_protocol;
		rec.addrlen = sock_addr_out(&ss, ai->ai_addrlen, rec.addr,
					    sizeof(rec.addr));
		memcpy(out + used, &rec, sizeof(rec));
		used += sizeof(rec);
		count++;
		fam = sock_addr_key(&ss, a, &port);
		if (in[0] && fam)
			sock_names_remember(host_internal ? HC_SOCK_HOST_NAME :
					    in, fam, a);
	}
	sock_freeaddrinfo(res);
	if (!count)
		return max < sizeof(rec) ? -ENOSPC : eai(EAI_NONAME);
	hcm_set_out_len(c, used);
	return count;
}

static int64_t fn_getaddrinfo(struct hcm_call *c)
{
	const char *in;
	size_t len, nl, sl;
	int64_t fam = hcm_arg(c, 0), type = hcm_arg(c, 1),
		flags = hcm_arg(c, 2);

	in = hcm_in(c, &len);
	/* "node\0service\0", filling the input exactly */
	if (len < 2 || in[len - 1])
		return -EINVAL;
	nl = strnlen(in, len);
	if (nl + 1 >= len)
		return -EINVAL;
	sl = strlen(in + nl + 1);
	if (nl + 1 + sl + 1 != len || (!nl && !sl))
		return -EINVAL;
	if ((nl && !node_ok(in)) || !service_ok(in + nl + 1))
		return -(HC_SOCK_EAI_BASE - EAI_NONAME);
	if (fam != AF_UNSPEC && fam != AF_INET && fam != AF_INET6)
		return -(HC_SOCK_EAI_BASE - EAI_FAMILY);
	if (type != 0 && type != SOCK_STREAM && type != SOCK_DGRAM)
		return -(HC_SOCK_EAI_BASE - EAI_SOCKTYPE);
	if (flags & ~(int64_t)SOCK_AI_OK)
		return -(HC_SOCK_EAI_BASE - EAI_BADFLAGS);
	return offload(call_of(c), gai_job);
}

/* ---- POLL ---- */

#define POLL_OK	(POLLIN | POLLOUT | POLLPRI | POLLRDHUP)

static int64_t try_poll(struct sk *k, struct hcm_call *c)
{
	struct pollfd pf = { .fd = k->fd };
	int n;

	pf.events = (short)(hcm_arg(c, 2) & POLL_OK);
	n = poll(&pf, 1, 0);
	if (n < 0)
		return -errno;
	/* During a handshake of its own the socket is neither readable
	 * nor writable for the guest. */
	if (k->hs_bg) {
		pf.revents &= ~(POLLIN | POLLOUT | POLLPRI | POLLRDHUP);
		n = pf.revents != 0;
	}
	/* Decrypted data waiting in OpenSSL is readable, whatever the
	 * socket says. */
	if (k->tls && (pf.events & POLLIN) && sock_tls_pending(k->tls)) {
		pf.revents |= POLLIN;
		n = 1;
	}
	return n ? pf.revents : -EAGAIN;
}

static int64_t fn_poll(struct hcm_call *c)
{
	int64_t r = serve(c, POLL_OK, NULL, (unsigned)hcm_arg(c, 2) |
			  POLLERR | POLLHUP, try_poll);

	/* Nothing ready is an answer for a non-blocking POLL. */
	return r == -EAGAIN && nonblock(c) ? 0 : r;
}

/* ---- the module ---- */

/* The session's state, for undo.c (no call to take it from). */
static struct state *bound;

void sock_undo(int64_t h)
{
	const struct hcm_module *prev = hcm_current;

	if (bound && h >= 1 && h <= bound->max && bound->tab[h - 1]) {
		hcm_current = &sock_module;	/* for its audit line */
		sk_close(bound, bound->tab[h - 1]);
		hcm_current = prev;
	}
}

void sock_prepare(void)
{
	int e;

	/* OpenSSL's configuration and the CA store are files: read them
	 * while the shadow may still open files. */
	if (sock_tls_rules() && sock_tls_init() < 0)
		log_msg("force-tls: matching connections will fail");
	/* The resolver reads files at every lookup: without fs, the
	 * confined shadow may not (sock_resolver.c). */
	if (!(pol.modules & MOD_BIT(MOD_FS)) &&
	    (e = sock_resolver_start()) < 0)
		log_msg("resolver helper: %s: names will not resolve",
			strerror(-e));
}

static int sock_init(struct hcm_session *s, void **state)
{
	struct state *st = calloc(1, sizeof(*st));

	if (!st)
		return -ENOMEM;
	st->max = pol.max_sockets;
	st->s = s;
	st->tab = calloc(st->max ? st->max : 1, sizeof(*st->tab));
	if (!st->tab) {
		free(st);
		return -ENOMEM;
	}
	*state = st;
	bound = st;
	return 0;
}

static void sock_fini(struct hcm_session *s, void *state)
{
	struct state *st = state;
	unsigned i;

	(void)s;
	for (i = 0; i < st->max; i++)
		if (st->tab[i])
			sk_close(st, st->tab[i]);
	free(st->tab);
	free(st);
	bound = NULL;
}

static const struct hcm_function funcs[] = {
	{ "socket", fn_socket }, { "bind", fn_bind },
	{ "listen", fn_listen }, { "accept", fn_accept },
	{ "connect", fn_connect }, { "send", fn_send },
	{ "recv", fn_recv }, { "sendto", fn_sendto },
	{ "recvfrom", fn_recvfrom }, { "shutdown", fn_shutdown },
	{ "close", fn_close }, { "getsockname", fn_getsockname },
	{ "getpeername", fn_getpeername }, { "getsockopt", fn_getsockopt },
	{ "setsockopt", fn_setsockopt }, { "getaddrinfo", fn_getaddrinfo },
	{ "poll", fn_poll },
};

_Static_assert(sizeof(funcs) / sizeof(funcs[0]) == HC_SOCK_FN_END - 1,
	       "one function per number");
_Static_assert(sizeof(struct hc_sock_msg) == 40, "wire size");
_Static_assert(sizeof(struct hc_sock_ai) == 48, "wire size");

const struct hcm_module sock_module = {
	.api = HCM_API_VERSION, .name = HC_SOCK_MODULE,
	.major = HC_SOCK_MAJOR, .minor = HC_SOCK_MINOR,
	.nfuncs = sizeof(funcs) / sizeof(funcs[0]), .funcs = funcs,
	.session_init = sock_init, .session_fini = sock_fini,
};
