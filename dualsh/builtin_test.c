// SPDX-License-Identifier: MIT
/* dualsh: test and [ (POSIX, with dash's -a -o and parentheses). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shell.h"

struct targs {
	char **v;
	int i, n;
	const char *err;
};

static bool texpr(struct targs *t);

static bool number(struct targs *t, const char *s, intmax_t *v)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	*v = strtoimax(s, &end, 10);
	while (*end == ' ' || *end == '\t')
		end++;
	if (*end || !*s) {
		if (!t->err)
			t->err = s;
		return false;
	}
	return true;
}

static bool file_test(char op, const char *f)
{
	struct stat st;

	if (op == 'h' || op == 'L')
		return lstat(f, &st) == 0 && S_ISLNK(st.st_mode);
	if (op == 't')
		return isatty(atoi(f));
	if (op == 'r' || op == 'w' || op == 'x')
		return access(f, op == 'r' ? R_OK : op == 'w' ? W_OK : X_OK) == 0;
	if (stat(f, &st) < 0)
		return false;
	switch (op) {
	case 'e': return true;
	case 'f': return S_ISREG(st.st_mode);
	case 'd': return S_ISDIR(st.st_mode);
	case 'b': return S_ISBLK(st.st_mode);
	case 'c': return S_ISCHR(st.st_mode);
	case 'p': return S_ISFIFO(st.st_mode);
	case 'S': return S_ISSOCK(st.st_mode);
	case 's': return st.st_size > 0;
	case 'u': return st.st_mode & S_ISUID;
	case 'g': return st.st_mode & S_ISGID;
	case 'k': return st.st_mode & S_ISVTX;
	}
	return false;
}

static bool binary_op(struct targs *t, const char *a, const char *op,
		      const char *b, bool *r)
{
	intmax_t x, y;

	if (!strcmp(op, "=") || !strcmp(op, "=="))
		*r = !strcmp(a, b);
	else if (!strcmp(op, "!="))
		*r = strcmp(a, b) != 0;
	else if (!strcmp(op, "<"))
		*r = strcmp(a, b) < 0;
	else if (!strcmp(op, ">"))
		*r = strcmp(a, b) > 0;
	else if (op[0] == '-' && strlen(op) == 3 && strchr("elgn", op[1])) {
		if (!number(t, a, &x) || !number(t, b, &y)) {
			*r = false;
			return true;
		}
		if (!strcmp(op, "-eq")) *r = x == y;
		else if (!strcmp(op, "-ne")) *r = x != y;
		else if (!strcmp(op, "-lt")) *r = x < y;
		else if (!strcmp(op, "-le")) *r = x <= y;
		else if (!strcmp(op, "-gt")) *r = x > y;
		else if (!strcmp(op, "-ge")) *r = x >= y;
		else return false;
	} else if (!strcmp(op, "-nt") || !strcmp(op, "-ot") || !strcmp(op, "-ef")) {
		struct stat sa, sb;
		bool ha = stat(a, &sa) == 0, hb = stat(b, &sb) == 0;

		if (op[1] == 'e')
			*r = ha && hb && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
		else if (op[1] == 'n')
			*r = ha && (!hb || sa.st_mtime > sb.st_mtime);
		else
			*r = hb && (!ha || sa.st_mtime < sb.st_mtime);
	} else {
		return false;
	}
	return true;
}

static bool is_binop(const char *s)
{
	static const char *const ops[] = { "=", "==", "!=", "<", ">", "-eq", "-ne",
		"-lt", "-le", "-gt", "-ge", "-nt", "-ot", "-ef", NULL };
	const char *const *o;

	for (o = ops; *o; o++)
		if (!strcmp(*o, s))
			return true;
	return false;
}

static bool primary(struct targs *t)
{
	const char *a;
	bool r;

	if (t->i >= t->n) {
		t->err = t->err ? t->err : "argument expected";
		return false;
	}
	a = t->v[t->i];
	if (!strcmp(a, "!")) {
		t->i++;
		return !primary(t);
	}
	if (!strcmp(a, "(") && t->i + 1 < t->n) {
		t->i++;
		r = texpr(t);
		if (t->i < t->n && !strcmp(t->v[t->i], ")"))
			t->i++;
		else if (!t->err)
			t->err = "missing )";
		return r;
	}
	if (t->i + 2 < t->n && is_binop(t->v[t->i + 1])) {
		binary_op(t, a, t->v[t->i + 1], t->v[t->i + 2], &r);
		t->i += 3;
		return r;
	}
	if (a[0] == '-' && a[1] && !a[2] && t->i + 1 < t->n) {
		const char *arg = t->v[t->i + 1];

		t->i += 2;
		if (a[1] == 'z')
			return !*arg;
		if (a[1] == 'n')
			return *arg;
		if (strchr("efdbcpSsugkhLrwxt", a[1]))
			return file_test(a[1], arg);
		t->i -= 2;
	}
	t->i++;
	return *a;
}

static bool tand(struct targs *t)
{
	bool r = primary(t);

	while (t->i < t->n && !strcmp(t->v[t->i], "-a")) {
		t->i++;
		r = primary(t) && r;
	}
	return r;
}

static bool texpr(struct targs *t)
{
	bool r = tand(t);

	while (t->i < t->n && !strcmp(t->v[t->i], "-o")) {
		t->i++;
		r = tand(t) || r;
	}
	return r;
}

int b_test(int argc, char **argv)
{
	struct targs t = { .v = argv + 1, .n = argc - 1 };
	bool r;

	if (!strcmp(argv[0], "[")) {
		if (strcmp(argv[argc - 1], "]")) {
			errmsg("[: missing ]");
			return 2;
		}
		t.n--;
	}
	if (t.n == 0)
		return 1;
	/* POSIX's rules by argument count come first */
	if (t.n == 1)
		return !*t.v[0];
	if (t.n == 2 && !strcmp(t.v[0], "!"))
		return *t.v[1] ? 1 : 0;
	if (t.n == 3 && is_binop(t.v[1])) {
		if (!binary_op(&t, t.v[0], t.v[1], t.v[2], &r))
			return 2;
		if (t.err) {
			errmsg("%s: Illegal number: %s", argv[0], t.err);
			return 2;
		}
		return !r;
	}
	r = texpr(&t);
	if (t.err || t.i < t.n) {
		if (t.err && strcmp(t.err, "argument expected") && strcmp(t.err, "missing )"))
			errmsg("%s: Illegal number: %s", argv[0], t.err);
		else
			errmsg("%s: %s", argv[0], t.err ? t.err :
			       t.i < t.n ? "unexpected operator" : "syntax error");
		return 2;
	}
	return !r;
}
