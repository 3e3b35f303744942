/* SPDX-License-Identifier: MIT */
/*
 * The audit trail as a whole, once shadowd has stopped: one line per
 * event, each with its time, session starts and ends with who and as
 * whom, the shadows' exec lines carrying shadowd's identity fields.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include "landlock_abi.h"
#include "sec.h"

/*
 * A flood: a listed shell runs a helper 600 times, four at a time (over
 * the policy's 50 lines a second), and tries an unlisted program once among
 * them: the routine lines are
 * summarised by event, the denial is written all the same.
 */
static void flood(void *arg)
{
	char *argv[] = { "sh", "-c", "for j in 1 2 3 4; do (i=0; while "
			 "[ $i -lt 150 ]; do /usr/bin/true; i=$((i+1)); done) "
			 "& done; /usr/bin/cat /dev/null; wait; exit 0", NULL };
	struct hc_session_info info;
	struct sess s;
	int ctl = attach("flood"), st;
	int64_t r;

	(void)arg;
	st = ctl >= 0 ? session(ctl, 1000, &s, &info) : ctl;
	if (st != 0) {
		fail("audit: flood session", "open %d", st);
	} else {
		r = run_cmd(&s, argv, NULL, NULL);
		CHECK("audit: the flood ran", r == 0, "status %lld",
		      (long long)r);
		sess_close(&s);
	}
	if (ctl >= 0)
		close(ctl);
}

void sec_audit(void)
{
	char user_a[64], line[4096];
	int st = -1, bad = 0, n = 0;
	FILE *f;

	if (landlock_abi() < 1) {
		skip("audit: a flood of execs is summarised", "no Landlock, "
		     "so no exec watch");
	} else {
		run_as(UO, flood, NULL);
		msleep(500);
		CHECK("audit: a flood of execs is summarised by event",
		      audit_has("event=audit-rate", "vm=flood", "dropped=",
				"kinds=execve:", NULL), "no summary line");
		CHECK("audit: ... and the denial within it is not dropped",
		      audit_has("event=execve", "vm=flood", "path=/usr/bin/cat",
				"result=denied", NULL), "no denial line");
	}
	if (S.shadowd > 0) {
		kill(S.shadowd, SIGTERM);
		waitpid(S.shadowd, &st, 0);
		S.shadowd = 0;
	}
	CHECK("audit: shadowd --system stops cleanly on SIGTERM",
	      WIFEXITED(st) && WEXITSTATUS(st) == 0, "status 0x%x", st);
	snprintf(user_a, sizeof(user_a), "host_user=%s ", S.user[UA]);
	CHECK("audit: session start: vm, guest uid/pid/comm, host user",
	      audit_has("event=session-start vm=sec", "guest_uid=1000",
			"guest_pid=4242", "comm=tester", user_a, "result=ok",
			NULL), "no such line");
	CHECK("audit: session end with its status", audit_has(
		"event=session-end vm=sec", "guest_uid=1000", user_a,
		"result=\"exit 0\"", NULL), "no such line");
	CHECK("audit: a shadow's exec line carries the session's identity",
	      audit_has("event=exec vm=sec", "guest_uid=1000", user_a,
			"from=shadow cmd=cat args=", "result=ok pid=", NULL),
	      "no such line");
	f = fopen(S.audit, "r");
	while (f && fgets(line, sizeof(line), f)) {
		n++;
		/* "2025-01-31T12:00:00Z shadowd[PID]: event=..." */
		if (strlen(line) < 30 || line[4] != '-' || line[10] != 'T' ||
		    !strstr(line, " shadowd[") || !strstr(line, "]: event=") ||
		    line[strlen(line) - 1] != '\n')
			bad++;
	}
	if (f)
		fclose(f);
	CHECK("audit: every line is one timestamped event", n > 20 && !bad,
	      "%d lines, %d malformed", n, bad);
}
