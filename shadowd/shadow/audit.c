/* SPDX-License-Identifier: MIT */
/*
 * The shadow's audit lines (exec, refusals) go to shadowd as datagrams on
 * fd 6; shadowd adds who this session is, from its own records. Never
 * blocks: a full socket drops the line, and says so on stderr.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include "log.h"
#include "session_policy.h"
#include "shadow.h"

static int audit_fd = -1;

/* Call first, before fd 6 could be taken by anything else. */
void shadow_audit_init(void)
{
	int type = 0;
	socklen_t len = sizeof(type);

	if (getsockopt(SHADOW_AUDIT_FD, SOL_SOCKET, SO_TYPE, &type, &len) == 0
	    && type == SOCK_DGRAM) {
		audit_fd = SHADOW_AUDIT_FD;
		fcntl(audit_fd, F_SETFD, FD_CLOEXEC);
	}
}

void shadow_audit(const char *event, const char *fields)
{
	char line[1024];
	int n = snprintf(line, sizeof(line), " event=%s%s", event, fields);

	if (n >= (int)sizeof(line))
		n = sizeof(line) - 1;
	if (audit_fd >= 0 &&
	    send(audit_fd, line, n, MSG_DONTWAIT | MSG_NOSIGNAL) == n)
		return;
	/* No shadowd (started by hand, or it is gone): stderr at least. */
	log_msg("audit:%s", line);
}
