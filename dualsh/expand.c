// SPDX-License-Identifier: MIT
/*
 * dualsh expansion: a word's parts become fields. Order as POSIX has it:
 * tilde, parameters and command substitutions, then field splitting (only
 * of unquoted expansion results, on IFS), then pathname expansion (only of
 * unquoted glob characters), and quote removal (quotes never reach here:
 * the lexer already marked what was quoted).
 *
 * For host stages (EXP_HOST) '~' is the host home and globs match host
 * files, through host-calls (host.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shell.h"

/* what a character of a field is */
enum { Q_LIT = 0, Q_QUOTED = 1, Q_EXP = 2 };

struct fbuf {
	char *s, *q;
	size_t n, cap;
	bool have;		/* a field exists (even if empty) */
};

struct fields {
	char **v, **q;
	size_t n, cap;
};

static void fb_add(struct fbuf *b, const char *s, size_t n, char q)
{
	if (b->n + n + 1 > b->cap) {
		b->cap = (b->n + n + 1) * 2;
		b->s = xrealloc(b->s, b->cap);
		b->q = xrealloc(b->q, b->cap);
	}
	memcpy(b->s + b->n, s, n);
	memset(b->q + b->n, q, n);
	b->n += n;
	b->s[b->n] = 0;
}

static void fields_push(struct fields *f, struct fbuf *b)
{
	if (f->n + 1 >= f->cap) {
		f->cap = f->cap ? f->cap * 2 : 8;
		f->v = xrealloc(f->v, f->cap * sizeof(char *));
		f->q = xrealloc(f->q, f->cap * sizeof(char *));
	}
	fb_add(b, "", 0, 0);	/* make sure it is allocated */
	f->v[f->n] = b->s;
	f->q[f->n] = b->q;
	f->n++;
	memset(b, 0, sizeof(*b));
}

static bool ifs_char(const char *ifs, char c)
{
	return c && strchr(ifs, c);
}

static bool ifs_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

/*
 * add an expansion result: quoted goes as is, unquoted is split on IFS as
 * POSIX has it: a run of IFS white space, with at most one other IFS
 * character in it, ends a field; the other character makes a field even
 * when the field is empty ("a::b" is a, "", b); leading white space makes
 * none.
 */
static void add_value(struct fields *f, struct fbuf *b, const char *v,
		      bool quoted)
{
	const char *ifs = var_get("IFS");

	if (!ifs)
		ifs = " \t\n";
	if (quoted || !*ifs) {
		fb_add(b, v, strlen(v), quoted ? Q_QUOTED : Q_EXP);
		if (quoted || *v)
			b->have = true;
		return;
	}
	while (*v) {
		bool other = false;

		if (!ifs_char(ifs, *v)) {
			fb_add(b, v, 1, Q_EXP);
			b->have = true;
			v++;
			continue;
		}
		while (*v && ifs_char(ifs, *v) && ifs_ws(*v))
			v++;
		if (*v && ifs_char(ifs, *v) && !ifs_ws(*v)) {
			other = true;
			v++;
			while (*v && ifs_char(ifs, *v) && ifs_ws(*v))
				v++;
		}
		if (b->have || other)
			fields_push(f, b);
	}
}

/* the value of $x or $(...) (freed here): split into fields unless not
 * splitting; a quoted one makes a word even when empty */
static void add_expansion(struct fields *f, struct fbuf *b, char *v,
			  bool split, bool quoted)
{
	if (split)
		add_value(f, b, v, quoted);
	else
		fb_add(b, v, strlen(v), quoted ? Q_QUOTED : Q_EXP);
	if (quoted)
		b->have = true;
	free(v);
}

static char *user_home(const char *user)
{
	FILE *fp;
	char line[1024];
	size_t ul = strlen(user);

	if (!*user) {
		const char *h = var_get("HOME");

		return xstrdup(h ? h : "/");
	}
	fp = fopen("/etc/passwd", "re");
	if (!fp)
		return NULL;
	while (fgets(line, sizeof(line), fp)) {
		char *f[7], *s = line;
		int i;

		for (i = 0; i < 7; i++) {
			f[i] = s;
			s = strchr(s, ':');
			if (!s)
				break;
			*s++ = 0;
		}
		if (i < 5 || strlen(f[0]) != ul || strcmp(f[0], user))
			continue;
		fclose(fp);
		return xstrdup(f[5]);
	}
	fclose(fp);
	return NULL;
}

