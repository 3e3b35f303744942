/* SPDX-License-Identifier: MIT */
/*
 * The policy's limits: [vm small] has 3 sessions, 2 processes and 2 files
 * per session and 4096 bytes per call; [vm cpu] one CPU second, for the
 * shadow and for each host command.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "sec.h"

static void sessions(int ctl)
{
	struct hc_session_info info[4];
	struct sess s[4];
	int st[4], i, again;

	for (i = 0; i < 4; i++)
		st[i] = session(ctl, 1000, &s[i], &info[i]);
	CHECK("limits: the 4th session of a 3-session VM is refused",
	      st[0] == 0 && st[1] == 0 && st[2] == 0 && st[3] == -EAGAIN,
	      "open %d %d %d %d", st[0], st[1], st[2], st[3]);
	if (st[3] == 0)
		sess_close(&s[3]);
	sess_close(&s[2]);
	/* shadowd counts a session until its shadow is reaped. */
	for (i = 0; i < 100; i++) {
		msleep(50);
		again = session(ctl, 1000, &s[3], &info[3]);
		if (again != -EAGAIN)
			break;
	}
	CHECK("limits: ... and served again once one ends", again == 0,
	      "open %d", again);
	if (again == 0)
		sess_close(&s[3]);
	sess_close(&s[1]);
	sess_close(&s[0]);
}

static void per_session(struct sess *s)
{
	char *sleep100[] = { "sleep", "100", NULL };
	char *cat[] = { "cat", NULL };
	static char big_in[10000];
	uint32_t olen = 0;
	int64_t h[3], f[3], r, r2;
	int i;

	for (i = 0; i < 3; i++)
		h[i] = spawn(s, NULL, sleep100, NULL, 0, NULL);
	CHECK("limits: the 3rd process of a 2-process session is refused",
	      h[0] >= 0 && h[1] >= 0 && h[2] == -EAGAIN,
	      "spawn %lld %lld %lld", (long long)h[0], (long long)h[1],
	      (long long)h[2]);
	for (i = 0; i < 3; i++)
		if (h[i] >= 0)
			call0(s, T_PROC, HC_PROC_RELEASE, h[i], 0, NULL,
			      0);
	for (i = 0; i < 3; i++)
		f[i] = path_call(s, T_FS, HC_FS_OPEN, O_RDONLY, 0,
				 "/dev/null");
	CHECK("limits: the 3rd file of a 2-file session is refused",
	      f[0] >= 0 && f[1] >= 0 && f[2] == -EMFILE,
	      "open %lld %lld %lld", (long long)f[0], (long long)f[1],
	      (long long)f[2]);
	for (i = 0; i < 3; i++)
		if (f[i] >= 0)
			call0(s, T_FS, HC_FS_CLOSE, f[i], 0, NULL, 0);

	/* Bytes per call: output is cut, input refused or (writes) cut. */
	f[0] = path_call(s, T_FS, HC_FS_OPEN, O_RDONLY, 0, "/dev/zero");
	r = call(s, T_FS, HC_FS_READ, f[0], 0, 0, NULL, 0, 100000, NULL,
		 &olen);
	CHECK("limits: a read gets at most max-bytes", r == 4096 &&
	      olen == 4096, "read %lld (%u bytes)", (long long)r, olen);
	call0(s, T_FS, HC_FS_CLOSE, f[0], 0, NULL, 0);
	r = call(s, T_SYS, HC_SYS_PING, 0, 0, 0, big_in, 5000, 5000,
		 NULL, NULL);
	r2 = call(s, T_SYS, HC_SYS_PING, 0, 0, 0, big_in, 4096, 4096,
		  NULL, NULL);
	CHECK("limits: input over max-bytes is refused (-E2BIG)",
	      r == -E2BIG && r2 == 4096, "ping 5000: %lld, 4096: %lld",
	      (long long)r, (long long)r2);
	h[0] = spawn(s, NULL, cat, NULL, 0, NULL);
	r = h[0] >= 0 ? call0(s, T_PROC, HC_PROC_WRITE, h[0], 0, big_in,
			      sizeof(big_in)) : h[0];
	CHECK("limits: a write over max-bytes is short", r == 4096,
	      "write %lld", (long long)r);
	if (h[0] >= 0)
		call0(s, T_PROC, HC_PROC_RELEASE, h[0], 0, NULL, 0);
}

