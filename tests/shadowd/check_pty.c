/* SPDX-License-Identifier: MIT */
/*
 * HC_SPAWN_F_PTY and HC_PROC_RESIZE: a host command on a pty of its own,
 * as the dual-OS shell runs `!vi` or `!bash -i`.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include "checks.h"

#define SIZE(rows, cols) (((int64_t)(rows) << 16) | (cols))

static void release(struct sess *s, int64_t h)
{
	if (h >= 0)
		call0(s, T_PROC, HC_PROC_RELEASE, h, 0, NULL, 0);
}

/* Read stream 1 until `want` shows up (1) or EOF/error (0); *acc keeps
 * everything read, NUL-terminated. */
static int read_until(struct sess *s, int64_t h, const char *want,
		      char **acc, size_t *len)
{
	unsigned char *out;
	uint32_t olen;
	int64_t r;

	for (;;) {
		if (*acc && strstr(*acc, want))
			return 1;
		r = call(s, T_PROC, HC_PROC_READ, h, 1, 0, NULL, 0, 4096,
			 &out, &olen);
		if (r <= 0) {
			free(out);
			return 0;
		}
		*acc = realloc(*acc, *len + olen + 1);
		memcpy(*acc + *len, out, olen);
		*len += olen;
		(*acc)[*len] = 0;
		free(out);
	}
}

static void check_size_and_tty(struct sess *s)
{
	char *argv[] = { "sh", "-c", "stty size; tty", NULL };
	char *data = NULL;
	int64_t h, r, r2, st;

	h = spawn4(s, NULL, argv, NULL, HC_SPAWN_F_PTY, SIZE(33, 101), NULL);
	if (h < 0) {
		fail("pty: stty size; tty", "spawn %lld", (long long)h);
		return;
	}
	r = read_all(s, h, 1, &data);
	/* The terminal turns \n into \r\n (onlcr). */
	CHECK("pty: stty size; tty", r > 0 && strstr(data, "33 101\r\n") &&
	      strstr(data, "/dev/pts/"), "got %lld '%s'", (long long)r, data);
	free(data);
	r = call(s, T_PROC, HC_PROC_READ, h, 1, 0, NULL, 0, 100, NULL,
		 NULL);
	r2 = call(s, T_PROC, HC_PROC_READ, h, 2, 0, NULL, 0, 100, NULL,
		  NULL);
	CHECK("pty: EOF after exit, stream 2 always EOF", r == 0 && r2 == 0,
	      "stream 1 %lld, stream 2 %lld", (long long)r, (long long)r2);
	st = call0(s, T_PROC, HC_PROC_WAIT, h, 0, NULL, 0);
	CHECK("pty: exit status", st >= 0 && WIFEXITED(st) &&
	      WEXITSTATUS(st) == 0, "wait %lld", (long long)st);
	release(s, h);
}

/* Session leader, its own group in the foreground of its terminal. */
static void check_job_control(struct sess *s)
{
	/* /proc/PID/stat: 1 pid, 5 pgrp, 6 session, 8 tpgid */
	char *argv[] = { "sh", "-c",
		"awk '{print ($1==$5 && $1==$6 && $1==$8) ? \"leader\" : $0}' "
		"/proc/$$/stat", NULL };
	char *data = NULL;
	int64_t h, r;

	h = spawn4(s, NULL, argv, NULL, HC_SPAWN_F_PTY, SIZE(24, 80), NULL);
	r = h >= 0 ? read_all(s, h, 1, &data) : h;
	CHECK("pty: session leader in the foreground", r > 0 &&
	      !strcmp(data, "leader\r\n"), "got %lld '%s'", (long long)r,
	      data ? data : "");
	free(data);
	release(s, h);
}

