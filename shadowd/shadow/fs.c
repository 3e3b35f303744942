/* SPDX-License-Identifier: MIT */
/*
 * "fs": host files. open, read and write are io_uring operations
 * (an open of a FIFO or a read of a slow file must not stall the
 * session); the metadata calls, whose path lookups wait as long as a
 * dead NFS or FUSE server makes them, run on worker threads (offload.c).
 * Nothing here runs on the loop but argument checks and bookkeeping.
 * With fs-roots in the policy every path is resolved beneath them
 * (fsroot.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "registry.h"
#include "shadow.h"

static void fill_stat(struct hc_stat *o, const struct stat *st)
{
	memset(o, 0, sizeof(*o));
	o->dev = st->st_dev;
	o->ino = st->st_ino;
	o->mode = st->st_mode;
	o->nlink = st->st_nlink;
	o->uid = st->st_uid;
	o->gid = st->st_gid;
	o->rdev = st->st_rdev;
	o->size = st->st_size;
	o->blksize = st->st_blksize;
	o->blocks = st->st_blocks;
	o->atime_sec = st->st_atim.tv_sec;
	o->atime_nsec = st->st_atim.tv_nsec;
	o->mtime_sec = st->st_mtim.tv_sec;
	o->mtime_nsec = st->st_mtim.tv_nsec;
	o->ctime_sec = st->st_ctim.tv_sec;
	o->ctime_nsec = st->st_ctim.tv_nsec;
}

static int64_t put_stat(struct call *c, const struct stat *st)
{
	struct hc_stat o;

	fill_stat(&o, st);
	memcpy(call_out(c), &o, sizeof(o));
	c->out_len = sizeof(o);
	return 0;
}

static int64_t open_done(struct call *c, int res)
{
	int h;

	/* openat2 beneath a root: EXDEV is an escape by ".." or a link. */
	if (res == -EXDEV && c->path)
		return fsroot_refused("open", call_str(c));
	if (res < 0)
		return res;
	h = file_table_add(res);
	if (h < 0)
		close(res);
	return h;
}

static int64_t fs_open(struct call *c)
{
	const char *path = call_str(c);
	int64_t flags = c->args[0], mode = c->args[1];
	struct io_uring_sqe *sqe;

	if (!path || flags < 0 || flags > INT_MAX || mode < 0 ||
	    mode > 07777)
		return -EINVAL;
	mode &= 0777;	/* a guest creates no setuid, setgid or sticky file */
	if (file_table_full())
		return shadow_audit_limit("max-files", 0, -EMFILE);
	if (fsroot_on()) {
		char rel[PATH_MAX];
		int dfd, r = fsroot_locate(path, &dfd, rel);

		if (r == -EPERM)
			return fsroot_refused("open", path);
		if (r < 0)
			return r;
		/* Both live until the SQE is submitted (call_free frees). */
		c->path = strdup(rel);
		if (!c->path)
			return -ENOMEM;
		memset(&c->how, 0, sizeof(c->how));
		c->how.flags = (int)flags | O_CLOEXEC;
		c->how.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0;
		c->how.resolve = RESOLVE_SHADOW;
		sqe = call_sqe(c, -1, open_done);
		io_uring_prep_openat2(sqe, dfd, c->path, &c->how);
		return ASYNC;
	}
	sqe = call_sqe(c, -1, open_done);
	/* Close-on-exec always: spawned commands must not inherit these. */
	io_uring_prep_openat(sqe, AT_FDCWD, path, (int)flags | O_CLOEXEC,
			     (mode_t)mode);
	return ASYNC;
}

static int64_t rw_done(struct call *c, int res)
{
	if (res > 0 && (c->op == HC_FS_READ || c->op == HC_FS_PREAD))
		c->out_len = res;
	return res;
}

static int64_t fs_rw(struct call *c)
{
	int fd = file_lookup(c->args[0]);
	uint64_t off = (uint64_t)-1;	/* -1: at the file position */
	struct io_uring_sqe *sqe;

	if (fd < 0)
		return -EBADF;
	if (c->op == HC_FS_PREAD || c->op == HC_FS_PWRITE) {
		if (c->args[1] < 0)
			return -EINVAL;
		off = c->args[1];
	}
	sqe = call_sqe(c, fd, rw_done);
	call_prep_rw(sqe, c, fd, off, c->op == HC_FS_WRITE ||
		     c->op == HC_FS_PWRITE);
	return ASYNC;
}

