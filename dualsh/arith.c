// SPDX-License-Identifier: MIT
/*
 * dualsh arithmetic: $((...)) after its parameters and substitutions were
 * expanded. C's integer operators on intmax_t, with POSIX's assignment
 * forms; ?: && || evaluate only the side they need.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "shell.h"

struct ax {
	const char *s, *start;
	const char *err;	/* first error: evaluation stops */
	int noeval;		/* inside an operand that is not evaluated */
};

static intmax_t assign_expr(struct ax *a);

static void skip_ws(struct ax *a)
{
	while (*a->s == ' ' || *a->s == '\t' || *a->s == '\n')
		a->s++;
}

static void fail(struct ax *a, const char *msg)
{
	if (!a->err)
		a->err = msg;
}

/* a number in C syntax: 0x1f, 017, 42; false when s is not one */
bool arith_number(const char *s, intmax_t *v)
{
	char *end;

	while (*s == ' ' || *s == '\t' || *s == '\n')
		s++;
	if (!*s) {
		*v = 0;
		return true;
	}
	errno = 0;
	*v = strtoimax(s, &end, 0);
	while (*end == ' ' || *end == '\t' || *end == '\n')
		end++;
	return !*end && end != s;
}

static intmax_t var_value(struct ax *a, const char *name)
{
	const char *v = var_get(name);
	intmax_t n = 0;

	if (!v) {
		if (sh.nounset && !a->noeval) {
			errmsg("%s: parameter not set", name);
			fail(a, NULL);
			a->err = "";
		}
		return 0;
	}
	if (!arith_number(v, &n))
		fail(a, "bad number in a variable");
	return n;
}

static void var_assign(struct ax *a, const char *name, intmax_t v)
{
	char buf[32];

	if (a->noeval || a->err)
		return;
	snprintf(buf, sizeof(buf), "%jd", v);
	if (var_set(name, buf, 0) < 0)
		a->err = "";
}

static intmax_t primary(struct ax *a)
{
	intmax_t v = 0;

	skip_ws(a);
	if (*a->s == '(') {
		a->s++;
		v = assign_expr(a);
		skip_ws(a);
		if (*a->s != ')')
			fail(a, "expecting ')'");
		else
			a->s++;
		return v;
	}
	if (isdigit((unsigned char)*a->s)) {
		char *end;

		v = strtoimax(a->s, &end, 0);
		if (isalnum((unsigned char)*end) || *end == '_')
			fail(a, "bad number");
		a->s = end;
		return v;
	}
	if (*a->s == '_' || isalpha((unsigned char)*a->s)) {
		const char *s = a->s;
		char name[256];
		size_t n;

		while (*a->s == '_' || isalnum((unsigned char)*a->s))
			a->s++;
		n = (size_t)(a->s - s) < sizeof(name) ? (size_t)(a->s - s) : sizeof(name) - 1;
		memcpy(name, s, n);
		name[n] = 0;
		return var_value(a, name);
	}
	fail(a, "expecting primary");
	return 0;
}

static intmax_t unary(struct ax *a)
{
	skip_ws(a);
	switch (*a->s) {
	case '-': a->s++; return -unary(a);
	case '+': a->s++; return unary(a);
	case '!': a->s++; return !unary(a);
	case '~': a->s++; return ~unary(a);
	}
	return primary(a);
}

/* binary operators, lowest precedence first */
enum { P_OR = 1, P_AND, P_BOR, P_BXOR, P_BAND, P_EQ, P_REL, P_SHIFT, P_ADD, P_MUL };

/* the operator at s: its precedence and length, 0 if none ("+=" and the
 * like are assignments, not operators here) */
static int binop(const char *s, int *len)
{
	char c = s[0], d = c ? s[1] : 0;

	*len = 1;
	switch (c) {
	case '|':
		if (d == '|') {
			*len = 2;
			return P_OR;
		}
		return d == '=' ? 0 : P_BOR;
	case '&':
		if (d == '&') {
			*len = 2;
			return P_AND;
		}
		return d == '=' ? 0 : P_BAND;
	case '^': return d == '=' ? 0 : P_BXOR;
	case '=':
	case '!':
		if (d != '=')
			return 0;
		*len = 2;
		return P_EQ;
	case '<':
	case '>':
		if (d == c) {
			*len = 2;
			return s[2] == '=' ? 0 : P_SHIFT;
		}
		if (d == '=')
			*len = 2;
		return P_REL;
	case '+':
	case '-': return d == '=' ? 0 : P_ADD;
	case '*':
	case '/':
	case '%': return d == '=' ? 0 : P_MUL;
	}
	return 0;
}

