/* SPDX-License-Identifier: MIT */
/*
 * shadowd.conf parser. Line based, INI-like:
 *
 *   [global]
 *   owners = alice @hcvm         who may attach VMs (root always may)
 *   audit = syslog | stderr | file /var/log/hostcall/audit.log
 *   fallback-user = nobody
 *   audit-rate = 200             (routine lines a second per session)
 *   module-dir = /usr/lib/hostcall/modules   (plugins: NAME.so)
 *
 *   [vm NAME]  or  [vm *]
 *   owners = alice
 *   map * = owner | refuse | USER
 *   map 1000 = USER              (also 1000-1999)
 *   modules = sys proc fs example@1.2-1.9 (NAME, NAME@MAJOR,
 *             NAME@MAJOR.MINOR or NAME@MAJOR.MINOR-MAJOR.MINOR)
 *   modules 1000-1999 = sys      (guest users with their own list)
 *   commands = sort /usr/bin/lpr
 *   helpers = /usr/lib/cups/filter  (what listed programs may execute)
 *   env = LANG LC_* TERM
 *   fs-roots = /srv/share
 *   max-sessions = 8   max-procs = 32   max-files = 256
 *   max-bytes = 131072   cpu-seconds = 60
 *   max-tasks = 256   max-memory = 512M   max-cpu = 50  (session as a whole)
 *   sock-connect = allow|deny DEST...   (in order; DEST: sockrule.h)
 *   sock-listen = 127.0.0.1:8000-8999   force-tls = DEST...
 *   tls-ca = /etc/hostcall/ca.pem   max-sockets = 256
 *
 * Every error is reported with its line, so --check-config lists them all
 * at once; a file with errors is never half applied.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "hostcall_proto.h"
#include "landlock_abi.h"
#include "modpath.h"
#include "policy.h"
#include "sockrule.h"

#define MAX_LINE	8192
#define MAX_WORDS	512
/* Built-in modules: no plugin file to look for. */
static const char *const builtin_modules[] = {
	"sys", "proc", "fs", "evq", "sock",
};

/* Scalar keys of a section, for "set twice" errors. */
enum {
	K_AUDIT = 1 << 0, K_FALLBACK = 1 << 1, K_MODULES = 1 << 2,
	K_SESSIONS = 1 << 3, K_PROCS = 1 << 4, K_FILES = 1 << 5,
	K_BYTES = 1 << 6, K_CPU = 1 << 7, K_TASKS = 1 << 8,
	K_MEMORY = 1 << 9, K_CPUPCT = 1 << 10, K_RATE = 1 << 11,
	K_MODDIR = 1 << 12, K_SOCKETS = 1 << 13, K_TLSCA = 1 << 14,
};

struct parser {
	const char *path;
	int line;
	int errors;
	policy_err_fn err;
	struct policy *p;
	struct vm_policy *vm;	/* current [vm] section, NULL in [global] */
	int in_section;		/* 1 in a section, -1 after a bad header */
};

static void __attribute__((format(printf, 2, 3)))
perr(struct parser *ps, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ps->errors++;
	if (ps->err)
		ps->err(ps->path, ps->line, msg);
}

static void limits_default(struct limits *l)
{
	l->sessions = 1024;	/* what one device can hold */
	l->procs = 256;		/* the shadow's handle table */
	l->files = 1024;
	l->bytes = HC_MAX_DATA;
	l->cpu = 0;
	l->tasks = 512;		/* a fork bomb stops here (container.c) */
	l->memory = 0;
	l->cpu_pct = 0;
	l->sockets = 256;	/* the sock module's handle table */
}

static void vm_init(struct vm_policy *vm, const char *name, int line)
{
	memset(vm, 0, sizeof(*vm));
	snprintf(vm->name, sizeof(vm->name), "%s", name);
	vm->line = line;
	vm->def.kind = MAP_OWNER;
	vm->def.hi = UINT32_MAX;
	limits_default(&vm->lim);
}

void policy_builtin(struct policy *p)
{
	memset(p, 0, sizeof(*p));
	p->allow_all = 1;
	p->audit = AUDIT_STDERR;
	snprintf(p->fallback_user, sizeof(p->fallback_user), "%s",
		 POLICY_FALLBACK_USER);
	p->audit_rate = 200;
	snprintf(p->module_dir, sizeof(p->module_dir), "%s",
		 MODULE_DIR_DEFAULT);
	vm_init(&p->builtin, "*", 0);
}

