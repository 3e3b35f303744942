// SPDX-License-Identifier: MIT
/*
 * bench-peer SOCKET: host peer of the virtio-serial reference in
 * `make bench`. Listens on a Unix socket that QEMU connects to as the
 * guest's "bench" port. Commands from the guest, each a byte and a
 * little-endian u64 n:
 *   'E' n: echo n single bytes;
 *   'S' n: swallow n bytes, then answer one byte 'K';
 *   'R' n: send n zero bytes.
 * In C, so that the peer is never the bottleneck of the anchor (a Python
 * peer capped virtio-serial near 150 MB/s against 520 with this one).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static char buf[1 << 20];

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
	unsigned char hdr[9];
	uint64_t n;

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
				ssize_t r = read(c, buf, n < sizeof(buf) ? n : sizeof(buf));

				if (r <= 0)
					return -1;
				n -= (uint64_t)r;
			}
			if (give(c, "K", 1))
				return -1;
			break;
		case 'R':
			memset(buf, 0, sizeof(buf));
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

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s, c;

	if (argc != 2 || strlen(argv[1]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "usage: bench-peer SOCKET\n");
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
