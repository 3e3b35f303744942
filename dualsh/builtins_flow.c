// SPDX-License-Identifier: MIT
/* dualsh builtins that steer the walk: break continue return local eval. */
#include <stdlib.h>
#include <string.h>

#include "shell.h"

static int count_arg(const char *cmd, const char *arg, int *n)
{
	char *end;
	long v = strtol(arg, &end, 10);

	if (*end || end == arg || v < 0) {
		errmsg("%s: Illegal number: %s", cmd, arg);
		return 2;
	}
	*n = (int)v;
	return 0;
}

static int loop_jump(int argc, char **argv, int kind)
{
	int n = 1;

	if (argc > 1 && count_arg(argv[0], argv[1], &n))
		return 2;
	if (n == 0) {
		errmsg("%s: Illegal number: %s", argv[0], argv[1]);
		return 2;
	}
	if (!sh.loopnest)
		return 0;
	if (n > sh.loopnest)
		n = sh.loopnest;
	sh.skip = kind;
	sh.skipcount = n;
	return 0;
}

int b_break(int argc, char **argv)
{
	return loop_jump(argc, argv, SKIP_BREAK);
}

int b_continue(int argc, char **argv)
{
	return loop_jump(argc, argv, SKIP_CONT);
}

int b_return(int argc, char **argv)
{
	int n = sh.status;

	if (argc > 1 && count_arg(argv[0], argv[1], &n))
		return 2;
	sh.status = n & 0xff;
	if (sh.funcnest || sh.source_depth)
		sh.skip = SKIP_RETURN;
	else
		shell_exit(sh.status);
	return sh.status;
}

int b_local(int argc, char **argv)
{
	int i, st = 0;

	for (i = 1; i < argc; i++)
		if (local_var(argv[i]))
			st = 1;
	return st;
}

int b_eval(int argc, char **argv)
{
	size_t len = 0;
	char *s;
	int i;

	for (i = 1; i < argc; i++)
		len += strlen(argv[i]) + 1;
	if (!len)
		return 0;
	s = xmalloc(len + 1);
	*s = 0;
	for (i = 1; i < argc; i++) {
		strcat(s, argv[i]);
		if (i + 1 < argc)
			strcat(s, " ");
	}
	sh.status = 0;
	i = run_string(s, strlen(s), NULL);
	free(s);
	return i;
}