static void vm_free(struct vm_policy *vm)
{
	int i;

	free(vm->owners);
	free(vm->maps);
	free(vm->mods.mods);
	for (i = 0; i < vm->numods; i++)
		free(vm->umods[i].mods);
	free(vm->umods);
	for (i = 0; i < vm->ncommands; i++)
		free(vm->commands[i]);
	free(vm->commands);
	for (i = 0; i < vm->nenv; i++)
		free(vm->env[i]);
	free(vm->env);
	for (i = 0; i < vm->nroots; i++)
		free(vm->roots[i]);
	free(vm->roots);
	for (i = 0; i < vm->nhelpers; i++)
		free(vm->helpers[i]);
	free(vm->helpers);
	for (i = 0; i < vm->nsock_connect; i++)
		free(vm->sock_connect[i]);
	free(vm->sock_connect);
	for (i = 0; i < vm->nsock_listen; i++)
		free(vm->sock_listen[i]);
	free(vm->sock_listen);
	for (i = 0; i < vm->nforce_tls; i++)
		free(vm->force_tls[i]);
	free(vm->force_tls);
}

void policy_free(struct policy *p)
{
	int i;

	for (i = 0; i < p->nvms; i++)
		vm_free(&p->vms[i]);
	free(p->vms);
	free(p->owners);
	vm_free(&p->builtin);
	policy_builtin(p);
}

/* ---- small parsers --------------------------------------------------- */

/* A decimal number, digits only, <= max: 0, or -1. */
static int parse_num(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return -1;
		if (v > (max - (*s - '0')) / 10)
			return -1;
		v = v * 10 + (*s - '0');
	}
	*out = v;
	return 0;
}

/* A host user by name or uid: 0 with its uid, or -1 (reported). */
static int parse_user(struct parser *ps, const char *s, uid_t *uid)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	unsigned long v;

	if (parse_num(s, UINT32_MAX - 1, &v) == 0) {
		if (getpwuid_r(v, &pw, buf, sizeof(buf), &res) || !res) {
			perr(ps, "no host user with uid %lu", v);
			return -1;
		}
		*uid = v;
		return 0;
	}
	if (getpwnam_r(s, &pw, buf, sizeof(buf), &res) || !res) {
		perr(ps, "no host user '%s'", s);
		return -1;
	}
	*uid = pw.pw_uid;
	return 0;
}

static int parse_owner(struct parser *ps, const char *s, struct owner *o)
{
	struct group gr, *res = NULL;
	char buf[16384];
	unsigned long v;
	uid_t uid;

	if (*s != '@') {
		o->group = 0;
		if (parse_user(ps, s, &uid) < 0)
			return -1;
		o->id = uid;
		return 0;
	}
	o->group = 1;
	s++;
	if (parse_num(s, UINT32_MAX - 1, &v) == 0) {
		o->id = v;
		return 0;
	}
	if (getgrnam_r(s, &gr, buf, sizeof(buf), &res) || !res) {
		perr(ps, "no host group '%s'", s);
		return -1;
	}
	o->id = gr.gr_gid;
	return 0;
}

static int add_owners(struct parser *ps, struct owner **list, int *n,
		      char **w, int nw)
{
	struct owner *l;
	int i;

	if (nw == 0) {
		perr(ps, "owners: give at least one user or @group");
		return -1;
	}
	l = realloc(*list, (*n + nw) * sizeof(*l));
	if (!l) {
		perr(ps, "out of memory");
		return -1;
	}
	*list = l;
	for (i = 0; i < nw; i++)
		if (parse_owner(ps, w[i], &l[*n]) == 0)
			(*n)++;
	return 0;
}

/* VM names: what -device hostcall,vm=NAME may say, or "*". */
static int valid_vm_name(const char *s)
{
	size_t n = strlen(s);

	if (!strcmp(s, "*"))
		return 1;
	if (n == 0 || n > 63)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("._-", *s))
			return 0;
	return 1;
}

/* An absolute path without ".", ".." or empty components. */
static int clean_abs_path(const char *s)
{
	const char *c;

	if (s[0] != '/')
		return 0;
	if (!strcmp(s, "/"))
		return 1;
	for (c = s; *c; ) {
		const char *e;
		size_t n;

		c++;			/* past '/' */
		e = strchrnul(c, '/');
		n = e - c;
		if (n == 0 || (n == 1 && c[0] == '.') ||
		    (n == 2 && c[0] == '.' && c[1] == '.'))
			return 0;
		c = e;
	}
	return 1;
}

static int push_str(struct parser *ps, char ***list, int *n, const char *s)
{
	char **l = realloc(*list, (*n + 1) * sizeof(*l));

	if (!l || !(l[*n] = strdup(s))) {
		if (l)
			*list = l;
		perr(ps, "out of memory");
		return -1;
	}
	*list = l;
	(*n)++;
	return 0;
}

/* ---- keys --------------------------------------------------------------- */

static int once(struct parser *ps, unsigned *set, unsigned bit,
		const char *key)
{
	if (*set & bit) {
		perr(ps, "%s is set twice in this section", key);
		return -1;
	}
	*set |= bit;
	return 0;
}

static int one_word(struct parser *ps, const char *key, int nw)
{
	if (nw != 1) {
		perr(ps, "%s takes one value", key);
		return -1;
	}
	return 0;
}