/* value of a parameter; *freeit says whether to free it */
static char *param_value(const char *name, bool *set)
{
	*set = true;
	if (!strcmp(name, "?"))
		return xasprintf("%d", sh.status);
	if (!strcmp(name, "$"))
		return xasprintf("%d", (int)sh.toppid);
	if (!strcmp(name, "!")) {
		if (!sh.lastbg) {
			*set = false;
			return xstrdup("");
		}
		return xasprintf("%d", (int)sh.lastbg);
	}
	if (!strcmp(name, "#"))
		return xasprintf("%d", sh.argc);
	if (!strcmp(name, "-"))
		return xasprintf("%s%s%s%s%s%s%s%s", sh.allexport ? "a" : "",
				 sh.noclobber ? "C" : "", sh.errexit ? "e" : "",
				 sh.noglob ? "f" : "", sh.interactive ? "i" : "",
				 sh.noexec ? "n" : "", sh.nounset ? "u" : "",
				 sh.xtrace ? "x" : "");
	if (!strcmp(name, "@") || !strcmp(name, "*")) {
		size_t len = 1;
		int i;
		char *s;
		const char *ifs = var_get("IFS");
		/* "$*" joins with IFS's first character (none if IFS is empty) */
		char sep = !ifs ? ' ' : *ifs;

		for (i = 0; i < sh.argc; i++)
			len += strlen(sh.argv[i]) + 1;
		s = xmalloc(len);
		*s = 0;
		for (i = 0; i < sh.argc; i++) {
			if (i && sep) {
				size_t l = strlen(s);

				s[l] = sep;
				s[l + 1] = 0;
			}
			strcat(s, sh.argv[i]);
		}
		*set = sh.argc > 0;
		return s;
	}
	if (name[0] >= '0' && name[0] <= '9') {
		int n = atoi(name);

		if (n == 0)
			return xstrdup(sh.arg0 ? sh.arg0 : PROG);
		if (n <= sh.argc)
			return xstrdup(sh.argv[n - 1]);
		*set = false;
		return xstrdup("");
	}
	{
		const char *v = var_get(name);

		*set = v != NULL;
		return xstrdup(v ? v : "");
	}
}

static int expand_parts(const struct wpart *p, struct fields *f,
			struct fbuf *b, unsigned flags, bool split);

/* an error in an expansion: a shell that is not interactive stops */
static void expansion_failed(void)
{
	sh.status = 2;
	if (!sh.interactive)
		shell_exit(2);
}

/* ${v#p} ${v##p} ${v%p} ${v%%p}: v without the matched part (v freed) */
static char *trim(char *v, enum param_op op, const char *pat)
{
	size_t n = strlen(v), i;
	char *r = NULL;

	for (i = 0; i <= n && !r; i++) {
		/* candidate cut points, in the order that finds the wanted one */
		size_t k = op == PO_TRIM_SP || op == PO_TRIM_LS ? i : n - i;

		if (op == PO_TRIM_SP || op == PO_TRIM_LP) {
			char c = v[k];
			bool hit;

			v[k] = 0;
			hit = fnmatch(pat, v, 0) == 0;
			v[k] = c;
			if (hit)
				r = xstrdup(v + k);
		} else if (fnmatch(pat, v + k, 0) == 0) {
			r = strndup(v, k);
			if (!r)
				abort();
		}
	}
	if (!r)
		r = xstrdup(v);
	free(v);
	return r;
}

