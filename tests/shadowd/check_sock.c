/* SPDX-License-Identifier: MIT */
/*
 * The built-in "sock" module as the shadow serves it (Documentation/
 * sock.md), on a shadowd of its own with sock rules and an audit file,
 * against servers on the host's loopback that this test runs: TCP
 * connect, send, recv to an echo server (through host.internal), a
 * non-blocking connect and POLL, a recv that waits and one that is
 * cancelled, UDP echo, a listener the host connects to (the real port
 * reported), getaddrinfo, 100 concurrent connections, a denied
 * destination (errno and audit line), the socket limit, IPv6 loopback.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "checks.h"

#define MAXSOCK	120	/* the policy's max-sockets */

static struct sess S;
static int64_t H;		/* the sock binding */
static pid_t shadow_pid;
static char audit_path[64];
static uint16_t tcp_port, udp_port;

/* ---- the host's servers: TCP and UDP echo on 127.0.0.1 ---- */

static void echo_loop(int lt, int lu)
{
	struct pollfd p[260];
	char buf[4096];
	int n = 2, i, fd;
	ssize_t r;

	p[0].fd = lt;
	p[1].fd = lu;
	p[0].events = p[1].events = POLLIN;
	for (;;) {
		if (poll(p, n, -1) < 0)
			continue;
		if ((p[0].revents & POLLIN) && n < 260 &&
		    (fd = accept(lt, NULL, NULL)) >= 0) {
			p[n].fd = fd;
			p[n++].events = POLLIN;
		}
		if (p[1].revents & POLLIN) {
			struct sockaddr_storage ss;
			socklen_t sl = sizeof(ss);

			r = recvfrom(lu, buf, sizeof(buf), 0,
				     (struct sockaddr *)&ss, &sl);
			if (r >= 0)
				sendto(lu, buf, r, 0, (struct sockaddr *)&ss, sl);
		}
		for (i = 2; i < n; i++) {
			if (!p[i].revents)
				continue;
			r = read(p[i].fd, buf, sizeof(buf));
			if (r <= 0 || write(p[i].fd, buf, r) != r) {
				close(p[i].fd);
				p[i--] = p[--n];
			}
		}
	}
}

static pid_t start_echo(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t l = sizeof(a);
	int lt, lu, one = 1;
	pid_t pid;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lt = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	lu = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	setsockopt(lt, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lt, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(lt, 256) < 0 ||
	    getsockname(lt, (struct sockaddr *)&a, &l) < 0)
		return -1;
	tcp_port = ntohs(a.sin_port);
	a.sin_port = 0;
	if (bind(lu, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(lu, (struct sockaddr *)&a, &l) < 0)
		return -1;
	udp_port = ntohs(a.sin_port);
	pid = fork();
	if (pid == 0) {
		echo_loop(lt, lu);
		_exit(0);
	}
	close(lt);
	close(lu);
	return pid;
}

/* ---- calls ---- */

static int64_t sk(uint16_t fn, int64_t a0, int64_t a1, int64_t a2,
		  const void *in, size_t in_len, uint32_t out_max,
		  unsigned char **out, uint32_t *out_len)
{
	return call(&S, (uint16_t)H, fn, a0, a1, a2, in, in_len, out_max, out,
		    out_len);
}

static int64_t sk0(uint16_t fn, int64_t a0, int64_t a1, int64_t a2,
		   const void *in, size_t in_len)
{
	return sk(fn, a0, a1, a2, in, in_len, 0, NULL, NULL);
}

static struct sockaddr_in v4(uint32_t host, uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };

	a.sin_addr.s_addr = htonl(host);
	a.sin_port = htons(port);
	return a;
}

/* A connected TCP socket to the echo server through host.internal. */
static int64_t tcp_to(uint16_t port)
{
	struct sockaddr_in a = v4(HC_SOCK_HOST_INTERNAL4, port);
	int64_t h = sk0(HC_SOCK_SOCKET, AF_INET, SOCK_STREAM, 0, NULL, 0), r;

	if (h <= 0)
		return h;
	r = sk0(HC_SOCK_CONNECT, h, 0, 0, &a, sizeof(a));
	if (r) {
		sk0(HC_SOCK_CLOSE, h, 0, 0, NULL, 0);
		return r;
	}
	return h;
}

/* Is there a line in the file with every one of the strings (up to 2 s:
 * an audit line travels through shadowd)? */
static int file_has(const char *path, const char *a, const char *b,
		    const char *c, const char *d)
{
	char line[2048];
	int tries, found = 0;
	FILE *f;

	for (tries = 0; tries < 40 && !found; tries++) {
		f = fopen(path, "r");
		while (f && !found && fgets(line, sizeof(line), f))
			found = strstr(line, a) && (!b || strstr(line, b)) &&
				(!c || strstr(line, c)) && (!d || strstr(line, d));
		if (f)
			fclose(f);
		if (!found)
			msleep(50);
	}
	return found;
}

static int audit_has(const char *a, const char *b, const char *c,
		     const char *d)
{
	return file_has(audit_path, a, b, c, d);
}

/* ---- the checks ---- */

