// SPDX-License-Identifier: MIT
/*
 * hc-net: an "unmodified program" for the hcnet tests (tests/e2e/guest/
 * sock.sh): plain libc sockets, no libhostcall, linked dynamically so that
 * hcnet's LD_PRELOAD shim can serve it. Each subcommand prints what the
 * test compares and exits 0 only when it did what it says.
 *
 *   get URL [-i]          HTTP/1.0 GET of http://HOST[:PORT]/PATH: the body
 *                         (-i: the whole answer) on stdout
 *   connect HOST PORT     a blocking connect: "connected" or "error ENAME"
 *   serve HOST PORT       listen, print "port N", echo one connection
 *   udp HOST PORT MSG     one datagram, print "reply MSG from ADDR"
 *   nbconnect HOST PORT [early]
 *                         non-blocking connect, epoll, echo a line (early:
 *                         the socket joins the epoll set before connect)
 *   many HOST PORT N      N connections at once, each echoes its own data
 *   threads HOST PORT N   N threads at once, 10 connections each
 *   loop                  guest loopback: a server and a client on 127.0.0.1
 *   resolve NAME          getaddrinfo: one address a line
 *   hostbyname NAME       gethostbyname: one address a line
 *   semantics HOST PORT [UDPPORT]
 *                         socket semantics against a TCP (and UDP) echo
 *                         server: one "ok NAME" or "bad NAME: why" line each
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(const char *what)
{
	int e = errno;

	printf("error %s\n", strerrorname_np(e) ? strerrorname_np(e) : "?");
	fprintf(stderr, "hc-net: %s: %s\n", what, strerror(e));
	exit(1);
}

static const char *astr(const struct sockaddr *sa)
{
	static char buf[80];
	char ip[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)sa;

		inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
		snprintf(buf, sizeof(buf), "%s:%u", ip, ntohs(a->sin_port));
	} else {
		const struct sockaddr_in6 *a = (const void *)sa;

		inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
		snprintf(buf, sizeof(buf), "[%s]:%u", ip, ntohs(a->sin6_port));
	}
	return buf;
}

static struct addrinfo *resolve(const char *host, const char *port, int type,
				int flags)
{
	struct addrinfo h = { .ai_socktype = type, .ai_flags = flags }, *r;
	int e = getaddrinfo(host, port, &h, &r);

	if (e) {
		printf("error %s\n", gai_strerror(e));
		fprintf(stderr, "hc-net: getaddrinfo %s: %s\n", host, gai_strerror(e));
		exit(1);
	}
	return r;
}

static int tcp_connect(const char *host, const char *port)
{
	struct addrinfo *r = resolve(host, port, SOCK_STREAM, 0), *a;
	int fd = -1, e = 0;

	for (a = r; a; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, 0);
		if (fd < 0)
			die("socket");
		if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
			break;
		e = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(r);
	errno = e;
	return fd;
}

static int write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n) {
		w = write(fd, p, n);
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int cmd_get(const char *url, int headers)
{
	char host[256], port[16] = "80", req[1024], *body;
	const char *p, *path;
	size_t n = 0, cap = 1 << 16;
	char *buf = malloc(cap);
	ssize_t r;
	int fd;

	if (strncmp(url, "http://", 7) || !buf)
		return fprintf(stderr, "hc-net: get: http:// URLs only\n"), 2;
	p = url + 7;
	path = strchr(p, '/');
	if (!path)
		path = "/";
	snprintf(host, sizeof(host), "%.*s", (int)(strcspn(p, ":/")), p);
	if (p[strlen(host)] == ':')
		snprintf(port, sizeof(port), "%.*s", (int)strcspn(p + strlen(host) + 1, "/"),
			 p + strlen(host) + 1);
	fd = tcp_connect(host, port);
	if (fd < 0)
		die("connect");
	snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n", path, host);
	if (write_all(fd, req, strlen(req)) < 0)
		die("write");
	while ((r = read(fd, buf + n, cap - n)) > 0) {
		n += (size_t)r;
		if (n == cap && !(buf = realloc(buf, cap *= 2)))
			die("realloc");
	}
	if (r < 0)
		die("read");
	close(fd);
	body = memmem(buf, n, "\r\n\r\n", 4);
	if (headers || !body)
		body = buf;
	else
		body += 4;
	fwrite(body, 1, n - (size_t)(body - buf), stdout);
	return n > 12 && !memcmp(buf + 8, " 200", 4) ? 0 : 1;
}

static int cmd_connect(const char *host, const char *port)
{
	int fd = tcp_connect(host, port);

	if (fd < 0)
		die("connect");
	printf("connected\n");
	return 0;
}

/* A socket with one SOL_SOCKET option set while it is still pending (the
 * shim replays it on the host's socket) */
