// SPDX-License-Identifier: MIT
/*
 * Host peer of `make bench`, in C so that it is never the bottleneck of
 * what it serves (a Python peer capped virtio-serial near 150 MB/s
 * against 520 with this one).
 *
 * bench-peer SOCKET: the virtio-serial reference. Listens on a Unix
 * socket that QEMU connects to as the guest's "bench" port. Commands from
 * the guest, each a byte and a little-endian u64 n:
 *   'E' n: echo n single bytes;
 *   'S' n: swallow n bytes, then answer one byte 'K';
 *   'R' n: send n zero bytes.
 *
 * bench-peer --tcp PORTFILE: the TCP rows (sock beside virtio-net). Two
 * listeners on 127.0.0.1, ephemeral ports, written "PEER HTTP\n" into
 * PORTFILE (whole, by a rename) once they listen; every connection is
 * served by a thread of its own:
 *   PEER: the commands above, on each connection;
 *   HTTP: HTTP/1.1, every request answered 200 with a small fixed body;
 *         the connection is kept unless the request says
 *         "Connection: close".
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define BUF_SIZE (1 << 20)

static int take(int fd, void *p, size_t n)
{
	for (size_t got = 0; got < n;) {
		ssize_t r = read(fd, (char *)p + got, n - got);

		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

static int give(int fd, const void *p, size_t n)
{
	for (size_t put = 0; put < n;) {
		ssize_t w = write(fd, (const char *)p + put, n - put);

		if (w <= 0)
			return -1;
		put += (size_t)w;
	}
	return 0;
}

static int serve(int c)
{
	static __thread char *buf;	/* a connection thread's own */
	unsigned char hdr[9];
	uint64_t n;

	if (!buf && !(buf = malloc(BUF_SIZE)))
		return -1;
	while (take(c, hdr, sizeof(hdr)) == 0) {
		memcpy(&n, hdr + 1, 8);	/* x86-64 both sides: little endian */
		switch (hdr[0]) {
		case 'E':
			for (uint64_t i = 0; i < n; i++) {
				char b;

				if (take(c, &b, 1) || give(c, &b, 1))
					return -1;
			}
			break;
		case 'S':
			while (n) {
				ssize_t r = read(c, buf, n < BUF_SIZE ? n : BUF_SIZE);

				if (r <= 0)
					return -1;
				n -= (uint64_t)r;
			}
			if (give(c, "K", 1))
				return -1;
			break;
		case 'R':
			memset(buf, 0, BUF_SIZE);
			while (n) {
				size_t k = n < 65536 ? n : 65536;

				if (give(c, buf, k))
					return -1;
				n -= k;
			}
			break;
		default:
			fprintf(stderr, "bench-peer: unknown command 0x%02x\n", hdr[0]);
			return -1;
		}
	}
	return 0;	/* the guest closed the port */
}

/* One HTTP/1.1 connection: requests (no body) until the client closes. */
static int http(int c)
{
	static const char reply[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
				    "Content-Length: 13\r\n\r\nhello, bench\n";
	char req[8192];
	size_t have = 0;

	for (;;) {
		char *end;

		req[have] = 0;
		while (!(end = strstr(req, "\r\n\r\n"))) {
			ssize_t r;

			if (have == sizeof(req) - 1)
				return -1;	/* no request is this long */
			r = read(c, req + have, sizeof(req) - 1 - have);
			if (r <= 0)
				return 0;
			have += (size_t)r;
			req[have] = 0;
		}
		end += 4;
		char was = *end;

		*end = 0;
		int close_after = strcasestr(req, "\r\nConnection: close\r\n") != NULL;

		*end = was;
		if (give(c, reply, sizeof(reply) - 1))
			return -1;
		if (close_after)
			return 0;
		have -= (size_t)(end - req);	/* a pipelined next request */
		memmove(req, end, have);
	}
}

struct conn {
	int fd;
	int (*fn)(int);
};

static void *conn_thread(void *p)
{
	struct conn *c = p;

	c->fn(c->fd);
	close(c->fd);
	free(c);
	return NULL;
}

struct listener {
	int fd;
	int (*fn)(int);
};

static void *accept_loop(void *p)
{
	struct listener *l = p;

	for (;;) {
		struct conn *c = malloc(sizeof(*c));
		pthread_t t;

		if (!c)
			return NULL;
		c->fn = l->fn;
		c->fd = accept(l->fd, NULL, NULL);
		if (c->fd < 0 || pthread_create(&t, NULL, conn_thread, c)) {
			perror("bench-peer: accept");
			if (c->fd >= 0)
				close(c->fd);
			free(c);
			continue;
		}
		pthread_detach(t);
	}
}

static int tcp_listen(uint16_t *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) || listen(s, 128) ||
	    getsockname(s, (struct sockaddr *)&a, &len)) {
		perror("bench-peer: tcp listen");
		exit(1);
	}
	*port = ntohs(a.sin_port);
	return s;
}

static int tcp_main(const char *portfile)
{
	static struct listener l[2] = { { .fn = serve }, { .fn = http } };
	uint16_t port[2];
	char tmp[4096];
	pthread_t t;
	FILE *f;

	for (int i = 0; i < 2; i++)
		l[i].fd = tcp_listen(&port[i]);
	snprintf(tmp, sizeof(tmp), "%s.tmp", portfile);
	f = fopen(tmp, "w");
	if (!f || fprintf(f, "%u %u\n", port[0], port[1]) < 0 || fclose(f) ||
	    rename(tmp, portfile)) {
		perror("bench-peer: the port file");
		return 1;
	}
	if (pthread_create(&t, NULL, accept_loop, &l[1])) {
		fprintf(stderr, "bench-peer: no thread\n");
		return 1;
	}
	accept_loop(&l[0]);
	return 1;
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s, c;

	if (argc == 3 && !strcmp(argv[1], "--tcp"))
		return tcp_main(argv[2]);
	if (argc != 2 || strlen(argv[1]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "usage: bench-peer SOCKET | bench-peer --tcp PORTFILE\n");
		return 2;
	}
	strcpy(sa.sun_path, argv[1]);
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof(sa)) || listen(s, 1)) {
		perror("bench-peer: listen");
		return 1;
	}
	c = accept(s, NULL, NULL);
	if (c < 0) {
		perror("bench-peer: accept");
		return 1;
	}
	return serve(c) ? 1 : 0;
}
