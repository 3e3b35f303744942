/* SPDX-License-Identifier: MIT */
/*
 * Socket fds of the driver (HOSTCALL_IOC_SOCKET), through libhostcall's
 * API as a static program uses it. Both ends are host sockets: a listener
 * on the host's loopback (host.internal) and clients connecting to it, so
 * no server outside the guest is needed. What is checked is the driver's
 * part: read/write, poll and epoll (level and edge), O_NONBLOCK, timeouts,
 * signals losing nothing, dup and fork, close reaching the host, more
 * waiting sockets than the driver keeps waiting POLLs for, UDP.
 *   hc-sockfd
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hostcall.h"
#include "hc-util.h"

#define NPAIRS	40	/* more than the driver's HC_SOCK_WAITS (32) */

static hc_session *hc;

static struct sockaddr_in host_internal(uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(port) };

	a.sin_addr.s_addr = htonl(HC_SOCK_HOST_INTERNAL4);
	return a;
}

static int64_t call(int fd, unsigned fn, int64_t a1, int64_t a2, int64_t a3,
		    const void *in, size_t in_len, void *out, size_t out_len)
{
	return hc_sock_call(fd, fn, a1, a2, a3, 0, in, in_len, out, out_len,
			    NULL);
}

/* A listener on host.internal:0; *port gets the port the host bound. */
static int listener(int type, uint16_t *port)
{
	struct sockaddr_in a = host_internal(0);
	int fd = hc_socket(hc, AF_INET, type, 0);
	size_t used = 0;

	if (fd < 0)
		return fd;
	if (call(fd, HC_SOCK_BIND, 0, 0, 0, &a, sizeof(a), NULL, 0) ||
	    (type == SOCK_STREAM && call(fd, HC_SOCK_LISTEN, 64, 0, 0, NULL,
					 0, NULL, 0)))
		return -EIO;
	if (hc_sock_call(fd, HC_SOCK_GETSOCKNAME, 0, 0, 0, 0, NULL, 0, &a,
			 sizeof(a), &used) != sizeof(a))
		return -EIO;
	*port = ntohs(a.sin_port);
	return fd;
}

/* A connected pair: *c the client (flags: SOCK_NONBLOCK), *s accepted. */
static int pair(int lfd, uint16_t port, int flags, int *c, int *s)
{
	struct sockaddr_in a = host_internal(port);
	int64_t r;

	*c = hc_socket(hc, AF_INET, SOCK_STREAM | flags, 0);
	if (*c < 0)
		return *c;
	r = call(*c, HC_SOCK_CONNECT, 0, 0, 0, &a, sizeof(a), NULL, 0);
	if (r && r != -EINPROGRESS)
		return (int)r;
	r = hc_sock_call(lfd, HC_SOCK_ACCEPT, 0, 0, 0, SOCK_CLOEXEC, NULL, 0,
			 NULL, 0, NULL);
	if (r < 0)
		return (int)r;
	*s = (int)r;
	return 0;
}

static int got_sig;
static void on_sig(int sig)
{
	got_sig = sig;
}

static void set_alarm(int restart, long usec)
{
	struct sigaction sa = { .sa_handler = on_sig };

	sa.sa_flags = restart ? SA_RESTART : 0;
	sigaction(SIGALRM, &sa, NULL);
	ualarm((useconds_t)usec, 0);
}