static int64_t close_job(struct call *c)
{
	int r = close(c->job_fd) < 0 ? -errno : 0;

	c->job_fd = -1;
	return r;
}

static int64_t fs_close(struct call *c)
{
	int fd = file_table_remove(c->args[0]);

	if (fd < 0)
		return -EBADF;
	cancel_calls_fd(fd);
	ring_flush();
	/* The handle is gone now; the close itself (a FUSE or NFS flush
	 * may hang) runs on a worker, and a CANCEL cannot undo it. */
	c->job_fd = fd;
	c->nocancel = 1;
	return offload(c, close_job);
}

static int64_t fs_stat(struct call *c)
{
	const char *path = call_str(c);
	struct stat st;

	if (!path || (c->args[0] & ~(int64_t)HC_STAT_F_NOFOLLOW))
		return -EINVAL;
	if (c->out_max < sizeof(struct hc_stat))
		return -EINVAL;
	if (fsroot_on()) {
		int fd = fsroot_open("stat", path, O_PATH |
				     ((c->args[0] & HC_STAT_F_NOFOLLOW) ?
				      O_NOFOLLOW : 0), 0);

		if (fd < 0)
			return fd;
		/* fstat of an O_PATH fd: the file, or the link itself. */
		if (fstat(fd, &st) < 0) {
			close(fd);
			return -errno;
		}
		close(fd);
		return put_stat(c, &st);
	}
	if (fstatat(AT_FDCWD, path, &st, (c->args[0] & HC_STAT_F_NOFOLLOW) ?
		    AT_SYMLINK_NOFOLLOW : 0) < 0)
		return -errno;
	return put_stat(c, &st);
}

/* The job's duplicate of the handle's fd (offload_file), closed. */
static int64_t job_fd_done(struct call *c, int64_t res)
{
	close(c->job_fd);
	c->job_fd = -1;
	return res;
}

static int64_t fs_fstat(struct call *c)
{
	struct stat st;

	if (c->out_max < sizeof(struct hc_stat))
		return job_fd_done(c, -EINVAL);
	if (fstat(c->job_fd, &st) < 0)
		return job_fd_done(c, -errno);
	return job_fd_done(c, put_stat(c, &st));
}

static int64_t fs_readdir(struct call *c)
{
	long n;

	/* Records straight into the reply; the directory's position
	 * (shared with the duplicate) carries the guest from one call to
	 * the next. */
	n = syscall(SYS_getdents64, c->job_fd, call_out(c), c->out_max);
	if (n < 0)
		return job_fd_done(c, -errno);
	c->out_len = n;
	return job_fd_done(c, n);
}

static int64_t fs_mkdir(struct call *c)
{
	const char *path = call_str(c);

	if (!path || c->args[0] < 0 || c->args[0] > 07777)
		return -EINVAL;
	if (fsroot_on()) {
		char last[NAME_MAX + 1];
		int pfd, r = fsroot_parent("mkdir", path, &pfd, last);

		if (r < 0)
			return r;
		r = mkdirat(pfd, last, (mode_t)c->args[0]) < 0 ? -errno : 0;
		close(pfd);
		return r;
	}
	return mkdir(path, (mode_t)c->args[0]) < 0 ? -errno : 0;
}

static int64_t fs_unlink(struct call *c)
{
	const char *path = call_str(c);

	int dfd = AT_FDCWD, r;
	char last[NAME_MAX + 1];

	if (!path || (c->args[0] & ~(int64_t)HC_UNLINK_F_DIR))
		return -EINVAL;
	if (fsroot_on()) {
		r = fsroot_parent("unlink", path, &dfd, last);
		if (r < 0)
			return r;
		path = last;
	}
	r = unlinkat(dfd, path, (c->args[0] & HC_UNLINK_F_DIR) ?
		     AT_REMOVEDIR : 0) < 0 ? -errno : 0;
	if (dfd != AT_FDCWD)
		close(dfd);
	return r;
}