static void tcp_echo(void)
{
	struct sockaddr_in a;
	unsigned char *out = NULL;
	uint32_t len = 0;
	int64_t h = tcp_to(tcp_port), r;
	char want[64];

	CHECK("sock: TCP connect to the host's echo server via host.internal",
	      h > 0, "%lld", (long long)h);
	if (h <= 0)
		return;
	r = sk0(HC_SOCK_SEND, h, 0, 0, "hello", 5);
	CHECK("sock: send", r == 5, "%lld", (long long)r);
	r = sk(HC_SOCK_RECV, h, 0, 0, NULL, 0, 64, &out, &len);
	CHECK("sock: recv gets the echo", r == 5 && len == 5 &&
	      !memcmp(out, "hello", 5), "%lld", (long long)r);
	free(out);
	out = NULL;
	r = sk(HC_SOCK_GETPEERNAME, h, 0, 0, NULL, 0, 28, &out, &len);
	memset(&a, 0, sizeof(a));
	if (out && len >= sizeof(a))
		memcpy(&a, out, sizeof(a));
	CHECK("sock: getpeername: host.internal and the server's port",
	      r == sizeof(a) && a.sin_family == AF_INET &&
	      ntohl(a.sin_addr.s_addr) == HC_SOCK_HOST_INTERNAL4 &&
	      ntohs(a.sin_port) == tcp_port, "%lld", (long long)r);
	free(out);
	out = NULL;
	r = sk(HC_SOCK_GETSOCKNAME, h, 0, 0, NULL, 0, 28, &out, &len);
	if (out && len >= sizeof(a))
		memcpy(&a, out, sizeof(a));
	CHECK("sock: getsockname: the real ephemeral port",
	      r == sizeof(a) && ntohs(a.sin_port) != 0, "%lld", (long long)r);
	free(out);
	r = sk0(HC_SOCK_SETSOCKOPT, h, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 },
		sizeof(int));
	out = NULL;
	if (!r)
		r = sk(HC_SOCK_GETSOCKOPT, h, IPPROTO_TCP, TCP_NODELAY, NULL, 0,
		       4, &out, &len);
	CHECK("sock: TCP_NODELAY set and read back", r == 4 && out &&
	      *(int *)out != 0, "%lld", (long long)r);
	free(out);
	out = NULL;
	r = sk0(HC_SOCK_SETSOCKOPT, h, SOL_SOCKET, SO_RCVTIMEO,
		&(struct timeval){ 2, 500 }, sizeof(struct timeval));
	if (!r)
		r = sk(HC_SOCK_GETSOCKOPT, h, SOL_SOCKET, SO_RCVTIMEO, NULL, 0,
		       16, &out, &len);
	CHECK("sock: SO_RCVTIMEO kept and reported", r == 16 && out &&
	      ((struct timeval *)out)->tv_sec == 2 &&
	      ((struct timeval *)out)->tv_usec == 500, "%lld", (long long)r);
	free(out);
	CHECK("sock: an option outside the list is refused",
	      sk0(HC_SOCK_SETSOCKOPT, h, SOL_SOCKET, SO_BINDTODEVICE, "lo", 3) ==
	      -ENOPROTOOPT, "wrong answer");
	CHECK("sock: close", sk0(HC_SOCK_CLOSE, h, 0, 0, NULL, 0) == 0,
	      "wrong answer");
	CHECK("sock: a closed handle is gone",
	      sk0(HC_SOCK_SEND, h, 0, 0, "x", 1) == -EBADF, "wrong answer");
	snprintf(want, sizeof(want), "dest=127.0.0.1:%u", tcp_port);
	CHECK("sock: the connection is audited at close, bytes each way",
	      audit_has("event=sock-close", want, "sent=5", "received=5"),
	      "no line in %s", audit_path);
}

static void nonblocking(void)
{
	struct sockaddr_in a = v4(INADDR_LOOPBACK, tcp_port);
	unsigned char *out = NULL;
	uint32_t len;
	int64_t h, r, r2;

	h = sk0(HC_SOCK_SOCKET, AF_INET, SOCK_STREAM, 0, NULL, 0);
	r = sk0(HC_SOCK_CONNECT, h, HC_SOCK_F_NONBLOCK, 0, &a, sizeof(a));
	CHECK("sock: a non-blocking connect: 0 or -EINPROGRESS",
	      r == 0 || r == -EINPROGRESS, "%lld", (long long)r);
	r = sk0(HC_SOCK_POLL, h, 0, POLLOUT, NULL, 0);
	CHECK("sock: POLL waits for POLLOUT", r > 0 && (r & POLLOUT),
	      "%lld", (long long)r);
	r = sk(HC_SOCK_GETSOCKOPT, h, SOL_SOCKET, SO_ERROR, NULL, 0, 4, &out,
	       &len);
	CHECK("sock: SO_ERROR after it is 0", r == 4 && out &&
	      *(int *)out == 0, "%lld", (long long)r);
	free(out);
	CHECK("sock: recv on an empty socket, nonblocking: -EAGAIN",
	      sk0(HC_SOCK_RECV, h, HC_SOCK_F_NONBLOCK, 0, NULL, 0) == -EAGAIN,
	      "wrong answer");
	CHECK("sock: POLL nonblocking with nothing to read: 0",
	      sk0(HC_SOCK_POLL, h, HC_SOCK_F_NONBLOCK, POLLIN, NULL, 0) == 0,
	      "wrong answer");

	/* A recv that waits on the loop: nothing for a while, while other
	 * calls are answered; then the data. */
	send_call(&S, 0x7001, (uint16_t)H, HC_SOCK_RECV, h, 0, 0, NULL, 0, 64);
	r = wait_reply(&S, 0x7001, 300, NULL, NULL);
	CHECK("sock: a recv on an empty socket waits", r == NO_REPLY,
	      "answered %lld", (long long)r);
	r2 = sk0(HC_SOCK_SEND, h, 0, 0, "late", 4);
	r = wait_reply(&S, 0x7001, TIMEOUT_MS, &out, &len);
	CHECK("sock: ... other calls go on, and it ends with the data",
	      r2 == 4 && r == 4 && len == 4 && !memcmp(out, "late", 4),
	      "send %lld recv %lld", (long long)r2, (long long)r);
	free(out);

	send_call(&S, 0x7002, (uint16_t)H, HC_SOCK_RECV, h, 0, 0, NULL, 0, 64);
	msleep(50);
	send_cancel(&S, 0x7002);
	r = wait_reply(&S, 0x7002, TIMEOUT_MS, NULL, NULL);
	CHECK("sock: a waiting recv is cancelled: -ECANCELED",
	      r == -ECANCELED, "%lld", (long long)r);

	send_call(&S, 0x7003, (uint16_t)H, HC_SOCK_RECV, h, 0, 0, NULL, 0, 64);
	msleep(50);
	r2 = sk0(HC_SOCK_CLOSE, h, 0, 0, NULL, 0);
	r = wait_reply(&S, 0x7003, TIMEOUT_MS, NULL, NULL);
	CHECK("sock: close ends a waiting recv with -EBADF",
	      r2 == 0 && r == -EBADF, "close %lld recv %lld", (long long)r2,
	      (long long)r);
}