/* ${name op word}: the value to use, or NULL after an error */
static char *param_expand(const struct wpart *p, unsigned flags)
{
	bool set;
	char *v;
	bool use_arg;

	if (p->op == PO_LENGTH && (!strcmp(p->text, "@") || !strcmp(p->text, "*")))
		return xasprintf("%d", sh.argc);
	v = param_value(p->text, &set);
	if (!set && sh.nounset && strcmp(p->text, "@") && strcmp(p->text, "*") &&
	    (p->op == PO_NONE || p->op == PO_LENGTH || p->op >= PO_TRIM_SS)) {
		errmsg("%s: parameter not set", p->text);
		free(v);
		expansion_failed();
		return NULL;
	}
	if (p->op == PO_LENGTH) {
		char *n = xasprintf("%zu", strlen(v));

		free(v);
		return n;
	}
	if (p->op == PO_NONE)
		return v;
	if (p->op >= PO_TRIM_SS) {
		char *pat = expand_pattern(p->arg);

		if (!pat) {
			free(v);
			return NULL;
		}
		v = trim(v, p->op, pat);
		free(pat);
		return v;
	}
	use_arg = !set || (p->colon && !*v);
	if (p->op == PO_ALT)
		use_arg = !use_arg;
	if (!use_arg) {
		if (p->op == PO_ALT) {
			free(v);
			return xstrdup("");
		}
		return v;
	}
	free(v);
	v = expand_str(p->arg, flags);
	if (v && p->op == PO_ERROR) {
		errmsg("%s: %s", p->text, *v ? v :
		       (set ? "parameter null or not set" : "parameter not set"));
		free(v);
		expansion_failed();
		return NULL;
	}
	if (v && p->op == PO_ASSIGN) {
		if (!valid_name(p->text, strlen(p->text))) {
			errmsg("%s: cannot assign in this way", p->text);
			free(v);
			expansion_failed();
			return NULL;
		}
		var_set(p->text, v, 0);
	}
	return v;
}

static int expand_parts(const struct wpart *p, struct fields *f,
			struct fbuf *b, unsigned flags, bool split)
{
	for (; p; p = p->next) {
		switch (p->kind) {
		case WP_LIT:
			fb_add(b, p->text, strlen(p->text), p->quoted ? Q_QUOTED : Q_LIT);
			if (p->quoted || *p->text)
				b->have = true;
			break;
		case WP_TILDE: {
			char *h = NULL;

			if (flags & EXP_HOST) {
				if (!*p->text && host_home())
					h = xstrdup(host_home());
			} else {
				h = user_home(p->text);
			}
			if (h) {
				fb_add(b, h, strlen(h), Q_QUOTED);
				free(h);
			} else {
				fb_add(b, "~", 1, Q_LIT);
				fb_add(b, p->text, strlen(p->text), Q_LIT);
			}
			b->have = true;
			break;
		}
		case WP_PARAM:
			if (p->quoted && split && p->op == PO_NONE &&
			    !strcmp(p->text, "@") && f) {
				int i;

				for (i = 0; i < sh.argc; i++) {
					if (i)
						fields_push(f, b);
					fb_add(b, sh.argv[i], strlen(sh.argv[i]), Q_QUOTED);
					b->have = true;
				}
				break;
			}
			{
				char *v = param_expand(p, flags);

				if (!v)
					return -1;
				add_expansion(f, b, v, split, p->quoted);
			}
			break;
		case WP_CMDSUB: {
			int st;
			char *v = command_output(p->sub, &st);

			sh.status = st;
			add_expansion(f, b, v, split, p->quoted);
			break;
		}
		case WP_ARITH: {
			char *e = expand_str(p->arg, flags);
			intmax_t r;

			if (!e)
				return -1;
			if (!arith_eval(e, &r)) {
				free(e);
				expansion_failed();
				return -1;
			}
			free(e);
			add_expansion(f, b, xasprintf("%jd", r), split, p->quoted);
			break;
		}
		}
	}
	return 0;
}

bool has_glob(const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' && s[1]) {
			s++;
			continue;
		}
		if (*s == '*' || *s == '?' || *s == '[')
			return true;
	}
	return false;
}

static bool bracket_closes(const char *s, const char *q, size_t i, size_t n)
{
	if (i < n && (s[i] == '!' || s[i] == '^'))
		i++;
	if (i < n && s[i] == ']')
		i++;
	for (; i < n; i++)
		if (s[i] == ']' && q[i] != Q_QUOTED)
			return true;
	return false;
}

