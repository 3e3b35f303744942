/* SPDX-License-Identifier: MIT */
/*
 * test_security: the security model, played without a VM. The test makes
 * three host users (A and B, each with a 0600 file, and O, who owns the
 * VMs), a scratch directory, a policy, and runs shadowd --system on a
 * socket there; the groups of checks live in sec_*.c.
 */
#ifndef HC_TEST_SEC_H
#define HC_TEST_SEC_H

#include <sys/types.h>
#include "client.h"

enum { UA, UB, UO, NUSERS };

struct sec {
	char dir[64];		/* /tmp/hcsec-XXXXXX, 0755 */
	char share[96];		/* DIR/share: the fs-root of [vm cmds] */
	char sock[128];		/* shadowd --system's socket */
	char policy[128];
	char audit[128];	/* the audit file the policy names */
	char user[NUSERS][32];
	uid_t uid[NUSERS];
	gid_t gid[NUSERS];
	pid_t shadowd;
	uint32_t next_session;
};
extern struct sec S;

/* Run fn as host user u in a child (its PASS/FAIL lines are ours);
 * its failures are added to ours. */
void run_as(int u, void (*fn)(void *), void *arg);

/* Connect to the system socket and say HELLO for vm: the control fd,
 * or -status (-EPERM: refused) / -errno. */
int attach(const char *vm);
/* OPEN a session for guest uid: 0 with s and info filled, or -status. */
int session(int ctl, uint32_t guest_uid, struct sess *s,
	    struct hc_session_info *info);
/* Read a host file through the fs module: bytes into buf or -errno. */
int64_t fs_read_file(struct sess *s, const char *path, char *buf,
		     size_t n);
/* Run a host command to its end: its wait status, or -errno of SPAWN;
 * *out gets stdout (malloc'd) when out is not NULL. */
int64_t run_cmd(struct sess *s, char *const argv[], char *const env[],
		char **out);
/* The audit file has a line containing every one of the strings. */
int audit_has(const char *first, ...) __attribute__((sentinel));

/* the groups */
void sec_config(void);		/* --check-config and bad files */
void sec_attach(void);		/* system mode: who may attach */
void sec_mapping(void);		/* guest users to host users */
void sec_root(void);		/* guest root, root-owned VMs */
void sec_confine(void);		/* seccomp, no_new_privs, launcher */
void sec_commands(void);	/* the command list */
void sec_fsroots(void);		/* fs-roots: .., symlinks, outside */
void sec_modules(void);		/* modules not allowed */
void sec_limits(void);		/* sessions, procs, files, bytes, cpu */
void sec_container(void);	/* max-tasks, kill as a whole */
void sec_audit(void);		/* the audit trail as a whole */

#endif