static void key_global(struct parser *ps, const char *key, char **w, int nw)
{
	struct policy *p = ps->p;

	if (!strcmp(key, "owners")) {
		add_owners(ps, &p->owners, &p->nowners, w, nw);
	} else if (!strcmp(key, "audit")) {
		if (once(ps, &p->set, K_AUDIT, key) < 0)
			return;
		if (nw == 1 && !strcmp(w[0], "syslog")) {
			p->audit = AUDIT_SYSLOG;
		} else if (nw == 1 && !strcmp(w[0], "stderr")) {
			p->audit = AUDIT_STDERR;
		} else if (nw == 2 && !strcmp(w[0], "file")) {
			if (!clean_abs_path(w[1]) ||
			    strlen(w[1]) >= sizeof(p->audit_file)) {
				perr(ps, "audit file: want a plain absolute "
				     "path, not '%s'", w[1]);
				return;
			}
			p->audit = AUDIT_FILE;
			snprintf(p->audit_file, sizeof(p->audit_file), "%s",
				 w[1]);
		} else {
			perr(ps, "audit: want syslog, stderr or file PATH");
		}
	} else if (!strcmp(key, "fallback-user")) {
		uid_t uid;

		if (once(ps, &p->set, K_FALLBACK, key) < 0 ||
		    one_word(ps, key, nw) < 0 || parse_user(ps, w[0], &uid) < 0)
			return;
		if (uid == 0) {
			perr(ps, "fallback-user must not be root");
			return;
		}
		snprintf(p->fallback_user, sizeof(p->fallback_user), "%s",
			 w[0]);
	} else if (!strcmp(key, "audit-rate")) {
		unsigned long v;

		if (once(ps, &p->set, K_RATE, key) < 0 ||
		    one_word(ps, key, nw) < 0)
			return;
		if (parse_num(w[0], 1000000, &v) < 0 || v < 1)
			perr(ps, "audit-rate: want lines a second from 1 to "
			     "1000000, not '%s'", w[0]);
		else
			p->audit_rate = v;
	} else if (!strcmp(key, "module-dir")) {
		if (once(ps, &p->set, K_MODDIR, key) < 0 ||
		    one_word(ps, key, nw) < 0)
			return;
		if (!clean_abs_path(w[0]) ||
		    strlen(w[0]) >= sizeof(p->module_dir) - 40)
			perr(ps, "module-dir: want a plain absolute path, not "
			     "'%s'", w[0]);
		else
			snprintf(p->module_dir, sizeof(p->module_dir), "%s",
				 w[0]);
	} else {
		perr(ps, "unknown key '%s' in [global] (owners, audit, "
		     "fallback-user, audit-rate, module-dir)", key);
	}
}

/* "*", "N" or "N-M": guest uids, for key. */
static int parse_uids(struct parser *ps, const char *key, const char *s,
		      struct map_rule *r)
{
	char buf[64], *dash;
	unsigned long lo, hi;

	if (!strcmp(s, "*")) {
		r->lo = 0;
		r->hi = UINT32_MAX;
		return 1;
	}
	snprintf(buf, sizeof(buf), "%s", s);
	dash = strchr(buf, '-');
	if (dash)
		*dash = 0;
	if (parse_num(buf, UINT32_MAX - 1, &lo) < 0 ||
	    (dash && parse_num(dash + 1, UINT32_MAX - 1, &hi) < 0)) {
		perr(ps, "%s: guest uid '%s' is not *, N or N-M", key, s);
		return -1;
	}
	if (!dash)
		hi = lo;
	if (hi < lo) {
		perr(ps, "%s: empty range '%s'", key, s);
		return -1;
	}
	r->lo = lo;
	r->hi = hi;
	return 0;
}

static void key_map(struct parser *ps, const char *guest, char **w, int nw)
{
	struct vm_policy *vm = ps->vm;
	struct map_rule r = { .line = ps->line };
	int any, i;

	if (!guest) {
		perr(ps, "map needs a guest uid: map * = owner, "
		     "map 1000 = USER");
		return;
	}
	any = parse_uids(ps, "map", guest, &r);
	if (any < 0 || one_word(ps, "map", nw) < 0)
		return;
	if (!strcmp(w[0], "owner")) {
		r.kind = MAP_OWNER;
	} else if (!strcmp(w[0], "refuse")) {
		r.kind = MAP_REFUSE;
	} else {
		r.kind = MAP_USER;
		if (parse_user(ps, w[0], &r.uid) < 0)
			return;
	}
	if (any) {
		if (vm->has_def) {
			perr(ps, "map * is set twice in this section (line %d)",
			     vm->def.line);
			return;
		}
		vm->def = r;
		vm->has_def = 1;
		return;
	}
	/* Exceptions must not overlap: no rule order to remember. */
	for (i = 0; i < vm->nmaps; i++) {
		if (r.lo <= vm->maps[i].hi && vm->maps[i].lo <= r.hi) {
			perr(ps, "map %s overlaps the rule on line %d", guest,
			     vm->maps[i].line);
			return;
		}
	}
	{
		struct map_rule *m = realloc(vm->maps,
					     (vm->nmaps + 1) * sizeof(*m));

		if (!m) {
			perr(ps, "out of memory");
			return;
		}
		vm->maps = m;
		m[vm->nmaps++] = r;
	}
}

