/* SPDX-License-Identifier: MIT */
/*
 * Host write errors reach the caller as that errno: ENOSPC on a full
 * tmpfs and EROFS on a read-only one (as root: mount), EIO from a write
 * the kernel cannot carry out (the shadow's own /proc/self/mem at an
 * unmapped address: an EIO source without a faulty disk or new modules).
 * For a command's stdin the error is the command's: the guest sees its
 * stderr, its exit status and EPIPE on the pipe.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>
#include "checks.h"

static unsigned char chunk[64 << 10];

/* Writes through handle h until an error: that result, or 0 if none
 * came within max bytes; *moved gets what was written. */
static int64_t write_until_error(struct sess *s, int64_t h, size_t max,
				 size_t *moved)
{
	int64_t r;

	for (*moved = 0; *moved < max; *moved += r) {
		r = call0(s, T_FS, HC_FS_WRITE, h, 0, chunk,
			  sizeof(chunk));
		if (r <= 0)
			return r;
	}
	return 0;
}

static void check_enospc_fs(struct sess *s, const char *dir)
{
	char path[96];
	size_t moved = 0;
	int64_t h, r;

	snprintf(path, sizeof(path), "%s/fill", dir);
	h = path_call(s, T_FS, HC_FS_OPEN, O_CREAT | O_WRONLY, 0600,
		      path);
	r = h >= 0 ? write_until_error(s, h, 4 << 20, &moved) : h;
	CHECK("host errors: a full file system gives ENOSPC (fs write)",
	      h >= 0 && r == -ENOSPC && moved > 0, "open %lld, write %lld "
	      "after %zu bytes", (long long)h, (long long)r, moved);
	if (h >= 0)
		call0(s, T_FS, HC_FS_CLOSE, h, 0, NULL, 0);
}

static void check_enospc_stdin(struct sess *s, const char *dir)
{
	char cmd[128], *err = NULL;
	char *argv[] = { "sh", "-c", cmd, NULL };
	size_t moved = 0;
	int64_t h, r = 0, st;

	snprintf(cmd, sizeof(cmd), "exec cat > %s/fill2", dir);
	h = spawn(s, NULL, argv, NULL, 0, NULL);
	while (h >= 0 && moved < (4 << 20)) {
		r = call0(s, T_PROC, HC_PROC_WRITE, h, 0, chunk,
			  sizeof(chunk));
		if (r <= 0)
			break;
		moved += r;
	}
	st = h >= 0 ? call0(s, T_PROC, HC_PROC_WAIT, h, 0, NULL, 0) : h;
	if (h >= 0)
		read_all(s, h, 2, &err);
	CHECK("host errors: a command's ENOSPC: its stderr, its status, "
	      "EPIPE", h >= 0 && r == -EPIPE && WIFEXITED(st) &&
	      WEXITSTATUS(st) != 0 && err &&
	      strstr(err, "No space left on device"),
	      "write %lld after %zu bytes, wait %lld, stderr '%s'",
	      (long long)r, moved, (long long)st, err ? err : "");
	free(err);
	if (h >= 0)
		call0(s, T_PROC, HC_PROC_RELEASE, h, 0, NULL, 0);
}

static void check_erofs(struct sess *s, const char *dir)
{
	char path[96];
	int64_t h;

	snprintf(path, sizeof(path), "%s/new", dir);
	if (mount(NULL, dir, NULL, MS_REMOUNT | MS_RDONLY, NULL) < 0) {
		skip("host errors: a read-only file system gives EROFS",
		     strerror(errno));
		return;
	}
	h = path_call(s, T_FS, HC_FS_OPEN, O_CREAT | O_WRONLY, 0600,
		      path);
	CHECK("host errors: a read-only file system gives EROFS", h == -EROFS,
	      "open %lld", (long long)h);
	if (h >= 0)
		call0(s, T_FS, HC_FS_CLOSE, h, 0, NULL, 0);
}

static void check_eio(struct sess *s)
{
	int64_t h, r;

	/* The shadow's own memory, at address 4096: never mapped. */
	h = path_call(s, T_FS, HC_FS_OPEN, O_RDWR, 0, "/proc/self/mem");
	r = h >= 0 ? call0(s, T_FS, HC_FS_PWRITE, h, 4096, "x", 1) : h;
	CHECK("host errors: a write the kernel cannot do gives EIO", r == -EIO,
	      "open %lld pwrite %lld", (long long)h, (long long)r);
	if (h >= 0)
		call0(s, T_FS, HC_FS_CLOSE, h, 0, NULL, 0);
}

void check_hosterrors(struct sess *s)
{
	char dir[] = "/tmp/hc-full-XXXXXX";
	const char *enospc = "host errors: ENOSPC and EROFS";

	memset(chunk, 'z', sizeof(chunk));
	check_eio(s);
	if (getuid() != 0) {
		skip(enospc, "needs root to mount a small tmpfs");
		return;
	}
	if (!mkdtemp(dir)) {
		fail(enospc, "mkdtemp: %s", strerror(errno));
		return;
	}
	if (mount("hc-full", dir, "tmpfs", MS_NOSUID | MS_NODEV,
		  "size=256k,mode=0777") < 0) {
		skip(enospc, strerror(errno));
		rmdir(dir);
		return;
	}
	check_enospc_fs(s, dir);
	check_enospc_stdin(s, dir);
	check_erofs(s, dir);
	umount2(dir, MNT_DETACH);
	rmdir(dir);
}
