/* SPDX-License-Identifier: MIT */
/*
 * The policy's command list. With a list, the guest's PATH plays no part:
 * a bare name runs the listed program of that name (a listed name is
 * looked up in the system PATH below, a listed path is taken as it is),
 * and a path must be one of the listed programs exactly. So a guest can
 * neither point PATH at a directory of its own nor reach an unlisted
 * program through "..", and the program that runs is the one the
 * administrator named. Both the shadow (for the error and the audit line)
 * and the launcher (which executes) ask. The guest's environment entries
 * are filtered here too (env_allowed).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "shadow.h"

#define SYSTEM_PATH "/usr/local/bin:/usr/bin:/bin"

/* name in SYSTEM_PATH: an executable regular file, as execvp would. */
static int search(const char *name, char *out, size_t n)
{
	const char *p = SYSTEM_PATH, *end;
	struct stat st;

	for (;; p = end + 1) {
		end = strchrnul(p, ':');
		if ((size_t)snprintf(out, n, "%.*s/%s", (int)(end - p), p,
				     name) < n &&
		    stat(out, &st) == 0 && S_ISREG(st.st_mode) &&
		    access(out, X_OK) == 0)
			return 0;
		if (!*end)
			break;
	}
	out[0] = 0;
	return -ENOENT;
}

static int copy(char *path, size_t n, const char *s)
{
	if ((size_t)snprintf(path, n, "%s", s) >= n)
		return -ENAMETOOLONG;
	return 0;
}

int cmd_program(const char *entry, char *path, size_t n)
{
	if (strchr(entry, '/'))
		return copy(path, n, entry);
	return search(entry, path, n);
}

int cmd_resolve(const struct shadow_policy *p, const char *argv0,
		char *path, size_t n)
{
	char found[PATH_MAX];
	const char *e, *base;
	int i;

	path[0] = 0;
	if (!p->commands_listed)
		return 0;
	if (strchr(argv0, '/')) {
		for (i = 0; i < p->ncommands; i++) {
			e = p->commands[i];
			if (strchr(e, '/') ? !strcmp(e, argv0) :
			    search(e, found, sizeof(found)) == 0 &&
			    !strcmp(found, argv0))
				return copy(path, n, argv0);
		}
		return -EPERM;
	}
	for (i = 0; i < p->ncommands; i++) {
		e = p->commands[i];
		if (!strchr(e, '/') && !strcmp(e, argv0))
			return search(e, path, n);
	}
	for (i = 0; i < p->ncommands; i++) {
		e = p->commands[i];
		base = strrchr(e, '/');
		if (base && !strcmp(base + 1, argv0))
			return copy(path, n, e);
	}
	return -EPERM;
}

/* entry "NAME=value" against name or "PREFIX*" */
static int env_match(const char *pat, const char *entry)
{
	size_t n = strlen(pat);

	if (n && pat[n - 1] == '*')
		return !strncmp(entry, pat, n - 1);
	return !strncmp(entry, pat, n) && entry[n] == '=';
}

int env_allowed(const struct shadow_policy *p, const char *entry)
{
	static const char *const harmless[] = {
		"LANG", "LANGUAGE", "LC_*", "TERM", "TZ", "COLUMNS", "LINES",
	};
	size_t i;

	if (p->env_listed) {
		for (i = 0; i < (size_t)p->nenv; i++)
			if (env_match(p->env[i], entry))
				return 1;
		return 0;
	}
	if (!p->commands_listed)
		return 1;
	for (i = 0; i < sizeof(harmless) / sizeof(harmless[0]); i++)
		if (env_match(harmless[i], entry))
			return 1;
	return 0;
}
