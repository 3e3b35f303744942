/* SPDX-License-Identifier: MIT */
/* Shared bits of make bench's guest programs (hcb, anchor): the clock,
 * the "KEY SIDE VALUE" output lines tests/bench.sh reads. */
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

#endif
