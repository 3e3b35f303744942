// SPDX-License-Identifier: MIT
/*
 * netb: the TCP rows of `make bench`, guest to host, the same client code
 * on both sides; only how a socket is made differs:
 *   --sock  "sock": a socket fd of the driver (hc_socket, CONNECT through
 *           hc_sock_call), served by the host's stack; HOST is resolved
 *           by the host (hc_getaddrinfo: host.internal)
 *   (none)  "virtio_net": a guest kernel socket through the guest's NIC
 *           (QEMU user-mode networking); HOST is an IPv4 address
 * After connect both are plain fds: read, write, close.
 *   netb [--sock] stream MIB HOST PORT   MIB MiB in 128 KiB writes to the
 *        peer's sink ('S', then its ack: all arrived): tcp_stream_MBps
 *   netb [--sock] connect N HOST PORT    N times connect, a 1-byte echo
 *        ('E' 1), close: tcp_connect_us, per connection
 *   netb [--sock] http N HOST PORT       N GETs, each on a new connection
 *        ("Connection: close"): http_rps; then N GETs on one kept
 *        connection: http_keepalive_rps
 * PORT speaks tests/bench-peer.c's commands (stream, connect) or HTTP.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <hostcall.h>
#include "bench.h"

static char buf[CHUNK];
static const char *side = "virtio_net";
static hc_session *hc;	/* --sock */
static struct sockaddr_in peer;

static void die(const char *what, int err)
{
	fprintf(stderr, "netb %s: %s: %s\n", side, what, strerror(err));
	exit(1);
}

static void resolve(const char *host, int port)
{
	peer = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	if (!hc) {
		if (inet_pton(AF_INET, host, &peer.sin_addr) != 1)
			die(host, EINVAL);
		return;
	}
	struct hc_sock_ai ai;
	int n = hc_getaddrinfo(hc, host, NULL, AF_INET, SOCK_STREAM, 0, &ai, 1);

	if (n != 1) {
		fprintf(stderr, "netb sock: getaddrinfo %s: %d\n", host, n);
		exit(1);
	}
	memcpy(&peer.sin_addr, &((struct sockaddr_in *)(void *)ai.addr)->sin_addr,
	       sizeof(peer.sin_addr));
}

static int dial(void)
{
	int fd, r;

	if (hc) {
		fd = hc_socket(hc, AF_INET, SOCK_STREAM, 0);
		if (fd < 0)
			die("socket", -fd);
		r = (int)hc_sock_call(fd, HC_SOCK_CONNECT, 0, 0, 0, 0, &peer, sizeof(peer),
				      NULL, 0, NULL);
		if (r < 0)
			die("connect", -r);
		return fd;
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket", errno);
	if (connect(fd, (struct sockaddr *)&peer, sizeof(peer)))
		die("connect", errno);
	return fd;
}

static void put(int fd, const void *p, size_t n)
{
	for (size_t off = 0; off < n;) {
		ssize_t w = write(fd, (const char *)p + off, n - off);

		if (w <= 0)
			die("write", w < 0 ? errno : EPIPE);
		off += (size_t)w;
	}
}

/* One read that must give something. */
static size_t get(int fd, void *p, size_t n)
{
	ssize_t r = read(fd, p, n);

	if (r <= 0)
		die("read", r < 0 ? errno : ECONNRESET);
	return (size_t)r;
}

static void peer_cmd(int fd, char c, uint64_t n, const void *more, size_t more_len)
{
	char cmd[16] = { c };

	memcpy(cmd + 1, &n, 8);	/* x86-64 both sides: little endian */
	memcpy(cmd + 9, more, more_len);	/* with the command: one segment */
	put(fd, cmd, 9 + more_len);
}

static int stream(size_t total)
{
	int fd = dial();
	char ack;

	peer_cmd(fd, 'S', total, NULL, 0);
	double t0 = now();

	for (size_t off = 0; off < total; off += CHUNK)
		put(fd, buf, total - off < CHUNK ? total - off : CHUNK);
	get(fd, &ack, 1);	/* the peer's ack: all arrived */
	emit("tcp_stream_MBps", side, (double)total / (now() - t0) / 1e6);
	close(fd);
	return 0;
}

static int connects(long n)
{
	double t0 = now();

	for (long i = 0; i < n; i++) {
		int fd = dial();
		char r;

		peer_cmd(fd, 'E', 1, "x", 1);
		get(fd, &r, 1);
		close(fd);
	}
	emit("tcp_connect_us", side, (now() - t0) / (double)n * 1e6);
	return 0;
}

/* One GET on fd, its answer read whole (headers, Content-Length body). */
static void get_once(int fd, int keep)
{
	static const char req_keep[] = "GET / HTTP/1.1\r\nHost: bench\r\n\r\n";
	static const char req_close[] = "GET / HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n";
	char ans[1024], *end = NULL;
	size_t have = 0;
	long len;

	if (keep)
		put(fd, req_keep, sizeof(req_keep) - 1);
	else
		put(fd, req_close, sizeof(req_close) - 1);
	while (!end) {
		if (have == sizeof(ans) - 1)
			die("http answer", EMSGSIZE);
		have += get(fd, ans + have, sizeof(ans) - 1 - have);
		ans[have] = 0;
		end = strstr(ans, "\r\n\r\n");
	}
	char *cl = strcasestr(ans, "\r\nContent-Length:");

	if (strncmp(ans, "HTTP/1.1 200 ", 13) || !cl || cl > end)
		die("http answer", EPROTO);
	len = atol(cl + 17);
	for (long body = (long)(ans + have - end - 4); body < len;)
		body += (long)get(fd, ans, sizeof(ans));
}

static int http(long n)
{
	double t0 = now();

	for (long i = 0; i < n; i++) {
		int fd = dial();

		get_once(fd, 0);
		close(fd);
	}
	emit("http_rps", side, (double)n / (now() - t0));

	int fd = dial();

	t0 = now();
	for (long i = 0; i < n; i++)
		get_once(fd, 1);
	emit("http_keepalive_rps", side, (double)n / (now() - t0));
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--sock")) {
		side = "sock";
		argc--, argv++;
		hc = hc_open();
		if (!hc)
			die(hc_default_device(), errno);
	}
	if (argc != 5 || atol(argv[2]) <= 0 || atoi(argv[4]) <= 0 || atoi(argv[4]) > 65535) {
		fprintf(stderr, "usage: netb [--sock] stream MIB | connect N | http N  HOST PORT\n");
		return 2;
	}
	const char *m = argv[1];
	long a = atol(argv[2]);

	resolve(argv[3], atoi(argv[4]));
	if (!strcmp(m, "stream"))
		return stream((size_t)a << 20);
	if (!strcmp(m, "connect"))
		return connects(a);
	if (!strcmp(m, "http"))
		return http(a);
	fprintf(stderr, "netb: unknown row %s\n", m);
	return 2;
}
