// SPDX-License-Identifier: MIT
/*
 * The shadow's module registry (registry.c) with its policy lines
 * (shadow/policy.c): registration, binding by name and version, the
 * policy's say, references, session state, the MODULES text.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "registry.h"
#include "shadow.h"
#include "unit.h"

/* ---- what registry.c needs from the rest of the shadow ---- */

static char last_event[64], last_fields[512];
static int audits, cancels;

void shadow_audit(const char *event, const char *fields)
{
	snprintf(last_event, sizeof(last_event), "%s", event);
	snprintf(last_fields, sizeof(last_fields), "%s", fields);
	audits++;
}

const struct hcm_module *hcm_current;
static struct hcm_session *the_session = (struct hcm_session *)&audits;

struct hcm_session *hcm_self(void)
{
	return the_session;
}

void call_cancel_binding(struct binding *b)
{
	(void)b;
	cancels++;
}

static int64_t nop(struct hcm_call *c)
{
	(void)c;
	return 0;
}

static const struct hcm_function f3[] = {
	{ "ping", nop }, { "info", nop }, { "time", nop },
};

#define MOD(var, nm, ma, mi)						\
	const struct hcm_module var = { .api = HCM_API_VERSION,	\
		.name = nm, .major = ma, .minor = mi, .nfuncs = 3,	\
		.funcs = f3 }
MOD(sys_module, "sys", 1, 0);
MOD(proc_module, "proc", 1, 0);
MOD(fs_module, "fs", 1, 0);
MOD(evq_module, "evq", 1, 0);
MOD(sock_module, "sock", 1, 0);
static MOD(ex, "ex", 1, 2);
static MOD(old, "old", 1, 2);
static MOD(bad_api, "bad", 1, 0);

/* session state: init and fini */
static int inits, finis;
static void *fini_state;

static int st_init(struct hcm_session *s, void **state)
{
	inits++;
	*state = s;
	return 0;
}

static void st_fini(struct hcm_session *s, void *state)
{
	(void)s;
	finis++;
	fini_state = state;
}

static int no_init(struct hcm_session *s, void **state)
{
	(void)s;
	(void)state;
	return -ENODEV;
}

static const struct hcm_module stateful = {
	.api = HCM_API_VERSION, .name = "stateful", .major = 1, .minor = 0,
	.nfuncs = 3, .funcs = f3, .session_init = st_init,
	.session_fini = st_fini,
};
static const struct hcm_module refusing = {
	.api = HCM_API_VERSION, .name = "refusing", .major = 1, .minor = 0,
	.nfuncs = 3, .funcs = f3, .session_init = no_init,
};

#define NMANY	70
static struct hcm_module many[NMANY];
static char many_names[NMANY][16];

/* The policy shadowd would send: sys, ex 1.2-1.9, old 1.0-1.1, stateful,
 * refusing, m0..m69; not fs, proc. */
static void load_policy(void)
{
	FILE *f;
	int fd = memfd_create("policy", 0), i;

	f = fdopen(dup(fd), "w");
	fprintf(f, "vm unit\nmodules-listed 1\nguest-uid 1234\n"
		"module sys 0 4294967295\n"
		"module ex %u %u\nmodule old %u %u\n"
		"module stateful 0 4294967295\nmodule refusing 0 4294967295\n",
		1u << 16 | 2, 1u << 16 | 9, 1u << 16, 1u << 16 | 1);
	for (i = 0; i < NMANY; i++)
		fprintf(f, "module m%d 0 4294967295\n", i);
	fclose(f);
	CHECK("policy lines read", policy_read(fd) == 0);
}

