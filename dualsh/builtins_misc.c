// SPDX-License-Identifier: MIT
/* dualsh builtins: read getopts type command umask readonly alias unalias
 * times ulimit. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shell.h"

/* ---- read ---------------------------------------------------------------- */

static bool is_ifs(const char *ifs, char c)
{
	return c && strchr(ifs, c);
}

static bool ifs_white(const char *ifs, char c)
{
	return is_ifs(ifs, c) && (c == ' ' || c == '\t' || c == '\n');
}

int b_read(int argc, char **argv)
{
	bool raw = false, eof = false;
	const char *ifs = var_get("IFS");
	char *line = NULL, *q = NULL;	/* q: 1 where the byte was escaped */
	size_t n = 0, cap = 0;
	int i = 1, k;

	for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		}
		if (!strcmp(argv[i], "-r"))
			raw = true;
		else if (!strcmp(argv[i], "-p") && i + 1 < argc) {
			fputs(argv[++i], stderr);
			fflush(stderr);
		} else {
			errmsg("read: Illegal option %s", argv[i]);
			return 2;
		}
	}
	if (i >= argc) {
		errmsg("read: arg count");
		return 2;
	}
	if (!ifs)
		ifs = " \t\n";
	/* byte by byte: what follows the line is someone else's input */
	for (;;) {
		char c;
		ssize_t r = read(0, &c, 1);

		if (r < 0 && errno == EINTR) {
			if (trap_pending)
				break;
			continue;
		}
		if (r <= 0) {
			eof = true;
			break;
		}
		if (n + 2 > cap) {
			cap = cap ? cap * 2 : 128;
			line = xrealloc(line, cap);
			q = xrealloc(q, cap);
		}
		if (c == '\\' && !raw) {
			r = read(0, &c, 1);
			if (r <= 0) {
				eof = true;
				break;
			}
			if (c == '\n')
				continue;
			line[n] = c;
			q[n++] = 1;
			continue;
		}
		if (c == '\n')
			break;
		line[n] = c;
		q[n++] = 0;
	}
	if (!line) {
		line = xmalloc(1);
		q = xmalloc(1);
	}
	line[n] = 0;
	/* split: each name a field, the last one the rest */
	{
		size_t p = 0;

		while (p < n && !q[p] && ifs_white(ifs, line[p]))
			p++;
		for (k = i; k < argc; k++) {
			size_t s = p, e;

			if (!valid_name(argv[k], strlen(argv[k]))) {
				errmsg("read: %s: bad variable name", argv[k]);
				free(line);
				free(q);
				return 2;
			}
			if (k == argc - 1) {
				e = n;
				/* trailing IFS white space goes */
				while (e > s && !q[e - 1] && ifs_white(ifs, line[e - 1]))
					e--;
				p = n;
			} else {
				while (p < n && (q[p] || !is_ifs(ifs, line[p])))
					p++;
				e = p;
				/* the delimiter: white space, at most one other */
				while (p < n && !q[p] && ifs_white(ifs, line[p]))
					p++;
				if (p < n && !q[p] && is_ifs(ifs, line[p]) &&
				    !ifs_white(ifs, line[p])) {
					p++;
					while (p < n && !q[p] && ifs_white(ifs, line[p]))
						p++;
				}
			}
			{
				char *v = strndup(line + s, e - s);

				if (!v)
					abort();
				if (var_set(argv[k], v, 0) < 0) {
					free(v);
					free(line);
					free(q);
					return 1;
				}
				free(v);
			}
		}
	}
	free(line);
	free(q);
	return eof ? 1 : 0;
}

/* ---- getopts --------------------------------------------------------------- */

