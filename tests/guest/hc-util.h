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

/*
 * The built-in host modules as the tests name them: hc_mod() binds "sys",
 * "proc" or "fs" 1.0 on fd's session at the first use (HC_SESSION_BIND
 * through the ioctl) and gives the handle; other values pass unchanged.
 * Kept per fd and session id, so a new session on a reused fd binds again.
 */
#define T_SYS	0xff01u
#define T_PROC	0xff02u
#define T_FS	0xff03u

static inline long hc_mod(int fd, unsigned mod)
{
	static const char *const names[] = { "sys", "proc", "fs" };
	static struct { int fd; unsigned session; long h[3]; } cache[16];
	struct hostcall_ioc_info info;
	struct hostcall_ioc_call c;
	unsigned i, k = mod - T_SYS;

	if (mod < T_SYS || mod > T_FS)
		return mod;
	memset(&info, 0, sizeof(info));
	if (ioctl(fd, HOSTCALL_IOC_INFO, &info) < 0)
		return -errno;
	for (i = 0; i < 16; i++)
		if (cache[i].fd == fd + 1 && cache[i].session == info.session)
			break;
	if (i == 16) {
		for (i = 0; i < 16 && cache[i].fd && cache[i].fd != fd + 1; i++)
			;
		i &= 15;
		memset(&cache[i], 0, sizeof(cache[i]));
		cache[i].fd = fd + 1;
		cache[i].session = info.session;
	}
	if (cache[i].h[k] > 0)
		return cache[i].h[k];
	memset(&c, 0, sizeof(c));
	c.module = HC_MOD_SESSION;
	c.op = HC_SESSION_BIND;
	c.args[0] = HC_BUILTIN_MAJOR;
	c.args[1] = HC_BUILTIN_MINOR;
	c.in_ptr = (unsigned long)names[k];
	c.in_len = strlen(names[k]);
	if (ioctl(fd, HOSTCALL_IOC_CALL, &c) < 0)
		return -errno;
	if (c.result > 0)
		cache[i].h[k] = c.result;
	return c.result;
}

/* One raw call; returns the ioctl's return (0 or -1/errno), result in *res. */
static inline int hc_raw(int fd, unsigned mod, unsigned op, long a0, long a1, long a2,
			 const void *in, unsigned in_len, void *out, unsigned out_len,
			 long long *res)
{
	long m = hc_mod(fd, mod);
	struct hostcall_ioc_call c = {
		.module = (unsigned short)m, .op = (unsigned short)op,
		.args = { a0, a1, a2, 0 },
		.in_ptr = (unsigned long)in, .in_len = in_len,
		.out_ptr = (unsigned long)out, .out_len = out_len,
	};
	int rc;

	if (m < 0) {	/* the bind failed: that is the answer */
		if (res)
			*res = m;
		return 0;
	}
	rc = ioctl(fd, HOSTCALL_IOC_CALL, &c);

	if (res)
		*res = rc == 0 ? c.result : -errno;
	return rc;
}

#endif
