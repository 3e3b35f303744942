/* SPDX-License-Identifier: MIT */
/*
 * User mapping: which host user serves a guest caller. The VM's policy
 * section decides (policy.h); the rest of shadowd only sees struct
 * host_user.
 */
#ifndef HC_USER_H
#define HC_USER_H

#include <sys/types.h>
#include "hostcall_proto.h"
#include "policy.h"

struct host_user {
	uid_t uid;
	gid_t gid;
	char name[64];
	char home[256];
	char shell[256];
	int root_named;		/* uid 0 because a rule named root */
	int fallback;		/* the fallback user replaced root */
};

/* What the mapping may look at. */
struct map_request {
	uid_t owner_uid;		/* the VM owner: QEMU's user */
	const char *vm_name;		/* from HCP_HELLO, "" if unnamed */
	const struct hc_identity *id;	/* the guest caller */
	const struct vm_policy *vm;	/* the VM's policy section */
	const char *fallback_user;	/* for root that no rule names */
};

/* Look up a passwd entry: 0 or -errno (-ENOENT: no such user). */
int user_lookup(uid_t uid, struct host_user *u);
int user_lookup_name(const char *name, struct host_user *u);

/*
 * Map a caller to a host user: 0, or -EPERM when the policy refuses the
 * caller, or -errno of the lookup. Host root only when a rule names it;
 * root reached otherwise (a root-owned VM mapping to its owner) becomes
 * the fallback user.
 */
int user_map(const struct map_request *rq, struct host_user *u);

#endif
