/* SPDX-License-Identifier: MIT */
/*
 * A directory that hangs, as a dead NFS or FUSE server's would: a FUSE
 * mount whose server never answers (not even INIT), so every lookup below
 * it waits; or one whose server answers everything but FLUSH, so a file
 * opens and its close hangs. Releasing aborts the connection: the waiters
 * get ENOTCONN and the mount is detached.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <sys/uio.h>
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
	h->serving = 0;
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

/* ---- the server that answers all but FLUSH ---- */

static void answer(int fd, uint64_t unique, int error, const void *body,
		   size_t len)
{
	struct fuse_out_header o = { .len = sizeof(o) + len, .error = error,
				     .unique = unique };
	struct iovec iov[2] = { { &o, sizeof(o) }, { (void *)body, len } };

	if (writev(fd, iov, len ? 2 : 1) < 0 && errno != ENOENT)
		perror("test: fuse answer");
}

static void fill_attr(struct fuse_attr *a, uint64_t ino)
{
	memset(a, 0, sizeof(*a));
	a->ino = ino;
	a->mode = ino == FUSE_ROOT_ID ? S_IFDIR | 0755 : S_IFREG | 0666;
	a->nlink = 1;
	a->blksize = 4096;
}

static void *serve(void *arg)
{
	struct hang *h = arg;
	static char buf[FUSE_MIN_READ_BUFFER + 65536];
	struct fuse_in_header in;
	ssize_t r;

	for (;;) {
		r = read(h->fd, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < (ssize_t)sizeof(in))
			return NULL;	/* aborted: ENODEV */
		memcpy(&in, buf, sizeof(in));
		switch (in.opcode) {
		case FUSE_INIT: {
			struct fuse_init_out o = {
				.major = FUSE_KERNEL_VERSION,
				.minor = FUSE_KERNEL_MINOR_VERSION,
				.max_write = 65536, .max_pages = 16,
			};

			answer(h->fd, in.unique, 0, &o, sizeof(o));
			break;
		}
		case FUSE_LOOKUP: {
			struct fuse_entry_out o = { .nodeid = 2,
						    .entry_valid = 60,
						    .attr_valid = 60 };

			if (strcmp(buf + sizeof(in), "f")) {
				answer(h->fd, in.unique, -ENOENT, NULL, 0);
				break;
			}
			fill_attr(&o.attr, 2);
			answer(h->fd, in.unique, 0, &o, sizeof(o));
			break;
		}
		case FUSE_GETATTR: {
			struct fuse_attr_out o = { .attr_valid = 60 };

			fill_attr(&o.attr, in.nodeid);
			answer(h->fd, in.unique, 0, &o, sizeof(o));
			break;
		}
		case FUSE_OPEN: {
			struct fuse_open_out o = { .fh = 1 };

			answer(h->fd, in.unique, 0, &o, sizeof(o));
			break;
		}
		case FUSE_RELEASE:
			answer(h->fd, in.unique, 0, NULL, 0);
			break;
		case FUSE_FLUSH:		/* the hang */
		case FUSE_FORGET:		/* no answers */
		case FUSE_BATCH_FORGET:
		case FUSE_INTERRUPT:
			break;
		default:
			answer(h->fd, in.unique, -ENOSYS, NULL, 0);
		}
	}
}

int hang_start_flush(struct hang *h, char *why, size_t n)
{
	if (hang_start(h, why, n) < 0)
		return -1;
	if (pthread_create(&h->server, NULL, serve, h) != 0) {
		snprintf(why, n, "pthread_create failed");
		hang_release(h);
		return -1;
	}
	h->serving = 1;
	snprintf(h->path, sizeof(h->path), "%s/f", h->mnt);
	return 0;
}

void hang_release(struct hang *h)
{
	if (h->fd < 0)
		return;
	/* MNT_FORCE aborts the connection (the server's read ends too);
	 * the detach then takes the mount away however busy. */
	umount2(h->mnt, MNT_FORCE);
	if (h->serving)
		pthread_join(h->server, NULL);
	h->serving = 0;
	close(h->fd);
	h->fd = -1;
	umount2(h->mnt, MNT_DETACH);
	rmdir(h->mnt);
}
