/* SPDX-License-Identifier: MIT */
/* Plugin module files: name, place, owner and mode (modpath.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "modpath.h"

int module_name_ok(const char *name)
{
	size_t i, n = strlen(name);

	if (n < 1 || n > 31)
		return 0;
	for (i = 0; i < n; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') ||
		      (name[i] >= '0' && name[i] <= '9') || name[i] == '_' ||
		      name[i] == '-'))
			return 0;
	return 1;
}

/* Root's, and nobody else may change it. */
static int trusted(const struct stat *st, const char *what, const char *p,
		   char *why, size_t n)
{
	if (st->st_uid != 0) {
		snprintf(why, n, "%s %s is owned by uid %u, not root", what, p,
			 (unsigned)st->st_uid);
		return -EPERM;
	}
	if (st->st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(why, n, "%s %s is writable by group or others "
			 "(mode %03o)", what, p, st->st_mode & 0777);
		return -EPERM;
	}
	return 0;
}

int module_file_check(const char *dir, const char *name, char *path,
		      size_t pathlen, char *why, size_t whylen)
{
	struct stat st;
	int e;

	if (!module_name_ok(name)) {
		snprintf(why, whylen, "bad module name '%s'", name);
		return -EINVAL;
	}
	if (dir[0] != '/' ||
	    snprintf(path, pathlen, "%s/%s.so", dir, name) >= (int)pathlen) {
		snprintf(why, whylen, "bad module directory '%s'", dir);
		return -EINVAL;
	}
	if (stat(dir, &st) < 0) {
		e = -errno;
		snprintf(why, whylen, "module directory %s: %s", dir,
			 strerror(-e));
		return e;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(why, whylen, "module directory %s is not a directory",
			 dir);
		return -ENOTDIR;
	}
	e = trusted(&st, "module directory", dir, why, whylen);
	if (e)
		return e;
	/* The file itself, not where a symlink points. */
	if (lstat(path, &st) < 0) {
		e = -errno;
		snprintf(why, whylen, "%s: %s", path, strerror(-e));
		return e;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "%s is not a regular file", path);
		return -EPERM;
	}
	return trusted(&st, "module", path, why, whylen);
}