int main(void)
{
	struct hc_bind_info info;
	char text[4096];
	int h, h2, i, r, full = 0;

	load_policy();
	registry_init();
	CHECK("register: a taken name is -EEXIST",
	      hcm_register(&sys_module) == -EEXIST);
	{
		struct hcm_module m = bad_api;

		m.api = 99;
		CHECK("register: another API version is -EINVAL",
		      hcm_register(&m) == -EINVAL);
		m.api = HCM_API_VERSION;
		m.name = "Bad Name";
		CHECK("register: a bad name is -EINVAL",
		      hcm_register(&m) == -EINVAL);
	}
	CHECK("register: plugins", hcm_register(&ex) == 0 &&
	      hcm_register(&old) == 0 && hcm_register(&stateful) == 0 &&
	      hcm_register(&refusing) == 0);

	h = registry_bind("sys", 3, 1, 0, &info);
	CHECK("bind: a handle", h > 0 && h < HC_MAX_BINDINGS &&
	      registry_lookup(h) && registry_lookup(h)->m == &sys_module);
	CHECK("bind: info has the host's version and functions",
	      info.major == 1 && info.minor == 0 && info.nfuncs == 3);
	CHECK("bind: audited with module, version, handle, guest uid",
	      !strcmp(last_event, "module-bind") &&
	      strstr(last_fields, "module=sys") &&
	      strstr(last_fields, "version=1.0") &&
	      strstr(last_fields, "guest_uid=1234"));
	h2 = registry_bind("sys", 3, 1, 0, NULL);
	CHECK("bind: again gives the same handle", h2 == h);
	CHECK("bind: unknown module -ENOENT",
	      registry_bind("nope", 4, 1, 0, NULL) == -ENOENT);
	CHECK("bind: bad name -EINVAL",
	      registry_bind("a/b", 3, 1, 0, NULL) == -EINVAL &&
	      registry_bind("", 0, 1, 0, NULL) == -EINVAL);
	CHECK("bind: another major -EPROTO",
	      registry_bind("ex", 2, 2, 0, NULL) == -EPROTO);
	CHECK("bind: a higher minor than the host's -EPROTO",
	      registry_bind("ex", 2, 1, 3, NULL) == -EPROTO);
	r = registry_bind("ex", 2, 1, 1, &info);
	CHECK("bind: a lower minor binds", r > 0 && info.minor == 2);
	audits = 0;
	CHECK("bind: not in the policy -EPERM",
	      registry_bind("fs", 2, 1, 0, NULL) == -EPERM);
	CHECK("bind: the refusal is audited", audits == 1 &&
	      !strcmp(last_event, "module-bind-refused") &&
	      strstr(last_fields, "module=fs"));
	CHECK("bind: a version outside the policy's range -EPERM",
	      registry_bind("old", 3, 1, 0, NULL) == -EPERM);

	/* references */
	CHECK("unbind: one of two references", registry_unbind(h) == 0 &&
	      registry_lookup(h) != NULL);
	CHECK("unbind: the last one", registry_unbind(h) == 0 &&
	      registry_lookup(h) == NULL);
	CHECK("unbind: not bound -EBADF", registry_unbind(h) == -EBADF &&
	      registry_unbind(0) == -EBADF &&
	      registry_unbind(HC_MAX_BINDINGS) == -EBADF &&
	      registry_unbind(-1) == -EBADF);
	CHECK("lookup: an unbound handle is NULL (-EBADF)",
	      registry_lookup(h) == NULL && registry_lookup(0) == NULL &&
	      registry_lookup(9999) == NULL);

	/* session state */
	h = registry_bind("stateful", 8, 1, 0, NULL);
	CHECK("state: session_init at the first bind", h > 0 && inits == 1 &&
	      registry_lookup(h)->state == the_session);
	CHECK("state: not again at a second bind",
	      registry_bind("stateful", 8, 1, 0, NULL) == h && inits == 1);
	registry_unbind(h);
	CHECK("state: no fini while referenced", finis == 0);
	registry_call_start(registry_lookup(h));
	{
		struct binding *b = registry_lookup(h);

		registry_unbind(h);
		CHECK("state: the last unbind cancels pending calls and waits",
		      cancels == 1 && finis == 0 && !registry_lookup(h));
		registry_call_end(b);
	}
	CHECK("state: fini once the last call ended", finis == 1 &&
	      fini_state == the_session);
	CHECK("state: a failing session_init is the bind's error",
	      registry_bind("refusing", 8, 1, 0, NULL) == -ENODEV);

	/* MODULES */
	r = registry_modules(text, sizeof(text) - 1);
	text[r > 0 ? r : 0] = 0;
	CHECK("modules: name, version, numbered functions",
	      r > 0 && strstr(text, "sys 1.0\n\t1 ping\n\t2 info\n\t3 time\n")
	      && strstr(text, "ex 1.2\n"));
	CHECK("modules: only what the policy lets this session bind",
	      !strstr(text, "fs 1.0") && !strstr(text, "old 1.2") &&
	      !strstr(text, "proc"));
	CHECK("modules: too small -ENOSPC",
	      registry_modules(text, 10) == -ENOSPC);

	/* a full table */
	for (i = 0; i < NMANY; i++) {
		snprintf(many_names[i], sizeof(many_names[i]), "m%d", i);
		many[i] = stateful;
		many[i].name = many_names[i];
		many[i].session_init = NULL;
		many[i].session_fini = NULL;
		hcm_register(&many[i]);
	}
	for (i = 0; i < NMANY && !full; i++) {
		r = registry_bind(many_names[i], strlen(many_names[i]), 1, 0,
				  NULL);
		if (r == -EMFILE)
			full = 1;
		else if (r <= 0)
			break;
	}
	CHECK("bind: a full table -EMFILE", full);
	CHECK("unregister: a bound module -EBUSY",
	      hcm_unregister(&ex) == -EBUSY);
	registry_fini();
	CHECK("fini: every binding ended", registry_lookup(1) == NULL &&
	      hcm_unregister(&ex) == 0 && registry_find("ex") == NULL);
	registry_reset();
	policy_release();
	return DONE();
}
