// SPDX-License-Identifier: MIT
/*
 * hc-fs: the fs module, driven through raw /dev/hostcall calls in a fresh
 * host directory: mkdir, open/write/close, open/read/pread/fstat, stat,
 * readdir, rename, readlink, unlink, bad handles and bad input.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "hc-util.h"

struct linux_dirent64_hdr {
	unsigned long long d_ino;
	long long d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

int main(void)
{
	long long res;
	char dir[64], path[128], path2[128], buf[8192];
	struct hc_stat st;
	int fd = open("/dev/hostcall", O_RDWR);

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (fd < 0) {
		printf("FAIL: fs: open /dev/hostcall: %s\n", strerror(errno));
		return 1;
	}
	snprintf(dir, sizeof(dir), "/tmp/hc-fs.%d", getpid());
	hc_raw(fd, T_FS, HC_FS_MKDIR, 0700, 0, 0, dir, strlen(dir) + 1, NULL, 0, &res);
	hc_check(res == 0, "fs: mkdir", "result %lld", res);
	hc_raw(fd, T_FS, HC_FS_MKDIR, 0700, 0, 0, dir, strlen(dir) + 1, NULL, 0, &res);
	hc_check(res == -EEXIST, "fs: mkdir of an existing dir gets EEXIST", "result %lld", res);

	snprintf(path, sizeof(path), "%s/a.txt", dir);
	hc_raw(fd, T_FS, HC_FS_OPEN, O_CREAT | O_WRONLY | O_TRUNC, 0600, 0,
	       path, strlen(path) + 1, NULL, 0, &res);
	hc_check(res >= 0, "fs: open for writing", "result %lld", res);
	long h = (long)res;
	for (int i = 0; i < (int)sizeof(buf); i++)
		buf[i] = (char)('a' + i % 26);
	hc_raw(fd, T_FS, HC_FS_WRITE, h, 0, 0, buf, sizeof(buf), NULL, 0, &res);
	hc_check(res == sizeof(buf), "fs: write 8 KiB", "result %lld", res);
	hc_raw(fd, T_FS, HC_FS_PWRITE, h, 100, 0, "XYZ", 3, NULL, 0, &res);
	hc_check(res == 3, "fs: pwrite at 100", "result %lld", res);
	hc_raw(fd, T_FS, HC_FS_CLOSE, h, 0, 0, NULL, 0, NULL, 0, &res);
	hc_check(res == 0, "fs: close", "result %lld", res);
	hc_raw(fd, T_FS, HC_FS_CLOSE, h, 0, 0, NULL, 0, NULL, 0, &res);
	hc_check(res == -EBADF, "fs: closing twice gets EBADF", "result %lld", res);

	hc_raw(fd, T_FS, HC_FS_OPEN, O_RDONLY, 0, 0, path, strlen(path) + 1, NULL, 0, &res);
	h = (long)res;
	char rd[8192];
	hc_raw(fd, T_FS, HC_FS_READ, h, 0, 0, NULL, 0, rd, sizeof(rd), &res);
	hc_check(res == sizeof(rd) && !memcmp(rd, buf, 100) && !memcmp(rd + 100, "XYZ", 3) &&
		 !memcmp(rd + 103, buf + 103, sizeof(rd) - 103), "fs: read back what was written",
		 "result %lld", res);
	hc_raw(fd, T_FS, HC_FS_READ, h, 0, 0, NULL, 0, rd, sizeof(rd), &res);
	hc_check(res == 0, "fs: read at the end gives 0", "result %lld", res);
	hc_raw(fd, T_FS, HC_FS_PREAD, h, 99, 0, NULL, 0, rd, 5, &res);
	hc_check(res == 5 && rd[0] == buf[99] && !memcmp(rd + 1, "XYZ", 3), "fs: pread at 99", "result %lld", res);
	hc_raw(fd, T_FS, HC_FS_FSTAT, h, 0, 0, NULL, 0, &st, sizeof(st), &res);
	hc_check(res == 0 && st.size == sizeof(buf) && S_ISREG(st.mode) && (st.mode & 0777) == 0600,
		 "fs: fstat size and mode", "result %lld size %lld mode %o", res, (long long)st.size, st.mode);
	hc_raw(fd, T_FS, HC_FS_CLOSE, h, 0, 0, NULL, 0, NULL, 0, &res);

	hc_raw(fd, T_FS, HC_FS_STAT, 0, 0, 0, dir, strlen(dir) + 1, &st, sizeof(st), &res);
	hc_check(res == 0 && S_ISDIR(st.mode), "fs: stat a directory", "result %lld", res);
	hc_raw(fd, T_FS, HC_FS_STAT, 0, 0, 0, "/no/such/file", 14, &st, sizeof(st), &res);
	hc_check(res == -ENOENT, "fs: stat of a missing path gets ENOENT", "result %lld", res);

	snprintf(path2, sizeof(path2), "%s/b.txt", dir);
	char two[256];
	int n1 = snprintf(two, sizeof(two), "%s", path);
	int n2 = snprintf(two + n1 + 1, sizeof(two) - n1 - 1, "%s", path2);
	hc_raw(fd, T_FS, HC_FS_RENAME, 0, 0, 0, two, n1 + n2 + 2, NULL, 0, &res);
	hc_check(res == 0, "fs: rename", "result %lld", res);

	char cmd[256];
	snprintf(cmd, sizeof(cmd), "hostcall exec -- ln -s b.txt %s/link", dir);
	if (system(cmd) == 0) {
		snprintf(path, sizeof(path), "%s/link", dir);
		hc_raw(fd, T_FS, HC_FS_READLINK, 0, 0, 0, path, strlen(path) + 1, rd, sizeof(rd), &res);
		hc_check(res == 5 && !memcmp(rd, "b.txt", 5), "fs: readlink", "result %lld", res);
		hc_raw(fd, T_FS, HC_FS_STAT, HC_STAT_F_NOFOLLOW, 0, 0, path, strlen(path) + 1,
		       &st, sizeof(st), &res);
		hc_check(res == 0 && S_ISLNK(st.mode), "fs: stat without following a link", "result %lld", res);
	} else {
		hc_check(0, "fs: readlink", "could not make a host symlink");
	}

	hc_raw(fd, T_FS, HC_FS_OPEN, O_RDONLY | O_DIRECTORY, 0, 0, dir, strlen(dir) + 1, NULL, 0, &res);
	h = (long)res;
	int seen_b = 0, seen_link = 0, total = 0;
	for (;;) {
		hc_raw(fd, T_FS, HC_FS_READDIR, h, 0, 0, NULL, 0, rd, sizeof(rd), &res);
		if (res <= 0)
			break;
		for (long long off = 0; off < res;) {
			struct linux_dirent64_hdr *d = (void *)(rd + off);
			if (d->d_reclen == 0 || off + d->d_reclen > res)
				break;
			seen_b |= !strcmp(d->d_name, "b.txt");
			seen_link |= !strcmp(d->d_name, "link");
			total++;
			off += d->d_reclen;
		}
	}
	hc_check(res == 0 && seen_b && seen_link && total == 4, "fs: readdir lists . .. b.txt link",
		 "result %lld entries %d", res, total);
	hc_raw(fd, T_FS, HC_FS_CLOSE, h, 0, 0, NULL, 0, NULL, 0, &res);

	hc_raw(fd, T_FS, HC_FS_UNLINK, 0, 0, 0, path, strlen(path) + 1, NULL, 0, &res);
	hc_raw(fd, T_FS, HC_FS_UNLINK, 0, 0, 0, path2, strlen(path2) + 1, NULL, 0, &res);
	hc_check(res == 0, "fs: unlink", "result %lld", res);
	hc_raw(fd, T_FS, HC_FS_UNLINK, HC_UNLINK_F_DIR, 0, 0, dir, strlen(dir) + 1, NULL, 0, &res);
	hc_check(res == 0, "fs: remove the directory", "result %lld", res);

	hc_raw(fd, T_FS, HC_FS_READ, 999, 0, 0, NULL, 0, rd, 16, &res);
	hc_check(res == -EBADF, "fs: a bad handle gets EBADF", "result %lld", res);
	hc_raw(fd, T_FS, HC_FS_OPEN, O_RDONLY, 0, 0, "no-nul", 6, NULL, 0, &res);
	hc_check(res == -EINVAL, "fs: a path without NUL gets EINVAL", "result %lld", res);
	hc_raw(fd, T_FS, 200, 0, 0, 0, NULL, 0, NULL, 0, &res);
	hc_check(res == -ENOSYS, "fs: an unknown op gets ENOSYS", "result %lld", res);
	close(fd);
	return hc_failures ? 1 : 0;
}