static void udp_echo(void)
{
	unsigned char in[64], *out = NULL;
	struct hc_sock_msg m;
	struct sockaddr_in a = v4(INADDR_LOOPBACK, udp_port), from;
	uint32_t len = 0;
	int64_t h, r;

	h = sk0(HC_SOCK_SOCKET, AF_INET, SOCK_DGRAM, 0, NULL, 0);
	memset(&m, 0, sizeof(m));
	m.addrlen = sizeof(a);
	memcpy(m.addr, &a, sizeof(a));
	memcpy(in, &m, sizeof(m));
	memcpy(in + sizeof(m), "ping", 4);
	r = sk0(HC_SOCK_SENDTO, h, 0, 0, in, sizeof(m) + 4);
	CHECK("sock: UDP sendto", r == 4, "%lld", (long long)r);
	r = sk(HC_SOCK_RECVFROM, h, 0, 0, NULL, 0, 256, &out, &len);
	memset(&from, 0, sizeof(from));
	if (out && len >= sizeof(m)) {
		memcpy(&m, out, sizeof(m));
		memcpy(&from, m.addr, sizeof(from));
	}
	CHECK("sock: UDP recvfrom: the echo, from host.internal:port",
	      r == 4 && len == sizeof(m) + 4 &&
	      !memcmp(out + sizeof(m), "ping", 4) && m.addrlen == sizeof(a) &&
	      ntohl(from.sin_addr.s_addr) == HC_SOCK_HOST_INTERNAL4 &&
	      ntohs(from.sin_port) == udp_port, "%lld", (long long)r);
	free(out);
	out = NULL;
	memcpy(in + sizeof(m), "truncated", 9);
	m.addrlen = sizeof(a);
	m.flags = 0;
	memcpy(m.addr, &a, sizeof(a));
	memcpy(in, &m, sizeof(m));
	sk0(HC_SOCK_SENDTO, h, 0, 0, in, sizeof(m) + 9);
	r = sk(HC_SOCK_RECVFROM, h, 0, 0, NULL, 0, sizeof(m) + 3, &out, &len);
	if (out && len >= sizeof(m))
		memcpy(&m, out, sizeof(m));
	CHECK("sock: UDP recvfrom into a short buffer says MSG_TRUNC",
	      r == 3 && (m.flags & MSG_TRUNC), "%lld", (long long)r);
	free(out);
	m.addrlen = 15;
	memcpy(in, &m, sizeof(m));
	CHECK("sock: sendto with a bad address length: -EINVAL",
	      sk0(HC_SOCK_SENDTO, h, 0, 0, in, sizeof(m) + 1) == -EINVAL,
	      "wrong answer");
	CHECK("sock: sendto without its header: -EINVAL",
	      sk0(HC_SOCK_SENDTO, h, 0, 0, "x", 1) == -EINVAL, "wrong answer");
	sk0(HC_SOCK_CLOSE, h, 0, 0, NULL, 0);
}

/* A guest listener on the host's loopback; a host client connects to
 * the port GETSOCKNAME reported. family AF_INET or AF_INET6. */
static void listener(int family)
{
	static const uint8_t hi6[16] = HC_SOCK_HOST_INTERNAL6;
	struct sockaddr_storage ss, got;
	struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
	socklen_t sl = family == AF_INET ? sizeof(*a4) : sizeof(*a6);
	unsigned char *out = NULL;
	uint32_t len = 0;
	int64_t h, c, r;
	uint16_t port = 0;
	char name[96];
	const char *v = family == AF_INET ? "IPv4" : "IPv6";
	int hc;

	memset(&ss, 0, sizeof(ss));
	ss.ss_family = family;
	if (family == AF_INET)
		a4->sin_addr.s_addr = htonl(HC_SOCK_HOST_INTERNAL4);
	else
		memcpy(&a6->sin6_addr, hi6, 16);
	h = sk0(HC_SOCK_SOCKET, family, SOCK_STREAM, 0, NULL, 0);
	r = sk0(HC_SOCK_BIND, h, 0, 0, &ss, sl);
	if (!r)
		r = sk0(HC_SOCK_LISTEN, h, 16, 0, NULL, 0);
	snprintf(name, sizeof(name), "sock: %s: bind host.internal:0 and listen", v);
	CHECK(name, h > 0 && r == 0, "%lld %lld", (long long)h, (long long)r);
	r = sk(HC_SOCK_GETSOCKNAME, h, 0, 0, NULL, 0, 28, &out, &len);
	memset(&got, 0, sizeof(got));
	if (out && len <= sizeof(got))
		memcpy(&got, out, len);
	free(out);
	out = NULL;
	if (family == AF_INET)
		port = ntohs(((struct sockaddr_in *)&got)->sin_port);
	else
		port = ntohs(((struct sockaddr_in6 *)&got)->sin6_port);
	snprintf(name, sizeof(name), "sock: %s: getsockname reports the real "
		 "port, as host.internal", v);
	CHECK(name, r == sl && port != 0 &&
	      (family == AF_INET ?
	       ntohl(((struct sockaddr_in *)&got)->sin_addr.s_addr) ==
		       HC_SOCK_HOST_INTERNAL4 :
	       !memcmp(&((struct sockaddr_in6 *)&got)->sin6_addr, hi6, 16)),
	      "%lld, port %u", (long long)r, port);
	/* The host connects to the real loopback and port. */
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = family;
	if (family == AF_INET) {
		a4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		a4->sin_port = htons(port);
	} else {
		a6->sin6_addr = in6addr_loopback;
		a6->sin6_port = htons(port);
	}
	snprintf(name, sizeof(name), "sock: %s: POLL of a listener with "
		 "nobody waiting: 0", v);
	CHECK(name, sk0(HC_SOCK_POLL, h, HC_SOCK_F_NONBLOCK, POLLIN, NULL, 0)
	      == 0, "wrong answer");
	hc = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	r = connect(hc, (struct sockaddr *)&ss, sl);
	snprintf(name, sizeof(name), "sock: %s: ... POLLIN once a host client "
		 "connected", v);
	CHECK(name, sk0(HC_SOCK_POLL, h, 0, POLLIN, NULL, 0) == POLLIN,
	      "wrong answer");
	c = sk(HC_SOCK_ACCEPT, h, 0, 0, NULL, 0, 28, &out, &len);
	free(out);
	snprintf(name, sizeof(name), "sock: %s: a host client connects, "
		 "accept answers a new handle", v);
	CHECK(name, r == 0 && c > 0 && c != h, "connect %lld accept %lld",
	      (long long)r, (long long)c);
	if (c > 0 && write(hc, "hi", 2) == 2) {
		out = NULL;
		r = sk(HC_SOCK_RECV, c, 0, 0, NULL, 0, 16, &out, &len);
		snprintf(name, sizeof(name), "sock: %s: data from the host "
			 "client", v);
		CHECK(name, r == 2 && !memcmp(out, "hi", 2), "%lld",
		      (long long)r);
		free(out);
		sk0(HC_SOCK_CLOSE, c, 0, 0, NULL, 0);
	}
	close(hc);
	sk0(HC_SOCK_CLOSE, h, 0, 0, NULL, 0);
}

