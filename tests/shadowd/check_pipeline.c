/* SPDX-License-Identifier: MIT */
/*
 * HC_SPAWN_F_STDIN_PROC: `!a | !b` of the dual-OS shell, the two host
 * stages joined by a host pipe. The earlier stage's stdout is then the
 * later one's stdin and no longer readable by the guest.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include "checks.h"

static int64_t wait_h(struct sess *s, int64_t h)
{
	return call0(s, T_PROC, HC_PROC_WAIT, h, 0, NULL, 0);
}

static void release(struct sess *s, int64_t h)
{
	if (h >= 0)
		call0(s, T_PROC, HC_PROC_RELEASE, h, 0, NULL, 0);
}

static int exited0(int64_t st)
{
	return st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static void check_two_stages(struct sess *s)
{
	char *printf_ab[] = { "printf", "a\\nb\\n", NULL };
	char *sort_r[] = { "sort", "-r", NULL };
	char *data = NULL;
	int64_t a, b, r, r1, ra, rb;

	a = spawn(s, NULL, printf_ab, NULL, 0, NULL);
	b = a >= 0 ? spawn4(s, NULL, sort_r, NULL, HC_SPAWN_F_STDIN_PROC, a,
			    NULL) : -1;
	if (a < 0 || b < 0) {
		fail("stdin_proc: printf | sort -r", "spawn %lld, %lld",
		     (long long)a, (long long)b);
		release(s, a);
		return;
	}
	r = read_all(s, b, 1, &data);
	CHECK("stdin_proc: printf | sort -r", r == 4 && !strcmp(data, "b\na\n"),
	      "got %lld '%s'", (long long)r, data);
	free(data);
	r1 = call(s, T_PROC, HC_PROC_READ, a, 1, 0, NULL, 0, 100, NULL,
		  NULL);
	CHECK("stdin_proc: earlier stdout no longer readable", r1 == -EBADF,
	      "read %lld", (long long)r1);
	r = call0(s, T_PROC, HC_PROC_WRITE, b, 0, "x", 1);
	CHECK("stdin_proc: later stage has no guest stdin", r == -EBADF,
	      "write %lld", (long long)r);
	ra = wait_h(s, a);
	rb = wait_h(s, b);
	CHECK("stdin_proc: both stages exit 0", exited0(ra) && exited0(rb),
	      "wait %lld, %lld", (long long)ra, (long long)rb);
	/* Handed over once: a second consumer of the same stdout fails. */
	r = spawn4(s, NULL, sort_r, NULL, HC_SPAWN_F_STDIN_PROC, a, NULL);
	CHECK("stdin_proc: stdout handed over only once", r == -EBADF,
	      "spawn %lld", (long long)r);
	release(s, a);
	release(s, b);
}

/* Three stages and more data than a pipe holds; stderr stays apart. */
static void check_three_stages(struct sess *s)
{
	char *seq[] = { "sh", "-c", "seq 1 20000; echo warn >&2", NULL };
	char *sort_n[] = { "sort", "-rn", NULL };
	char *head1[] = { "head", "-n", "1", NULL };
	char *data = NULL, *err = NULL;
	int64_t a, b, c, r;

	a = spawn(s, NULL, seq, NULL, 0, NULL);
	b = a >= 0 ? spawn4(s, NULL, sort_n, NULL, HC_SPAWN_F_STDIN_PROC, a,
			    NULL) : -1;
	c = b >= 0 ? spawn4(s, NULL, head1, NULL, HC_SPAWN_F_STDIN_PROC, b,
			    NULL) : -1;
	if (c < 0) {
		fail("stdin_proc: seq | sort -rn | head -1", "spawn %lld %lld "
		     "%lld", (long long)a, (long long)b, (long long)c);
	} else {
		r = read_all(s, c, 1, &data);
		read_all(s, a, 2, &err);
		CHECK("stdin_proc: seq | sort -rn | head -1",
		      r > 0 && !strcmp(data, "20000\n") &&
		      !strcmp(err, "warn\n"), "got '%s', stderr '%s'", data,
		      err);
		free(data);
		free(err);
		wait_h(s, c);
	}
	release(s, a);
	release(s, b);
	release(s, c);
}

static void check_refusals(struct sess *s)
{
	char *cat[] = { "cat", NULL };
	char *truecmd[] = { "true", NULL };
	int64_t r, a;

	r = spawn4(s, NULL, cat, NULL, HC_SPAWN_F_STDIN_PROC, 200, NULL);
	CHECK("stdin_proc: unknown handle", r == -EBADF, "spawn %lld",
	      (long long)r);
	r = spawn4(s, NULL, cat, NULL, HC_SPAWN_F_STDIN_PROC, -1, NULL);
	CHECK("stdin_proc: negative handle", r == -EBADF, "spawn %lld",
	      (long long)r);
	a = spawn(s, NULL, truecmd, NULL, 0, NULL);
	r = spawn4(s, NULL, cat, NULL, HC_SPAWN_F_STDIN_PROC |
		   HC_SPAWN_F_PTY, a, NULL);
	CHECK("stdin_proc: excludes pty", r == -EINVAL, "spawn %lld",
	      (long long)r);
	/* A failed spawn leaves the source's stdout with the guest. */
	{
		char *missing[] = { "hc-no-such-command-xyz", NULL };
		char *data = NULL;

		r = spawn4(s, NULL, missing, NULL, HC_SPAWN_F_STDIN_PROC, a,
			   NULL);
		CHECK("stdin_proc: failed spawn keeps the source readable",
		      r == -ENOENT && read_all(s, a, 1, &data) == 0,
		      "spawn %lld", (long long)r);
		free(data);
	}
	release(s, a);
}

void check_stdin_proc(struct sess *s)
{
	check_two_stages(s);
	check_three_stages(s);
	check_refusals(s);
}
