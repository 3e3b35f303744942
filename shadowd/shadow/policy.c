/* SPDX-License-Identifier: MIT */
/*
 * This session's rules: "key value" lines from shadowd (session_policy.c)
 * in a sealed memfd on fd 5. Without it (a shadow started by hand) the
 * built-in rules apply: every built-in module, no plugin, no lists, the
 * handle tables' sizes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "log.h"
#include "registry.h"
#include "shadow.h"
#include "sock.h"

struct shadow_policy pol = {
	.vm = "",
	.modules = ~0u,
	.module_dir = "/usr/lib/hostcall/modules",
	.max_procs = MAX_PROCS,
	.max_files = MAX_FILES,
	.max_bytes = HC_MAX_DATA,
	.max_sockets = 256,
};

static int push(char ***list, int *n, const char *s)
{
	char **l = realloc(*list, (*n + 1) * sizeof(*l));

	if (!l)
		return -ENOMEM;
	*list = l;
	l[*n] = strdup(s);
	if (!l[*n])
		return -ENOMEM;
	(*n)++;
	return 0;
}

static int num(const char *v, unsigned max, unsigned *out)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno || end == v || *end || n > max)
		return -EINVAL;
	*out = n;
	return 0;
}

/* Without module lines every built-in may be bound, and no plugin. */
static int mods_listed;

static const char *const builtin_names[] = {
	[MOD_SYS] = "sys", [MOD_PROC] = "proc", [MOD_FS] = "fs",
	[MOD_SOCK] = "sock",
};

/* "NAME LO HI": versions as major << 16 | minor. */
static int module_line(char *v)
{
	struct mod_allow a, *l;
	char *end;
	size_t i;

	memset(&a, 0, sizeof(a));
	end = strchr(v, ' ');
	if (!end || end - v < 1 || end - v > HC_MODULE_NAME_MAX)
		return -EINVAL;
	memcpy(a.name, v, end - v);
	if (sscanf(end, " %u %u", &a.lo, &a.hi) != 2 || a.lo > a.hi)
		return -EINVAL;
	l = realloc(pol.mods, (pol.nmods + 1) * sizeof(*l));
	if (!l)
		return -ENOMEM;
	pol.mods = l;
	l[pol.nmods++] = a;
	if (!mods_listed)
		pol.modules = 0;
	mods_listed = 1;
	for (i = 1; i < sizeof(builtin_names) / sizeof(builtin_names[0]); i++)
		if (!strcmp(a.name, builtin_names[i]))
			pol.modules |= MOD_BIT(i);
	return 0;
}

int policy_module_named(const char *name)
{
	int i;

	for (i = 0; i < pol.nmods; i++)
		if (!strcmp(pol.mods[i].name, name))
			return 1;
	return 0;
}

int policy_module_allowed(const char *name, uint32_t version)
{
	int i;

	if (!mods_listed)
		return registry_builtin(name);
	for (i = 0; i < pol.nmods; i++)
		if (!strcmp(pol.mods[i].name, name) &&
		    version >= pol.mods[i].lo && version <= pol.mods[i].hi)
			return 1;
	return 0;
}