static void check_basics(int lfd, uint16_t port)
{
	struct hostcall_ioc_sock_info info;
	struct sockaddr_in peer;
	int c, s, err = -1, ep;
	char buf[64] = "";
	size_t used = 0;
	int64_t r;
	double t0;

	hc_check(port != 0, "sockfd: listener on host.internal got a port",
		 "port 0");
	hc_check(hc_sock_info(lfd, &info) == 0 && info.family == AF_INET &&
		 info.type == SOCK_STREAM && info.handle > 0,
		 "sockfd: HOSTCALL_IOC_SOCK_INFO names the socket", "no");
	hc_check(hc_sock_info(0, NULL) == -ENOTTY,
		 "sockfd: HOSTCALL_IOC_SOCK_INFO on another fd is ENOTTY", "no");
	hc_check(call(lfd, HC_SOCK_CLOSE, 0, 0, 0, NULL, 0, NULL, 0) == -EINVAL,
		 "sockfd: CLOSE through the ioctl is EINVAL", "not refused");

	/* nonblocking connect, finished by epoll's EPOLLOUT and SO_ERROR */
	c = hc_socket(hc, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in a = host_internal(port);
	r = call(c, HC_SOCK_CONNECT, 0, 0, 0, &a, sizeof(a), NULL, 0);
	hc_check(r == -EINPROGRESS || r == 0,
		 "sockfd: nonblocking connect says EINPROGRESS", "%lld",
		 (long long)r);
	ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = { .events = EPOLLOUT, .data.fd = c }, out;
	epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
	hc_check(epoll_wait(ep, &out, 1, 10000) == 1 &&
		 (out.events & EPOLLOUT),
		 "sockfd: epoll says the connect finished (EPOLLOUT)", "no");
	r = hc_sock_call(c, HC_SOCK_GETSOCKOPT, SOL_SOCKET, SO_ERROR, 0, 0,
			 NULL, 0, &err, sizeof(err), &used);
	hc_check(r == 4 && err == 0, "sockfd: SO_ERROR 0 after the connect",
		 "r %lld err %d", (long long)r, err);
	close(ep);

	struct pollfd pf = { .fd = lfd, .events = POLLIN };
	hc_check(poll(&pf, 1, 10000) == 1 && (pf.revents & POLLIN),
		 "sockfd: poll says the listener has a connection", "no");
	r = hc_sock_call(lfd, HC_SOCK_ACCEPT, 0, 0, 0, SOCK_CLOEXEC, NULL, 0,
			 &peer, sizeof(peer), &used);
	s = (int)r;
	hc_check(r >= 0 && (fcntl(s, F_GETFD) & FD_CLOEXEC) &&
		 peer.sin_addr.s_addr == htonl(HC_SOCK_HOST_INTERNAL4),
		 "sockfd: accept gives a CLOEXEC fd, the peer as host.internal",
		 "r %lld", (long long)r);

	hc_check(write(c, "hello", 5) == 5 && read(s, buf, sizeof(buf)) == 5 &&
		 !memcmp(buf, "hello", 5), "sockfd: write and read", "no");

	/* SO_RCVTIMEO: the driver's wait is cancelled, EAGAIN */
	struct timeval tv = { 0, 200000 };
	r = call(s, HC_SOCK_SETSOCKOPT, SOL_SOCKET, SO_RCVTIMEO, 0, &tv,
		 sizeof(tv), NULL, 0);
	t0 = now();
	errno = 0;
	ssize_t n = read(s, buf, sizeof(buf));
	hc_check(!r && n < 0 && errno == EAGAIN && now() - t0 >= 0.15,
		 "sockfd: SO_RCVTIMEO ends a read with EAGAIN",
		 "r %lld n %zd errno %d after %.3f s", (long long)r, n, errno,
		 now() - t0);
	tv.tv_usec = 0;
	call(s, HC_SOCK_SETSOCKOPT, SOL_SOCKET, SO_RCVTIMEO, 0, &tv,
	     sizeof(tv), NULL, 0);

	/* a signal without SA_RESTART: EINTR, and nothing is lost */
	got_sig = 0;
	set_alarm(0, 100000);
	errno = 0;
	n = read(s, buf, sizeof(buf));
	int e = errno;
	hc_check(n < 0 && e == EINTR && got_sig == SIGALRM,
		 "sockfd: a signal interrupts a blocking read (EINTR)",
		 "n %zd errno %d", n, e);
	hc_check(write(c, "after", 5) == 5 && read(s, buf, sizeof(buf)) == 5 &&
		 !memcmp(buf, "after", 5),
		 "sockfd: the next read gets the next bytes", "no");
	/* with SA_RESTART the read goes on and gets what a child writes */
	got_sig = 0;
	set_alarm(1, 100000);
	pid_t pid = fork();
	if (pid == 0) {
		usleep(400000);
		_exit(write(c, "child", 5) == 5 ? 0 : 1);	/* fork shares it */
	}
	n = read(s, buf, sizeof(buf));
	int st = -1;
	waitpid(pid, &st, 0);
	hc_check(n == 5 && !memcmp(buf, "child", 5) && got_sig == SIGALRM &&
		 st == 0,
		 "sockfd: SA_RESTART restarts the read; a forked child writes",
		 "n %zd sig %d status %d", n, got_sig, st);

	/* edge-triggered epoll: drained to EAGAIN, then new data wakes it */
	fcntl(s, F_SETFL, fcntl(s, F_GETFL) | O_NONBLOCK);
	ep = epoll_create1(0);
	ev.events = EPOLLIN | EPOLLET;
	ev.data.fd = s;
	epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev);
	errno = 0;
	n = read(s, buf, sizeof(buf));
	hc_check(n < 0 && errno == EAGAIN,
		 "sockfd: O_NONBLOCK (fcntl) read of nothing is EAGAIN",
		 "n %zd errno %d", n, errno);
	epoll_wait(ep, &out, 1, 0);	/* whatever was pending */
	hc_check(write(c, "et", 2) == 2 && epoll_wait(ep, &out, 1, 10000) == 1 &&
		 (out.events & EPOLLIN) && read(s, buf, sizeof(buf)) == 2,
		 "sockfd: edge-triggered epoll wakes for new data", "no");
	close(ep);

	/* dup keeps the socket; the last close reaches the host: EOF */
	int d = dup(c);
	close(c);
	hc_check(write(d, "dup", 3) == 3, "sockfd: a dup writes after close",
		 "no");
	close(d);
	fcntl(s, F_SETFL, fcntl(s, F_GETFL) & ~O_NONBLOCK);
	n = read(s, buf, sizeof(buf));
	ssize_t n2 = read(s, buf, sizeof(buf));
	hc_check(n == 3 && n2 == 0,
		 "sockfd: the last close sends CLOSE: the peer reads EOF",
		 "n %zd then %zd", n, n2);

	/* writing to a closed peer: EPIPE, and SIGPIPE unless ignored */
	signal(SIGPIPE, SIG_IGN);
	errno = 0;
	for (int i = 0; i < 50 && write(s, buf, 1) == 1; i++)
		usleep(20000);
	hc_check(errno == EPIPE || errno == ECONNRESET,
		 "sockfd: writing to a closed peer fails with EPIPE",
		 "errno %d", errno);
	close(s);
}

