// SPDX-License-Identifier: MIT
/*
 * hc-pty: a window resize reaches a host pty through the whole chain
 * (driver, QEMU's op table, the shadow). A host `sh` on a pty of 24x80
 * prints `stty size`, waits for a line, and prints it again after
 * HC_PROC_RESIZE to 50x132.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include "hc-util.h"

static long long call(int fd, unsigned op, long long a0, long long a1,
		      long long a3, const void *in, unsigned in_len, void *out,
		      unsigned out_len)
{
	struct hostcall_ioc_call c = {
		.module = (unsigned short)hc_mod(fd, T_PROC),
		.op = (unsigned short)op,
		.args = { a0, a1, 0, a3 },
		.in_ptr = (unsigned long)in, .in_len = in_len,
		.out_ptr = (unsigned long)out, .out_len = out_len,
	};

	if (op == HC_PROC_SPAWN)
		c.args[2] = HC_SPAWN_F_PTY;
	return ioctl(fd, HOSTCALL_IOC_CALL, &c) ? -errno : c.result;
}

/* Read the pty until want shows up (or 20 s pass); 1 if it did. */
static int read_until(int fd, long long h, const char *want, char *buf,
		      size_t cap)
{
	size_t len = 0;
	time_t end = time(NULL) + 20;

	buf[0] = 0;
	while (!strstr(buf, want) && len < cap - 1 && time(NULL) < end) {
		long long n = call(fd, HC_PROC_READ, h, 1, 0, NULL, 0,
				   buf + len, cap - 1 - len);

		if (n == -EINTR)
			continue;
		if (n <= 0)
			break;
		len += n;
		buf[len] = 0;
	}
	return strstr(buf, want) != NULL;
}

int main(void)
{
	static const char argv[] = "sh\0-c\0stty size; read x; stty size\0";
	struct hc_spawn_info si;
	char out[512];
	long long h, r;
	int fd = open("/dev/hostcall", O_RDWR);

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (fd < 0) {
		printf("FAIL: pty: open /dev/hostcall: %s\n", strerror(errno));
		return 1;
	}
	h = call(fd, HC_PROC_SPAWN, 3, 0, (24 << 16) | 80, argv,
		 sizeof(argv) - 1, &si, sizeof(si));
	hc_check(h >= 0, "pty: spawn a host sh on a 24x80 pty", "%lld", h);
	if (h < 0)
		return 1;
	hc_check(read_until(fd, h, "24 80", out, sizeof(out)),
		 "pty: the host sees 24 80", "read '%s'", out);
	r = call(fd, HC_PROC_RESIZE, h, (50 << 16) | 132, 0, NULL, 0, NULL, 0);
	hc_check(r == 0, "pty: HC_PROC_RESIZE reaches the shadow",
		 "result %lld (%s)", r, strerror((int)-r));
	r = call(fd, HC_PROC_WRITE, h, 0, 0, "\n", 1, NULL, 0);
	hc_check(r == 1 && read_until(fd, h, "50 132", out, sizeof(out)),
		 "pty: after the resize the host sees 50 132",
		 "write %lld, read '%s'", r, out);
	call(fd, HC_PROC_RELEASE, h, 0, 0, NULL, 0, NULL, 0);
	close(fd);
	return hc_failures ? 1 : 0;
}
