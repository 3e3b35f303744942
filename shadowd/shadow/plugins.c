/* SPDX-License-Identifier: MIT */
/*
 * Plugin modules: for each module the policy lets this session bind that
 * is not built in, NAME.so from the module directory, checked (root's,
 * not writable by group or others: modpath.c), dlopen()ed and its
 * hostcall_module_load() called, all before the shadow confines itself.
 * A refused or failing plugin is logged and audited; binding it then
 * answers -ENOENT.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include "auditfmt.h"
#include "log.h"
#include "modpath.h"
#include "registry.h"
#include "shadow.h"

#define MAX_PLUGINS	16

static struct plugin {
	void *dl;
	void (*unload)(void);
} plugins[MAX_PLUGINS];
static int nplugins;

static void refuse(const char *name, const char *why)
{
	char f[512];
	size_t len = 0;

	log_msg("module %s not loaded: %s", name, why);
	f[0] = 0;
	audit_kv(f, sizeof(f), &len, "module", name);
	audit_kv(f, sizeof(f), &len, "reason", why);
	shadow_audit("module-load-refused", f);
}

static void load_one(const char *name)
{
	char path[PATH_MAX], why[PATH_MAX + 128];
	int (*load)(void);
	void *dl;
	int e;

	if (nplugins == MAX_PLUGINS) {
		refuse(name, "too many plugins");
		return;
	}
	e = module_file_check(pol.module_dir, name, path, sizeof(path), why,
			      sizeof(why));
	if (e < 0) {
		refuse(name, why);
		return;
	}
	dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!dl) {
		refuse(name, dlerror());
		return;
	}
	*(void **)&load = dlsym(dl, "hostcall_module_load");
	if (!load) {
		snprintf(why, sizeof(why), "%s has no hostcall_module_load",
			 path);
		refuse(name, why);
		dlclose(dl);
		return;
	}
	e = load();
	if (e < 0 || !registry_find(name)) {
		snprintf(why, sizeof(why), "%s: load failed (%s)", path,
			 e < 0 ? strerror(-e) : "registered no module of "
						"that name");
		refuse(name, why);
		/* What it registered points into it: keep it mapped. */
		if (e < 0)
			return;
	}
	plugins[nplugins].dl = dl;
	*(void **)&plugins[nplugins].unload =
		dlsym(dl, "hostcall_module_unload");
	nplugins++;
}

void plugins_load(void)
{
	int i, j, seen;

	for (i = 0; i < pol.nmods; i++) {
		const char *name = pol.mods[i].name;

		for (seen = 0, j = 0; j < i; j++)
			seen |= !strcmp(pol.mods[j].name, name);
		if (!seen && !registry_builtin(name) && !registry_find(name))
			load_one(name);
	}
}

void plugins_unload(void)
{
	while (nplugins > 0) {
		struct plugin *p = &plugins[--nplugins];

		if (p->unload)
			p->unload();
	}
}
