/* SPDX-License-Identifier: MIT */
/* hang.c: a directory on which every lookup hangs, until released. */
#ifndef HC_TEST_HANG_H
#define HC_TEST_HANG_H

#include <stddef.h>

#include <pthread.h>

struct hang {
	int fd;			/* the FUSE server end */
	char mnt[32];		/* the mount point */
	char path[48];		/* mnt/dir: looking it up hangs, or mnt/f */
	int serving;		/* hang_start_flush: a server thread runs */
	pthread_t server;
};

/* 0, or -1 with why (for a SKIP line): needs root and /dev/fuse. */
int hang_start(struct hang *h, char *why, size_t n);
/* The same, but a server answers: path is a file that opens, and only
 * its FLUSH (at close) hangs. */
int hang_start_flush(struct hang *h, char *why, size_t n);
/* Abort the mount: hung calls fail ENOTCONN; it is detached. */
void hang_release(struct hang *h);

#endif
