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
 * Who sent a datagram: fill prefix with the session's fields and return
 * 0, 1 to drop it (over its rate), -1 for a pid that is no shadow.
 */
typedef int (*audit_who_fn)(pid_t pid, char *prefix, size_t n);
/* Read the pending datagrams and write their lines. */
void audit_input(audit_who_fn who);

#endif