/* pattern with quoted characters escaped; NULL when nothing to glob */
static char *glob_pattern(const char *s, const char *q)
{
	size_t i, n = strlen(s);
	bool any = false;
	char *pat = xmalloc(2 * n + 1), *o = pat;

	for (i = 0; i < n; i++) {
		bool special = s[i] == '*' || s[i] == '?' || s[i] == '[';

		/* a '[' without an unquoted ']' after it matches itself only:
		 * no directory to read (`[ $i -lt 9 ]` is not a pattern) */
		if (q[i] != Q_QUOTED && special &&
		    (s[i] != '[' || bracket_closes(s, q, i + 1, n)))
			any = true;
		if ((q[i] == Q_QUOTED && (special || s[i] == '\\' || s[i] == ']')) ||
		    (q[i] != Q_QUOTED && s[i] == '\\'))
			*o++ = '\\';
		*o++ = s[i];
	}
	*o = 0;
	if (!any) {
		free(pat);
		return NULL;
	}
	return pat;
}

static void out_push(char ***out, size_t *n, size_t *cap, char *s)
{
	if (*n + 2 > *cap) {
		*cap = *cap ? *cap * 2 : 16;
		*out = xrealloc(*out, *cap * sizeof(char *));
	}
	(*out)[(*n)++] = s;
	(*out)[*n] = NULL;
}

char **expand_words(struct word *const *w, int nw, unsigned flags)
{
	struct fields f = { 0 };
	char **out = NULL;
	size_t n = 0, cap = 0, i;
	int k;

	for (k = 0; k < nw; k++) {
		struct fbuf b = { 0 };

		if (expand_parts(w[k]->parts, &f, &b, flags, true) < 0) {
			free(b.s);
			free(b.q);
			for (i = 0; i < f.n; i++) {
				free(f.v[i]);
				free(f.q[i]);
			}
			free(f.v);
			free(f.q);
			free_strv(out);
			return NULL;
		}
		if (b.have)
			fields_push(&f, &b);
		free(b.s);
		free(b.q);
	}
	out_push(&out, &n, &cap, NULL);
	n = 0;
	for (i = 0; i < f.n; i++) {
		char *pat = sh.noglob ? NULL : glob_pattern(f.v[i], f.q[i]);

		if (pat && (flags & EXP_HOST)) {
			char **m = NULL;

			if (host_glob(pat, &m) == 0) {
				char **p;

				for (p = m; *p; p++)
					out_push(&out, &n, &cap, *p);
				free(m);
				free(f.v[i]);
				f.v[i] = NULL;
			}
		} else if (pat) {
			glob_t g;

			if (glob(pat, 0, NULL, &g) == 0) {
				size_t j;

				for (j = 0; j < g.gl_pathc; j++)
					out_push(&out, &n, &cap, xstrdup(g.gl_pathv[j]));
				free(f.v[i]);
				f.v[i] = NULL;
			}
			globfree(&g);
		}
		free(pat);
		if (f.v[i])
			out_push(&out, &n, &cap, f.v[i]);
		free(f.q[i]);
	}
	free(f.v);
	free(f.q);
	return out;
}

/* a pattern (case, ${v#p}): quoted characters lose their magic */
char *expand_pattern(const struct word *w)
{
	struct fbuf b = { 0 };
	char *pat, *o;
	size_t i;

	if (!w)
		return xstrdup("");
	if (expand_parts(w->parts, NULL, &b, 0, false) < 0) {
		free(b.s);
		free(b.q);
		return NULL;
	}
	fb_add(&b, "", 0, 0);
	pat = o = xmalloc(2 * b.n + 1);
	for (i = 0; i < b.n; i++) {
		if (b.q[i] == Q_QUOTED && strchr("*?[]\\!", b.s[i]))
			*o++ = '\\';
		*o++ = b.s[i];
	}
	*o = 0;
	free(b.s);
	free(b.q);
	return pat;
}

char *expand_str(const struct word *w, unsigned flags)
{
	struct fbuf b = { 0 };

	if (!w)
		return xstrdup("");
	if (expand_parts(w->parts, NULL, &b, flags, false) < 0) {
		free(b.s);
		free(b.q);
		return NULL;
	}
	fb_add(&b, "", 0, 0);
	free(b.q);
	return b.s;
}
