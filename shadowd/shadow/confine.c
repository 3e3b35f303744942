/* SPDX-License-Identifier: MIT */
/*
 * Confinement of the shadow: the place for the security-model wave.
 *
 * Runs once at startup, after the session socket and the ring exist and
 * before the first call is read. The plan:
 *   - rlimits from policy (RLIMIT_NPROC, RLIMIT_NOFILE, RLIMIT_AS ...);
 *   - PR_SET_NO_NEW_PRIVS when policy forbids setuid host commands;
 *   - a libseccomp filter allowing what the modules use (io_uring_enter,
 *     the fs metadata calls, fork/execve for PROC) and denying the rest.
 * The filter is inherited by spawned host commands, so it must be
 * designed together with the policy for which commands may run.
 * Today it does nothing: the shadow is confined by its host credentials.
 */
#include "shadow.h"

int confine(void)
{
	return 0;
}