static void listen_rules(void)
{
	struct sockaddr_in a = v4(INADDR_ANY, 0);
	int64_t h = sk0(HC_SOCK_SOCKET, AF_INET, SOCK_STREAM, 0, NULL, 0);

	CHECK("sock: bind to every address is refused by default: -EACCES",
	      sk0(HC_SOCK_BIND, h, 0, 0, &a, sizeof(a)) == -EACCES,
	      "wrong answer");
	CHECK("sock: ... and audited",
	      audit_has("event=sock-bind-denied", "addr=0.0.0.0:0", NULL, NULL),
	      "no line");
	sk0(HC_SOCK_CLOSE, h, 0, 0, NULL, 0);
}

static void resolve(void)
{
	static const char in[] = "localhost\0" "4242";
	static const char hi[] = "host.internal\0" "80";
	unsigned char *out = NULL;
	struct hc_sock_ai ai;
	struct sockaddr_in a;
	uint32_t len = 0;
	int64_t r;

	r = sk(HC_SOCK_GETADDRINFO, AF_INET, SOCK_STREAM, 0, hi, sizeof(hi),
	       4 * sizeof(ai), &out, &len);
	memset(&a, 0, sizeof(a));
	if (out && len >= sizeof(ai)) {
		memcpy(&ai, out, sizeof(ai));
		memcpy(&a, ai.addr, sizeof(a));
	}
	CHECK("sock: getaddrinfo host.internal: 169.254.77.1, the port",
	      r == 1 && ai.family == AF_INET && ai.socktype == SOCK_STREAM &&
	      ntohl(a.sin_addr.s_addr) == HC_SOCK_HOST_INTERNAL4 &&
	      ntohs(a.sin_port) == 80, "%lld", (long long)r);
	free(out);
	out = NULL;
	r = sk(HC_SOCK_GETADDRINFO, AF_INET, SOCK_STREAM, 0, in, sizeof(in),
	       4 * sizeof(ai), &out, &len);
	if (out && len >= sizeof(ai)) {
		memcpy(&ai, out, sizeof(ai));
		memcpy(&a, ai.addr, sizeof(a));
	}
	/* localhost is the host's loopback, which the guest calls
	 * host.internal. */
	CHECK("sock: getaddrinfo of a name /etc/hosts knows (localhost) "
	      "through the host resolver",
	      r >= 1 && ai.family == AF_INET &&
	      ntohl(a.sin_addr.s_addr) == HC_SOCK_HOST_INTERNAL4 &&
	      ntohs(a.sin_port) == 4242, "%lld", (long long)r);
	free(out);
	CHECK("sock: getaddrinfo: a name with AI_NUMERICHOST is EAI_NONAME",
	      sk(HC_SOCK_GETADDRINFO, 0, 0, AI_NUMERICHOST, in, sizeof(in),
		 4 * sizeof(ai), NULL, NULL) ==
	      -(HC_SOCK_EAI_BASE - EAI_NONAME), "wrong answer");
	CHECK("sock: getaddrinfo: input that is not node NUL service NUL",
	      sk(HC_SOCK_GETADDRINFO, 0, 0, 0, "localhost", 9, 64, NULL,
		 NULL) == -EINVAL &&
	      sk(HC_SOCK_GETADDRINFO, 0, 0, 0, "\0\0", 2, 64, NULL, NULL) ==
	      -EINVAL, "wrong answer");
	CHECK("sock: getaddrinfo: a bad family is EAI_FAMILY",
	      sk(HC_SOCK_GETADDRINFO, AF_UNIX, 0, 0, in, sizeof(in), 64, NULL,
		 NULL) == -(HC_SOCK_EAI_BASE - EAI_FAMILY), "wrong answer");
}

static void denied(void)
{
	static const char in[] = "localhost\0" "7";
	struct sockaddr_in a = v4(INADDR_LOOPBACK, 9);
	int64_t h, r;

	h = sk0(HC_SOCK_SOCKET, AF_INET, SOCK_STREAM, 0, NULL, 0);
	r = sk0(HC_SOCK_CONNECT, h, 0, 0, &a, sizeof(a));
	CHECK("sock: a denied destination (a CIDR:port rule): -EACCES",
	      r == -EACCES, "%lld", (long long)r);
	CHECK("sock: ... with an audit line naming the rule",
	      audit_has("event=sock-denied", "dest=127.0.0.1:9",
			"rule=deny:127.0.0.0/8:9", NULL), "no line");
	/* A name rule: localhost:7 after the guest resolved localhost. */
	sk(HC_SOCK_GETADDRINFO, AF_INET, SOCK_STREAM, 0, in, sizeof(in), 96,
	   NULL, NULL);
	a = v4(INADDR_LOOPBACK, 7);
	r = sk0(HC_SOCK_CONNECT, h, 0, 0, &a, sizeof(a));
	CHECK("sock: a name rule denies what the guest resolved",
	      r == -EACCES && audit_has("event=sock-denied", "name=localhost",
					"rule=deny:localhost:7", NULL),
	      "%lld", (long long)r);
	sk0(HC_SOCK_CLOSE, h, 0, 0, NULL, 0);
	h = sk0(HC_SOCK_SOCKET, AF_INET, SOCK_DGRAM, 0, NULL, 0);
	{
		unsigned char buf[64];
		struct hc_sock_msg m;

		memset(&m, 0, sizeof(m));
		a = v4(INADDR_LOOPBACK, 9);
		m.addrlen = sizeof(a);
		memcpy(m.addr, &a, sizeof(a));
		memcpy(buf, &m, sizeof(m));
		CHECK("sock: a UDP datagram to a denied destination: -EACCES",
		      sk0(HC_SOCK_SENDTO, h, 0, 0, buf, sizeof(m) + 1) ==
		      -EACCES, "wrong answer");
	}
	sk0(HC_SOCK_CLOSE, h, 0, 0, NULL, 0);
}