int b_getopts(int argc, char **argv)
{
	static int optpos = 1;		/* inside the current argument */
	static int lastind;
	const char *opts, *oi = var_get("OPTIND");
	char **args, buf[3] = "?";
	int nargs, ind = oi ? atoi(oi) : 1;
	const char *a, *o;
	bool quiet;
	char c;

	if (argc < 3) {
		errmsg("getopts: usage: getopts optstring var [arg]");
		return 2;
	}
	opts = argv[1];
	quiet = opts[0] == ':';
	if (argc > 3) {
		args = argv + 3;
		nargs = argc - 3;
	} else {
		args = sh.argv;
		nargs = sh.argc;
	}
	if (ind != lastind || ind < 1)
		optpos = 1;
	if (ind < 1)
		ind = 1;
	if (ind > nargs || !(a = args[ind - 1]) || a[0] != '-' || !a[1] ||
	    !strcmp(a, "--")) {
		if (ind <= nargs && a && !strcmp(a, "--"))
			ind++;
		var_set(argv[2], "?", 0);
		goto done_end;
	}
	c = a[optpos];
	o = c != ':' ? strchr(opts + quiet, c) : NULL;
	optpos++;
	var_unset("OPTARG");
	if (!o) {
		if (quiet) {
			buf[0] = c;
			var_set("OPTARG", buf, 0);
		} else {
			errmsg("Illegal option -%c", c);
		}
		var_set(argv[2], "?", 0);
	} else if (o[1] == ':') {
		if (a[optpos]) {
			var_set("OPTARG", a + optpos, 0);
		} else if (ind < nargs) {
			var_set("OPTARG", args[ind], 0);
			ind++;
		} else {
			buf[0] = c;
			if (quiet) {
				var_set("OPTARG", buf, 0);
				var_set(argv[2], ":", 0);
			} else {
				errmsg("No arg for -%c option", c);
				var_set(argv[2], "?", 0);
			}
			ind++;
			optpos = 1;
			goto done;
		}
		ind++;
		optpos = 1;
		buf[0] = c;
		var_set(argv[2], buf, 0);
		goto done;
	} else {
		buf[0] = c;
		var_set(argv[2], buf, 0);
	}
	if (!a[optpos]) {
		ind++;
		optpos = 1;
	}
done:
	{
		char n[16];

		snprintf(n, sizeof(n), "%d", ind);
		var_set("OPTIND", n, 0);
		lastind = ind;
	}
	return 0;
done_end:
	{
		char n[16];

		snprintf(n, sizeof(n), "%d", ind);
		var_set("OPTIND", n, 0);
		lastind = ind;
		optpos = 1;
	}
	return 1;
}

/* ---- type, command ----------------------------------------------------------- */

static const char *const keywords[] = { "if", "then", "elif", "else", "fi",
	"while", "until", "for", "do", "done", "case", "esac", "in", "{", "}",
	"!", NULL };

/* the file PATH finds for name (malloc'd), or NULL */
static char *path_lookup(const char *name)
{
	const char *path = var_get("PATH");
	char *copy, *d, *save = NULL, *r = NULL;

	if (strchr(name, '/'))
		return access(name, X_OK) == 0 ? xstrdup(name) : NULL;
	copy = xstrdup(path ? path : "");
	for (d = strtok_r(copy, ":", &save); d && !r; d = strtok_r(NULL, ":", &save)) {
		char *f = xasprintf("%s/%s", d, name);
		struct stat st;

		if (stat(f, &st) == 0 && S_ISREG(st.st_mode) && access(f, X_OK) == 0)
			r = f;
		else
			free(f);
	}
	free(copy);
	return r;
}

static const char *alias_get(const char *name);

/* describe name as `type` does (verbose) or `command -v` (short) */
static int describe(const char *name, bool verbose)
{
	const char *const *k;
	char *p;

	for (k = keywords; *k; k++)
		if (!strcmp(*k, name)) {
			if (verbose)
				printf("%s is a shell keyword\n", name);
			else
				printf("%s\n", name);
			return 0;
		}
	if (alias_get(name)) {
		if (verbose)
			printf("%s is an alias for %s\n", name, alias_get(name));
		else
			printf("alias %s='%s'\n", name, alias_get(name));
		return 0;
	}
	if (func_find(name)) {
		printf(verbose ? "%s is a shell function\n" : "%s\n", name);
		return 0;
	}
	if (builtin_find(name, false)) {
		if (verbose)
			printf("%s is a %sshell builtin\n", name,
			       builtin_special(name) ? "special " : "");
		else
			printf("%s\n", name);
		return 0;
	}
	p = path_lookup(name);
	if (p) {
		printf(verbose ? "%s is %s\n" : "%s\n", verbose ? name : p, p);
		free(p);
		return 0;
	}
	if (verbose)
		printf("%s: not found\n", name);
	return 127;
}

