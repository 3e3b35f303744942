/* SPDX-License-Identifier: MIT */
/*
 * [vm nofs] allows sys and proc only: fs binds get -EPERM, audited.
 * [vm plug] loads the example plugin from the policy's module-dir (and
 * refuses a group-writable copy, one not owned by root and a missing
 * one); guest 1001 may bind only example 1.0-1.1, which the loaded 1.2
 * is not.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "sec.h"

static void nofs(void *arg)
{
	struct hc_session_info info;
	struct hc_stat st;
	struct sess s;
	char *truecmd[] = { "true", NULL };
	int ctl = attach("nofs"), r;
	int64_t a, b, c;

	(void)arg;
	r = ctl >= 0 ? session(ctl, 1000, &s, &info) : ctl;
	if (r != 0) {
		fail("modules: session", "open %d", r);
		goto out;
	}
	a = call(&s, T_FS, HC_FS_STAT, 0, 0, 0, "/", 2, sizeof(st), NULL,
		 NULL);
	b = call(&s, T_SYS, HC_SYS_PING, 0, 0, 0, "x", 1, 1, NULL, NULL);
	c = run_cmd(&s, truecmd, NULL, NULL);
	CHECK("modules: a module the policy leaves out gives -EPERM",
	      a == -EPERM && b == 1 && c == 0, "fs %lld sys %lld proc %lld",
	      (long long)a, (long long)b, (long long)c);
	sess_close(&s);
out:
	if (ctl >= 0)
		close(ctl);
}

enum { ECHO = 1, ADD = 2, WHOAMI = 3, SLEEP = 4, COUNT = 5 };

static void plug(void *arg)
{
	struct hc_session_info info;
	struct hc_bind_info bi;
	struct sess s, s2;
	unsigned char *out = NULL;
	uint32_t olen = 0;
	int ctl = attach("plug"), r;
	int64_t h, h2, a, b, c;
	uint64_t tag;
	long t0;
	struct timespec ts;

	(void)arg;
	r = ctl >= 0 ? session(ctl, 1000, &s, &info) : ctl;
	if (r != 0) {
		fail("plugin: session", "open %d", r);
		goto out;
	}
	memset(&bi, 0, sizeof(bi));
	h = sess_bind(&s, "example", 1, 0, &bi);
	CHECK("plugin: example.so loaded, bound as example 1.2",
	      h > 0 && bi.major == 1 && bi.minor == 2 && bi.nfuncs >= 5,
	      "handle %lld version %u.%u nfuncs %u", (long long)h, bi.major,
	      bi.minor, bi.nfuncs);
	h2 = sess_bind(&s, "example", 1, 2, NULL);
	CHECK("plugin: a second bind gives the same handle", h2 == h,
	      "%lld vs %lld", (long long)h2, (long long)h);
	a = call(&s, h, ECHO, 0, 0, 0, "echo me", 7, 64, &out, &olen);
	CHECK("plugin: echo", a == 7 && olen == 7 && !memcmp(out, "echo me", 7),
	      "result %lld len %u", (long long)a, olen);
	free(out);
	out = NULL;
	next_a3 = 8;
	a = call(&s, h, ADD, 1, 2, 4, NULL, 0, 0, NULL, NULL);
	CHECK("plugin: add of four arguments", a == 15, "result %lld",
	      (long long)a);
	a = call(&s, h, WHOAMI, 0, 0, 0, NULL, 0, 256, &out, &olen);
	CHECK("plugin: whoami is the caller's identity (hcm_identity)",
	      a > 0 && strstr((char *)out, "guest_uid=1000 ") &&
	      strstr((char *)out, "comm=tester") &&
	      strstr((char *)out, "vm=plug"), "result %lld: %s",
	      (long long)a, out ? (char *)out : "");
	free(out);
	out = NULL;
	call(&s, h, COUNT, 0, 0, 0, NULL, 0, 0, NULL, NULL);
	a = call(&s, h, COUNT, 0, 0, 0, NULL, 0, 0, NULL, NULL);
	CHECK("plugin: count keeps per-session state", a == 2, "result %lld",
	      (long long)a);
	a = call(&s, h, 77, 0, 0, 0, NULL, 0, 0, NULL, NULL);
	b = call(&s, 50, 1, 0, 0, 0, NULL, 0, 0, NULL, NULL);
	CHECK("plugin: an unknown function ENOSYS, an unbound handle EBADF",
	      a == -ENOSYS && b == -EBADF, "%lld %lld", (long long)a,
	      (long long)b);

	/* asynchronous: a sleep answers later, others are served meanwhile */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t0 = ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
	tag = next_tag++;
	send_call(&s, tag, h, SLEEP, 150, 0, 0, NULL, 0, 0);
	b = call(&s, h, ECHO, 0, 0, 0, "x", 1, 1, NULL, NULL);
	a = wait_reply(&s, tag, TIMEOUT_MS, NULL, NULL);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t0 = ts.tv_sec * 1000L + ts.tv_nsec / 1000000 - t0;
	CHECK("plugin: sleep answers later (HCM_ASYNC, hcm_watch), others "
	      "are served meanwhile", a == 0 && b == 1 && t0 >= 140,
	      "sleep %lld echo %lld after %ld ms", (long long)a, (long long)b,
	      t0);
	tag = next_tag++;
	send_call(&s, tag, h, SLEEP, 30000, 0, 0, NULL, 0, 0);
	msleep(50);
	send_cancel(&s, tag);
	a = wait_reply(&s, tag, 3000, NULL, NULL);
	CHECK("plugin: a cancelled sleep answers ECANCELED (hcm_on_cancel)",
	      a == -ECANCELED, "result %lld", (long long)a);

	a = sess_bind(&s, "badperm", 1, 0, NULL);
	b = sess_bind(&s, "notroot", 1, 0, NULL);
	c = sess_bind(&s, "nosuch", 1, 0, NULL);
	CHECK("plugin: unsafe or missing plugin files are not loaded (ENOENT)",
	      a == -ENOENT && b == -ENOENT && c == -ENOENT, "%lld %lld %lld",
	      (long long)a, (long long)b, (long long)c);

	/* the guest user the policy gives only example 1.0-1.1 */
	r = session(ctl, 1001, &s2, &info);
	a = r == 0 ? sess_bind(&s2, "example", 1, 0, NULL) : r;
	b = r == 0 ? sess_bind(&s2, "sys", 1, 0, NULL) : r;
	c = r == 0 ? sess_bind(&s2, "proc", 1, 0, NULL) : r;
	CHECK("plugin: modules UID = ...: a version outside the range EPERM, "
	      "a module left out EPERM", a == -EPERM && b > 0 && c == -EPERM,
	      "example %lld sys %lld proc %lld", (long long)a, (long long)b,
	      (long long)c);
	if (r == 0)
		sess_close(&s2);

	/* the last unbind cancels a pending sleep, then ends the state */
	tag = next_tag++;
	send_call(&s, tag, h, SLEEP, 30000, 0, 0, NULL, 0, 0);
	a = call(&s, HC_MOD_SESSION, HC_SESSION_UNBIND, h, 0, 0, NULL, 0, 0,
		 NULL, NULL);
	b = call(&s, HC_MOD_SESSION, HC_SESSION_UNBIND, h, 0, 0, NULL, 0, 0,
		 NULL, NULL);
	c = call(&s, h, ECHO, 0, 0, 0, "x", 1, 1, NULL, NULL);
	CHECK("plugin: unbind twice ends the binding (EBADF after)",
	      a == 0 && b == 0 && c == -EBADF, "%lld %lld %lld",
	      (long long)a, (long long)b, (long long)c);
	a = wait_reply(&s, tag, 3000, NULL, NULL);
	CHECK("plugin: the last unbind cancelled its pending sleep",
	      a == -ECANCELED, "sleep %lld", (long long)a);
	/* a new binding, with state the session's end will finish */
	h = sess_bind(&s, "example", 1, 2, NULL);
	call(&s, h, COUNT, 0, 0, 0, NULL, 0, 0, NULL, NULL);
	call(&s, h, COUNT, 0, 0, 0, NULL, 0, 0, NULL, NULL);
	call(&s, h, COUNT, 0, 0, 0, NULL, 0, 0, NULL, NULL);
	a = call(&s, HC_MOD_SESSION, HC_SESSION_MODULES, 0, 0, 0, NULL, 0,
		 4096, &out, &olen);
	CHECK("plugin: MODULES lists the plugin and its functions",
	      a > 0 && strstr((char *)out, "example 1.2\n\t1 echo\n") &&
	      strstr((char *)out, "\t5 count\n") &&
	      strstr((char *)out, "sys 1.0\n") &&
	      !strstr((char *)out, "badperm"), "result %lld: %s",
	      (long long)a, out ? (char *)out : "");
	free(out);
	sess_close(&s);
