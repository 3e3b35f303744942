/* SPDX-License-Identifier: MIT */
/*
 * The module registry: which host modules exist in this shadow (the
 * built-ins, and plugins loaded before confinement) and which this
 * session has bound. A handle is an index into the binding table; the
 * guest's calls name it as their `module`. Binding a bound module again
 * counts a reference and gives the same handle, so the driver's binding
 * (stream fds) and libhostcall's are one.
 *
 * Bind checks, in order: the name (-EINVAL), registered (-ENOENT), the
 * policy lets this guest user bind it at its version (-EPERM, audited),
 * the caller's version (-EPROTO: another major, or the host's minor is
 * lower), room (-EMFILE), session_init.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "auditfmt.h"
#include "evq_loop.h"
#include "modpath.h"
#include "registry.h"
#include "shadow.h"
#include "sock.h"

/* Built-ins are registered in this order; evq adds itself here too. */
static const struct hcm_module *const builtins[] = {
	&sys_module, &proc_module, &fs_module, &evq_module, &sock_module,
};
static const int builtin_ids[] = {
	MOD_SYS, MOD_PROC, MOD_FS, MOD_NONE, MOD_SOCK,
};

static const struct hcm_module *mods[MAX_MODULES];
static int mod_builtin[MAX_MODULES];
static struct binding *bindings[HC_MAX_BINDINGS];	/* [0]: the session */

static int find(const char *name, size_t len)
{
	int i;

	for (i = 0; i < MAX_MODULES; i++)
		if (mods[i] && strlen(mods[i]->name) == len &&
		    !memcmp(mods[i]->name, name, len))
			return i;
	return -1;
}

int hcm_register(const struct hcm_module *m)
{
	unsigned i;
	int slot = -1, k;

	if (!m || m->api != HCM_API_VERSION || !m->name ||
	    !module_name_ok(m->name) || m->major > 0xffff ||
	    m->minor > 0xffff || m->nfuncs > HCM_MAX_FUNCS ||
	    (m->nfuncs && !m->funcs))
		return -EINVAL;
	for (i = 0; i < m->nfuncs; i++)
		if (!m->funcs[i].fn || !m->funcs[i].name)
			return -EINVAL;
	if (find(m->name, strlen(m->name)) >= 0)
		return -EEXIST;
	for (k = 0; k < MAX_MODULES && slot < 0; k++)
		if (!mods[k])
			slot = k;
	if (slot < 0)
		return -ENOSPC;
	mods[slot] = m;
	mod_builtin[slot] = MOD_NONE;
	return 0;
}

int hcm_unregister(const struct hcm_module *m)
{
	int i, h;

	for (i = 0; i < MAX_MODULES; i++) {
		if (mods[i] != m)
			continue;
		for (h = 1; h < HC_MAX_BINDINGS; h++)
			if (bindings[h] && bindings[h]->m == m)
				return -EBUSY;
		mods[i] = NULL;
		return 0;
	}
	return -ENOENT;
}

void registry_init(void)
{
	size_t i;
	int slot;

	for (i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++) {
		if (hcm_register(builtins[i]) < 0)
			continue;
		slot = find(builtins[i]->name, strlen(builtins[i]->name));
		if (i < sizeof(builtin_ids) / sizeof(builtin_ids[0]))
			mod_builtin[slot] = builtin_ids[i];
	}
}

int registry_builtin(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++)
		if (!strcmp(builtins[i]->name, name))
			return 1;
	return 0;
}

const struct hcm_module *registry_find(const char *name)
{
	int i = find(name, strlen(name));

	return i < 0 ? NULL : mods[i];
}

static uint32_t version(const struct hcm_module *m)
{
	return m->major << 16 | m->minor;
}

static void audit_bind(const char *event, const char *name,
		       const struct hcm_module *m, int handle,
		       const char *reason)
{
	char f[256], num[32];
	size_t len = 0;

	f[0] = 0;
	audit_kv(f, sizeof(f), &len, "module", name);
	if (m) {
		snprintf(num, sizeof(num), "%u.%u", m->major, m->minor);
		audit_kv(f, sizeof(f), &len, "version", num);
	}
	if (handle > 0) {
		snprintf(num, sizeof(num), "%d", handle);
		audit_kv(f, sizeof(f), &len, "handle", num);
	}
	snprintf(num, sizeof(num), "%u", pol.guest_uid);
	audit_kv(f, sizeof(f), &len, "guest_uid", num);
	if (reason)
		audit_kv(f, sizeof(f), &len, "reason", reason);
	shadow_audit(event, f);
}

