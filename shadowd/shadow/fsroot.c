/* SPDX-License-Identifier: MIT */
/*
 * The fs module beneath the policy's fs-roots. A guest path (absolute, or
 * relative to the shadow's cwd, which stays inside a root) is matched to
 * the outermost root it names, and the rest is resolved by the kernel
 * with openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS) from that root's
 * directory fd: "..", absolute symlinks and symlinks leading out all fail
 * (EXDEV, which we report as -EPERM), with no window between a check and
 * the use. Operations on a name (mkdir, unlink, rename, readlink) resolve
 * the parent that way and act on the last component, which is never "."
 * or "..", with the *at() calls, which do not follow it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "auditfmt.h"
#include "log.h"
#include "shadow.h"

static int root_fd[64];
static size_t root_len[64];
static const char *root_path[64];
static int nroots;

int fsroot_init(void)
{
	int i, fd;

	for (i = 0; i < pol.nroots && nroots < 64; i++) {
		fd = open(pol.roots[i], O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0) {
			/* This user cannot reach it: nothing there for it. */
			log_err("fs-root %s", pol.roots[i]);
			continue;
		}
		root_fd[nroots] = fd;
		/* shadowd gives canonical paths; "/" matches as "". */
		root_len[nroots] = strcmp(pol.roots[i], "/") ?
				   strlen(pol.roots[i]) : 0;
		root_path[nroots] = pol.roots[i];
		nroots++;
	}
	if (pol.nroots && !nroots) {
		/* Roots were named but none is usable: confine to nothing. */
		log_msg("no usable fs-root; the fs module refuses every path");
	}
	if (nroots && fchdir(root_fd[0]) < 0)
		log_err("chdir %s", root_path[0]);
	return 0;
}

/* The roots confine the fs module; without it they have nothing to
 * confine (and the filter has no openat2 for them). */
int fsroot_on(void)
{
	return pol.nroots > 0 && (pol.modules & MOD_BIT(MOD_FS));
}

int fsroot_refused(const char *op, const char *path)
{
	char f[700];
	size_t len = 0;

	f[0] = 0;
	audit_kv(f, sizeof(f), &len, "op", op);
	audit_kv(f, sizeof(f), &len, "path", path);
	audit_kv(f, sizeof(f), &len, "reason", "outside-fs-roots");
	shadow_audit("fs-refused", f);
	return -EPERM;
}

/* Drop "." components and repeated slashes; ".." stays for the kernel. */
static void tidy(char *p)
{
	char *r = p, *w = p;

	while (*r) {
		if (r[0] == '/' && (r[1] == '/' || (r[1] == '.' &&
		    (r[2] == '/' || r[2] == 0)))) {
			r += (r[1] == '/') ? 1 : 2;
			continue;
		}
		*w++ = *r++;
	}
	*w = 0;
	if (w > p + 1 && w[-1] == '/')
		w[-1] = 0;
	if (!*p)
		strcpy(p, "/");
}

int fsroot_locate(const char *path, int *dfd, char *rel)
{
	char abs[PATH_MAX * 2], cwd[PATH_MAX];
	size_t best = SIZE_MAX, n;
	int i, pick = -1;

	if (!*path)
		return -ENOENT;
	if (path[0] == '/') {
		if (strlen(path) >= sizeof(abs))
			return -ENAMETOOLONG;
		strcpy(abs, path);
	} else {
		if (!getcwd(cwd, sizeof(cwd)))
			return -errno;
		if ((size_t)snprintf(abs, sizeof(abs), "%s/%s", cwd, path) >=
		    sizeof(abs))
			return -ENAMETOOLONG;
	}
	tidy(abs);
	/* The outermost root containing it: ".." may then move anywhere
	 * inside what the policy allows. */
	for (i = 0; i < nroots; i++) {
		n = root_len[i];
		if (strncmp(abs, root_path[i], n) ||
		    (abs[n] != '/' && abs[n] != 0))
			continue;
		if (n < best) {
			best = n;
			pick = i;
		}
	}
	if (pick < 0)
		return -EPERM;
	n = root_len[pick];
	while (abs[n] == '/')
		n++;
	if (strlen(abs + n) >= PATH_MAX)
		return -ENAMETOOLONG;
	strcpy(rel, abs[n] ? abs + n : ".");
	*dfd = root_fd[pick];
	return 0;
}

static int beneath(int dfd, const char *rel, int flags, mode_t mode)
{
	struct open_how how = {
		.flags = flags | O_CLOEXEC,
		.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
		.resolve = RESOLVE_SHADOW,
	};
	long fd;

	do
		fd = syscall(SYS_openat2, dfd, rel, &how, sizeof(how));
	while (fd < 0 && errno == EINTR);
	return fd < 0 ? -errno : (int)fd;
}

int fsroot_open(const char *op, const char *path, int flags, mode_t mode)
{
	char rel[PATH_MAX];
	int dfd, r;

	r = fsroot_locate(path, &dfd, rel);
	if (r == 0)
		r = beneath(dfd, rel, flags, mode);
	if (r == -EPERM || r == -EXDEV)
		return fsroot_refused(op, path);
	return r;
}

int fsroot_parent(const char *op, const char *path, int *pfd, char *last)
{
	char rel[PATH_MAX], *slash, *base;
	int dfd, r;

	r = fsroot_locate(path, &dfd, rel);
	if (r == -EPERM)
		return fsroot_refused(op, path);
	if (r < 0)
		return r;
	slash = strrchr(rel, '/');
	base = slash ? slash + 1 : rel;
	if (!strcmp(base, ".") || !strcmp(base, ".."))
		return -EINVAL;
	if (strlen(base) > NAME_MAX)
		return -ENAMETOOLONG;
	strcpy(last, base);
	if (slash)
		*slash = 0;
	r = beneath(dfd, slash ? rel : ".", O_PATH | O_DIRECTORY, 0);
	if (r == -EXDEV)
		return fsroot_refused(op, path);
	if (r < 0)
		return r;
	*pfd = r;
	return 0;
}
