/* SPDX-License-Identifier: MIT */
/*
 * The part of the policy one shadow needs, handed to it as a sealed
 * memfd on its fd 5: a few "key value" lines (shadow/policy.c reads them).
 * The shadow runs as the mapped user and need not be able to read
 * shadowd.conf; it gets only its own VM's rules.
 */
#ifndef HC_SESSION_POLICY_H
#define HC_SESSION_POLICY_H

#include "policy.h"
#include "user.h"

#define SHADOW_POLICY_FD	5
#define SHADOW_AUDIT_FD		6

/* A read-only memfd at offset 0 with vm's rules for guest caller id
 * mapped to user u (p: the global settings), or -errno. */
int session_policy_fd(const struct policy *p, const struct vm_policy *vm,
		      const struct host_user *u, const struct hc_identity *id);

#endif