static int64_t fs_rename(struct call *c)
{
	const char *in = (const char *)call_in(c), *from, *to, *nul;
	size_t len = c->in_len;

	/* Exactly "old\0new\0". */
	nul = len ? memchr(in, 0, len) : NULL;
	if (!nul)
		return -EINVAL;
	from = in;
	to = nul + 1;
	if ((size_t)(to - in) >= len)
		return -EINVAL;
	nul = memchr(to, 0, len - (to - in));
	if (!nul || (size_t)(nul - in) != len - 1)
		return -EINVAL;
	if (fsroot_on()) {
		char l1[NAME_MAX + 1], l2[NAME_MAX + 1];
		int p1, p2, r;

		r = fsroot_parent("rename", from, &p1, l1);
		if (r < 0)
			return r;
		r = fsroot_parent("rename", to, &p2, l2);
		if (r < 0) {
			close(p1);
			return r;
		}
		r = renameat(p1, l1, p2, l2) < 0 ? -errno : 0;
		close(p1);
		close(p2);
		return r;
	}
	return rename(from, to) < 0 ? -errno : 0;
}

static int64_t fs_readlink(struct call *c)
{
	const char *p = call_str(c);
	char path[PATH_MAX];
	ssize_t n;

	if (!p)
		return -EINVAL;
	if (strlen(p) >= sizeof(path))
		return -ENAMETOOLONG;
	/* On the stack, sized for the lookup calls. */
	strcpy(path, p);
	if (fsroot_on()) {
		char last[NAME_MAX + 1];
		int pfd, r = fsroot_parent("readlink", path, &pfd, last);

		if (r < 0)
			return r;
		n = readlinkat(pfd, last, (char *)call_out(c), c->out_max);
		r = n < 0 ? -errno : 0;
		close(pfd);
		if (r < 0)
			return r;
		c->out_len = n;
		return n;
	}
	n = readlink(path, (char *)call_out(c), c->out_max);
	if (n < 0)
		return -errno;
	c->out_len = n;
	return n;
}

int64_t fs_call(struct call *c)
{
	switch (c->op) {
	case HC_FS_OPEN:
		return fs_open(c);
	case HC_FS_READ:
	case HC_FS_WRITE:
	case HC_FS_PREAD:
	case HC_FS_PWRITE:
		return fs_rw(c);
	case HC_FS_CLOSE:
		return fs_close(c);
	case HC_FS_STAT:
		return offload(c, fs_stat);
	case HC_FS_FSTAT:
		return offload_file(c, fs_fstat);
	case HC_FS_READDIR:
		return offload_file(c, fs_readdir);
	case HC_FS_MKDIR:
		return offload(c, fs_mkdir);
	case HC_FS_UNLINK:
		return offload(c, fs_unlink);
	case HC_FS_RENAME:
		return offload(c, fs_rename);
	case HC_FS_READLINK:
		return offload(c, fs_readlink);
	}
	return -ENOSYS;
}

/* The built-in "fs" 1.0: function n is op n (HC_FS_*). */
static int64_t fs_fn(struct hcm_call *h)
{
	return fs_call(call_of(h));
}

static const struct hcm_function fs_funcs[] = {
	{ "open", fs_fn },
	{ "read", fs_fn },
	{ "write", fs_fn },
	{ "pread", fs_fn },
	{ "pwrite", fs_fn },
	{ "close", fs_fn },
	{ "stat", fs_fn },
	{ "fstat", fs_fn },
	{ "readdir", fs_fn },
	{ "mkdir", fs_fn },
	{ "unlink", fs_fn },
	{ "rename", fs_fn },
	{ "readlink", fs_fn },
};

const struct hcm_module fs_module = {
	.api = HCM_API_VERSION,
	.name = HC_FS_MODULE,
	.major = HC_BUILTIN_MAJOR,
	.minor = HC_BUILTIN_MINOR,
	.nfuncs = sizeof(fs_funcs) / sizeof(fs_funcs[0]),
	.funcs = fs_funcs,
};