static int line(char *s)
{
	char *v = strchr(s, ' ');
	unsigned u;

	if (!v)
		return -EINVAL;
	*v++ = 0;
	if (!strcmp(s, "vm")) {
		snprintf(pol.vm, sizeof(pol.vm), "%s", v);
		return 0;
	}
	if (!strcmp(s, "module"))
		return module_line(v);
	if (!strcmp(s, "modules-listed")) {
		/* "modules = none" names nothing */
		mods_listed = 1;
		pol.modules = 0;
		return 0;
	}
	if (!strcmp(s, "module-dir")) {
		if (v[0] != '/' || strlen(v) >= sizeof(pol.module_dir))
			return -EINVAL;
		snprintf(pol.module_dir, sizeof(pol.module_dir), "%s", v);
		return 0;
	}
	if (!strcmp(s, "guest-comm")) {
		snprintf(pol.guest_comm, sizeof(pol.guest_comm), "%s", v);
		return 0;
	}
	if (!strcmp(s, "command"))
		return push(&pol.commands, &pol.ncommands, v);
	if (!strcmp(s, "fs-root"))
		return push(&pol.roots, &pol.nroots, v);
	if (!strcmp(s, "env"))
		return push(&pol.env, &pol.nenv, v);
	if (!strcmp(s, "helper"))
		return push(&pol.helpers, &pol.nhelpers, v);
	if (!strncmp(s, "sock-", 5) || !strcmp(s, "force-tls") ||
	    !strcmp(s, "tls-ca"))
		return sock_rules_line(s, v);
	if (!strncmp(s, "guest-", 6)) {
		if (num(v, UINT32_MAX, &u) < 0)
			return -EINVAL;
		if (!strcmp(s, "guest-uid"))
			pol.guest_uid = u;
		else if (!strcmp(s, "guest-gid"))
			pol.guest_gid = u;
		else if (!strcmp(s, "guest-pid"))
			pol.guest_pid = u;
		else
			return -EINVAL;
		return 0;
	}
	if (num(v, 1u << 30, &u) < 0)
		return -EINVAL;
	if (!strcmp(s, "root-allowed"))
		pol.root_allowed = !!u;
	else if (!strcmp(s, "max-procs"))
		pol.max_procs = u < MAX_PROCS ? u : MAX_PROCS;
	else if (!strcmp(s, "max-files"))
		pol.max_files = u < MAX_FILES ? u : MAX_FILES;
	else if (!strcmp(s, "max-sockets"))
		pol.max_sockets = u < MAX_SOCKETS ? u : MAX_SOCKETS;
	else if (!strcmp(s, "max-bytes"))
		pol.max_bytes = u < HC_MAX_DATA ? u : HC_MAX_DATA;
	else if (!strcmp(s, "cpu-seconds"))
		pol.cpu = u;
	else if (!strcmp(s, "commands-listed"))
		pol.commands_listed = !!u;
	else if (!strcmp(s, "env-listed"))
		pol.env_listed = !!u;
	else
		return -EINVAL;
	return 0;
}

int policy_read(int fd)
{
	struct stat st;
	char *buf, *s, *nl;
	ssize_t n;
	int e = 0;

	if (fstat(fd, &st) < 0)
		return 0;	/* not given: the built-in rules */
	if (!S_ISREG(st.st_mode) || st.st_size > (1 << 22)) {
		close(fd);
		return -EINVAL;
	}
	buf = malloc(st.st_size + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	n = pread(fd, buf, st.st_size, 0);
	close(fd);
	if (n != st.st_size) {
		free(buf);
		return -EIO;
	}
	buf[n] = 0;
	for (s = buf; *s && !e; s = nl + 1) {
		nl = strchr(s, '\n');
		if (!nl)
			break;
		*nl = 0;
		e = line(s);
		if (e)
			log_msg("policy: bad line '%s'", s);
	}
	free(buf);
	return e;
}

void policy_release(void)
{
	int i;

	for (i = 0; i < pol.ncommands; i++)
		free(pol.commands[i]);
	free(pol.commands);
	for (i = 0; i < pol.nroots; i++)
		free(pol.roots[i]);
	free(pol.roots);
	for (i = 0; i < pol.nenv; i++)
		free(pol.env[i]);
	free(pol.env);
	for (i = 0; i < pol.nhelpers; i++)
		free(pol.helpers[i]);
	free(pol.helpers);
	free(pol.mods);
	pol.mods = NULL;
	pol.nmods = 0;
	pol.commands = pol.roots = pol.env = pol.helpers = NULL;
	pol.ncommands = pol.nroots = pol.nenv = pol.nhelpers = 0;
	sock_rules_release();
}