static intmax_t apply(struct ax *a, const char *op, int len, intmax_t l, intmax_t r)
{
	switch (op[0]) {
	case '|': return len == 2 ? (l || r) : (l | r);
	case '&': return len == 2 ? (l && r) : (l & r);
	case '^': return l ^ r;
	case '=': return l == r;
	case '!': return l != r;
	case '<':
		if (len == 2 && op[1] == '<')
			return (intmax_t)((uintmax_t)l << (r & 63));
		return len == 2 ? l <= r : l < r;
	case '>':
		if (len == 2 && op[1] == '>')
			return l >> (r & 63);
		return len == 2 ? l >= r : l > r;
	case '+': return (intmax_t)((uintmax_t)l + (uintmax_t)r);
	case '-': return (intmax_t)((uintmax_t)l - (uintmax_t)r);
	case '*': return (intmax_t)((uintmax_t)l * (uintmax_t)r);
	case '/':
	case '%':
		if (r == 0) {
			if (!a->noeval)
				fail(a, "division by zero");
			return 0;
		}
		if (l == INTMAX_MIN && r == -1)
			return op[0] == '/' ? l : 0;
		return op[0] == '/' ? l / r : l % r;
	}
	return 0;
}

static intmax_t binary(struct ax *a, int minprec)
{
	intmax_t l = unary(a);

	for (;;) {
		int len, prec;
		const char *op;
		intmax_t r;

		skip_ws(a);
		prec = binop(a->s, &len);
		if (!prec || prec < minprec || a->err)
			return l;
		op = a->s;
		a->s += len;
		if (prec == P_OR || prec == P_AND) {
			/* the right side counts only when the left did not decide */
			bool skip = prec == P_OR ? l != 0 : l == 0;

			a->noeval += skip;
			r = binary(a, prec + 1);
			a->noeval -= skip;
			l = skip ? (prec == P_OR) : (r != 0);
			continue;
		}
		r = binary(a, prec + 1);
		l = apply(a, op, len, l, r);
	}
}

static intmax_t cond_expr(struct ax *a)
{
	intmax_t c = binary(a, P_OR), t, f;

	skip_ws(a);
	if (*a->s != '?')
		return c;
	a->s++;
	a->noeval += !c;
	t = assign_expr(a);
	a->noeval -= !c;
	skip_ws(a);
	if (*a->s != ':') {
		fail(a, "expecting ':'");
		return 0;
	}
	a->s++;
	a->noeval += !!c;
	f = cond_expr(a);
	a->noeval -= !!c;
	return c ? t : f;
}

static intmax_t assign_expr(struct ax *a)
{
	static const char *const aops[] = { "<<=", ">>=", "+=", "-=", "*=", "/=",
					    "%=", "&=", "^=", "|=", "=", NULL };
	const char *save;
	char name[256];
	size_t n;
	int i;

	skip_ws(a);
	save = a->s;
	if (*a->s == '_' || isalpha((unsigned char)*a->s)) {
		while (*a->s == '_' || isalnum((unsigned char)*a->s))
			a->s++;
		n = (size_t)(a->s - save);
		skip_ws(a);
		for (i = 0; aops[i] && n < sizeof(name); i++) {
			size_t ol = strlen(aops[i]);
			intmax_t r, v;

			if (strncmp(a->s, aops[i], ol) || (ol == 1 && a->s[1] == '='))
				continue;
			memcpy(name, save, n);
			name[n] = 0;
			a->s += ol;
			r = assign_expr(a);
			if (ol == 1) {
				v = r;
			} else {
				int blen = (int)ol - 1;

				v = apply(a, aops[i], blen, var_value(a, name), r);
			}
			var_assign(a, name, v);
			return v;
		}
	}
	a->s = save;
	return cond_expr(a);
}

/* evaluate expr; false after an error (message printed) */
bool arith_eval(const char *expr, intmax_t *out)
{
	struct ax a = { .s = expr, .start = expr };

	*out = assign_expr(&a);
	skip_ws(&a);
	if (!a.err && *a.s)
		fail(&a, "unexpected characters");
	if (a.err) {
		if (*a.err)
			errmsg("arithmetic expression: %s: \"%s\"", a.err, expr);
		return false;
	}
	return true;
}
