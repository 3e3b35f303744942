/* SPDX-License-Identifier: MIT */
/*
 * The shadow's module registry: host modules by name and version (the
 * built-ins sys, proc and fs, and plugins, plugins.c), and this session's
 * bindings, whose handles are the `module` of the guest's calls.
 */
#ifndef HC_REGISTRY_H
#define HC_REGISTRY_H

#include <stddef.h>
#include <stdint.h>
#include "hostcall_abi.h"
#include "hostcall_module.h"

#define MAX_MODULES	96	/* registered at once: more than bindings */

/* A module bound in this session: a handle's target. */
struct binding {
	const struct hcm_module *m;
	int builtin;		/* MOD_* (shadow.h), MOD_NONE for a plugin */
	int handle;		/* 0 once unbound */
	unsigned refs;		/* BINDs not yet UNBOUND */
	unsigned calls;		/* calls of it not yet answered */
	void *state;		/* session_init's */
};

/* The built-in modules (sys.c, proc.c, fs.c, and evq). */
extern const struct hcm_module sys_module, proc_module, fs_module;

/* Register the built-ins: before plugins are loaded. */
void registry_init(void);
/* Is name one of the built-in modules? */
int registry_builtin(const char *name);
/* The registered module of that name, or NULL. */
const struct hcm_module *registry_find(const char *name);
/*
 * HC_SESSION_BIND: name (len bytes, not NUL-terminated), the version the
 * caller was built for. A handle, or -ENOENT, -EPERM (audited), -EPROTO,
 * -EMFILE, -EINVAL, or session_init's error; every bind is audited.
 * info (may be NULL) gets the module's version and function count.
 */
int registry_bind(const char *name, size_t len, unsigned major,
		  unsigned minor, struct hc_bind_info *info);
/* HC_SESSION_UNBIND: 0 or -EBADF. */
int registry_unbind(int64_t handle);
/* HC_SESSION_MODULES: the text in out: its length, or -ENOSPC. */
int registry_modules(char *out, size_t max);
/* The binding of a handle, or NULL (-EBADF). */
struct binding *registry_lookup(uint32_t handle);
/* A call of b starts or ends (a last unbind waits for its calls). */
void registry_call_start(struct binding *b);
void registry_call_end(struct binding *b);
/* Session end: every binding's session_fini, once. */
void registry_fini(void);
/* Unit tests: back to nothing registered, nothing bound. */
void registry_reset(void);

/* hcm.c: the session the module API hands out */
extern const struct hcm_module *hcm_current;	/* whose code runs */
struct hcm_session *hcm_self(void);
void hcm_init(void);			/* identity, before confinement */
/* main.c: an SQE for watch w (UD_WATCH), and its cancel */
struct io_uring_sqe;
struct io_uring_sqe *watch_sqe(void *w);
void watch_cancel(void *w);
/* A watch's CQE (main.c's UD_WATCH). */
void hcm_watch_fired(void *w, int res);
/* Session end: watches dropped without their callbacks. */
void hcm_watch_drop_all(void);

/* plugins.c: load the policy's plugins from its module directory,
 * before confinement. */
void plugins_load(void);
void plugins_unload(void);

#endif