int b_type(int argc, char **argv)
{
	int i, st = 0;

	for (i = 1; i < argc; i++)
		if (describe(argv[i], true))
			st = 127;
	fflush(stdout);
	return st;
}

int b_command(int argc, char **argv)
{
	int i = 1, st = 0;
	bool v = false, V = false;
	builtin_fn fn;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		}
		if (!strcmp(argv[i], "-v"))
			v = true;
		else if (!strcmp(argv[i], "-V"))
			V = true;
		else if (strcmp(argv[i], "-p"))
			break;
	}
	if (i >= argc)
		return 0;
	if (v || V) {
		for (; i < argc; i++)
			if (describe(argv[i], V))
				st = 127;
		fflush(stdout);
		return st;
	}
	/* the command without function lookup */
	fn = builtin_find(argv[i], false);
	if (fn)
		return fn(argc - i, argv + i);
	return run_external(argv + i);
}

/* ---- umask, readonly ------------------------------------------------------- */

int b_umask(int argc, char **argv)
{
	mode_t m = umask(0);
	char *end;
	long v;

	umask(m);
	if (argc < 2 || !strcmp(argv[1], "-S")) {
		if (argc > 1) {
			static const char *const who[] = { "u", "g", "o" };
			int i;

			for (i = 0; i < 3; i++) {
				mode_t b = (~m >> (6 - 3 * i)) & 7;

				printf("%s%s=%s%s%s", i ? "," : "", who[i], b & 4 ? "r" : "",
				       b & 2 ? "w" : "", b & 1 ? "x" : "");
			}
			putchar('\n');
		} else {
			printf("%04o\n", (unsigned)m);
		}
		fflush(stdout);
		return 0;
	}
	v = strtol(argv[1], &end, 8);
	if (*end || v < 0 || v > 0777) {
		errmsg("umask: Illegal mode: %s", argv[1]);
		return 1;
	}
	umask((mode_t)v);
	return 0;
}

int b_readonly(int argc, char **argv)
{
	int i, st = 0;

	if (argc == 1 || (argc == 2 && !strcmp(argv[1], "-p"))) {
		var_list_readonly();
		return 0;
	}
	for (i = 1; i < argc; i++) {
		const char *val;
		char *name = assign_split("readonly", argv[i], &val);

		if (!name || var_readonly(name, val) < 0)
			st = 2;
		free(name);
	}
	return st;
}

/* ---- alias, unalias (expanded when the command runs: see exec.c) --------------- */

struct alias {
	char *name, *val;
	struct alias *next;
};

static struct alias *aliases;

static const char *alias_get(const char *name)
{
	struct alias *a;

	for (a = aliases; a; a = a->next)
		if (!strcmp(a->name, name))
			return a->val;
	return NULL;
}

const char *alias_value(const char *name)
{
	return aliases ? alias_get(name) : NULL;
}

int b_alias(int argc, char **argv)
{
	int i, st = 0;
	struct alias *a;

	if (argc == 1) {
		for (a = aliases; a; a = a->next)
			printf("%s='%s'\n", a->name, a->val);
		fflush(stdout);
		return 0;
	}
	for (i = 1; i < argc; i++) {
		char *eq = strchr(argv[i], '=');

		if (!eq) {
			const char *v = alias_get(argv[i]);

			if (v) {
				printf("%s='%s'\n", argv[i], v);
			} else {
				errmsg("alias: %s not found", argv[i]);
				st = 1;
			}
			continue;
		}
		*eq = 0;
		for (a = aliases; a; a = a->next)
			if (!strcmp(a->name, argv[i]))
				break;
		if (!a) {
			a = xmalloc(sizeof(*a));
			a->name = xstrdup(argv[i]);
			a->val = NULL;
			a->next = aliases;
			aliases = a;
		}
		free(a->val);
		a->val = xstrdup(eq + 1);
		*eq = '=';
	}
	fflush(stdout);
	return st;
}

