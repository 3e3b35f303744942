/* SPDX-License-Identifier: MIT */
/* Shared bits of the guest test programs: raw /dev/hostcall calls and
 * PASS/FAIL reporting. */
#ifndef HC_UTIL_H
#define HC_UTIL_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include "hostcall_abi.h"

static int hc_failures;

/* CLOCK_MONOTONIC in seconds */
static inline double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline void hc_check(int ok, const char *name, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		printf("PASS: %s\n", name);
	} else {
		printf("FAIL: %s: ", name);
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		printf("\n");
		hc_failures++;
	}
	fflush(stdout);
}

/* One raw call; returns the ioctl's return (0 or -1/errno), result in *res. */
static inline int hc_raw(int fd, unsigned mod, unsigned op, long a0, long a1, long a2,
			 const void *in, unsigned in_len, void *out, unsigned out_len,
			 long long *res)
{
	struct hostcall_ioc_call c = {
		.module = (unsigned short)mod, .op = (unsigned short)op,
		.args = { a0, a1, a2, 0 },
		.in_ptr = (unsigned long)in, .in_len = in_len,
		.out_ptr = (unsigned long)out, .out_len = out_len,
	};
	int rc = ioctl(fd, HOSTCALL_IOC_CALL, &c);

	if (res)
		*res = rc == 0 ? c.result : -errno;
	return rc;
}

#endif
