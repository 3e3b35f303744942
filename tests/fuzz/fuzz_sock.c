/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the sock module (shadow/sock.c, sock_addr.c,
 * sock_rules.c, sock_tls.c): the input is a guest. It is a script of
 * whole calls through the module's function table with any arguments,
 * input and output sizes (addresses built from the input: host.internal,
 * loopback, v4-mapped, denied, force-tls, or raw bytes at any length;
 * struct hc_sock_msg headers; GETADDRINFO's "node NUL service NUL"),
 * between turns of a fake loop that fires ready (or, at will, not ready)
 * watches and answers offloaded jobs, cancels of waiting calls and undos.
 * Real sockets on the host's loopback; nothing reaches further
 * (fuzz_sock_host.c wraps the system calls). Invariants: every call is
 * answered exactly once with an errno or a result that fits what it
 * wrote (ASan: inside its buffers), no watch, socket or call is left
 * when the session ends.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "fuzz_sock.h"
#include "hostcall_abi.h"
#include "log.h"
#include "registry.h"
#include "sock.h"

#define CHECK(c)	do { if (!(c)) __builtin_trap(); } while (0)

void *fz_state;

struct in {
	const uint8_t *d;
	size_t n, pos;
};

static unsigned byte(struct in *s)
{
	return s->pos < s->n ? s->d[s->pos++] : 0;
}

static void take(struct in *s, void *p, size_t n)
{
	size_t k = s->n - s->pos < n ? s->n - s->pos : n;

	memset(p, 0, n);
	memcpy(p, s->d + s->pos, k);
	s->pos += k;
}

/* Values a guest would pass, and some it should not. */
static const int64_t special[] = {
	AF_INET6, AF_UNIX, AF_UNSPEC, SOCK_RAW, SOCK_SEQPACKET,
	SOCK_STREAM | SOCK_NONBLOCK, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_IPV6,
	IPPROTO_ICMP, SOL_SOCKET, SO_RCVTIMEO, SO_SNDTIMEO, SO_ERROR,
	SO_TYPE, SO_KEEPALIVE, SO_REUSEADDR, SO_RCVBUF, SO_SNDBUF,
	SO_BROADCAST, SO_LINGER, TCP_NODELAY, IPV6_V6ONLY, MSG_PEEK, MSG_OOB,
	MSG_WAITALL, MSG_MORE, MSG_TRUNC, MSG_DONTWAIT, MSG_PEEK | MSG_OOB,
	POLLIN, POLLOUT, POLLIN | POLLOUT, POLLPRI, POLLRDHUP, POLLERR,
	AI_PASSIVE, AI_NUMERICHOST, AI_CANONNAME, AI_ADDRCONFIG, AI_V4MAPPED,
	AI_ALL, AI_IDN, SHUT_RD, SHUT_WR, SHUT_RDWR, HC_SOCK_F_NONBLOCK,
	HC_SOCK_F_NONBLOCK | 2, -1, 4096, 65536, INT32_MAX, INT32_MIN,
	(int64_t)1 << 32 | 1, INT64_MAX, INT64_MIN,
};

static int64_t val(struct in *s)
{
	unsigned b = byte(s);
	int64_t v;

	if (b < 64)
		return b;
	if (b < 0xe0)
		return special[(b - 64) % (sizeof(special) / sizeof(*special))];
	take(s, &v, sizeof(v));
	return v;
}

static const uint32_t outs[] = { 0, 1, 2, 4, 8, 15, 16, 27, 28, 40, 41,
				 48, 96, 100, 4096, 70000 };

/* A guest sockaddr: where (host.internal, loopback, a denied or a
 * force-tls address, outside), the port of one of our listeners or any. */
static size_t sockaddr_of(struct in *s, unsigned char *p)
{
	static const char *const v4[] = { "127.0.0.1", "169.254.77.1",
		"127.0.0.2", "127.0.0.3", "0.0.0.0", "192.0.2.1" };
	static const char *const v6[] = { "::1", "fd68:6368:6f73:7400::1",
		"::ffff:127.0.0.1", "::ffff:169.254.77.1", "::ffff:127.0.0.2",
		"::", "2001:db8::1" };
	unsigned f = byte(s), a = byte(s), pb = byte(s);
	uint16_t port = pb < 0xc0 ? fz_port(pb) : pb == 0xc0 ? 0 :
			(uint16_t)(byte(s) << 8 | byte(s));

	if (f % 3 == 0) {
		struct sockaddr_in in = { .sin_family = AF_INET };

		inet_pton(AF_INET, v4[a % 6], &in.sin_addr);
		in.sin_port = htons(port);
		if (f & 8)
			in.sin_zero[3] = 0x55;
		memcpy(p, &in, sizeof(in));
		return sizeof(in);
	}
	if (f % 3 == 1) {
		struct sockaddr_in6 in = { .sin6_family = AF_INET6 };

		inet_pton(AF_INET6, v6[a % 7], &in.sin6_addr);
		in.sin6_port = htons(port);
		in.sin6_scope_id = f & 8 ? 2 : 0;
		in.sin6_flowinfo = f & 16 ? 0x12345 : 0;
		memcpy(p, &in, sizeof(in));
		return sizeof(in);
	}
	take(s, p, 28);
	return 28;
}

/* The call's input, built as the selector says. */
static size_t input_of(struct in *s, unsigned char *p, size_t max)
{
	static const char *const nodes[] = { "", "localhost", "host.internal",
		"HOST.Internal", "127.0.0.1", "::1", "many.test", "odd.test",
		"bad name", "x.invalid", "1.2.3", "::ffff:1.2.3.4" };
	static const char *const svcs[] = { "", "80", "http", "0", "65535",
		"99999", "-1", "a b", "very-long-service-name-over-32-bytes" };
	struct hc_sock_msg m;
	unsigned sel = byte(s);
	size_t n = 0, k;

	switch (sel % 8) {
	case 0:
		return 0;
	case 1:		/* raw bytes */
		n = byte(s) | (sel & 0x80 ? byte(s) << 8 : 0);
		n = n < max ? n : max;
		take(s, p, n);
		return n;
	case 2:		/* an address */
		return sockaddr_of(s, p);
	case 3:		/* an address cut or padded */
		k = sockaddr_of(s, p);
		n = byte(s) % 40;
		if (n > k)
			memset(p + k, 0, n - k);
		return n;
	case 4:		/* SENDTO: header, address, data */
	case 5:
		memset(&m, 0, sizeof(m));
		if (sel % 8 == 4 && (sel & 0x10))
			m.addrlen = (uint32_t)sockaddr_of(s, m.addr);
		else if (sel % 8 == 5)
			take(s, &m, sizeof(m));
		memcpy(p, &m, sizeof(m));
		n = byte(s) | (sel & 0x80 ? (unsigned)byte(s) << 8 : 0);
		n = n < max - sizeof(m) ? n : max - sizeof(m);
		memset(p + sizeof(m), 'x', n);
		return sizeof(m) + n;
	case 6:		/* GETADDRINFO: node NUL service NUL */
		k = byte(s);
		n = byte(s);
		memcpy(p, nodes[k % 12], strlen(nodes[k % 12]) + 1);
		k = strlen(nodes[k % 12]) + 1;
		memcpy(p + k, svcs[n % 9], strlen(svcs[n % 9]) + 1);
		n = k + strlen(svcs[n % 9]) + 1;
		if (sel & 0x40)	/* without the last NUL */
			n--;
		return n;
	default:	/* an option value: int or timeval, or not */
		n = sel & 0x10 ? 16 : sel & 0x20 ? 4 : byte(s) % 24;
		take(s, p, n);
		return n;
	}
}

/* What an answer must look like, once it is one. */
static void answered(struct call *c, int64_t r)
{
	CHECK(r != HCM_ASYNC && r >= -4095);
	if (r < 0)
		return;
	switch (c->op) {
	case HC_SOCK_SOCKET: case HC_SOCK_ACCEPT:
		CHECK(r >= 1 && r <= pol.max_sockets);
		break;
	case HC_SOCK_RECV:
		CHECK(c->out_len == r && r <= c->out_max);
		break;
	case HC_SOCK_RECVFROM:
		CHECK(c->out_len == sizeof(struct hc_sock_msg) + r);
		break;
	case HC_SOCK_GETADDRINFO: {
		struct hc_sock_ai ai;
		int64_t i;

		CHECK(r > 0 && c->out_len == r * sizeof(ai));
		for (i = 0; i < r; i++) {
			memcpy(&ai, c->out + i * sizeof(ai), sizeof(ai));
			CHECK((ai.family == AF_INET && ai.addrlen == 16) ||
			      (ai.family == AF_INET6 && ai.addrlen == 28));
		}
		break;
	}
	case HC_SOCK_GETSOCKNAME: case HC_SOCK_GETPEERNAME:
	case HC_SOCK_GETSOCKOPT:
		CHECK(r <= HC_SOCK_ADDR_MAX || c->op == HC_SOCK_GETSOCKOPT);
		break;
	}
}

static struct call *calls[FZ_MAX_CALLS];
static int ncalls;

static void one_call(struct in *s, unsigned fn)
{
	static unsigned char inbuf[70000];
	struct call *c;
	size_t n;
	int64_t r;
	int i;

	if (ncalls == FZ_MAX_CALLS)
		return;
	c = calloc(1, sizeof(*c));
	CHECK(c);
	c->op = (uint16_t)fn;
	for (i = 0; i < 3; i++)
		c->args[i] = val(s);
	if (byte(s) & 1)	/* a handle we have, mostly */
		c->args[0] = 1 + byte(s) % (pol.max_sockets + 1);
	n = input_of(s, inbuf, sizeof(inbuf));
	if (n) {
		c->in = malloc(n);	/* exact: ASan's bounds */
		CHECK(c->in);
		memcpy(c->in, inbuf, n);
		c->in_len = (uint32_t)n;
	}
	c->out_max = outs[byte(s) % 16];
	if (c->out_max) {
		c->out = malloc(c->out_max);
		CHECK(c->out);
	}
	r = sock_module.funcs[fn - 1].fn(hcm_of(c));
	if (r == HCM_ASYNC) {
		c->pending = 1;
		calls[ncalls++] = c;
		return;
	}
	answered(c, r);
	free(c->in);
	free(c->out);
	free(c);
}

static int quiet(const char *line, size_t n)
{
	(void)line;
	(void)n;
	return 0;
}

static void setup(void)
{
	static const char *const lines[][2] = {
		/* as on the policy fd: one destination a line */
		{ "sock-connect", "deny 127.0.0.2" },
		{ "sock-connect", "deny localhost:7" },
		{ "sock-connect", "allow *" },
		{ "sock-listen", "127.0.0.1:*" },
		{ "sock-listen", "[::1]:*" },
		{ "sock-listen", "127.0.0.3:*" },
		{ "force-tls", "127.0.0.3" },
		{ "tls-ca", FUZZ_TLS_DIR "/cert.pem" },
	};
	size_t i;

	log_sink = quiet;
	signal(SIGPIPE, SIG_IGN);	/* as the shadow (main.c) */
	for (i = 0; i < sizeof(lines) / sizeof(*lines); i++)
		CHECK(sock_rules_line(lines[i][0], lines[i][1]) == 0);
	pol.max_sockets = 8;
	/* with fs: lookups in this process, no resolver helper */
	pol.modules = MOD_BIT(MOD_FS) | MOD_BIT(MOD_SOCK);
	sock_prepare();		/* the TLS client's context: tls-ca */
	fz_tls_port(fz_tls_start());
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct in s = { data, size, 0 };
	int i;

	if (!ready) {
		setup();
		ready = 1;
	}
	CHECK(sock_module.session_init(hcm_self(), &fz_state) == 0);
	ncalls = 0;
	while (s.pos < s.n) {
		unsigned op = byte(&s) % 24;

		if (op >= 1 && op < HC_SOCK_FN_END) {
			one_call(&s, op);
		} else if (op == 18 || op == 19) {
			fz_loop(op == 19);
		} else if (op == 20 && ncalls) {	/* a cancel */
			struct call *c = calls[byte(&s) % ncalls];

			if (c->pending && c->on_cancel)
				c->on_cancel(hcm_of(c));
		} else if (op == 21) {			/* an undo */
			sock_undo(val(&s));
		} else {
			fz_loop(0);
		}
	}
	/* The session ends as the shadow ends it: waiting calls cancelled
	 * (jobs run to their end), then the module's fini. */
	for (i = 0; i < ncalls; i++)
		if (calls[i]->pending && calls[i]->on_cancel)
			calls[i]->on_cancel(hcm_of(calls[i]));
	fz_loop(0);
	sock_module.session_fini(hcm_self(), fz_state);
	fz_tls_reset();
	CHECK(fz_watching() == 0);
	CHECK(fz_open_fds() == 0);
	for (i = 0; i < ncalls; i++) {
		CHECK(!calls[i]->pending);	/* answered, once */
		answered(calls[i], calls[i]->job_res);
		free(calls[i]->in);
		free(calls[i]->out);
		free(calls[i]);
	}
	return 0;
}
