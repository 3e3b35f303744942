// SPDX-License-Identifier: MIT
/*
 * HC_CANCEL_F_UNDO: a caller that is gone has the shadow release what its
 * call created, whether the cancel reaches the call still pending or
 * after it answered (the driver sends it once it knows the caller will
 * never see the answer): a spawned process, an opened file, a binding.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "checks.h"

/* CANCEL with HC_CANCEL_F_UNDO for tag; its own answer is consumed. */
static int64_t undo(struct sess *s, uint64_t tag)
{
	uint64_t t = next_tag++;
	int64_t r;

	send_call(s, t, HC_MOD_SESSION, HC_SESSION_CANCEL, (int64_t)tag,
		  HC_CANCEL_F_UNDO, 0, NULL, 0, 0);
	r = wait_reply(s, t, TIMEOUT_MS, NULL, NULL);
	return r;
}

void check_undo(struct sess *s)
{
	char in[64] = "sleep\0" "30";
	struct hc_spawn_info si;
	int64_t h, r, r2;
	uint64_t tag;

	/* answered: a process */
	tag = next_tag++;
	send_call(s, tag, T_PROC, HC_PROC_SPAWN, 2, 0, 0, in, 9, sizeof(si));
	h = wait_reply(s, tag, TIMEOUT_MS, NULL, NULL);
	r = undo(s, tag);
	r2 = call0(s, T_PROC, HC_PROC_WAIT, h, 0, NULL, 0);
	CHECK("undo: a process spawned by an answered call is released",
	      h >= 0 && r == 0 && r2 == -EBADF, "spawn %lld undo %lld wait "
	      "%lld", (long long)h, (long long)r, (long long)r2);

	/* answered: a file */
	tag = next_tag++;
	send_call(s, tag, T_FS, HC_FS_OPEN, O_RDONLY, 0, 0, "/", 2, 0);
	h = wait_reply(s, tag, TIMEOUT_MS, NULL, NULL);
	r = undo(s, tag);
	r2 = call0(s, T_FS, HC_FS_FSTAT, h, 0, NULL, 0);
	CHECK("undo: a file opened by an answered call is closed",
	      h >= 0 && r == 0 && r2 == -EBADF, "open %lld undo %lld fstat "
	      "%lld", (long long)h, (long long)r, (long long)r2);
	r = undo(s, tag);
	CHECK("undo: a second undo of it does nothing", r == 0, "%lld",
	      (long long)r);

	/* answered: a binding. sys is bound already (T_SYS): this BIND
	 * adds a reference, the undo drops it, so one UNBIND ends it. */
	h = sess_handle(s, T_SYS);
	tag = next_tag++;
	send_call(s, tag, HC_MOD_SESSION, HC_SESSION_BIND, 1, 0, 0, "sys", 3,
		  0);
	r = wait_reply(s, tag, TIMEOUT_MS, NULL, NULL);
	undo(s, tag);
	call(s, HC_MOD_SESSION, HC_SESSION_UNBIND, h, 0, 0, NULL, 0, 0, NULL,
	     NULL);
	r2 = call(s, h, HC_SYS_PING, 0, 0, 0, "p", 1, 1, NULL, NULL);
	s->handles[0] = 0;	/* T_SYS binds again at its next use */
	CHECK("undo: the reference an answered BIND added is dropped",
	      h > 0 && r == h && r2 == -EBADF, "bind %lld (sys %lld), ping "
	      "after undo and unbind %lld", (long long)r, (long long)h,
	      (long long)r2);

	/* pending: undone when it completes */
	tag = next_tag++;
	send_call(s, tag, T_PROC, HC_PROC_SPAWN, 2, 0, 0, in, 9, sizeof(si));
	r = undo(s, tag);
	h = wait_reply(s, tag, TIMEOUT_MS, NULL, NULL);
	r2 = h >= 0 ? call0(s, T_PROC, HC_PROC_WAIT, h, 0, NULL, 0) : h;
	CHECK("undo: a spawn still pending is released when it completes",
	      r == 0 && h >= 0 && r2 == -EBADF, "undo %lld spawn %lld wait "
	      "%lld", (long long)r, (long long)h, (long long)r2);
	r = undo(s, 0x7777777777ull);
	CHECK("undo: an unknown tag is no error", r == 0, "%lld",
	      (long long)r);
}