static int socket_opt(int family, int type, int opt, const void *v, socklen_t len)
{
	int fd = socket(family, type, 0);

	if (fd < 0)
		die("socket");
	if (setsockopt(fd, SOL_SOCKET, opt, v, len) < 0)
		die("setsockopt");
	return fd;
}

static int cmd_serve(const char *host, const char *port)
{
	struct addrinfo *r = resolve(host, port, SOCK_STREAM, AI_PASSIVE);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char buf[4096];
	int fd, c, one = 1;
	ssize_t n;

	fd = socket_opt(r->ai_family, SOCK_STREAM, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, r->ai_addr, r->ai_addrlen) < 0)
		die("bind");
	freeaddrinfo(r);
	if (listen(fd, 8) < 0)
		die("listen");
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
		die("getsockname");
	one = 0;
	sl = sizeof(one);
	if (getsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, &sl) < 0 || !one)
		die("SO_REUSEADDR was not kept");
	printf("port %u addr %s\n", ntohs(((struct sockaddr_in *)&ss)->sin_port),
	       astr((struct sockaddr *)&ss));
	fflush(stdout);
	sl = sizeof(ss);
	c = accept(fd, (struct sockaddr *)&ss, &sl);
	if (c < 0)
		die("accept");
	printf("peer %s\n", astr((struct sockaddr *)&ss));
	while ((n = recv(c, buf, sizeof(buf), 0)) > 0)
		if (send(c, buf, (size_t)n, MSG_NOSIGNAL) != n)
			die("send");
	if (n < 0)
		die("recv");
	printf("done\n");
	return 0;
}

static int cmd_udp(const char *host, const char *port, const char *msg)
{
	struct addrinfo *r = resolve(host, port, SOCK_DGRAM, 0);
	struct timeval tv = { .tv_sec = 10 };
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char buf[2048];
	ssize_t n;
	int fd;

	fd = socket_opt(r->ai_family, SOCK_DGRAM, SO_RCVTIMEO, &tv, sizeof(tv));
	if (sendto(fd, msg, strlen(msg), 0, r->ai_addr, r->ai_addrlen) < 0)
		die("sendto");
	freeaddrinfo(r);
	n = recvfrom(fd, buf, sizeof(buf) - 1, 0, (struct sockaddr *)&ss, &sl);
	if (n < 0)
		die("recvfrom");
	buf[n] = 0;
	printf("reply %s from %s\n", buf, astr((struct sockaddr *)&ss));
	return strcmp(buf, msg) != 0;
}