/* "MAJOR.MINOR" or "MAJOR" (minor 0, or 65535 as an upper end). */
static int parse_version(const char *s, int upper, uint32_t *v)
{
	char buf[32], *dot;
	unsigned long ma, mi = upper ? 0xffff : 0;

	if (strlen(s) >= sizeof(buf))
		return -1;
	snprintf(buf, sizeof(buf), "%s", s);
	dot = strchr(buf, '.');
	if (dot)
		*dot = 0;
	if (parse_num(buf, 0xffff, &ma) < 0 ||
	    (dot && parse_num(dot + 1, 0xffff, &mi) < 0))
		return -1;
	*v = (uint32_t)ma << 16 | mi;
	return 0;
}

/* NAME, NAME@MAJOR, NAME@MAJOR.MINOR (that minor or later of MAJOR) or
 * NAME@MAJOR.MINOR-MAJOR.MINOR. */
static int parse_mod(struct parser *ps, const char *s, struct mod_rule *r)
{
	char buf[128], *at, *dash;

	memset(r, 0, sizeof(*r));
	if (strlen(s) >= sizeof(buf))
		goto bad;
	snprintf(buf, sizeof(buf), "%s", s);
	at = strchr(buf, '@');
	if (at)
		*at++ = 0;
	if (!module_name_ok(buf)) {
		perr(ps, "modules: bad module name '%s' (1 to 31 of a-z, 0-9, "
		     "'_', '-')", buf);
		return -1;
	}
	memcpy(r->name, buf, strlen(buf) + 1);	/* module_name_ok: <= 31 */
	r->lo = 0;
	r->hi = UINT32_MAX;
	if (!at)
		return 0;
	dash = strchr(at, '-');
	if (dash)
		*dash++ = 0;
	if (parse_version(at, 0, &r->lo) < 0 ||
	    parse_version(dash ? dash : at, 1, &r->hi) < 0)
		goto bad;
	if (!dash && strchr(at, '.'))
		r->hi = (r->lo & 0xffff0000u) | 0xffff;
	if (r->hi < r->lo) {
		perr(ps, "modules: empty version range in '%s'", s);
		return -1;
	}
	return 0;
bad:
	perr(ps, "modules: '%s' is not NAME, NAME@MAJOR, NAME@MAJOR.MINOR or "
	     "NAME@MAJOR.MINOR-MAJOR.MINOR", s);
	return -1;
}

static void parse_mod_list(struct parser *ps, struct mod_list *l, char **w,
			   int nw)
{
	int i, j;

	l->set = 1;
	l->line = ps->line;
	if (nw == 0) {
		perr(ps, "modules: list them, or say none");
		return;
	}
	if (nw == 1 && !strcmp(w[0], "none"))
		return;
	l->mods = calloc(nw, sizeof(*l->mods));
	if (!l->mods) {
		perr(ps, "out of memory");
		return;
	}
	for (i = 0; i < nw; i++) {
		struct mod_rule r;

		if (parse_mod(ps, w[i], &r) < 0)
			continue;
		for (j = 0; j < l->nmods; j++)
			if (!strcmp(l->mods[j].name, r.name))
				break;
		if (j < l->nmods) {
			perr(ps, "modules: %s is listed twice", r.name);
			continue;
		}
		l->mods[l->nmods++] = r;
	}
}

static void key_modules(struct parser *ps, const char *guest, char **w,
			int nw)
{
	struct vm_policy *vm = ps->vm;
	struct map_rule r;
	struct mod_list *l;
	int i;

	if (!guest) {
		if (once(ps, &vm->set, K_MODULES, "modules") == 0)
			parse_mod_list(ps, &vm->mods, w, nw);
		return;
	}
	if (parse_uids(ps, "modules", guest, &r) != 0) {
		if (!strcmp(guest, "*"))
			perr(ps, "modules * = ...: say modules = ... instead");
		return;
	}
	for (i = 0; i < vm->numods; i++) {
		if (r.lo <= vm->umods[i].hi && vm->umods[i].lo <= r.hi) {
			perr(ps, "modules %s overlaps the list on line %d",
			     guest, vm->umods[i].line);
			return;
		}
	}
	l = realloc(vm->umods, (vm->numods + 1) * sizeof(*l));
	if (!l) {
		perr(ps, "out of memory");
		return;
	}
	vm->umods = l;
	l = &l[vm->numods++];
	memset(l, 0, sizeof(*l));
	l->lo = r.lo;
	l->hi = r.hi;
	parse_mod_list(ps, l, w, nw);
}