static void check_resize(struct sess *s)
{
	char *argv[] = { "sh", "-c",
		"trap 'echo winch' WINCH; stty size; echo ready; read x; "
		"stty size", NULL };
	char *acc = NULL;
	size_t len = 0;
	int64_t h, r, w;
	int ok;

	h = spawn4(s, NULL, argv, NULL, HC_SPAWN_F_PTY, SIZE(24, 80), NULL);
	if (h < 0) {
		fail("pty: resize", "spawn %lld", (long long)h);
		return;
	}
	ok = read_until(s, h, "ready\r\n", &acc, &len);
	CHECK("pty: initial size", ok && strstr(acc, "24 80\r\n"), "got '%s'",
	      acc ? acc : "");
	r = call0(s, T_PROC, HC_PROC_RESIZE, h, SIZE(50, 132), NULL, 0);
	/* The guest writes the master as stream 0: the line ends `read`. */
	w = call0(s, T_PROC, HC_PROC_WRITE, h, 0, "go\n", 3);
	ok = read_until(s, h, "50 132\r\n", &acc, &len);
	CHECK("pty: resize reaches stty size", r == 0 && w == 3 && ok,
	      "resize %lld write %lld got '%s'", (long long)r, (long long)w,
	      acc ? acc : "");
	CHECK("pty: resize sends SIGWINCH", strstr(acc, "winch") != NULL,
	      "got '%s'", acc ? acc : "");
	free(acc);
	release(s, h);
}

static void check_signal_and_errors(struct sess *s)
{
	char *sleep100[] = { "sleep", "100", NULL };
	char *truecmd[] = { "true", NULL };
	int64_t h, r, st;

	h = spawn4(s, NULL, sleep100, NULL, HC_SPAWN_F_PTY, 0, NULL);
	if (h < 0) {
		fail("pty: SIGNAL reaches the group", "spawn %lld",
		     (long long)h);
	} else {
		r = call0(s, T_PROC, HC_PROC_SIGNAL, h, SIGTERM, NULL, 0);
		st = call0(s, T_PROC, HC_PROC_WAIT, h, 0, NULL, 0);
		CHECK("pty: SIGNAL reaches the group", r == 0 && st >= 0 &&
		      WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM,
		      "signal %lld wait %lld", (long long)r, (long long)st);
		r = call0(s, T_PROC, HC_PROC_RESIZE, h, -1, NULL, 0);
		CHECK("pty: resize with a bad size", r == -EINVAL,
		      "result %lld", (long long)r);
		release(s, h);
	}
	h = spawn(s, NULL, truecmd, NULL, 0, NULL);
	r = call0(s, T_PROC, HC_PROC_RESIZE, h, SIZE(10, 10), NULL, 0);
	CHECK("pty: resize of a pipe process", r == -ENOTTY, "result %lld",
	      (long long)r);
	release(s, h);
	r = call0(s, T_PROC, HC_PROC_RESIZE, 250, SIZE(10, 10), NULL, 0);
	CHECK("pty: resize of a bad handle", r == -EBADF, "result %lld",
	      (long long)r);
	h = spawn4(s, NULL, truecmd, NULL, HC_SPAWN_F_PTY |
		   HC_SPAWN_F_MERGE_ERR, 0, NULL);
	CHECK("pty: merge_err is implied and accepted", h >= 0, "spawn %lld",
	      (long long)h);
	release(s, h);
	r = spawn4(s, NULL, truecmd, NULL, HC_SPAWN_F_PTY, 1LL << 33, NULL);
	CHECK("pty: bad size refused", r == -EINVAL, "spawn %lld",
	      (long long)r);
	/* The pty's master cannot be handed to a next stage. */
	h = spawn4(s, NULL, truecmd, NULL, HC_SPAWN_F_PTY, 0, NULL);
	r = spawn4(s, NULL, truecmd, NULL, HC_SPAWN_F_STDIN_PROC, h, NULL);
	CHECK("pty: not a stdin_proc source", h >= 0 && r == -EINVAL,
	      "spawn %lld, %lld", (long long)h, (long long)r);
	release(s, h);
}

void check_pty(struct sess *s)
{
	check_size_and_tty(s);
	check_job_control(s);
	check_resize(s);
	check_signal_and_errors(s);
}
