/* SPDX-License-Identifier: MIT */
/*
 * A directory that hangs, as a dead NFS or FUSE server's would: a FUSE
 * mount whose server never answers (not even INIT), so every lookup below
 * it waits. Closing the server's fd aborts the connection: the waiters get
 * ENOTCONN and the mount is detached.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include "hang.h"

int hang_start(struct hang *h, char *why, size_t n)
{
	char opts[128];

	h->fd = -1;
	if (getuid() != 0) {
		snprintf(why, n, "needs root to mount a FUSE file system");
		return -1;
	}
	h->fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (h->fd < 0) {
		snprintf(why, n, "/dev/fuse: %s", strerror(errno));
		return -1;
	}
	snprintf(h->mnt, sizeof(h->mnt), "/tmp/hc-hang-XXXXXX");
	if (!mkdtemp(h->mnt)) {
		snprintf(why, n, "mkdtemp: %s", strerror(errno));
		close(h->fd);
		return -1;
	}
	chmod(h->mnt, 0755);
	/* allow_other: the mapped users reach it too. */
	snprintf(opts, sizeof(opts), "fd=%d,rootmode=40755,user_id=0,"
		 "group_id=0,allow_other", h->fd);
	if (mount("hc-hang", h->mnt, "fuse", MS_NOSUID | MS_NODEV, opts) < 0) {
		snprintf(why, n, "mount fuse: %s", strerror(errno));
		close(h->fd);
		h->fd = -1;
		rmdir(h->mnt);
		return -1;
	}
	snprintf(h->path, sizeof(h->path), "%s/dir", h->mnt);
	return 0;
}

void hang_release(struct hang *h)
{
	if (h->fd < 0)
		return;
	close(h->fd);		/* aborts: waiters get ENOTCONN */
	h->fd = -1;
	umount2(h->mnt, MNT_DETACH);
	rmdir(h->mnt);
}
