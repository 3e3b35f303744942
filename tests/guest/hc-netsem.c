// SPDX-License-Identifier: MIT
/*
 * hc-netsem HOST PORT [UDPPORT]: what a program expects of a socket, run
 * against a TCP (and a UDP) echo server under hcnet (tests/e2e/guest/
 * sock.sh): one "ok NAME" or "bad NAME: why" line each, then "semantics bad
 * N". Plain libc sockets, linked dynamically, as hc-net.
 */
#define _GNU_SOURCE
#include "net-util.h"

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
	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: hc-netsem HOST PORT [UDPPORT]\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	return cmd_semantics(argv[1], argv[2], argc == 4 ? argv[3] : NULL);
}