static int cmd_nbconnect(const char *host, const char *port, int early)
{
	struct addrinfo *r = resolve(host, port, SOCK_STREAM, 0);
	struct epoll_event ev = { .events = EPOLLOUT }, got;
	const char msg[] = "ping-nonblocking\n";
	int fd, ep, e = 0, inprogress = 0;
	socklen_t sl = sizeof(e);
	char buf[64];
	ssize_t n = 0;

	fd = socket(r->ai_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ep = epoll_create1(0);
	if (fd < 0 || ep < 0)
		die("socket");
	ev.data.fd = fd;
	/* early: in the epoll set before connect, as some event loops do */
	if (early && epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		die("epoll");
	if (connect(fd, r->ai_addr, r->ai_addrlen) < 0) {
		if (errno != EINPROGRESS)
			die("connect");
		inprogress = 1;
	}
	freeaddrinfo(r);
	if (!early && epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		die("epoll");
	if (epoll_wait(ep, &got, 1, 20000) != 1 || !(got.events & EPOLLOUT))
		die("epoll_wait EPOLLOUT");
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &sl) < 0 || e) {
		errno = e;
		die("SO_ERROR");
	}
	if (write_all(fd, msg, sizeof(msg) - 1) < 0)
		die("write");
	ev.events = EPOLLIN;
	if (epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev) < 0)
		die("epoll_ctl");
	while ((size_t)n < sizeof(msg) - 1) {
		ssize_t k;

		if (epoll_wait(ep, &got, 1, 20000) != 1)
			die("epoll_wait EPOLLIN");
		k = read(fd, buf + n, sizeof(buf) - (size_t)n);
		if (k < 0 && errno == EAGAIN)
			continue;
		if (k <= 0)
			die("read");
		n += k;
	}
	/* nothing more: a non-blocking read says so */
	if (read(fd, buf + n, 1) >= 0 || errno != EAGAIN)
		die("read on an empty non-blocking socket");
	printf("einprogress %d echo %s", inprogress,
	       n == sizeof(msg) - 1 && !memcmp(buf, msg, (size_t)n) ? "ok\n" : "bad\n");
	return !(n == sizeof(msg) - 1 && !memcmp(buf, msg, (size_t)n));
}

static int cmd_many(const char *host, const char *port, int count)
{
	int *fd = calloc((size_t)count, sizeof(int)), i, bad = 0;
	char want[64], got[64];

	if (!fd)
		die("calloc");
	for (i = 0; i < count; i++) {
		fd[i] = tcp_connect(host, port);
		if (fd[i] < 0)
			die("connect");
	}
	for (i = 0; i < count; i++) {
		snprintf(want, sizeof(want), "connection %03d of %d\n", i, count);
		if (send(fd[i], want, strlen(want), 0) != (ssize_t)strlen(want))
			die("send");
	}
	for (i = 0; i < count; i++) {
		ssize_t n;

		snprintf(want, sizeof(want), "connection %03d of %d\n", i, count);
		n = recv(fd[i], got, strlen(want), MSG_WAITALL);
		if (n != (ssize_t)strlen(want) || memcmp(got, want, (size_t)n))
			bad++;
	}
	for (i = 0; i < count; i++)
		close(fd[i]);
	printf("connections %d bad %d\n", count, bad);
	return bad != 0;
}

/* N threads at once, from a process with no session yet: each resolves,
 * connects and echoes ROUNDS times */
#define ROUNDS 10
struct worker { const char *host, *port; int id, ok; pthread_barrier_t *go; };

static void *worker(void *arg)
{
	struct worker *w = arg;
	char want[32], got[32];
	int i, fd;

	pthread_barrier_wait(w->go);
	for (i = 0; i < ROUNDS; i++) {
		int n = snprintf(want, sizeof(want), "thread %d round %d\n", w->id, i);

		fd = tcp_connect(w->host, w->port);
		if (fd < 0)
			return NULL;
		if (send(fd, want, (size_t)n, 0) == n &&
		    recv(fd, got, (size_t)n, MSG_WAITALL) == n && !memcmp(got, want, (size_t)n))
			w->ok++;
		close(fd);
	}
	return NULL;
}

static int cmd_threads(const char *host, const char *port, int count)
{
	struct worker w[64];
	pthread_t t[64];
	pthread_barrier_t go;
	int i, ok = 0;

	if (count < 1 || count > 64)
		return 2;
	pthread_barrier_init(&go, NULL, (unsigned)count);
	for (i = 0; i < count; i++) {
		w[i] = (struct worker){ host, port, i, 0, &go };
		pthread_create(&t[i], NULL, worker, &w[i]);
	}
	for (i = 0; i < count; i++) {
		pthread_join(t[i], NULL);
		ok += w[i].ok;
	}
	printf("threads %d echoes %d of %d\n", count, ok, count * ROUNDS);
	return ok != count * ROUNDS;
}