int b_unalias(int argc, char **argv)
{
	int i, st = 0;

	if (argc > 1 && !strcmp(argv[1], "-a")) {
		while (aliases) {
			struct alias *a = aliases;

			aliases = a->next;
			free(a->name);
			free(a->val);
			free(a);
		}
		return 0;
	}
	for (i = 1; i < argc; i++) {
		struct alias **pp, *a;

		for (pp = &aliases; (a = *pp); pp = &a->next)
			if (!strcmp(a->name, argv[i]))
				break;
		if (!a) {
			errmsg("unalias: %s not found", argv[i]);
			st = 1;
			continue;
		}
		*pp = a->next;
		free(a->name);
		free(a->val);
		free(a);
	}
	return st;
}

/* ---- times, ulimit ------------------------------------------------------- */

static void print_time(clock_t t, long hz)
{
	double s = (double)t / hz;
	int m = (int)(s / 60);

	printf("%dm%fs", m, s - m * 60);
}

int b_times(int argc, char **argv)
{
	struct tms t;
	long hz = sysconf(_SC_CLK_TCK);

	(void)argc;
	(void)argv;
	times(&t);
	print_time(t.tms_utime, hz);
	putchar(' ');
	print_time(t.tms_stime, hz);
	putchar('\n');
	print_time(t.tms_cutime, hz);
	putchar(' ');
	print_time(t.tms_cstime, hz);
	putchar('\n');
	fflush(stdout);
	return 0;
}

static const struct {
	char opt;
	int res;
	int unit;
	const char *name;
} limits[] = {
	{ 't', RLIMIT_CPU, 1, "time(seconds)" },
	{ 'f', RLIMIT_FSIZE, 512, "file(blocks)" },
	{ 'd', RLIMIT_DATA, 1024, "data(kbytes)" },
	{ 's', RLIMIT_STACK, 1024, "stack(kbytes)" },
	{ 'c', RLIMIT_CORE, 512, "coredump(blocks)" },
	{ 'm', RLIMIT_RSS, 1024, "memory(kbytes)" },
	{ 'l', RLIMIT_MEMLOCK, 1024, "locked memory(kbytes)" },
	{ 'p', RLIMIT_NPROC, 1, "process" },
	{ 'n', RLIMIT_NOFILE, 1, "nofiles" },
	{ 'v', RLIMIT_AS, 1024, "vmemory(kbytes)" },
};

#define NLIMITS (sizeof(limits) / sizeof(limits[0]))

static void print_limit(rlim_t v, int unit)
{
	if (v == RLIM_INFINITY)
		printf("unlimited\n");
	else
		printf("%llu\n", (unsigned long long)(v / unit));
}

int b_ulimit(int argc, char **argv)
{
	bool hard = false, all = false;
	size_t li = 1;		/* -f */
	int i;
	struct rlimit rl;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *o;

		for (o = argv[i] + 1; *o; o++) {
			size_t k;

			if (*o == 'H')
				hard = true;
			else if (*o == 'S')
				hard = false;
			else if (*o == 'a')
				all = true;
			else {
				for (k = 0; k < NLIMITS && limits[k].opt != *o; k++)
					;
				if (k == NLIMITS) {
					errmsg("ulimit: Illegal option -%c", *o);
					return 2;
				}
				li = k;
			}
		}
	}
	if (all) {
		size_t k;

		for (k = 0; k < NLIMITS; k++) {
			rlim_t v;

			getrlimit(limits[k].res, &rl);
			v = hard ? rl.rlim_max : rl.rlim_cur;
			printf("-%c: %-25s", limits[k].opt, limits[k].name);
			print_limit(v, limits[k].unit);
		}
		fflush(stdout);
		return 0;
	}
	getrlimit(limits[li].res, &rl);
	if (i >= argc) {
		print_limit(hard ? rl.rlim_max : rl.rlim_cur, limits[li].unit);
		fflush(stdout);
		return 0;
	}
	{
		rlim_t v;

		if (!strcmp(argv[i], "unlimited")) {
			v = RLIM_INFINITY;
		} else {
			char *end;
			unsigned long long n = strtoull(argv[i], &end, 10);

			if (*end || end == argv[i]) {
				errmsg("ulimit: bad number");
				return 2;
			}
			v = (rlim_t)n * limits[li].unit;
		}
		if (hard)
			rl.rlim_max = v;
		else
			rl.rlim_cur = v;
		if (setrlimit(limits[li].res, &rl) < 0) {
			errmsg("ulimit: %s", strerror(errno));
			return 2;
		}
	}
	return 0;
}
