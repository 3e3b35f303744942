// SPDX-License-Identifier: MIT
/*
 * hc-fsopen PATH: open a host file through the fs module (raw
 * /dev/hostcall calls) and copy it to stdout. Exit status 0, or the
 * errno of the failed call (1 EPERM: refused by the host's policy,
 * 13 EACCES: the host kernel's permission check, 2 ENOENT, ...), so
 * tests/e2e/guest/security.sh can tell them apart.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include "hc-util.h"

int main(int argc, char **argv)
{
	static char buf[65536];
	long long h, res;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: hc-fsopen HOST-PATH\n");
		return 125;
	}
	fd = open("/dev/hostcall", O_RDWR);
	if (fd < 0) {
		perror("hc-fsopen: /dev/hostcall");
		return 125;
	}
	hc_raw(fd, T_FS, HC_FS_OPEN, O_RDONLY, 0, 0, argv[1],
	       strlen(argv[1]) + 1, NULL, 0, &h);
	if (h < 0) {
		fprintf(stderr, "hc-fsopen: %s: %s\n", argv[1], strerror(-h));
		return (int)-h;
	}
	for (;;) {
		hc_raw(fd, T_FS, HC_FS_READ, h, 0, 0, NULL, 0, buf,
		       sizeof(buf), &res);
		if (res <= 0)
			break;
		if (write(1, buf, res) != res)
			return 125;
	}
	hc_raw(fd, T_FS, HC_FS_CLOSE, h, 0, 0, NULL, 0, NULL, 0, NULL);
	if (res < 0) {
		fprintf(stderr, "hc-fsopen: %s: read: %s\n", argv[1],
			strerror(-res));
		return (int)-res;
	}
	return 0;
}