/* "socket:[...]": a guest socket, not the driver's fd */
static int guest_socket(int fd)
{
	char p[64], l[128];
	ssize_t n;

	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	n = readlink(p, l, sizeof(l) - 1);
	return n > 7 && !memcmp(l, "socket:", 7);
}

static int cmd_loop(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t sl = sizeof(a);
	char buf[64];
	int l, c, s, st;
	pid_t pid;
	ssize_t n;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(l, 1) < 0 || getsockname(l, (struct sockaddr *)&a, &sl) < 0)
		die("listen on 127.0.0.1");
	pid = fork();
	if (pid == 0) {
		c = socket(AF_INET, SOCK_STREAM, 0);
		if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof(a)) < 0)
			die("connect 127.0.0.1");
		if (send(c, "loop", 4, 0) != 4 || recv(c, buf, 4, MSG_WAITALL) != 4 ||
		    memcmp(buf, "loop", 4))
			die("echo");
		_exit(guest_socket(c) ? 0 : 3);
	}
	s = accept(l, NULL, NULL);
	if (s < 0)
		die("accept");
	n = recv(s, buf, sizeof(buf), 0);
	if (n > 0 && send(s, buf, (size_t)n, 0) != n)
		die("send");
	waitpid(pid, &st, 0);
	printf("port %u echo %s listener %s accepted %s client %s\n", ntohs(a.sin_port),
	       n == 4 ? "ok" : "bad", guest_socket(l) ? "guest" : "host",
	       guest_socket(s) ? "guest" : "host",
	       WIFEXITED(st) && !WEXITSTATUS(st) ? "guest" : "failed");
	return !(n == 4 && WIFEXITED(st) && !WEXITSTATUS(st) && guest_socket(l) &&
		 guest_socket(s));
}

static int cmd_resolve(const char *name)
{
	struct addrinfo *r = resolve(name, NULL, SOCK_STREAM, 0), *a;

	for (a = r; a; a = a->ai_next) {
		char ip[INET6_ADDRSTRLEN];
		const void *p = a->ai_family == AF_INET ?
			(const void *)&((struct sockaddr_in *)a->ai_addr)->sin_addr :
			(const void *)&((struct sockaddr_in6 *)a->ai_addr)->sin6_addr;

		printf("%s\n", inet_ntop(a->ai_family, p, ip, sizeof(ip)));
	}
	freeaddrinfo(r);
	return 0;
}

static int cmd_hostbyname(const char *name)
{
	struct hostent *h = gethostbyname(name);
	char ip[INET_ADDRSTRLEN];

	if (!h) {
		printf("error %s\n", hstrerror(h_errno));
		return 1;
	}
	for (char **a = h->h_addr_list; *a; a++)
		printf("%s\n", inet_ntop(AF_INET, *a, ip, sizeof(ip)));
	return 0;
}

/* ---- semantics: what a program expects of a socket, one line each ---- */
static int bad;
#define EXPECT(name, cond, ...) do { \
	if (cond) { printf("ok %s\n", name); } \
	else { bad++; printf("bad %s: ", name); printf(__VA_ARGS__); printf("\n"); } \
} while (0)

static volatile sig_atomic_t sigpipes;
static void on_sigpipe(int sig) { (void)sig; sigpipes++; }

struct reader { int fd; size_t want, got; unsigned sum; };

