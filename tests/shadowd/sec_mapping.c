/* SPDX-License-Identifier: MIT */
/*
 * System mode: who may attach a VM (SO_PEERCRED and the VM's owners), and
 * which host user each guest user's shadow runs as, so that the host's
 * own permission checks apply: A's file for guest 1000, B's for 1001.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "sec.h"

/* ---- attach ----------------------------------------------------------- */

static void attach_as_owner(void *arg)
{
	int ctl = attach("sec");

	(void)arg;
	CHECK("attach: the VM's owner may attach", ctl >= 0, "hello %d", ctl);
	if (ctl >= 0)
		close(ctl);
	ctl = attach("some-other-vm");
	CHECK("attach: a VM name without a section is refused (no [vm *])",
	      ctl == -EPERM, "hello %d", ctl);
	if (ctl >= 0)
		close(ctl);
}

static void attach_as_other(void *arg)
{
	int ctl;

	(void)arg;
	ctl = attach("sec");
	CHECK("attach: a user who owns no VM is refused (-EPERM)",
	      ctl == -EPERM, "hello %d", ctl);
	ctl = attach("some-other-vm");
	CHECK("attach: ... whatever the VM's name", ctl == -EPERM,
	      "hello %d", ctl);
}

void sec_attach(void)
{
	run_as(UO, attach_as_owner, NULL);
	run_as(UB, attach_as_other, NULL);
	CHECK("attach: refusal audited", audit_has("event=attach", "vm=sec",
						   "result=refused", NULL),
	      "no audit line");
}

/* ---- mapping ------------------------------------------------------------ */

/* Guest uid g's shadow runs as host user u: reads its own file and gets
 * EACCES on the other's, through the fs module and through a command. */
static void own_file_only(int g, int u, int other)
{
	struct hc_session_info info;
	struct sess s;
	char name[128], mine[160], theirs[160], buf[64], want[32], *out;
	char *cat[] = { "cat", theirs, NULL };
	int ctl = attach("sec"), st;
	int64_t r, r2;

	snprintf(mine, sizeof(mine), "%s/%s.txt", S.dir, u == UA ? "a" : "b");
	snprintf(theirs, sizeof(theirs), "%s/%s.txt", S.dir,
		 other == UA ? "a" : "b");
	snprintf(want, sizeof(want), "secret-%s\n", u == UA ? "a" : "b");
	st = ctl >= 0 ? session(ctl, g, &s, &info) : ctl;
	snprintf(name, sizeof(name), "mapping: guest %d runs as host user %s",
		 g, u == UA ? "A" : "B");
	CHECK(name, st == 0 && info.host_uid == S.uid[u] &&
	      !strcmp(info.host_user, S.user[u]), "open %d uid %u", st,
	      st == 0 ? info.host_uid : 0);
	if (st != 0)
		goto out;
	r = fs_read_file(&s, mine, buf, sizeof(buf));
	snprintf(name, sizeof(name), "mapping: guest %d reads its own 0600 "
		 "file", g);
	CHECK(name, r > 0 && !strcmp(buf, want), "read %lld '%s'",
	      (long long)r, r > 0 ? buf : "");
	r = fs_read_file(&s, theirs, buf, sizeof(buf));
	snprintf(name, sizeof(name), "mapping: guest %d gets EACCES on the "
		 "other's file", g);
	CHECK(name, r == -EACCES, "read %lld", (long long)r);
	r2 = run_cmd(&s, cat, NULL, &out);
	snprintf(name, sizeof(name), "mapping: guest %d's host cat of the "
		 "other's file fails", g);
	CHECK(name, r2 >= 0 && WIFEXITED(r2) && WEXITSTATUS(r2) == 1 &&
	      out && !out[0], "status %lld out '%s'", (long long)r2,
	      out ? out : "");
	free(out);
	sess_close(&s);
	gone_within(info.shadow_pid, 5000);
out:
	if (ctl >= 0)
		close(ctl);
}

static void mapping(void *arg)
{
	struct hc_session_info info;
	struct sess s;
	int ctl, st;

	(void)arg;
	own_file_only(1000, UA, UB);
	own_file_only(1001, UB, UA);
	ctl = attach("sec");
	st = ctl >= 0 ? session(ctl, 2000, &s, &info) : ctl;
	CHECK("mapping: a refused guest uid gets no shadow (-EPERM)",
	      st == -EPERM, "open %d", st);
	if (st == 0)
		sess_close(&s);
	st = ctl >= 0 ? session(ctl, 4242, &s, &info) : ctl;
	CHECK("mapping: other guest uids map to the VM owner",
	      st == 0 && info.host_uid == S.uid[UO], "open %d uid %u", st,
	      st == 0 ? info.host_uid : 0);
	if (st == 0)
		sess_close(&s);
	if (ctl >= 0)
		close(ctl);
}

void sec_mapping(void)
{
	run_as(UO, mapping, NULL);
	CHECK("mapping: refusal audited", audit_has("event=session-start",
		"guest_uid=2000", "result=refused", "reason=map", NULL),
	      "no audit line");
}
