/* SPDX-License-Identifier: MIT */
/* [vm nofs] allows sys and proc only: fs calls get -EPERM, audited. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
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

void sec_modules(void)
{
	run_as(UO, nofs, NULL);
	CHECK("modules: the refusal is audited", audit_has(
		"event=module-bind-refused", "vm=nofs", "module=fs", NULL),
	      "no audit line");
}
