// SPDX-License-Identifier: MIT
/* dualsh: printf, and echo (which, as dash's, knows -n and \ escapes). */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shell.h"

/*
 * One backslash escape at *s (just after the '\'); writes the byte to out.
 * octal: %b and echo want \0NNN, the format wants \NNN. Returns false at
 * \c (stop all output).
 */
static bool escape(const char **s, FILE *out, bool zero_octal)
{
	const char *p = *s;
	int c = *p, v = 0, k;

	switch (c) {
	case 'a': c = '\a'; break;
	case 'b': c = '\b'; break;
	case 'f': c = '\f'; break;
	case 'n': c = '\n'; break;
	case 'r': c = '\r'; break;
	case 't': c = '\t'; break;
	case 'v': c = '\v'; break;
	case '\\': c = '\\'; break;
	case 'c': *s = p + 1; return false;
	case 0: putc('\\', out); return true;
	default:
		if (c >= '0' && c <= '7') {
			if (zero_octal && c == '0')
				p++;
			for (k = 0; k < 3 && *p >= '0' && *p <= '7'; k++, p++)
				v = v * 8 + (*p - '0');
			putc(v & 0xff, out);
			*s = p;
			return true;
		}
		putc('\\', out);
		break;
	}
	putc(c, out);
	*s = p + 1;
	return true;
}

/* s with %b's escapes; false at \c */
static bool put_escaped(const char *s, FILE *out)
{
	while (*s) {
		if (*s == '\\') {
			s++;
			if (!escape(&s, out, true))
				return false;
			continue;
		}
		putc(*s++, out);
	}
	return true;
}

int b_echo(int argc, char **argv)
{
	int i = 1;
	bool nl = true;

	if (argc > 1 && !strcmp(argv[1], "-n")) {
		nl = false;
		i++;
	}
	for (; i < argc; i++) {
		if (!put_escaped(argv[i], stdout)) {
			nl = false;
			break;
		}
		if (i + 1 < argc)
			putchar(' ');
	}
	if (nl)
		putchar('\n');
	return fflush(stdout) ? 1 : 0;
}

static int status;

/* printf with the '*' width and precision taken from the arguments */
#define PRINT_STARS(spec, nstar, star, v)				\
	((nstar) == 2 ? printf(spec, star[0], star[1], v) :		\
	 (nstar) == 1 ? printf(spec, star[0], v) : printf(spec, v))

static intmax_t num_arg(const char *a)
{
	char *end;
	intmax_t v;

	if (!a)
		return 0;
	if (*a == '\'' || *a == '"')
		return (unsigned char)a[1];
	errno = 0;
	v = strtoimax(a, &end, 0);
	if (*end || end == a || errno) {
		errmsg("printf: %s: %s", a, *end ? "expected numeric value" :
		       "expected numeric value");
		status = 1;
	}
	return v;
}

/* a width or precision at f: digits, or '*' from the next argument */
static const char *width_part(const char *f, char *spec, size_t *n, int *star,
			      int *nstar, char ***args, bool *used)
{
	if (*f == '*') {
		star[(*nstar)++] = (int)num_arg(**args ? *(*args)++ : NULL);
		*used = true;
		spec[(*n)++] = *f++;
		return f;
	}
	while (isdigit((unsigned char)*f) && *n < 56)
		spec[(*n)++] = *f++;
	return f;
}

int b_printf(int argc, char **argv)
{
	const char *fmt, *f;
	char **args;
	bool used;

	if (argc < 2) {
		errmsg("printf: usage: printf format [arg ...]");
		return 2;
	}
	status = 0;
	fmt = argv[1];
	args = argv + 2;
	do {
		used = false;
		for (f = fmt; *f; ) {
			char spec[64], conv;
			size_t n = 0;
			int nstar = 0, star[2];

			if (*f == '\\') {
				f++;
				if (!escape(&f, stdout, false))
					goto out;
				continue;
			}
			if (*f != '%') {
				putchar(*f++);
				continue;
			}
			if (f[1] == '%') {
				putchar('%');
				f += 2;
				continue;
			}
			spec[n++] = *f++;
			while (*f && strchr("-+ #0", *f) && n < 40)
				spec[n++] = *f++;
			f = width_part(f, spec, &n, star, &nstar, &args, &used);
			if (*f == '.') {
				spec[n++] = *f++;
				f = width_part(f, spec, &n, star, &nstar, &args, &used);
			}
			conv = *f ? *f++ : 0;
			if (!conv || !strchr("diouxXcsbeEfgGaA", conv)) {
				errmsg("printf: %%%c: invalid directive", conv ? conv : ' ');
				return 1;
			}
			{
				const char *a = *args;

				if (a) {
					args++;
					used = true;
				}
				if (conv == 'b') {
					/* %b: the argument's escapes, then as %s */
					char *buf = NULL;
					size_t bl = 0;
					FILE *m = open_memstream(&buf, &bl);
					bool go = put_escaped(a ? a : "", m);

					fclose(m);
					spec[n++] = 's';
					spec[n] = 0;
					PRINT_STARS(spec, nstar, star, buf);
					free(buf);
					if (!go)
						goto out;
					continue;
				}
				if (conv == 's' || conv == 'c') {
					spec[n++] = 's';
					spec[n] = 0;
					if (conv == 'c') {
						char c1[2] = { a ? a[0] : 0, 0 };

						a = c1;
						PRINT_STARS(spec, nstar, star, a);
						continue;
					}
					if (!a)
						a = "";
					PRINT_STARS(spec, nstar, star, a);
					continue;
				}
				if (strchr("eEfgGaA", conv)) {
					double d = a ? strtod(a, NULL) : 0;

					spec[n++] = conv;
					spec[n] = 0;
					PRINT_STARS(spec, nstar, star, d);
					continue;
				}
				spec[n++] = 'j';
				spec[n++] = conv;
				spec[n] = 0;
				{
					intmax_t v = num_arg(a);

					PRINT_STARS(spec, nstar, star, v);
				}
			}
		}
	} while (used && *args);
out:
	fflush(stdout);
	return status;
}