static void key_commands(struct parser *ps, char **w, int nw)
{
	struct vm_policy *vm = ps->vm;
	int i;

	vm->has_commands = 1;	/* an empty list allows nothing */
	for (i = 0; i < nw; i++) {
		/* A name is looked up in the system PATH when run; a path
		 * is taken as it is, so it must be plain. */
		if (strchr(w[i], '/') &&
		    (!clean_abs_path(w[i]) || !strcmp(w[i], "/"))) {
			perr(ps, "commands: '%s' is neither a plain name nor "
			     "a plain absolute path", w[i]);
			continue;
		}
		if (strlen(w[i]) >= PATH_MAX) {
			perr(ps, "commands: '%s' is too long", w[i]);
			continue;
		}
		push_str(ps, &vm->commands, &vm->ncommands, w[i]);
	}
}

/* Environment names, or prefixes ending in '*'. */
static void key_env(struct parser *ps, char **w, int nw)
{
	struct vm_policy *vm = ps->vm;
	const char *c;
	int i;

	vm->has_env = 1;	/* an empty list lets nothing through */
	for (i = 0; i < nw; i++) {
		for (c = w[i]; *c && (isalnum((unsigned char)*c) || *c == '_');
		     c++)
			;
		if (c == w[i] || (*c && strcmp(c, "*"))) {
			perr(ps, "env: '%s' is not a variable name (or a "
			     "prefix ending in *)", w[i]);
			continue;
		}
		push_str(ps, &vm->env, &vm->nenv, w[i]);
	}
}

static void key_roots(struct parser *ps, char **w, int nw)
{
	struct vm_policy *vm = ps->vm;
	char real[PATH_MAX];
	struct stat st;
	int i;

	if (nw == 0)
		perr(ps, "fs-roots: give at least one directory");
	for (i = 0; i < nw; i++) {
		if (!clean_abs_path(w[i])) {
			perr(ps, "fs-roots: '%s' is not a plain absolute path",
			     w[i]);
			continue;
		}
		/* Canonical, so the shadow can tell by prefix which root
		 * a path names; a symlinked root means its target. */
		if (!realpath(w[i], real) || stat(real, &st) < 0) {
			perr(ps, "fs-roots: %s: %s", w[i], strerror(errno));
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			perr(ps, "fs-roots: %s is not a directory", w[i]);
			continue;
		}
		push_str(ps, &vm->roots, &vm->nroots, real);
	}
}

/* helpers: files (or directories of them) that listed programs may
 * execute but the guest may not start itself (cmdpolicy.c, landlock.c). */
static void key_helpers(struct parser *ps, char **w, int nw)
{
	struct vm_policy *vm = ps->vm;
	int i;

	if (nw == 0)
		perr(ps, "helpers: give at least one absolute path");
	for (i = 0; i < nw; i++) {
		if (!clean_abs_path(w[i]) || !strcmp(w[i], "/")) {
			perr(ps, "helpers: '%s' is not a plain absolute path "
			     "(and not /)", w[i]);
			continue;
		}
		push_str(ps, &vm->helpers, &vm->nhelpers, w[i]);
	}
}

/* sock-connect, sock-listen, force-tls: destinations (sockrule.c). A
 * sock-connect line starts with allow or deny; each destination goes to
 * the shadow as its own "ACTION DEST" entry, so the order is kept. */
static void key_dests(struct parser *ps, const char *key, char ***list,
		      int *n, char **w, int nw)
{
	struct sock_dest d;
	char err[256], *s;
	int i, first = 0;
	const char *act = NULL;

	if (!strcmp(key, "sock-connect")) {
		if (nw < 1 || (strcmp(w[0], "allow") && strcmp(w[0], "deny"))) {
			perr(ps, "sock-connect: want allow or deny, then "
			     "destinations");
			return;
		}
		act = w[0];
		first = 1;
	}
	if (nw <= first)
		perr(ps, "%s: give at least one destination", key);
	for (i = first; i < nw; i++) {
		if (sockrule_parse(w[i], &d, err, sizeof(err)) < 0) {
			perr(ps, "%s: %s", key, err);
			continue;
		}
		if (!strcmp(key, "sock-listen") && !d.family && !d.any) {
			perr(ps, "sock-listen: '%s': listen on an address or "
			     "CIDR (or *), not a name", w[i]);
			continue;
		}
		if (asprintf(&s, "%s%s%s", act ? act : "", act ? " " : "",
			     w[i]) < 0) {
			perr(ps, "out of memory");
			return;
		}
		push_str(ps, list, n, s);
		free(s);
	}
}

static void key_tls_ca(struct parser *ps, char **w, int nw)
{
	struct stat st;

	if (once(ps, &ps->vm->set, K_TLSCA, "tls-ca") < 0 ||
	    one_word(ps, "tls-ca", nw) < 0)
		return;
	if (!clean_abs_path(w[0]) || strlen(w[0]) >= PATH_MAX) {
		perr(ps, "tls-ca: '%s' is not a plain absolute path", w[0]);
		return;
	}
	if (stat(w[0], &st) < 0 || !S_ISREG(st.st_mode)) {
		perr(ps, "tls-ca: %s: not a readable file", w[0]);
		return;
	}
	snprintf(ps->vm->tls_ca, sizeof(ps->vm->tls_ca), "%s", w[0]);
}

