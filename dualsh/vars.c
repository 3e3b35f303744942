// SPDX-License-Identifier: MIT
/* dualsh: shell variables; exported ones make the guest environment. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shell.h"

struct var {
	char *name, *val;
	bool exported, readonly;
	int hnext;		/* next in its hash chain: index + 1, 0 ends */
};

static struct var *vars;
static size_t nvars, capvars;

/* name -> index + 1 of the first variable in the chain (loops look up
 * the same few names many times) */
#define HSIZE 512
static int htab[HSIZE];

static unsigned hash(const char *s)
{
	unsigned h = 5381;

	while (*s)
		h = (h * 33) ^ (unsigned char)*s++;
	return h & (HSIZE - 1);
}

static void hash_add(size_t i)
{
	unsigned h = hash(vars[i].name);

	vars[i].hnext = htab[h];
	htab[h] = (int)i + 1;
}

static void hash_rebuild(void)
{
	size_t i;

	memset(htab, 0, sizeof(htab));
	for (i = 0; i < nvars; i++)
		hash_add(i);
}

bool valid_name(const char *s, size_t n)
{
	size_t i;

	if (!n || !(s[0] == '_' || (s[0] >= 'a' && s[0] <= 'z') ||
		    (s[0] >= 'A' && s[0] <= 'Z')))
		return false;
	for (i = 1; i < n; i++)
		if (!(s[i] == '_' || (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
			return false;
	return true;
}

static struct var *find(const char *name)
{
	int i;

	for (i = htab[hash(name)]; i; i = vars[i - 1].hnext)
		if (!strcmp(vars[i - 1].name, name))
			return &vars[i - 1];
	return NULL;
}

void vars_init(char **envp)
{
	char **e;

	for (e = envp; e && *e; e++) {
		char *eq = strchr(*e, '=');
		char *name;

		if (!eq || !valid_name(*e, eq - *e))
			continue;
		name = strndup(*e, eq - *e);
		if (!name)
			abort();
		var_set(name, eq + 1, 1);
		free(name);
	}
	if (!var_get("IFS"))
		var_set("IFS", " \t\n", 0);
	if (!var_get("PATH"))
		var_set("PATH", "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", 1);
}

const char *var_get(const char *name)
{
	struct var *v = find(name);

	return v ? v->val : NULL;
}

int var_set(const char *name, const char *val, int exp)
{
	struct var *v = find(name);

	if (v && v->readonly && val) {
		errmsg("%s: is read only", name);
		return -1;
	}
	if (!v) {
		if (nvars == capvars) {
			capvars = capvars ? capvars * 2 : 64;
			vars = xrealloc(vars, capvars * sizeof(*vars));
		}
		v = &vars[nvars++];
		v->name = xstrdup(name);
		v->val = NULL;
		v->exported = false;
		v->readonly = false;
		hash_add(nvars - 1);
	}
	if (val) {
		char *nv = xstrdup(val);

		free(v->val);
		v->val = nv;
	}
	if (exp > 0 || (sh.allexport && val && valid_name(name, strlen(name))))
		v->exported = true;
	return 0;
}

int var_unset(const char *name)
{
	struct var *v = find(name);

	if (!v)
		return 0;
	if (v->readonly) {
		errmsg("%s: is read only", name);
		return -1;
	}
	free(v->name);
	free(v->val);
	*v = vars[--nvars];
	hash_rebuild();
	return 0;
}

void var_save(const char *name, struct varsave *s)
{
	struct var *v = find(name);

	s->name = xstrdup(name);
	s->val = v && v->val ? xstrdup(v->val) : NULL;
	s->exported = v && v->exported;
}

void var_restore(struct varsave *s)
{
	struct var *v = find(s->name);

	if (v && v->readonly) {
		/* made read-only meanwhile: keep it */
	} else if (s->val) {
		var_set(s->name, s->val, s->exported);
		if (!s->exported && (v = find(s->name)))
			v->exported = false;
	} else {
		var_unset(s->name);
	}
	free(s->name);
	free(s->val);
}

int var_readonly(const char *name, const char *val)
{
	struct var *v;

	if (val && var_set(name, val, 0) < 0)
		return -1;
	if (!find(name))
		var_set(name, NULL, 0);
	v = find(name);
	v->readonly = true;
	return 0;
}

bool var_is_readonly(const char *name)
{
	struct var *v = find(name);

	return v && v->readonly;
}

void var_list_readonly(void)
{
	size_t i;

	for (i = 0; i < nvars; i++)
		if (vars[i].readonly)
			printf("readonly %s%s%s%s\n", vars[i].name, vars[i].val ? "='" : "",
			       vars[i].val ? vars[i].val : "", vars[i].val ? "'" : "");
	fflush(stdout);
}

void var_export(const char *name)
{
	var_set(name, NULL, 1);
}

char **var_environ(void)
{
	char **env = xmalloc((nvars + 1) * sizeof(char *));
	size_t i, n = 0;

	for (i = 0; i < nvars; i++)
		if (vars[i].exported && vars[i].val)
			env[n++] = xasprintf("%s=%s", vars[i].name, vars[i].val);
	env[n] = NULL;
	return env;
}

static int cmpvar(const void *a, const void *b)
{
	return strcmp(((const struct var *)a)->name, ((const struct var *)b)->name);
}

void var_list(bool exported_only)
{
	size_t i;

	qsort(vars, nvars, sizeof(*vars), cmpvar);
	hash_rebuild();
	for (i = 0; i < nvars; i++) {
		const char *s;

		if (exported_only && !vars[i].exported)
			continue;
		printf("%s%s", exported_only ? "export " : "", vars[i].name);
		if (!vars[i].val) {
			putchar('\n');
			continue;
		}
		fputs("='", stdout);
		for (s = vars[i].val; *s; s++) {
			if (*s == '\'')
				fputs("'\\''", stdout);
			else
				putchar(*s);
		}
		fputs("'\n", stdout);
	}
	fflush(stdout);
}