static void hostile(void)
{
	struct sockaddr_in a = v4(INADDR_LOOPBACK, tcp_port);
	int64_t h;

	CHECK("sock: socket: AF_UNIX is not outsourced",
	      sk0(HC_SOCK_SOCKET, AF_UNIX, SOCK_STREAM, 0, NULL, 0) ==
	      -EAFNOSUPPORT, "wrong answer");
	CHECK("sock: socket: a raw socket is refused",
	      sk0(HC_SOCK_SOCKET, AF_INET, SOCK_RAW, 0, NULL, 0) == -EINVAL,
	      "wrong answer");
	CHECK("sock: socket: type flags are the guest's business",
	      sk0(HC_SOCK_SOCKET, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0,
		  NULL, 0) == -EINVAL, "wrong answer");
	CHECK("sock: socket: a protocol that does not match",
	      sk0(HC_SOCK_SOCKET, AF_INET, SOCK_STREAM, IPPROTO_UDP, NULL,
		  0) == -EPROTONOSUPPORT, "wrong answer");
	CHECK("sock: a handle never made: -EBADF",
	      sk0(HC_SOCK_RECV, 77, 0, 0, NULL, 0) == -EBADF &&
	      sk0(HC_SOCK_CLOSE, -1, 0, 0, NULL, 0) == -EBADF &&
	      sk0(HC_SOCK_CLOSE, 1LL << 40, 0, 0, NULL, 0) == -EBADF,
	      "wrong answer");
	h = sk0(HC_SOCK_SOCKET, AF_INET6, SOCK_STREAM, 0, NULL, 0);
	CHECK("sock: an IPv4 address for an IPv6 socket: -EAFNOSUPPORT",
	      sk0(HC_SOCK_CONNECT, h, 0, 0, &a, sizeof(a)) == -EAFNOSUPPORT,
	      "wrong answer");
	CHECK("sock: a short address: -EINVAL",
	      sk0(HC_SOCK_CONNECT, h, 0, 0, &a, 1) == -EINVAL, "wrong answer");
	CHECK("sock: MSG_ flags outside the list: -EINVAL",
	      sk0(HC_SOCK_SEND, h, 0, MSG_CONFIRM, "x", 1) == -EINVAL &&
	      sk0(HC_SOCK_RECV, h, 0, MSG_ERRQUEUE, NULL, 0) == -EINVAL,
	      "wrong answer");
	CHECK("sock: shutdown with a bad how: -EINVAL",
	      sk0(HC_SOCK_SHUTDOWN, h, 7, 0, NULL, 0) == -EINVAL,
	      "wrong answer");
	sk0(HC_SOCK_CLOSE, h, 0, 0, NULL, 0);

	/* A caller killed as SOCKET answered: its socket is closed. */
	send_call(&S, 0x9100, (uint16_t)H, HC_SOCK_SOCKET, AF_INET,
		  SOCK_STREAM, 0, NULL, 0, 0);
	h = wait_reply(&S, 0x9100, TIMEOUT_MS, NULL, NULL);
	send_call(&S, 0x9101, HC_MOD_SESSION, HC_SESSION_CANCEL, 0x9100,
		  HC_CANCEL_F_UNDO, 0, NULL, 0, 0);
	wait_reply(&S, 0x9101, TIMEOUT_MS, NULL, NULL);
	CHECK("sock: HC_CANCEL_F_UNDO closes the socket a gone caller made",
	      h > 0 && sk0(HC_SOCK_POLL, h, HC_SOCK_F_NONBLOCK, POLLIN, NULL,
			   0) == -EBADF, "%lld", (long long)h);
}

/* 100 connections open at once, each with its own data; then 40 recvs
 * waiting at once, answered as the data comes. */
static void concurrent(void)
{
	struct sockaddr_in a = v4(INADDR_LOOPBACK, tcp_port);
	int64_t h[100], r;
	unsigned char *out;
	uint32_t len;
	char msg[32];
	int i, ok = 1, bad = -1;

	for (i = 0; i < 100; i++) {
		h[i] = sk0(HC_SOCK_SOCKET, AF_INET, SOCK_STREAM, 0, NULL, 0);
		r = sk0(HC_SOCK_CONNECT, h[i], HC_SOCK_F_NONBLOCK, 0, &a,
			sizeof(a));
		if (h[i] <= 0 || (r && r != -EINPROGRESS)) {
			ok = 0;
			bad = i;
		}
	}
	for (i = 0; i < 100 && ok; i++)
		if (!(sk0(HC_SOCK_POLL, h[i], 0, POLLOUT, NULL, 0) & POLLOUT))
			ok = 0, bad = i;
	CHECK("sock: 100 connections at once", ok, "at %d", bad);
	for (i = 0; i < 100 && ok; i++) {
		snprintf(msg, sizeof(msg), "connection %d", i);
		if (sk0(HC_SOCK_SEND, h[i], 0, 0, msg, strlen(msg)) !=
		    (int64_t)strlen(msg))
			ok = 0, bad = i;
	}
	for (i = 0; i < 100 && ok; i++) {
		out = NULL;
		snprintf(msg, sizeof(msg), "connection %d", i);
		r = sk(HC_SOCK_RECV, h[i], 0, 0, NULL, 0, 64, &out, &len);
		if (r != (int64_t)strlen(msg) || memcmp(out, msg, r))
			ok = 0, bad = i;
		free(out);
	}
	CHECK("sock: ... each echoes its own data", ok, "at %d", bad);
	for (i = 0; i < 40; i++)
		send_call(&S, 0x8000 + i, (uint16_t)H, HC_SOCK_RECV, h[i], 0, 0,
			  NULL, 0, 64);
	msleep(100);
	for (i = 39; i >= 0; i--) {
		snprintf(msg, sizeof(msg), "late %d", i);
		sk0(HC_SOCK_SEND, h[i], 0, 0, msg, strlen(msg));
	}
	for (i = 0, ok = 1; i < 40; i++) {
		out = NULL;
		snprintf(msg, sizeof(msg), "late %d", i);
		r = wait_reply(&S, 0x8000 + i, TIMEOUT_MS, &out, &len);
		if (r != (int64_t)strlen(msg) || memcmp(out, msg, r))
			ok = 0, bad = i;
		free(out);
	}
	CHECK("sock: 40 recvs waiting at once, each answered by its data", ok,
	      "at %d", bad);
	/* The table's limit: MAXSOCK in the policy, 100 used. */
	{
		int64_t more[MAXSOCK + 1];
		int n = 0;

		while (n < MAXSOCK && (more[n] = sk0(HC_SOCK_SOCKET, AF_INET,
						      SOCK_DGRAM, 0, NULL,
						      0)) > 0)
			n++;
		CHECK("sock: max-sockets: -EMFILE past the policy's limit",
		      n == MAXSOCK - 100 && more[n] == -EMFILE, "%d, then %lld",
		      n, (long long)more[n]);
		CHECK("sock: ... audited as a limit",
		      audit_has("max-sockets", NULL, NULL, NULL), "no line");
		while (n--)
			sk0(HC_SOCK_CLOSE, more[n], 0, 0, NULL, 0);
	}
	for (i = 0; i < 100; i++)
		sk0(HC_SOCK_CLOSE, h[i], 0, 0, NULL, 0);
}

