/* SPDX-License-Identifier: MIT */
/* Audit sink and the shadows' audit socket (see audit.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include "audit.h"
#include "log.h"

static enum audit_kind kind = AUDIT_STDERR;
static unsigned rate_max = 200;
static int file_fd = -1;
static int sv[2] = { -1, -1 };	/* 0: ours (rx), 1: the shadows' (tx) */

int audit_open(const struct policy *p)
{
	int one = 1, sz = 1 << 20;

	kind = p->audit;
	rate_max = p->audit_rate;
	if (kind == AUDIT_FILE) {
		/* Append only, never truncated; root-readable only. */
		file_fd = open(p->audit_file, O_WRONLY | O_APPEND | O_CREAT |
			       O_CLOEXEC | O_NOFOLLOW, 0600);
		if (file_fd < 0)
			return -errno;
	} else if (kind == AUDIT_SYSLOG) {
		openlog("shadowd", LOG_PID | LOG_NDELAY, LOG_AUTHPRIV);
	}
	/* Datagrams: one record each, never mixed; SO_PASSCRED gives
	 * each the sender's pid as the kernel knows it. */
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	if (setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0)
		return -errno;
	setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	/* The shadows' end is only ever written. */
	shutdown(sv[1], SHUT_RD);
	return 0;
}

void audit_close(void)
{
	if (file_fd >= 0)
		close(file_fd);
	if (kind == AUDIT_SYSLOG)
		closelog();
	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	file_fd = sv[0] = sv[1] = -1;
}

int audit_tx_fd(void)
{
	return sv[1];
}

int audit_rx_fd(void)
{
	return sv[0];
}

static void emit(const char *line)
{
	char buf[AUDIT_MSG_MAX + 1024], ts[40];
	struct timespec now;
	struct tm tm;
	int n;

	switch (kind) {
	case AUDIT_SYSLOG:
		syslog(LOG_INFO, "audit:%s", line);
		return;
	case AUDIT_FILE:
		clock_gettime(CLOCK_REALTIME, &now);
		gmtime_r(&now.tv_sec, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
		n = snprintf(buf, sizeof(buf), "%s shadowd[%d]:%s\n", ts,
			     (int)getpid(), line);
		if (n >= (int)sizeof(buf)) {
			n = sizeof(buf) - 1;
			buf[n - 1] = '\n';
		}
		/* One write per line: O_APPEND keeps lines whole. */
		if (write(file_fd, buf, n) != n)
			log_err("audit: write %s", "file");
		return;
	default:
		log_msg("audit:%s", line);
	}
}

void audit_event(const char *event, const char *fields)
{
	char line[AUDIT_MSG_MAX + 512];

	snprintf(line, sizeof(line), " event=%s%s", event, fields);
	emit(line);
}

static const char *const kind_name[AUDIT_KINDS] = { "exec", "execve",
						    "log" };

void audit_rate_flush(struct audit_rate *r, const char *fields)
{
	char f[800];
	size_t len;
	unsigned total = 0;
	int k;

	for (k = 0; k < AUDIT_KINDS; k++)
		total += r->dropped[k];
	if (!total)
		return;
	len = snprintf(f, sizeof(f), "%s dropped=%u kinds=", fields, total);
	for (k = 0; k < AUDIT_KINDS && len < sizeof(f); k++)
		if (r->dropped[k])
			len += snprintf(f + len, sizeof(f) - len, "%s%s:%u",
					f[len - 1] == '=' ? "" : ",",
					kind_name[k], r->dropped[k]);
	audit_event("audit-rate", f);
	memset(r->dropped, 0, sizeof(r->dropped));
}

/* A routine line (one of the kinds above, with a result that is no
 * refusal): its kind; -1 for every other line, which is never dropped. */
static int routine(const char *ev, const char *rest)
{
	const char *res = NULL, *p;
	int k;

	if (!strncmp(ev, "event=", 6))
		ev += 6;
	for (k = 0; k < AUDIT_KINDS; k++)
		if (!strcmp(ev, kind_name[k]))
			break;
	if (k == AUDIT_KIND_LOG)
		return k;	/* a shadow's log line, not an audit event */
	if (k == AUDIT_KINDS || !rest)
		return -1;
	/* The last result= is the field: an argument (quoted, before it)
	 * cannot pass for it. */
	for (p = rest; (p = strstr(p, " result=")); p++)
		res = p + 8;
	if (res && (!strncmp(res, "ok", 2) || !strncmp(res, "allowed", 7)) &&
	    (res[res[0] == 'o' ? 2 : 7] == ' ' || !res[res[0] == 'o' ? 2 : 7]))
		return k;
	return -1;
}

/* Over the rate: 1 to drop it. */
static int over_rate(struct audit_rate *r, int kind, const char *fields)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (r->sec != now.tv_sec) {
		audit_rate_flush(r, fields);
		r->sec = now.tv_sec;
		r->n = 0;
	}
	r->n++;
	if (kind < 0 || r->n <= rate_max)
		return 0;
	r->dropped[kind]++;
	return 1;
}

void audit_input(audit_who_fn who)
{
	char msg[AUDIT_MSG_MAX + 1], prefix[512], line[sizeof(msg) + 600];
	struct audit_rate *rate;
	const char *from;
	int kind;
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(struct ucred))];
	} cm;
	struct iovec iov = { msg, sizeof(msg) - 1 };
	struct msghdr mh;
	struct cmsghdr *c;
	struct ucred cr;
	ssize_t n, i;
	int got;

	for (;;) {
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cm.buf;
		mh.msg_controllen = sizeof(cm.buf);
		n = recvmsg(sv[0], &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n < 0)
			return;
		got = 0;
		for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			if (c->cmsg_level == SOL_SOCKET &&
			    c->cmsg_type == SCM_CREDENTIALS) {
				memcpy(&cr, CMSG_DATA(c), sizeof(cr));
				got = 1;
			}
		}
		if (!got || !(rate = who(cr.pid, prefix, sizeof(prefix),
					 &from)))
			continue;	/* not a shadow's */
		/* The shadow quotes its values; make sure anyway that a
		 * confined but possibly subverted shadow cannot break the
		 * line. */
		for (i = 0; i < n; i++)
			if ((unsigned char)msg[i] < 0x20 ||
			    (unsigned char)msg[i] >= 0x7f)
				msg[i] = '?';
		msg[n] = 0;
		/* " event=X rest": the event first, like shadowd's own lines,
		 * then who (ours), then what the shadow says. */
		{
			char *ev = msg, *rest;

			while (*ev == ' ')
				ev++;
			rest = strchr(ev, ' ');
			if (rest)
				*rest++ = 0;
			kind = routine(ev, rest);
			if (over_rate(rate, kind, prefix))
				continue;
			if (kind == AUDIT_KIND_LOG) {
				/* To shadowd's log, under the session's
				 * name; never to the audit trail. */
				log_msg("shadow:%s from=%s %s", prefix, from,
					rest ? rest : "");
				continue;
			}
			snprintf(line, sizeof(line), " %s%s from=%s %s", ev,
				 prefix, from, rest ? rest : "");
		}
		emit(line);
	}
}