static void small(void *arg)
{
	struct hc_session_info info;
	struct sess s;
	int ctl = attach("small"), st, i;

	(void)arg;
	CHECK("limits: an owner by @group may attach", ctl >= 0, "hello %d",
	      ctl);
	if (ctl < 0)
		return;
	sessions(ctl);
	/* The sessions just closed count until their shadows are reaped. */
	for (st = -EAGAIN, i = 0; st == -EAGAIN && i < 100; i++) {
		if (i)
			msleep(50);
		st = session(ctl, 1000, &s, &info);
	}
	if (st != 0) {
		fail("limits: session", "open %d", st);
	} else {
		per_session(&s);
		sess_close(&s);
	}
	close(ctl);
}

/* Keep the shadow busy with 128 KiB pings until it is stopped. */
static int burn_shadow(struct sess *s, pid_t shadow)
{
	static unsigned char data[HC_MAX_DATA];
	int inflight = 0, i;
	struct reply rp;

	for (i = 0; i < 2000000; i++) {
		while (inflight < 8) {
			if (send_call(s, next_tag++, T_SYS, HC_SYS_PING,
				      0, 0, 0, data, sizeof(data),
				      sizeof(data)) < 0)
				return gone_within(shadow, 5000);
			inflight++;
		}
		if (recv_reply(s, TIMEOUT_MS, &rp) < 0)
			return gone_within(shadow, 5000);
		free(rp.data);
		inflight--;
	}
	return 0;
}

static void cpu(void *arg)
{
	struct hc_session_info info;
	struct sess s;
	char *spin[] = { "sh", "-c", "while :; do :; done", NULL };
	int ctl = attach("cpu"), st;
	int64_t r;

	(void)arg;
	st = ctl >= 0 ? session(ctl, 1000, &s, &info) : ctl;
	if (st != 0) {
		fail("limits: cpu session", "open %d", st);
		goto out;
	}
	r = run_cmd(&s, spin, NULL, NULL);
	CHECK("limits: a host command over its CPU seconds is stopped",
	      r >= 0 && WIFSIGNALED(r) && (WTERMSIG(r) == SIGXCPU ||
					   WTERMSIG(r) == SIGKILL),
	      "wait %lld", (long long)r);
	CHECK("limits: a shadow over its CPU seconds is stopped",
	      burn_shadow(&s, info.shadow_pid), "shadow %d still serving",
	      info.shadow_pid);
	sess_close(&s);
out:
	if (ctl >= 0)
		close(ctl);
}

void sec_limits(void)
{
	int i;

	run_as(UO, small, NULL);
	CHECK("limits: the refused session is audited", audit_has(
		"event=session-start", "vm=small", "result=refused",
		"reason=max-sessions", NULL), "no audit line");
	CHECK("limits: the refused process is audited", audit_has(
		"event=limit", "vm=small", "limit=max-procs", NULL),
	      "no audit line");
	CHECK("limits: the refused file is audited", audit_has(
		"event=limit", "vm=small", "limit=max-files", NULL),
	      "no audit line");
	run_as(UO, cpu, NULL);
	/* shadowd writes the session's end once it has reaped it. */
	for (i = 0; i < 100 && !audit_has("event=session-end", "vm=cpu",
					   "reason=cpu-limit", NULL); i++)
		msleep(50);
	CHECK("limits: the CPU limit's stop is audited", audit_has(
		"event=session-end", "vm=cpu", "reason=cpu-limit", NULL),
	      "no audit line");
	CHECK("limits: a command stopped by the CPU limit is audited",
	      audit_has("event=limit", "vm=cpu", "limit=cpu-seconds", "pid=",
			NULL), "no audit line");
}
