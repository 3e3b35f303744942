// SPDX-License-Identifier: MIT
/*
 * spawn N: the host anchor of dualsh's `!true` row in `make bench`:
 * posix_spawn of true and waitpid, N times; prints "true_ms host_spawn MS"
 * (the mean per command).
 */
#define _GNU_SOURCE
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 0;
	char *args[] = { "true", NULL };
	struct timespec a, b;

	if (n <= 0) {
		fprintf(stderr, "usage: spawn N\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < n; i++) {
		pid_t pid;
		int st;

		if (posix_spawnp(&pid, "true", NULL, NULL, args, environ) ||
		    waitpid(pid, &st, 0) != pid || st) {
			fprintf(stderr, "spawn: true failed\n");
			return 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("true_ms host_spawn %.3f\n",
	       ((double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6) / (double)n);
	return 0;
}
