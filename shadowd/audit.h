/* SPDX-License-Identifier: MIT */
/*
 * The audit trail: one line per session start and end, exec and refusal,
 * to the sink the policy names (stderr, syslog or a file). shadowd writes
 * its own events; shadows send theirs as datagrams on one socket whose
 * kernel-checked sender pid tells shadowd which session spoke, so the
 * line's identity fields come from shadowd, never from the shadow.
 */
#ifndef HC_AUDIT_H
#define HC_AUDIT_H

#include <stddef.h>
#include <sys/types.h>
#include "policy.h"

#define AUDIT_MSG_MAX	1024	/* one datagram from a shadow */

/* Open the sink and the shadows' socket: 0 or -errno. */
int audit_open(const struct policy *p);
void audit_close(void);
/* One event line; fields as " key=value" (auditfmt.h). */
void audit_event(const char *event, const char *fields);
/* The end shadows send on (give it to each), and the one to poll. */
int audit_tx_fd(void);
int audit_rx_fd(void);

/*
 * A session's lines are limited to the policy's audit-rate a second
 * (default 200), but only the
 * routine ones (commands allowed to run) are ever dropped: a refusal, a
 * denial or a limit always gets its line. What was dropped is written
 * as one summary line per second, by event.
 */
enum { AUDIT_KIND_EXEC, AUDIT_KIND_EXECVE, AUDIT_KIND_LOG, AUDIT_KINDS };
struct audit_rate {
	int64_t sec;
	unsigned n;
	unsigned dropped[AUDIT_KINDS];
};

/*
 * Who sent a datagram: fill prefix with the session's fields and *from
 * with "shadow" or "launcher", and return the session's rate; NULL for
 * a pid that is neither a shadow nor its launcher (dropped).
 */
typedef struct audit_rate *(*audit_who_fn)(pid_t pid, char *prefix,
					   size_t n, const char **from);
/* Read the pending datagrams and write their lines. */
void audit_input(audit_who_fn who);
/* The summary of what r dropped, if anything (session end, say). */
void audit_rate_flush(struct audit_rate *r, const char *fields);

#endif