/* max-memory: bytes, or with a K, M or G suffix (powers of 1024). */
static void key_memory(struct parser *ps, char **w, int nw)
{
	unsigned long long mult = 1;
	unsigned long v;
	char num[32];
	size_t n;

	if (once(ps, &ps->vm->set, K_MEMORY, "max-memory") < 0 ||
	    one_word(ps, "max-memory", nw) < 0)
		return;
	n = strlen(w[0]);
	if (n && n < sizeof(num) && strchr("KMG", w[0][n - 1])) {
		mult = w[0][n - 1] == 'K' ? 1ull << 10 :
		       w[0][n - 1] == 'M' ? 1ull << 20 : 1ull << 30;
		n--;
	}
	snprintf(num, sizeof(num), "%.*s", (int)n, w[0]);
	if (n >= sizeof(num) || parse_num(num, 1ul << 40, &v) < 0 ||
	    v * mult < (1ull << 20) || v * mult > (1ull << 50)) {
		perr(ps, "max-memory: want bytes (or N K, M, G) from 1M to "
		     "1P, not '%s'", w[0]);
		return;
	}
	ps->vm->lim.memory = v * mult;
}

static void key_limit(struct parser *ps, const char *key, unsigned bit,
		      unsigned *dst, unsigned long min, unsigned long max,
		      char **w, int nw)
{
	unsigned long v;

	if (once(ps, &ps->vm->set, bit, key) < 0 || one_word(ps, key, nw) < 0)
		return;
	if (parse_num(w[0], ULONG_MAX, &v) < 0 || v < min || v > max) {
		perr(ps, "%s: want a number from %lu to %lu, not '%s'", key,
		     min, max, w[0]);
		return;
	}
	*dst = v;
}

static void key_vm(struct parser *ps, const char *key, const char *arg,
		   char **w, int nw)
{
	struct vm_policy *vm = ps->vm;

	if (arg && strcmp(key, "map") && strcmp(key, "modules")) {
		perr(ps, "%s takes no argument before '='", key);
		return;
	}
	if (!strcmp(key, "owners")) {
		vm->has_owners = 1;
		add_owners(ps, &vm->owners, &vm->nowners, w, nw);
	} else if (!strcmp(key, "map")) {
		key_map(ps, arg, w, nw);
	} else if (!strcmp(key, "modules")) {
		key_modules(ps, arg, w, nw);
	} else if (!strcmp(key, "commands")) {
		key_commands(ps, w, nw);
	} else if (!strcmp(key, "fs-roots")) {
		key_roots(ps, w, nw);
	} else if (!strcmp(key, "env")) {
		key_env(ps, w, nw);
	} else if (!strcmp(key, "max-sessions")) {
		key_limit(ps, key, K_SESSIONS, &vm->lim.sessions, 1, 4096, w,
			  nw);
	} else if (!strcmp(key, "max-procs")) {
		key_limit(ps, key, K_PROCS, &vm->lim.procs, 1, 256, w, nw);
	} else if (!strcmp(key, "max-files")) {
		key_limit(ps, key, K_FILES, &vm->lim.files, 1, 1024, w, nw);
	} else if (!strcmp(key, "max-bytes")) {
		key_limit(ps, key, K_BYTES, &vm->lim.bytes, 4096, HC_MAX_DATA,
			  w, nw);
	} else if (!strcmp(key, "cpu-seconds")) {
		key_limit(ps, key, K_CPU, &vm->lim.cpu, 0, 1u << 30, w, nw);
	} else if (!strcmp(key, "max-tasks")) {
		key_limit(ps, key, K_TASKS, &vm->lim.tasks, 8, 65536, w, nw);
	} else if (!strcmp(key, "max-memory")) {
		key_memory(ps, w, nw);
	} else if (!strcmp(key, "max-cpu")) {
		key_limit(ps, key, K_CPUPCT, &vm->lim.cpu_pct, 1, 100000, w,
			  nw);
	} else if (!strcmp(key, "helpers")) {
		key_helpers(ps, w, nw);
	} else if (!strcmp(key, "sock-connect")) {
		key_dests(ps, key, &vm->sock_connect, &vm->nsock_connect, w,
			  nw);
	} else if (!strcmp(key, "sock-listen")) {
		vm->has_sock_listen = 1;
		key_dests(ps, key, &vm->sock_listen, &vm->nsock_listen, w, nw);
	} else if (!strcmp(key, "force-tls")) {
		key_dests(ps, key, &vm->force_tls, &vm->nforce_tls, w, nw);
	} else if (!strcmp(key, "tls-ca")) {
		key_tls_ca(ps, w, nw);
	} else if (!strcmp(key, "max-sockets")) {
		key_limit(ps, key, K_SOCKETS, &vm->lim.sockets, 1, 1024, w,
			  nw);
	} else {
		perr(ps, "unknown key '%s' in [vm %s] (owners, map, modules, "
		     "commands, helpers, env, fs-roots, max-sessions, "
		     "max-procs, max-files, max-bytes, cpu-seconds, max-tasks, "
		     "max-memory, max-cpu, sock-connect, sock-listen, "
		     "force-tls, tls-ca, max-sockets)", key, vm->name);
	}
}