int registry_bind(const char *name, size_t len, unsigned major,
		  unsigned minor, struct hc_bind_info *info)
{
	char nm[HCM_NAME_MAX + 1];
	const struct hcm_module *m;
	struct binding *b;
	int i, h, free_h = 0, e;

	if (len < 1 || len > HCM_NAME_MAX)
		return -EINVAL;
	memcpy(nm, name, len);
	nm[len] = 0;
	if (strlen(nm) != len || !module_name_ok(nm))
		return -EINVAL;
	i = find(name, len);
	if (i < 0)
		return -ENOENT;
	m = mods[i];
	if (!policy_module_allowed(nm, version(m))) {
		audit_bind("module-bind-refused", nm, m, 0, "policy");
		return -EPERM;
	}
	if (major != m->major || minor > m->minor)
		return -EPROTO;
	if (info) {
		memset(info, 0, sizeof(*info));
		info->major = m->major;
		info->minor = m->minor;
		info->nfuncs = m->nfuncs;
	}
	for (h = 1; h < HC_MAX_BINDINGS; h++) {
		if (bindings[h] && bindings[h]->m == m) {
			bindings[h]->refs++;
			return h;
		}
		if (!bindings[h] && !free_h)
			free_h = h;
	}
	if (!free_h)
		return -EMFILE;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->m = m;
	b->builtin = mod_builtin[i];
	b->refs = 1;
	b->handle = free_h;
	hcm_current = m;
	e = m->session_init ? m->session_init(hcm_self(), &b->state) : 0;
	hcm_current = NULL;
	if (e) {
		free(b);
		audit_bind("module-bind-failed", nm, m, 0, strerror(-e));
		return e < 0 ? e : -EIO;
	}
	bindings[free_h] = b;
	audit_bind("module-bind", nm, m, free_h, NULL);
	return free_h;
}

static void binding_end(struct binding *b)
{
	const struct hcm_module *prev = hcm_current;

	hcm_current = b->m;
	if (b->m->session_fini)
		b->m->session_fini(hcm_self(), b->state);
	hcm_current = prev;
	free(b);
}

int registry_unbind(int64_t handle)
{
	struct binding *b;

	if (handle <= 0 || handle >= HC_MAX_BINDINGS || !bindings[handle])
		return -EBADF;
	b = bindings[handle];
	if (--b->refs)
		return 0;
	bindings[handle] = NULL;
	b->handle = 0;
	/* Its calls are cancelled first (a hook may answer at once); the
	 * state ends with the last of them, or here. */
	if (b->calls++)
		call_cancel_binding(b);
	registry_call_end(b);
	return 0;
}

struct binding *registry_lookup(uint32_t handle)
{
	return handle > 0 && handle < HC_MAX_BINDINGS ? bindings[handle]
						       : NULL;
}

void registry_call_start(struct binding *b)
{
	b->calls++;
}

void registry_call_end(struct binding *b)
{
	if (--b->calls == 0 && !b->handle)
		binding_end(b);
}

/* Appends to out; -ENOSPC once it does not fit. */
static int put(char *out, size_t max, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int put(char *out, size_t max, size_t *len, const char *fmt, ...)
{
	char line[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line) || *len + n > max)
		return -ENOSPC;
	memcpy(out + *len, line, n);
	*len += n;
	return 0;
}

int registry_modules(char *out, size_t max)
{
	size_t len = 0;
	unsigned f;
	int i;

	for (i = 0; i < MAX_MODULES; i++) {
		const struct hcm_module *m = mods[i];

		if (!m || !policy_module_allowed(m->name, version(m)))
			continue;
		if (put(out, max, &len, "%s %u.%u\n", m->name, m->major,
			m->minor) < 0)
			return -ENOSPC;
		for (f = 0; f < m->nfuncs; f++)
			if (put(out, max, &len, "\t%u %.100s\n", f + 1,
				m->funcs[f].name) < 0)
				return -ENOSPC;
	}
	return (int)len;
}

void registry_fini(void)
{
	int h;

	for (h = 1; h < HC_MAX_BINDINGS; h++) {
		if (!bindings[h])
			continue;
		bindings[h]->handle = 0;
		bindings[h]->calls = 0;	/* finish() answered them all */
		binding_end(bindings[h]);
		bindings[h] = NULL;
	}
}

void registry_reset(void)
{
	registry_fini();
	memset(mods, 0, sizeof(mods));
}
