// SPDX-License-Identifier: MIT
/*
 * hc-lib-churn N [SECONDS]: open a session, ping the host once, close it;
 * N times, or until SECONDS have passed when N is 0. Prints one line:
 * "churn: SESSIONS sessions in S s (R/s)". Used by the fault suite (fd and
 * RSS of QEMU and shadowd stay flat) and by `make soak`.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <hostcall.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100, done = 0;
	double secs = argc > 2 ? atof(argv[2]) : 0, t0 = now();

	if (argc > 3 || n < 0 || (n == 0 && secs <= 0)) {
		fprintf(stderr, "usage: hc-lib-churn N [SECONDS] (N 0: until SECONDS)\n");
		return 2;
	}
	while (n ? done < n : now() - t0 < secs) {
		char out = 0;
		hc_session *hc = hc_open();

		if (!hc) {
			fprintf(stderr, "churn: session %ld: open: %s\n", done,
				strerror(errno));
			return 1;
		}
		int r = hc_ping(hc, "x", &out, 1);

		hc_close(hc);
		if (r != 1 || out != 'x') {
			fprintf(stderr, "churn: session %ld: ping: %s\n", done,
				r < 0 ? strerror(-r) : "wrong echo");
			return 1;
		}
		done++;
	}
	double t = now() - t0;

	printf("churn: %ld sessions in %.1f s (%.0f/s)\n", done, t,
	       t > 0 ? done / t : 0.0);
	return 0;
}
