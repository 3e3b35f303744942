/* SPDX-License-Identifier: MIT */
/* User mapping: the VM's policy rule for the guest uid, then passwd. */
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

static int fill(struct host_user *u, const struct passwd *pw)
{
	/* A name that does not fit would be silently wrong in logs and
	 * initgroups(): refuse it. */
	if (strlen(pw->pw_name) >= sizeof(u->name))
		return -ENAMETOOLONG;
	u->uid = pw->pw_uid;
	u->gid = pw->pw_gid;
	copy(u->name, sizeof(u->name), pw->pw_name);
	copy(u->home, sizeof(u->home),
	     pw->pw_dir && *pw->pw_dir ? pw->pw_dir : "/");
	copy(u->shell, sizeof(u->shell),
	     pw->pw_shell && *pw->pw_shell ? pw->pw_shell : "/bin/sh");
	return 0;
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
	return fill(u, &pw);
}

int user_lookup_name(const char *name, struct host_user *u)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	int e;

	memset(u, 0, sizeof(*u));
	e = getpwnam_r(name, &pw, buf, sizeof(buf), &res);
	if (e)
		return -e;
	if (!res)
		return -ENOENT;
	return fill(u, &pw);
}

int user_map(const struct map_request *rq, struct host_user *u)
{
	const struct map_rule *r = policy_rule(rq->vm, rq->id->uid);
	uid_t uid;
	int e;

	switch (r->kind) {
	case MAP_REFUSE:
		return -EPERM;
	case MAP_USER:
		uid = r->uid;
		break;
	default:
		uid = rq->owner_uid;
		break;
	}
	/*
	 * Guest root is not host root, and neither is any guest user of a
	 * VM that root happens to own: root only when a rule says so.
	 */
	if (uid == 0 && r->kind != MAP_USER) {
		e = user_lookup_name(rq->fallback_user, u);
		if (e == 0 && u->uid == 0)
			e = -EPERM;	/* a fallback "user" with uid 0 */
		u->fallback = 1;
		return e;
	}
	e = user_lookup(uid, u);
	u->root_named = (e == 0 && uid == 0);
	return e;
}