static int have_ipv6(void)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6 };
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0), ok;

	a.sin6_addr = in6addr_loopback;
	ok = fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

/* ---- force-tls against openssl s_server with a CA made now ---- */

static char tls_dir[64];
static const char *tls_skip;	/* why the TLS checks cannot run */
static uint16_t tls_port, bad_cert_port, closing_port, notify_port;
static pid_t tls_srv[3];
static int notify_in = -1;	/* the notify server's stdin, held open */
static int closing_fd = -1;

static uint16_t free_port(int *keep)
{
	struct sockaddr_in a = v4(INADDR_LOOPBACK, 0);
	socklen_t l = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &l) < 0)
		return 0;
	if (keep && listen(fd, 4) == 0)
		*keep = fd;
	else
		close(fd);
	return ntohs(a.sin_port);
}

/* openssl s_server on port: an HTTPS server (-www), or with a log
 * (tls_dir/log), one that writes there what it reads and how each
 * connection ends ("DONE" for a close_notify, "ERROR" for an end
 * without one); its stdin is a pipe kept open, since it quits at EOF. */
static pid_t s_server(uint16_t port, const char *cert, const char *key,
		      const char *log)
{
	char accept[32], c[128], k[128], l[128];
	pid_t pid;
	int i, fd, in[2] = { -1, -1 };

	snprintf(accept, sizeof(accept), "127.0.0.1:%u", port);
	snprintf(c, sizeof(c), "%s/%s", tls_dir, cert);
	snprintf(k, sizeof(k), "%s/%s", tls_dir, key);
	snprintf(l, sizeof(l), "%s/%s", tls_dir, log ? log : "");
	if (log && pipe2(in, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		fd = open("/dev/null", O_RDWR);
		dup2(log ? in[0] : fd, 0);
		if (log)
			fd = open(l, O_WRONLY | O_CREAT | O_APPEND, 0600);
		dup2(fd, 1);
		dup2(fd, 2);
		if (log)
			execlp("openssl", "openssl", "s_server", "-accept",
			       accept, "-cert", c, "-key", k, (char *)NULL);
		else
			execlp("openssl", "openssl", "s_server", "-accept",
			       accept, "-cert", c, "-key", k, "-www", "-quiet",
			       (char *)NULL);
		_exit(127);
	}
	if (log) {
		close(in[0]);
		notify_in = in[1];
	}
	/* Up when it accepts. */
	for (i = 0; i < 100; i++) {
		struct sockaddr_in a = v4(INADDR_LOOPBACK, port);

		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0) {
			close(fd);
			return pid;
		}
		close(fd);
		msleep(50);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return -1;
}

/* A test CA, a server certificate for localhost signed by it, and two
 * servers: one with it, one with the CA's own certificate (which does
 * not name localhost); a listener that closes what it accepts. */
static void tls_prepare(void)
{
	char cmd[2048];

	snprintf(tls_dir, sizeof(tls_dir), "/tmp/hc-sock-tls-XXXXXX");
	if (!mkdtemp(tls_dir)) {
		tls_skip = "no temporary directory";
		return;
	}
	snprintf(cmd, sizeof(cmd), "cd %s && { "
		 "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
		 "-nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=hc-test-ca && "
		 "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
		 "-nodes -keyout srv.key -out srv.csr -subj /CN=localhost && "
		 "printf 'subjectAltName=DNS:localhost\n' > ext && "
		 "openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key "
		 "-CAcreateserial -out srv.pem -days 2 -extfile ext; "
		 "} >/dev/null 2>&1", tls_dir);
	if (system(cmd) != 0) {
		tls_skip = "the openssl command could not make a test CA";
		return;
	}
	tls_port = free_port(NULL);
	bad_cert_port = free_port(NULL);
	closing_port = free_port(&closing_fd);
	notify_port = free_port(NULL);
	tls_srv[0] = s_server(tls_port, "srv.pem", "srv.key", NULL);
	tls_srv[1] = s_server(bad_cert_port, "ca.pem", "ca.key", NULL);
	tls_srv[2] = s_server(notify_port, "srv.pem", "srv.key", "notify.log");
	if (!tls_port || !closing_port || !notify_port || tls_srv[0] < 0 ||
	    tls_srv[1] < 0 || tls_srv[2] < 0)
		tls_skip = "openssl s_server did not start";
}

static void tls_cleanup(void)
{
	char cmd[128];
	int i;

	if (notify_in >= 0)
		close(notify_in);
	for (i = 0; i < 3; i++) {
		if (tls_srv[i] > 0) {
			kill(tls_srv[i], SIGKILL);
			waitpid(tls_srv[i], NULL, 0);
		}
	}
	if (closing_fd >= 0)
		close(closing_fd);
	if (tls_dir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", tls_dir);
		if (system(cmd) != 0)
			fprintf(stderr, "test: cannot remove %s\n", tls_dir);
	}
}

/* The guest resolves localhost (the name the certificates have) at port,
 * so that force-tls knows the name. */
static void resolve_localhost(uint16_t port)
{
	char in[32];
	size_t n = snprintf(in, sizeof(in), "localhost%c%u", 0, port) + 1;

	sk(HC_SOCK_GETADDRINFO, AF_INET, SOCK_STREAM, 0, in, n, 96, NULL,
	   NULL);
}

/* A TCP socket to localhost:port (resolved) through host.internal, its
 * CONNECT sent with flags: the handle, *r the CONNECT's answer; or, with
 * a tag, the CONNECT only sent (*r untouched). */
static int64_t tls_connect(uint16_t port, int64_t flags, uint64_t tag,
			   int64_t *r)
{
	struct sockaddr_in a = v4(HC_SOCK_HOST_INTERNAL4, port);
	int64_t h;

	resolve_localhost(port);
	h = sk0(HC_SOCK_SOCKET, AF_INET, SOCK_STREAM, 0, NULL, 0);
	if (tag)
		send_call(&S, tag, (uint16_t)H, HC_SOCK_CONNECT, h, flags, 0,
			  &a, sizeof(a), 0);
	else
		*r = sk0(HC_SOCK_CONNECT, h, flags, 0, &a, sizeof(a));
	return h;
}

/* After a non-blocking CONNECT answered r: POLLOUT, then SO_ERROR (a
 * positive errno, 0), or the failing answer (< 0). */
static int64_t so_error_after(int64_t h, int64_t r)
{
	unsigned char *out = NULL;
	uint32_t len;

	if (r == -EINPROGRESS || r == 0)
		r = sk0(HC_SOCK_POLL, h, 0, POLLOUT, NULL, 0);
	if (r > 0)
		r = sk(HC_SOCK_GETSOCKOPT, h, SOL_SOCKET, SO_ERROR, NULL, 0, 4,
		       &out, &len) == 4 ? *(int *)out : -1;
	free(out);
	return r;
}

/* CPU time the shadow used so far, in clock ticks (-1: unknown). */
static long shadow_ticks(void)
{
	char path[64], buf[1024], *p;
	unsigned long ut, st;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", shadow_pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');	/* comm may hold spaces */
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u "
			 "%*u %lu %lu", &ut, &st) != 2)
		return -1;
	return (long)(ut + st);
}

