/* SPDX-License-Identifier: MIT */
/* Shared bits of make bench's guest programs (hcb, anchor): the clock,
 * the "KEY SIDE VALUE" output lines tests/bench.sh reads, whole reads and
 * writes. */
#ifndef BENCH_H
#define BENCH_H

#include <stdio.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (128 * 1024)	/* HC_MAX_DATA; the anchors use the same */

static inline double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One figure: KEY names the row, SIDE who measured it. */
static inline void emit(const char *key, const char *side, double v)
{
	printf("%s %s %.2f\n", key, side, v);
	fflush(stdout);
}

static inline int write_all(int fd, const void *p, size_t n)
{
	for (size_t off = 0; off < n;) {
		ssize_t w = write(fd, (const char *)p + off, n - off);

		if (w <= 0)
			return -1;
		off += (size_t)w;
	}
	return 0;
}

static inline int read_all(int fd, void *p, size_t n)
{
	for (size_t off = 0; off < n;) {
		ssize_t r = read(fd, (char *)p + off, n - off);

		if (r <= 0)
			return -1;
		off += (size_t)r;
	}
	return 0;
}

#endif