out:
	if (ctl >= 0)
		close(ctl);
}

void sec_modules(void)
{
	int i, fini = 0;

	run_as(UO, nofs, NULL);
	run_as(UO, plug, NULL);
	/* the shadow ends after its session: session_fini's audit line */
	for (i = 0; i < 50 && !(fini = audit_has("event=session-fini",
		"vm=plug", "module=example", "count=3", NULL)); i++)
		msleep(100);
	CHECK("plugin: session end runs session_fini (hcm_audit)", fini,
	      "no audit line");
	CHECK("plugin: the last unbind ended the state once its call was "
	      "cancelled (session_fini)", audit_has("event=session-fini",
	      "vm=plug", "module=example", "count=2", NULL), "no audit line");
	CHECK("plugin: every bind is audited", audit_has("event=module-bind",
	      "vm=plug", "module=example", "version=1.2", "handle=",
	      "guest_uid=1000", NULL), "no audit line");
	CHECK("plugin: a refused bind is audited",
	      audit_has("event=module-bind-refused", "vm=plug",
			"module=example", "guest_uid=1001", NULL),
	      "no audit line");
	CHECK("plugin: the unsafe files' refusals are audited",
	      audit_has("event=module-load-refused", "module=badperm",
			"writable", NULL) &&
	      audit_has("event=module-load-refused", "module=notroot",
			"not root", NULL) &&
	      audit_has("event=module-load-refused", "module=nosuch", NULL),
	      "no audit lines");
	CHECK("modules: the refusal is audited", audit_has(
		"event=module-bind-refused", "vm=nofs", "module=fs", NULL),
	      "no audit line");
}
