/* SPDX-License-Identifier: MIT */
/*
 * User mapping: which host user serves a guest caller.
 *
 * Today the answer is always the VM owner (the user that runs QEMU, i.e.
 * the control connection's peer). The security-model wave replaces
 * user_map() with a policy lookup keyed by (VM name, guest identity); the
 * rest of shadowd only sees struct host_user.
 */
#ifndef HC_USER_H
#define HC_USER_H

#include <sys/types.h>
#include "hostcall_proto.h"

struct host_user {
	uid_t uid;
	gid_t gid;
	char name[64];
	char home[256];
	char shell[256];
};

/* What the mapping may look at. */
struct map_request {
	uid_t owner_uid;		/* the VM owner: peer of the control socket */
	const char *vm_name;		/* from HCP_HELLO, "" if unnamed */
	const struct hc_identity *id;	/* the guest caller */
};

/* Look up a passwd entry by uid: 0 or -errno (-ENOENT: no such user). */
int user_lookup(uid_t uid, struct host_user *u);

/* Map a caller to a host user: 0 or -errno (refused / unknown). */
int user_map(const struct map_request *rq, struct host_user *u);

#endif