/* A server that closes what it accepts, once. */
static void closing_accepts(void)
{
	int fd = accept(closing_fd, NULL, NULL);

	if (fd >= 0)
		close(fd);
}

/* A non-blocking force-tls CONNECT to a server that never answers the
 * handshake (accepted by the kernel, never read), and a POLL for POLLOUT
 * that waits meanwhile: the shadow waits for the handshake's direction,
 * not for the socket's writability, which is there all along. */
static void silent_handshake(void)
{
	long t0, t1;
	int64_t h, r;

	h = tls_connect(closing_port, HC_SOCK_F_NONBLOCK, 0, &r);
	send_call(&S, 0x9002, (uint16_t)H, HC_SOCK_POLL, h, 0, POLLOUT, NULL,
		  0, 0);
	msleep(100);
	t0 = shadow_ticks();
	msleep(1000);
	t1 = shadow_ticks();
	CHECK("sock: force-tls: a POLL waiting for a handshake that does not "
	      "progress costs the shadow no CPU", r == -EINPROGRESS &&
	      t0 >= 0 && t1 - t0 < 20, "connect %lld, %ld ticks in 1 s",
	      (long long)r, t1 - t0);
	send_cancel(&S, 0x9002);
	r = wait_reply(&S, 0x9002, TIMEOUT_MS, NULL, NULL);
	CHECK("sock: force-tls: ... and it is cancelled", r == -ECANCELED,
	      "%lld", (long long)r);
	sk0(HC_SOCK_CLOSE, h, 0, 0, NULL, 0);
	closing_accepts();	/* the connection it left in the backlog */
}

/* Has the notify server logged s since the test began (up to 2 s)? */
static int notify_logged(const char *s)
{
	char path[96];

	snprintf(path, sizeof(path), "%s/notify.log", tls_dir);
	return file_has(path, s, NULL, NULL, NULL);
}

/* SHUTDOWN(SHUT_WR) of a force-tls connection sends close_notify before
 * the TCP FIN: the server reads a clean end of data ("DONE"), not an
 * unexpected EOF, answers with its own, and the guest reads the end. */
static void tls_shutdown(void)
{
	unsigned char *out = NULL;
	uint32_t len;
	int64_t h, r, r2, r3;
	char path[96];

	/* what the readiness probe's connection left there goes */
	snprintf(path, sizeof(path), "%s/notify.log", tls_dir);
	if (truncate(path, 0) < 0)
		fprintf(stderr, "test: cannot truncate %s\n", path);
	resolve_localhost(notify_port);
	h = tcp_to(notify_port);
	r = sk0(HC_SOCK_SEND, h, 0, 0, "guest-says-hi\n", 14);
	r2 = sk0(HC_SOCK_SHUTDOWN, h, SHUT_WR, 0, NULL, 0);
	CHECK("sock: force-tls: SHUTDOWN(SHUT_WR) sends close_notify: the "
	      "server reads the data, then a clean end", h > 0 && r == 14 &&
	      r2 == 0 && notify_logged("guest-says-hi") &&
	      notify_logged("DONE") && !notify_logged("ERROR"),
	      "connect %lld send %lld shutdown %lld, see %s/notify.log",
	      (long long)h, (long long)r, (long long)r2, tls_dir);
	r = sk0(HC_SOCK_SEND, h, 0, 0, "more", 4);
	r3 = sk(HC_SOCK_RECV, h, 0, 0, NULL, 0, 64, &out, &len);
	free(out);
	CHECK("sock: force-tls: ... a send after it is -EPIPE, a recv reads "
	      "the server's end (0)", r == -EPIPE && r3 == 0,
	      "send %lld recv %lld", (long long)r, (long long)r3);
	sk0(HC_SOCK_CLOSE, h, 0, 0, NULL, 0);
}