/* ---- lines and sections ------------------------------------------------ */

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = 0;
	return s;
}

static int split(char *s, char **w, int max)
{
	int n = 0;

	for (;;) {
		while (isspace((unsigned char)*s))
			*s++ = 0;
		if (!*s)
			return n;
		if (n == max)
			return -1;
		w[n++] = s;
		while (*s && !isspace((unsigned char)*s))
			s++;
	}
}

static void section(struct parser *ps, char *s)
{
	struct policy *p = ps->p;
	char *w[3];
	int nw, i;

	s[strlen(s) - 1] = 0;		/* the ']' */
	nw = split(s + 1, w, 3);
	ps->in_section = 1;
	ps->vm = NULL;
	if (nw == 1 && !strcmp(w[0], "global"))
		return;
	/* The keys of a section with a bad header are skipped: its one
	 * error says enough. */
	ps->in_section = -1;
	if (nw != 2 || strcmp(w[0], "vm")) {
		perr(ps, "unknown section (want [global] or [vm NAME])");
		return;
	}
	if (!valid_vm_name(w[1])) {
		perr(ps, "bad VM name '%s' (letters, digits, '.', '_', '-', "
		     "at most 63; or *)", w[1]);
		return;
	}
	for (i = 0; i < p->nvms; i++) {
		if (!strcmp(p->vms[i].name, w[1])) {
			perr(ps, "[vm %s] again (first on line %d)", w[1],
			     p->vms[i].line);
			return;
		}
	}
	{
		struct vm_policy *v = realloc(p->vms,
					      (p->nvms + 1) * sizeof(*v));

		if (!v) {
			perr(ps, "out of memory");
			return;
		}
		ps->in_section = 1;
		p->vms = v;
		vm_init(&v[p->nvms], w[1], ps->line);
		ps->vm = &v[p->nvms++];
	}
}

static void line(struct parser *ps, char *s)
{
	char *w[MAX_WORDS], *lw[3], *eq, *c;
	int nw, nl;

	/* '#' at the start or after a blank begins a comment. */
	for (c = s; *c; c++) {
		if (*c == '#' && (c == s || isspace((unsigned char)c[-1]))) {
			*c = 0;
			break;
		}
	}
	s = trim(s);
	if (!*s)
		return;
	if (*s == '[') {
		if (s[strlen(s) - 1] != ']') {
			perr(ps, "section header without ']'");
			ps->in_section = -1;
			return;
		}
		section(ps, s);
		return;
	}
	eq = strchr(s, '=');
	if (!eq) {
		perr(ps, "expected KEY = VALUE");
		return;
	}
	*eq = 0;
	nl = split(s, lw, 3);
	nw = split(eq + 1, w, MAX_WORDS);
	if (nl < 1 || nl > 2) {
		perr(ps, "expected KEY = VALUE");
		return;
	}
	if (nw < 0) {
		perr(ps, "more than %d values on one line", MAX_WORDS);
		return;
	}
	if (ps->in_section < 0)
		return;
	if (!ps->in_section) {
		perr(ps, "'%s' outside a section ([global] or [vm NAME])",
		     lw[0]);
		return;
	}
	if (!ps->vm) {
		if (nl != 1) {
			perr(ps, "%s takes no argument before '='", lw[0]);
			return;
		}
		key_global(ps, lw[0], w, nw);
		return;
	}
	key_vm(ps, lw[0], nl == 2 ? lw[1] : NULL, w, nw);
}

/* Checks that need the whole file. */
static void finish(struct parser *ps)
{
	struct policy *p = ps->p;
	int i, j, named;

	ps->line = 0;
	for (i = 0; i < p->nvms; i++) {
		struct vm_policy *vm = &p->vms[i];

		/*
		 * Whoever runs a VM controls its kernel and can claim any
		 * guest uid, so mapping guest users to named host users
		 * lets the VM's owners act as those users. Say who they are.
		 */
		named = vm->has_def && vm->def.kind == MAP_USER;
		for (j = 0; j < vm->nmaps; j++)
			named |= vm->maps[j].kind == MAP_USER;
		if (vm->nhelpers && !vm->has_commands) {
			ps->line = vm->line;
			perr(ps, "[vm %s] has helpers but no commands list: "
			     "helpers only mean something beside one",
			     vm->name);
		}
		if (named && !vm->has_owners) {
			ps->line = vm->line;
			perr(ps, "[vm %s] maps guest users to named host users "
			     "but has no owners line saying who may run it",
			     vm->name);
		}
	}
}