static void *read_all(void *arg)
{
	struct reader *r = arg;
	char buf[65536];
	ssize_t n;

	while (r->got < r->want && (n = read(r->fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++)
			r->sum = r->sum * 31 + (unsigned char)buf[i];
		r->got += (size_t)n;
	}
	return NULL;
}

static volatile sig_atomic_t alarms;
static void on_alarm(int sig) { (void)sig; alarms++; }

struct late { int fd; int ms; };

static void *send_late(void *arg)
{
	struct late *l = arg;

	usleep((useconds_t)l->ms * 1000);
	send(l->fd, "late", 4, 0);
	return NULL;
}

/* A blocking recv that SIGALRM interrupts at 150 ms, data sent at 500 ms:
 * with SA_RESTART recv goes on and gets it, without it fails EINTR. */
static ssize_t recv_signalled(int s, int restart, char *buf)
{
	struct sigaction sa = { .sa_handler = on_alarm,
				.sa_flags = restart ? SA_RESTART : 0 };
	struct itimerval it = { .it_value = { .tv_usec = 150000 } };
	struct late l = { s, 500 };
	pthread_t t;
	ssize_t n;

	sigaction(SIGALRM, &sa, NULL);
	alarms = 0;
	pthread_create(&t, NULL, send_late, &l);
	setitimer(ITIMER_REAL, &it, NULL);
	n = recv(s, buf, 4, MSG_WAITALL);
	pthread_join(t, NULL);
	return n;
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* UDP: a connected socket sends without an address; a datagram longer
 * than the buffer comes back cut, with MSG_TRUNC */
static void udp_semantics(const char *host, const char *port)
{
	struct addrinfo *r = resolve(host, port, SOCK_DGRAM, 0);
	struct sockaddr_storage ss;
	char small[4];
	struct iovec v = { small, sizeof(small) };
	struct msghdr m = { .msg_name = &ss, .msg_namelen = sizeof(ss),
			    .msg_iov = &v, .msg_iovlen = 1 };
	int u = socket(r->ai_family, SOCK_DGRAM, 0);
	ssize_t n;

	if (u < 0 || connect(u, r->ai_addr, r->ai_addrlen) < 0)
		die("udp connect");
	freeaddrinfo(r);
	n = send(u, "truncate-me", 11, 0);
	EXPECT("udp-connected-send", n == 11, "%zd %s", n, strerror(errno));
	n = recvmsg(u, &m, 0);
	EXPECT("udp-MSG_TRUNC", n == 4 && (m.msg_flags & MSG_TRUNC) &&
	       !memcmp(small, "trun", 4) && m.msg_namelen == sizeof(struct sockaddr_in) &&
	       ntohs(((struct sockaddr_in *)&ss)->sin_port) == atoi(port),
	       "%zd flags %#x namelen %u", n, m.msg_flags, m.msg_namelen);
	close(u);
}

static int cmd_semantics(const char *host, const char *port, const char *udp)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char a[16], b[16], c[8], buf[64];
	int s, d, v = 0, st, fl;
	ssize_t n;

	/* the fd number and its close-on-exec flag survive the switch */
	{
		struct addrinfo *r = resolve(host, port, SOCK_STREAM, 0);
		int f1 = socket(r->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		int f2 = socket(r->ai_family, SOCK_STREAM, 0);
		int ok1 = connect(f1, r->ai_addr, r->ai_addrlen) == 0;
		int ok2 = connect(f2, r->ai_addr, r->ai_addrlen) == 0;

		EXPECT("fd-flags", ok1 && ok2 && (fcntl(f1, F_GETFD) & FD_CLOEXEC) &&
		       !(fcntl(f2, F_GETFD) & FD_CLOEXEC), "%d %d %d %d", ok1, ok2,
		       fcntl(f1, F_GETFD), fcntl(f2, F_GETFD));
		freeaddrinfo(r);
		close(f1);
		close(f2);
	}
	s = tcp_connect(host, port);
	if (s < 0)
		die("connect");
	/* names and options */
	EXPECT("getpeername", getpeername(s, (struct sockaddr *)&ss, &sl) == 0 &&
	       !strncmp(astr((struct sockaddr *)&ss), "169.254.77.1:", 13) &&
	       ntohs(((struct sockaddr_in *)&ss)->sin_port) == atoi(port),
	       "%s", astr((struct sockaddr *)&ss));
	sl = sizeof(v);
	EXPECT("SO_TYPE", getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &sl) == 0 &&
	       v == SOCK_STREAM, "%d", v);
	sl = sizeof(v);
	v = -1;
	EXPECT("SO_ERROR", getsockopt(s, SOL_SOCKET, SO_ERROR, &v, &sl) == 0 && v == 0,
	       "%d", v);
	v = 1;
	EXPECT("TCP_NODELAY", setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &v, sizeof(v)) == 0,
	       "%s", strerror(errno));
	/* iovecs both ways, MSG_WAITALL across answers */
	{
		struct iovec out[3] = { { "abc", 3 }, { "defgh", 5 }, { "ij", 2 } };
		struct iovec in[2] = { { a, 4 }, { b, 6 } };
		struct msghdr m = { .msg_iov = out, .msg_iovlen = 3 };

		n = sendmsg(s, &m, 0);
		memset(&m, 0, sizeof(m));
		m.msg_iov = in;
		m.msg_iovlen = 2;
		n = n == 10 ? recvmsg(s, &m, MSG_WAITALL) : -1;
		EXPECT("sendmsg-recvmsg-iovecs", n == 10 && !memcmp(a, "abcd", 4) &&
		       !memcmp(b, "efghij", 6), "%zd", n);
	}
	/* MSG_PEEK leaves the data */
	send(s, "peek", 4, 0);
	n = recv(s, c, 4, MSG_PEEK | MSG_WAITALL);
	EXPECT("MSG_PEEK", n == 4 && recv(s, buf, 4, MSG_WAITALL) == 4 &&
	       !memcmp(buf, "peek", 4) && !memcmp(c, "peek", 4), "%zd", n);
	/* nothing there: MSG_DONTWAIT, O_NONBLOCK, select, poll */
	n = recv(s, buf, 1, MSG_DONTWAIT);
	EXPECT("MSG_DONTWAIT", n < 0 && errno == EAGAIN, "%zd %s", n, strerror(errno));
	fl = fcntl(s, F_GETFL);
	fcntl(s, F_SETFL, fl | O_NONBLOCK);
	n = read(s, buf, 1);
	EXPECT("O_NONBLOCK-read", n < 0 && errno == EAGAIN, "%zd %s", n, strerror(errno));
	n = recv(s, buf, 1, 0);
	EXPECT("O_NONBLOCK-recv", n < 0 && errno == EAGAIN, "%zd %s", n, strerror(errno));
	fcntl(s, F_SETFL, fl);
	{
		struct pollfd p = { .fd = s, .events = POLLIN };
		struct timeval tv = { .tv_sec = 10 };
		fd_set rs;

		EXPECT("poll-empty", poll(&p, 1, 50) == 0, "%x", p.revents);
		send(s, "x", 1, 0);
		FD_ZERO(&rs);
		FD_SET(s, &rs);
		EXPECT("select-readable", select(s + 1, &rs, NULL, NULL, &tv) == 1 &&
		       FD_ISSET(s, &rs), "%s", strerror(errno));
		recv(s, buf, 1, 0);
	}
	/* dup shares it */
	d = dup(s);
	n = write(d, "dup", 3);
	close(d);
	EXPECT("dup", n == 3 && recv(s, buf, 3, MSG_WAITALL) == 3 && !memcmp(buf, "dup", 3),
	       "%zd", n);
	/* SO_RCVTIMEO: a silent socket answers EAGAIN after it */
	{
		struct timeval tv = { .tv_usec = 300000 };
		struct timespec t0;
		long ms;

		setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		clock_gettime(CLOCK_MONOTONIC, &t0);
		n = recv(s, buf, 1, 0);
		ms = ms_since(&t0);
		EXPECT("SO_RCVTIMEO", n < 0 && errno == EAGAIN && ms >= 250 && ms < 5000,
		       "%zd %s after %ld ms", n, strerror(errno), ms);
		tv.tv_usec = 0;
		setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	/* signals: SA_RESTART goes on, without it EINTR */
	n = recv_signalled(s, 1, buf);
	EXPECT("SA_RESTART", n == 4 && alarms == 1 && !memcmp(buf, "late", 4),
	       "%zd %s, %d SIGALRM", n, strerror(errno), (int)alarms);
	n = recv_signalled(s, 0, buf);
	EXPECT("EINTR", n < 0 && errno == EINTR && alarms == 1, "%zd %s, %d SIGALRM",
	       n, strerror(errno), (int)alarms);
	n = recv(s, buf, 4, MSG_WAITALL);	/* the late data of the EINTR case */
	EXPECT("EINTR-nothing-lost", n == 4 && !memcmp(buf, "late", 4), "%zd", n);
	/* more than one call carries (1 MiB), read back by a thread */
	{
		static char big[1 << 20];
		struct reader r = { .fd = s, .want = sizeof(big) };
		unsigned sum = 0;
		pthread_t t;

		for (size_t i = 0; i < sizeof(big); i++) {
			big[i] = (char)(i * 7 + (i >> 11));
			sum = sum * 31 + (unsigned char)big[i];
		}
		pthread_create(&t, NULL, read_all, &r);
		n = send(s, big, sizeof(big), 0);
		pthread_join(t, NULL);
		EXPECT("send-1MiB", n == (ssize_t)sizeof(big) && r.got == sizeof(big) &&
		       r.sum == sum, "sent %zd, read back %zu", n, r.got);
	}
	/* fork: the child uses the parent's socket and makes its own */
	if (!fork()) {
		int k;

		if (send(s, "child", 5, 0) != 5 || recv(s, buf, 5, MSG_WAITALL) != 5)
			_exit(1);
		k = tcp_connect(host, port);
		if (k < 0 || send(k, "new", 3, 0) != 3 || recv(k, buf, 3, MSG_WAITALL) != 3)
			_exit(2);
		_exit(0);
	}
	wait(&st);
	EXPECT("fork", WIFEXITED(st) && !WEXITSTATUS(st), "child status %#x", st);
	/* SIGPIPE: raised unless MSG_NOSIGNAL */
	signal(SIGPIPE, on_sigpipe);
	shutdown(s, SHUT_WR);
	n = send(s, "x", 1, MSG_NOSIGNAL);
	EXPECT("EPIPE-MSG_NOSIGNAL", n < 0 && errno == EPIPE && sigpipes == 0,
	       "%zd %s, %d SIGPIPE", n, strerror(errno), (int)sigpipes);
	n = send(s, "x", 1, 0);
	EXPECT("EPIPE-SIGPIPE-send", n < 0 && errno == EPIPE && sigpipes == 1,
	       "%zd %s, %d SIGPIPE", n, strerror(errno), (int)sigpipes);
	n = write(s, "x", 1);
	EXPECT("EPIPE-SIGPIPE-write", n < 0 && errno == EPIPE && sigpipes == 2,
	       "%zd %s, %d SIGPIPE", n, strerror(errno), (int)sigpipes);
	/* the peer's end after our SHUT_WR: the echo server closes */
	n = recv(s, buf, sizeof(buf), 0);
	EXPECT("EOF", n == 0, "%zd %s", n, strerror(errno));
	close(s);
	/* a listener on the host, reached through the host by this guest:
	 * non-blocking accept, poll, accept4's flags on the new fd */
	{
		struct sockaddr_in h = { .sin_family = AF_INET };
		struct pollfd p;
		int l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), k, c2;

		h.sin_addr.s_addr = htonl(0xa9fe4d01);	/* host.internal */
		sl = sizeof(h);
		if (l < 0 || bind(l, (struct sockaddr *)&h, sizeof(h)) < 0 ||
		    listen(l, 4) < 0 || getsockname(l, (struct sockaddr *)&h, &sl) < 0)
			die("listen on host.internal");
		k = accept4(l, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		EXPECT("accept-EAGAIN", k < 0 && errno == EAGAIN, "%d %s", k, strerror(errno));
		c2 = socket(AF_INET, SOCK_STREAM, 0);
		if (c2 < 0 || connect(c2, (struct sockaddr *)&h, sizeof(h)) < 0)
			die("connect to the host listener");
		p.fd = l;
		p.events = POLLIN;
		EXPECT("poll-listener", poll(&p, 1, 10000) == 1 && (p.revents & POLLIN),
		       "%x", p.revents);
		k = accept4(l, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		EXPECT("accept4-flags", k >= 0 && (fcntl(k, F_GETFL) & O_NONBLOCK) &&
		       (fcntl(k, F_GETFD) & FD_CLOEXEC), "%d %s", k, strerror(errno));
		n = k >= 0 && send(c2, "via", 3, 0) == 3 ? recv(k, buf, 3, MSG_WAITALL) : -1;
		EXPECT("accepted-data", n == 3 && !memcmp(buf, "via", 3), "%zd", n);
		close(k);
		close(c2);
		close(l);
	}
	/* a host socket never reaches the host's loopback by the guest's */
	{
		struct sockaddr_in lo = { .sin_family = AF_INET, .sin_port = htons(9) };
		struct addrinfo *r = resolve(host, port, SOCK_DGRAM, 0);
		int u = socket(r->ai_family, SOCK_DGRAM, 0);

		lo.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sendto(u, "x", 1, 0, r->ai_addr, r->ai_addrlen);
		n = sendto(u, "x", 1, 0, (struct sockaddr *)&lo, sizeof(lo));
		EXPECT("host-socket-to-guest-loopback", n < 0 && errno == ENETUNREACH,
		       "%zd %s", n, strerror(errno));
		freeaddrinfo(r);
		close(u);
	}
	if (udp)
		udp_semantics(host, udp);
	printf("semantics bad %d\n", bad);
	return bad != 0;
}

int main(int argc, char **argv)
{
	const char *c = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(c, "get") && argc >= 3)
		return cmd_get(argv[2], argc > 3 && !strcmp(argv[3], "-i"));
	if (!strcmp(c, "connect") && argc == 4)
		return cmd_connect(argv[2], argv[3]);
	if (!strcmp(c, "serve") && argc == 4)
		return cmd_serve(argv[2], argv[3]);
	if (!strcmp(c, "udp") && argc == 5)
		return cmd_udp(argv[2], argv[3], argv[4]);
	if (!strcmp(c, "nbconnect") && (argc == 4 || argc == 5))
		return cmd_nbconnect(argv[2], argv[3], argc == 5 && !strcmp(argv[4], "early"));
	if (!strcmp(c, "many") && argc == 5)
		return cmd_many(argv[2], argv[3], atoi(argv[4]));
	if (!strcmp(c, "threads") && argc == 5)
		return cmd_threads(argv[2], argv[3], atoi(argv[4]));
	if (!strcmp(c, "loop") && argc == 2)
		return cmd_loop();
	if (!strcmp(c, "resolve") && argc == 3)
		return cmd_resolve(argv[2]);
	if (!strcmp(c, "hostbyname") && argc == 3)
		return cmd_hostbyname(argv[2]);
	if (!strcmp(c, "semantics") && (argc == 4 || argc == 5))
		return cmd_semantics(argv[2], argv[3], argc == 5 ? argv[4] : NULL);
	fprintf(stderr, "usage: hc-net get URL [-i] | connect HOST PORT | serve HOST PORT |\n"
		"  udp HOST PORT MSG | nbconnect HOST PORT [early] | many HOST PORT N |\n"
		"  threads HOST PORT N | loop |\n"
		"  resolve NAME | hostbyname NAME | semantics HOST PORT [UDPPORT]\n");
	return 2;
}