static void tls(void)
{
	char got[8192], want[64];
	unsigned char *out;
	uint32_t len;
	size_t n = 0;
	int64_t h, r;

	if (tls_skip) {
		skip("sock: force-tls against openssl s_server", tls_skip);
		return;
	}
	resolve_localhost(tls_port);
	h = tcp_to(tls_port);
	CHECK("sock: force-tls: connect, the handshake verified against tls-ca",
	      h > 0, "%lld", (long long)h);
	if (h <= 0)
		return;
	r = sk0(HC_SOCK_SEND, h, 0, 0, "GET / HTTP/1.0\r\n\r\n", 18);
	n = 0;
	do {
		out = NULL;
		r = sk(HC_SOCK_RECV, h, 0, 0, NULL, 0, 4096, &out, &len);
		if (r > 0 && n + r < sizeof(got)) {
			memcpy(got + n, out, r);
			n += r;
		}
		free(out);
	} while (r > 0);
	got[n] = 0;
	CHECK("sock: force-tls: plain HTTP from the guest, the TLS server "
	      "answers", strstr(got, "HTTP/1.0 200 ok") != NULL,
	      "%lld, %zu bytes: %.60s", (long long)r, n, got);
	sk0(HC_SOCK_CLOSE, h, 0, 0, NULL, 0);
	snprintf(want, sizeof(want), "dest=127.0.0.1:%u", tls_port);
	CHECK("sock: force-tls: audited with tls=1",
	      audit_has("event=sock-close", want, "name=localhost", "tls=1"),
	      "no line");

	resolve_localhost(bad_cert_port);
	r = tcp_to(bad_cert_port);
	CHECK("sock: force-tls: a certificate without the name: -ECONNREFUSED",
	      r == -ECONNREFUSED, "%lld", (long long)r);
	CHECK("sock: force-tls: ... audited with the reason",
	      audit_has("event=sock-tls-failed", "name=localhost",
			"mismatch", NULL), "no line");

	/* Non-blocking: -EINPROGRESS, the handshake on the loop, POLLOUT
	 * and SO_ERROR once it is done, as for a plain connect. */
	h = tls_connect(tls_port, HC_SOCK_F_NONBLOCK, 0, &r);
	CHECK("sock: force-tls: a non-blocking connect: -EINPROGRESS",
	      r == -EINPROGRESS || r == 0, "%lld", (long long)r);
	r = so_error_after(h, r);
	CHECK("sock: force-tls: ... POLLOUT once the handshake is done, "
	      "SO_ERROR 0", r == 0, "%lld", (long long)r);
	sk0(HC_SOCK_SEND, h, 0, 0, "GET / HTTP/1.0\r\n\r\n", 18);
	out = NULL;
	r = sk(HC_SOCK_RECV, h, 0, 0, NULL, 0, 4096, &out, &len);
	CHECK("sock: force-tls: ... then the server answers",
	      r > 0 && strstr((char *)out, "HTTP/1.0 200 ok"), "%lld",
	      (long long)r);
	free(out);
	sk0(HC_SOCK_CLOSE, h, 0, 0, NULL, 0);

	/* ... and one whose handshake fails on the loop: a server that
	 * closes as soon as it accepted. */
	h = tls_connect(closing_port, HC_SOCK_F_NONBLOCK, 0, &r);
	closing_accepts();
	r = so_error_after(h, r);
	CHECK("sock: force-tls: a non-blocking connect whose handshake fails: "
	      "POLLOUT, SO_ERROR ECONNREFUSED", r == ECONNREFUSED, "%lld",
	      (long long)r);
	sk0(HC_SOCK_CLOSE, h, 0, 0, NULL, 0);

	/* A server that closes at once: the handshake fails, the call
	 * answers (it waited on the loop meanwhile). */
	h = tls_connect(closing_port, 0, 0x9001, &r);
	closing_accepts();
	r = wait_reply(&S, 0x9001, TIMEOUT_MS, NULL, NULL);
	CHECK("sock: force-tls: a server that closes: -ECONNREFUSED",
	      r == -ECONNREFUSED, "%lld", (long long)r);
	sk0(HC_SOCK_CLOSE, h, 0, 0, NULL, 0);
	silent_handshake();
	tls_shutdown();
}

static int write_policy(char *path, size_t n)
{
	int fd;
	FILE *f;

	snprintf(audit_path, sizeof(audit_path), "/tmp/hc-sock-audit-XXXXXX");
	fd = mkstemp(audit_path);
	if (fd < 0)
		return -1;
	close(fd);
	snprintf(path, n, "/tmp/hc-sock-policy-XXXXXX");
	fd = mkstemp(path);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f)
		return -1;
	fprintf(f, "[global]\naudit = file %s\n[vm *]\nowners = root\n"
		"map * = root\nmodules = sys fs sock\n"
		"sock-connect = deny 127.0.0.0/8:9 localhost:7\n"
		"sock-connect = allow *\n"
		"max-sockets = %d\n", audit_path, MAXSOCK);
	if (!tls_skip)
		fprintf(f, "force-tls = localhost:%u localhost:%u localhost:%u "
			"localhost:%u\n" "tls-ca = %s/ca.pem\n", tls_port,
			bad_cert_port, closing_port, notify_port, tls_dir);
	fclose(f);
	return 0;
}

/*
 * Sockets the guest never closed (a killed caller): the session's end
 * closes and audits every one. The ring is gone by then; closing them
 * once used it anyway, and the shadow died of SIGSEGV after the first
 * socket's audit line.
 */
static void left_open(void)
{
	static char buf[4321];
	int64_t a = tcp_to(tcp_port), b = tcp_to(tcp_port);
	pid_t shadow = shadow_pid;
	int i;

	memset(buf, 'x', sizeof(buf));
	CHECK("sock: two sockets left open at the session's end",
	      a > 0 && b > 0 && sk0(HC_SOCK_SEND, a, 0, 0, buf, 1234) == 1234 &&
	      sk0(HC_SOCK_SEND, b, 0, 0, buf, 4321) == 4321, "no");
	sess_close(&S);
	for (i = 0; i < 100 && kill(shadow, 0) == 0; i++)
		msleep(50);
	CHECK("sock: the session's end closes and audits each one",
	      audit_has("event=sock-close", "sent=1234 ", NULL, NULL) &&
	      audit_has("event=sock-close", "sent=4321 ", NULL, NULL),
	      "missing sock-close lines for sent=1234, sent=4321");
}

void check_sock(void)
{
	const char *extra[] = { "--config", NULL, NULL };
	struct hc_session_info info;
	struct hc_bind_info bi;
	char path[64];
	pid_t d, echo;
	int ctl;

	if (geteuid() != 0) {
		skip("sock: the module on a shadowd of its own",
		     "needs root (its policy maps to root)");
		return;
	}
	tls_prepare();
	if (write_policy(path, sizeof(path)) < 0) {
		fail("sock: policy", "cannot write it");
		tls_cleanup();
		return;
	}
	echo = start_echo();
	if (echo < 0) {
		fail("sock: echo server", "cannot listen on 127.0.0.1");
		unlink(path);
		tls_cleanup();
		return;
	}
	extra[1] = path;
	d = start_shadowd(extra, &ctl);
	memset(&S, 0, sizeof(S));
	if (hello(ctl, HCP_VERSION) || open_session(ctl, 1, 1000, &info, &S.fd) ||
	    sess_attach(&S)) {
		fail("sock: session", "no session");
		goto out;
	}
	S.id = 1;
	shadow_pid = info.shadow_pid;
	H = sess_bind(&S, HC_SOCK_MODULE, HC_SOCK_MAJOR, HC_SOCK_MINOR, &bi);
	CHECK("sock: bound by name, 1.0 with 17 functions",
	      H > 0 && bi.major == 1 && bi.nfuncs == HC_SOCK_FN_END - 1,
	      "handle %lld, %u functions", (long long)H, bi.nfuncs);
	if (H > 0) {
		tcp_echo();
		nonblocking();
		udp_echo();
		listener(AF_INET);
		if (have_ipv6())
			listener(AF_INET6);
		else
			skip("sock: IPv6 listener", "this host cannot bind ::1");
		listen_rules();
		resolve();
		denied();
		hostile();
		concurrent();
		tls();
		left_open();
	} else {
		sess_close(&S);
	}
out:
	close(ctl);
	kill(d, SIGTERM);
	waitpid(d, NULL, 0);
	kill(echo, SIGKILL);
	waitpid(echo, NULL, 0);
	unlink(path);
	unlink(audit_path);
	tls_cleanup();
}
