/* SPDX-License-Identifier: MIT */
/* Start one shadow process for a guest session. */
#ifndef HC_SPAWN_H
#define HC_SPAWN_H

#include <stdint.h>
#include <sys/types.h>
#include "container.h"
#include "hostcall_proto.h"
#include "user.h"

/* Printable copy of the guest's comm (NUL-padded, maybe unterminated). */
void identity_comm(const struct hc_identity *id, char out[17]);

/*
 * Fork and exec `shadow_path` as user `u`, with one end of a new
 * SOCK_SEQPACKET socketpair as its fd 3, policy_fd (the session's rules)
 * as fd 5 and audit_fd as fd 6 (either -1: none), inside container box
 * (container.h). Does not wait for the
 * child: on success returns 0 with the shadow's pid, our end of the
 * session socket (close-on-exec) and the non-blocking read end of its
 * status pipe, which shadow_spawn_status() reads when it is readable.
 * On failure (of the socketpair, pipe or fork) returns -errno and leaves
 * nothing behind.
 */
int shadow_spawn(const char *shadow_path, const struct host_user *u,
		 const struct hc_identity *id, uint32_t session,
		 const char *vm_name, int policy_fd, int audit_fd,
		 const struct container *box, pid_t *pid, int *fd,
		 int *status_fd);

/* How the start went: 1 still under way, 0 the shadow has exec'd, or
 * -errno of joining the container, the credential change, chdir or
 * execve (the child then exits; reap it). */
int shadow_spawn_status(int status_fd);

#endif