static void check_refused(void)
{
	uint16_t port = 0;
	int l = listener(SOCK_STREAM, &port);
	close(l);	/* nobody listens on port now */
	int c = hc_socket(hc, AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = host_internal(port);
	int64_t r = call(c, HC_SOCK_CONNECT, 0, 0, 0, &a, sizeof(a), NULL, 0);

	hc_check(l >= 0 && r == -ECONNREFUSED,
		 "sockfd: connect to a closed port is ECONNREFUSED", "%lld",
		 (long long)r);
	close(c);
}

/* More sockets waiting than waiting POLLs: the last one still wakes. */
static void check_many(int lfd, uint16_t port)
{
	struct pollfd pf[NPAIRS];
	int c[NPAIRS], s[NPAIRS], ok = 1, i;

	for (i = 0; i < NPAIRS && ok; i++)
		ok = !pair(lfd, port, 0, &c[i], &s[i]);
	hc_check(ok, "sockfd: 40 connections", "pair %d failed", i - 1);
	if (!ok)
		return;
	for (i = 0; i < NPAIRS; i++)
		pf[i] = (struct pollfd){ .fd = s[i], .events = POLLIN };
	hc_check(poll(pf, NPAIRS, 300) == 0,
		 "sockfd: poll of 40 idle sockets times out", "ready");
	pid_t pid = fork();
	if (pid == 0) {
		usleep(300000);
		_exit(write(c[NPAIRS - 1], "z", 1) == 1 ? 0 : 1);
	}
	int n = poll(pf, NPAIRS, 15000);
	waitpid(pid, NULL, 0);
	hc_check(n == 1 && (pf[NPAIRS - 1].revents & POLLIN),
		 "sockfd: poll over 40 sockets wakes for the last one",
		 "n %d", n);
	for (i = 0; i < NPAIRS; i++) {
		close(c[i]);
		close(s[i]);
	}
}

static void check_udp(void)
{
	struct { struct hc_sock_msg m; char data[16]; } in, out;
	uint16_t port = 0;
	int u1 = listener(SOCK_DGRAM, &port);
	int u2 = hc_socket(hc, AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = host_internal(port), src;
	char buf[16];
	size_t used = 0;
	int64_t r;

	memset(&in, 0, sizeof(in));
	in.m.addrlen = sizeof(a);
	memcpy(in.m.addr, &a, sizeof(a));
	memcpy(in.data, "dgram", 5);
	r = call(u2, HC_SOCK_SENDTO, 0, 0, 0, &in, sizeof(in.m) + 5, NULL, 0);
	hc_check(u1 >= 0 && r == 5, "sockfd: UDP sendto to host.internal",
		 "%lld", (long long)r);
	struct pollfd pf = { .fd = u1, .events = POLLIN };
	hc_check(poll(&pf, 1, 10000) == 1, "sockfd: poll says a datagram came",
		 "no");
	/* a read shorter than the datagram takes it whole, as a socket's */
	hc_check(read(u1, buf, 3) == 3 && !memcmp(buf, "dgr", 3),
		 "sockfd: UDP read", "no");
	call(u2, HC_SOCK_SENDTO, 0, 0, 0, &in, sizeof(in.m) + 5, NULL, 0);
	r = hc_sock_call(u1, HC_SOCK_RECVFROM, 0, 0, 0, 0, NULL, 0, &out,
			 sizeof(out), &used);
	memcpy(&src, out.m.addr, sizeof(src));
	hc_check(r == 5 && !memcmp(out.data, "dgram", 5) &&
		 src.sin_addr.s_addr == htonl(HC_SOCK_HOST_INTERNAL4),
		 "sockfd: UDP recvfrom names the sender as host.internal",
		 "r %lld", (long long)r);
	close(u1);
	close(u2);
}

int main(void)
{
	uint16_t port = 0;
	int lfd;

	hc = hc_open();
	if (!hc) {
		printf("FAIL: sockfd: hc_open: %s\n", strerror(errno));
		return 1;
	}
	lfd = listener(SOCK_STREAM, &port);
	if (lfd < 0) {
		printf("FAIL: sockfd: listener: %s\n", strerror(-lfd));
		return 1;
	}
	hc_close(hc);	/* the socket fds keep the session */
	hc = hc_open();
	check_basics(lfd, port);
	check_refused();
	check_many(lfd, port);
	check_udp();
	close(lfd);
	hc_close(hc);
	printf("sockfd: %d failure(s)\n", hc_failures);
	return hc_failures ? 1 : 0;
}
