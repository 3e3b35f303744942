/* SPDX-License-Identifier: MIT */
/* User mapping, private-mode policy: every caller maps to the VM owner. */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "user.h"

static void copy(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src ? src : "");
}

int user_lookup(uid_t uid, struct host_user *u)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	int e;

	memset(u, 0, sizeof(*u));
	e = getpwuid_r(uid, &pw, buf, sizeof(buf), &res);
	if (e)
		return -e;
	if (!res)
		return -ENOENT;
	/* A name that does not fit would be silently wrong in logs and
	 * initgroups(): refuse it. */
	if (strlen(pw.pw_name) >= sizeof(u->name))
		return -ENAMETOOLONG;
	u->uid = pw.pw_uid;
	u->gid = pw.pw_gid;
	copy(u->name, sizeof(u->name), pw.pw_name);
	copy(u->home, sizeof(u->home), pw.pw_dir && *pw.pw_dir ? pw.pw_dir : "/");
	copy(u->shell, sizeof(u->shell),
	     pw.pw_shell && *pw.pw_shell ? pw.pw_shell : "/bin/sh");
	return 0;
}

int user_map(const struct map_request *rq, struct host_user *u)
{
	/*
	 * The VM owner, whatever the guest identity: the guest cannot gain
	 * anything its owner does not already have. A policy module will
	 * look at rq->vm_name and rq->id here.
	 */
	return user_lookup(rq->owner_uid, u);
}