int policy_load(const char *path, struct policy *p, policy_err_fn err)
{
	struct parser ps = { .path = path, .err = err, .p = p };
	char *buf = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *f;

	policy_builtin(p);
	p->allow_all = 0;	/* a file names its owners */
	snprintf(p->path, sizeof(p->path), "%s", path);
	f = fopen(path, "re");
	if (!f) {
		perr(&ps, "cannot open: %s", strerror(errno));
		return ps.errors;
	}
	while ((n = getline(&buf, &cap, f)) >= 0) {
		ps.line++;
		if (n > MAX_LINE) {
			perr(&ps, "line longer than %d bytes", MAX_LINE);
			continue;
		}
		if (memchr(buf, 0, n)) {
			perr(&ps, "NUL byte in line");
			continue;
		}
		line(&ps, buf);
	}
	if (ferror(f)) {
		ps.line = 0;
		perr(&ps, "read error");
	}
	free(buf);
	fclose(f);
	finish(&ps);
	if (ps.errors) {
		policy_free(p);
		p->allow_all = 0;
	}
	return ps.errors;
}

/* ---- lookups ------------------------------------------------------------ */

const struct vm_policy *policy_vm(const struct policy *p, const char *name)
{
	const struct vm_policy *star = NULL;
	int i;

	for (i = 0; i < p->nvms; i++) {
		if (!strcmp(p->vms[i].name, name))
			return &p->vms[i];
		if (!strcmp(p->vms[i].name, "*"))
			star = &p->vms[i];
	}
	if (star)
		return star;
	return p->refuse_unknown ? NULL : &p->builtin;
}

void policy_notes(const struct policy *p, void (*note)(const char *msg))
{
	char msg[300];
	int i, star = 0, cmds = 0, abi = landlock_abi();

	for (i = 0; i < p->nvms; i++) {
		star |= !strcmp(p->vms[i].name, "*");
		cmds |= p->vms[i].has_commands;
	}
	if (!star)
		note("VM names without a section are refused in system and "
		     "socket mode (add [vm *] to serve them)");
	if (cmds && abi < 1) {
		snprintf(msg, sizeof(msg), "warning: this kernel has no "
			 "Landlock (%s): a commands list is enforced only when "
			 "a command starts, and a listed program can execute "
			 "any other", abi == 0 ? "disabled" : "not built in");
		note(msg);
	}
}

static int in_list(const struct owner *o, int n, uid_t uid)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	gid_t groups[256];
	int ng = 256, i, j, looked = 0;

	for (i = 0; i < n; i++) {
		if (!o[i].group) {
			if (o[i].id == uid)
				return 1;
			continue;
		}
		if (!looked) {
			looked = 1;
			if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) ||
			    !res ||
			    getgrouplist(pw.pw_name, pw.pw_gid, groups,
					 &ng) < 0)
				ng = 0;
		}
		for (j = 0; j < ng; j++)
			if (groups[j] == o[i].id)
				return 1;
	}
	return 0;
}

int policy_may_attach(const struct policy *p, const struct vm_policy *vm,
		      uid_t peer)
{
	/* root can run any program as anyone already. */
	if (peer == 0)
		return 1;
	if (vm->has_owners)
		return in_list(vm->owners, vm->nowners, peer);
	if (p->allow_all)
		return 1;
	return in_list(p->owners, p->nowners, peer);
}

const struct map_rule *policy_rule(const struct vm_policy *vm, uint32_t uid)
{
	int i;

	for (i = 0; i < vm->nmaps; i++)
		if (uid >= vm->maps[i].lo && uid <= vm->maps[i].hi)
			return &vm->maps[i];
	return &vm->def;
}

const struct mod_list *policy_modules(const struct vm_policy *vm,
				      uint32_t uid)
{
	int i;

	for (i = 0; i < vm->numods; i++)
		if (uid >= vm->umods[i].lo && uid <= vm->umods[i].hi)
			return &vm->umods[i];
	return &vm->mods;
}

static int is_builtin(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(builtin_modules) / sizeof(builtin_modules[0]);
	     i++)
		if (!strcmp(name, builtin_modules[i]))
			return 1;
	return 0;
}

static int check_list(const struct policy *p, const struct mod_list *l,
		      policy_err_fn err)
{
	char path[PATH_MAX], why[PATH_MAX + 128], msg[PATH_MAX + 200];
	int i, n = 0;

	for (i = 0; i < l->nmods; i++) {
		if (is_builtin(l->mods[i].name) ||
		    module_file_check(p->module_dir, l->mods[i].name, path,
				      sizeof(path), why, sizeof(why)) == 0)
			continue;
		snprintf(msg, sizeof(msg), "module %s: %s", l->mods[i].name,
			 why);
		if (err)
			err(p->path, l->line, msg);
		n++;
	}
	return n;
}

int policy_check_plugins(const struct policy *p, policy_err_fn err)
{
	int i, j, n = 0;

	for (i = 0; i < p->nvms; i++) {
		n += check_list(p, &p->vms[i].mods, err);
		for (j = 0; j < p->vms[i].numods; j++)
			n += check_list(p, &p->vms[i].umods[j], err);
	}
	return n;
}
