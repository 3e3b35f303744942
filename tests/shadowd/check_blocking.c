/* SPDX-License-Identifier: MIT */
/*
 * No guest request blocks the shadow's loop: with a SPAWN whose cwd hangs
 * and fs calls whose paths hang (a FUSE mount that never answers), the
 * same session still answers PING, and a CANCEL of another pending call.
 * Released, each hung call ends with its real result.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "checks.h"
#include "hang.h"

static int64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/*
 * CANCEL never loses a count: a write into a full pipe returns what it
 * wrote (short), and only a write that moved nothing ends -ECANCELED.
 */
static void check_cancel_counts(struct sess *s)
{
	char *sleeper[] = { "sleep", "30", NULL };
	static unsigned char buf[100000];
	int64_t h, w1, w2;
	uint64_t tag;

	h = spawn(s, NULL, sleeper, NULL, 0, NULL);
	w1 = call0(s, T_PROC, HC_PROC_WRITE, h, 0, buf, sizeof(buf));
	tag = next_tag++;
	send_call(s, tag, T_PROC, HC_PROC_WRITE, h, 0, 0, buf,
		  sizeof(buf), 0);
	msleep(100);
	send_cancel(s, tag);
	w2 = wait_reply(s, tag, TIMEOUT_MS, NULL, NULL);
	CHECK("cancel: a short write reports its count, a stuck one nothing",
	      h >= 0 && w1 > 0 && w1 < (int64_t)sizeof(buf) &&
	      w2 == -ECANCELED, "write %lld, cancelled write %lld",
	      (long long)w1, (long long)w2);
	call0(s, T_PROC, HC_PROC_RELEASE, h, 0, NULL, 0);
}

/*
 * A file whose server hangs at FLUSH: its CLOSE waits, the loop does not.
 * Before: close() ran on the loop.
 */
static void check_close_hangs(struct sess *s)
{
	const char *name = "blocking: PING answered beside a hung close";
	char why[128];
	struct hang h;
	int64_t fh, c, ping, ms, t0;
	uint64_t tag;

	if (hang_start_flush(&h, why, sizeof(why)) < 0) {
		skip(name, why);
		return;
	}
	fh = path_call(s, T_FS, HC_FS_OPEN, O_RDONLY, 0, h.path);
	if (fh < 0) {
		fail(name, "open %s: %lld", h.path, (long long)fh);
		hang_release(&h);
		return;
	}
	tag = next_tag++;
	send_call(s, tag, T_FS, HC_FS_CLOSE, fh, 0, 0, NULL, 0, 0);
	msleep(100);
	t0 = now_ms();
	ping = call(s, T_SYS, HC_SYS_PING, 0, 0, 0, "c", 1, 1, NULL,
		    NULL);
	ms = now_ms() - t0;
	CHECK(name, ping == 1 && ms < 2000, "ping %lld after %lld ms",
	      (long long)ping, (long long)ms);
	hang_release(&h);
	c = wait_reply(s, tag, TIMEOUT_MS, NULL, NULL);
	CHECK("blocking: the hung close ends, the handle is gone",
	      (c == 0 || c == -ENOTCONN || c == -ECONNABORTED) &&
	      call0(s, T_FS, HC_FS_CLOSE, fh, 0, NULL, 0) == -EBADF,
	      "close %lld", (long long)c);
}

void check_blocking(int ctl, uint32_t session)
{
	static const struct { const char *what; uint16_t mod, op; } ops[] = {
		{ "stat", T_FS, HC_FS_STAT },
		{ "mkdir", T_FS, HC_FS_MKDIR },
		{ "unlink", T_FS, HC_FS_UNLINK },
		{ "readlink", T_FS, HC_FS_READLINK },
		{ "chdir", T_SYS, HC_SYS_CHDIR },
	};
	enum { NOPS = sizeof(ops) / sizeof(ops[0]) };
	const char *name = "blocking: PING answered beside hung calls";
	char *truecmd[] = { "true", NULL }, *cat[] = { "cat", NULL };
	char why[128], path[96], in[256];
	struct hc_session_info info;
	struct sess s = { .fd = -1 };
	uint64_t tags[NOPS], stag, rtag;
	int64_t t0, ping, ms, r, res[NOPS], sres;
	struct hang h;
	int64_t hc;
	int i, n, bad = 0;

	if (open_session(ctl, session, 1000, &info, &s.fd) != 0) {
		fail(name, "open");
		return;
	}
	s.id = info.session;
	check_cancel_counts(&s);
	check_close_hangs(&s);
	if (hang_start(&h, why, sizeof(why)) < 0) {
		skip(name, why);
		sess_close(&s);
		return;
	}
	hc = spawn(&s, NULL, cat, NULL, 0, NULL);
	rtag = next_tag++;
	send_call(&s, rtag, T_PROC, HC_PROC_READ, hc, 1, 0, NULL, 0, 100);
	/* A SPAWN whose cwd hangs (the launcher waits for its chdir), and
	 * one fs call of each kind on a path that hangs. */
	n = snprintf(in, sizeof(in), "%s", h.path) + 1;
	n += snprintf(in + n, sizeof(in) - n, "true") + 1;
	stag = next_tag++;
	send_call(&s, stag, T_PROC, HC_PROC_SPAWN, 1, 0, HC_SPAWN_F_CWD,
		  in, n, sizeof(struct hc_spawn_info));
	snprintf(path, sizeof(path), "%s/x", h.path);
	for (i = 0; i < NOPS; i++) {
		tags[i] = next_tag++;
		send_call(&s, tags[i], ops[i].mod, ops[i].op,
			  ops[i].op == HC_FS_MKDIR ? 0755 : 0, 0, 0, path,
			  strlen(path) + 1, sizeof(struct hc_stat));
	}
	msleep(200);
	t0 = now_ms();
	ping = call(&s, T_SYS, HC_SYS_PING, 0, 0, 0, "p", 1, 1, NULL,
		    NULL);
	ms = now_ms() - t0;
	CHECK(name, ping == 1 && ms < 2000, "ping %lld after %lld ms",
	      (long long)ping, (long long)ms);
	t0 = now_ms();
	send_cancel(&s, rtag);
	r = wait_reply(&s, rtag, 3000, NULL, NULL);
	ms = now_ms() - t0;
	CHECK("blocking: CANCEL answered beside hung calls",
	      r == -ECANCELED && ms < 2000, "read %lld after %lld ms",
	      (long long)r, (long long)ms);

	hang_release(&h);
	sres = wait_reply(&s, stag, TIMEOUT_MS, NULL, NULL);
	for (i = 0; i < NOPS; i++) {
		res[i] = wait_reply(&s, tags[i], TIMEOUT_MS, NULL, NULL);
		/* ENOTCONN from the aborted mount, ENOENT once detached */
		if (res[i] != -ENOTCONN && res[i] != -ENOENT)
			bad++;
	}
	CHECK("blocking: hung calls end with their real result once released",
	      !bad && (sres == -ENOTCONN || sres == -ENOENT),
	      "spawn %lld stat %lld mkdir %lld unlink %lld readlink %lld "
	      "chdir %lld", (long long)sres, (long long)res[0],
	      (long long)res[1], (long long)res[2], (long long)res[3],
	      (long long)res[4]);
	r = spawn(&s, NULL, truecmd, NULL, 0, NULL);
	CHECK("blocking: the session serves on afterwards", r >= 0 &&
	      call(&s, T_SYS, HC_SYS_PING, 0, 0, 0, "q", 1, 1, NULL,
		   NULL) == 1, "spawn %lld", (long long)r);
	sess_close(&s);
}
