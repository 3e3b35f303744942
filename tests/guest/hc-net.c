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
 */
#define _GNU_SOURCE
#include "net-util.h"

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
	fprintf(stderr, "usage: hc-net get URL [-i] | connect HOST PORT | serve HOST PORT |\n"
		"  udp HOST PORT MSG | nbconnect HOST PORT [early] | many HOST PORT N |\n"
		"  threads HOST PORT N | loop |\n"
		"  resolve NAME | hostbyname NAME\n");
	return 2;
}
