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
#include "auditfmt.h"
#include "log.h"
#include "session_policy.h"
#include "shadow.h"

static int audit_fd = -1;
static int audit_wait;

#ifdef HC_SANITIZE
void __sanitizer_set_report_fd(void *fd);
#endif

/* Log lines go to shadowd too, which writes them to its log with this
 * session's identity: the shadow never writes to shadowd's stderr. */
static int log_to_shadowd(const char *line, size_t n)
{
	char f[1100] = " event=log";
	size_t len = strlen(f);

	audit_kvn(f, sizeof(f), &len, "msg", line, n);
	return send(audit_fd, f, len, MSG_DONTWAIT | MSG_NOSIGNAL) ==
	       (ssize_t)len ? 0 : -1;
}

/*
 * Call first, before fd 6 could be taken by anything else. Started by
 * shadowd (the audit socket is there), the shadow lets go of shadowd's
 * stdout and stderr, which in system mode are root's log: a subverted
 * shadow could otherwise write lines there in another session's name.
 */
void shadow_audit_init(void)
{
	int type = 0, null;
	socklen_t len = sizeof(type);

	if (getsockopt(SHADOW_AUDIT_FD, SOL_SOCKET, SO_TYPE, &type, &len) < 0
	    || type != SOCK_DGRAM)
		return;
	audit_fd = SHADOW_AUDIT_FD;
	fcntl(audit_fd, F_SETFD, FD_CLOEXEC);
	null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (null < 0)
		return;
#ifdef HC_SANITIZE
	/* Test builds only: sanitizer reports still reach the test. */
	__sanitizer_set_report_fd((void *)(long)fcntl(2, F_DUPFD_CLOEXEC, 100));
#endif
	dup2(null, 1);
	dup2(null, 2);
	close(null);
	log_sink = log_to_shadowd;
}

void shadow_audit(const char *event, const char *fields)
{
	char line[1024];
	int n = snprintf(line, sizeof(line), " event=%s%s", event, fields);

	if (n >= (int)sizeof(line))
		n = sizeof(line) - 1;
	if (audit_fd >= 0 &&
	    send(audit_fd, line, n, (audit_wait ? 0 : MSG_DONTWAIT) |
		 MSG_NOSIGNAL) == n)
		return;
	/* No shadowd (started by hand, or it is gone): stderr at least. */
	log_msg("audit:%s", line);
}

void shadow_audit_move(int fd)
{
	if (audit_fd < 0 || dup3(audit_fd, fd, O_CLOEXEC) < 0)
		return;
	audit_fd = fd;
	/* A command's execve waits for its line: none is lost. */
	audit_wait = 1;
}

int shadow_audit_limit(const char *limit, pid_t pid, int err)
{
	char f[128], num[16];
	size_t len = 0;

	f[0] = 0;
	audit_kv(f, sizeof(f), &len, "limit", limit);
	if (pid > 0) {
		snprintf(num, sizeof(num), "%d", (int)pid);
		audit_kv(f, sizeof(f), &len, "pid", num);
	}
	shadow_audit("limit", f);
	return err;
}
