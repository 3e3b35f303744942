/* SPDX-License-Identifier: MIT */
/*
 * The window as the shadow serves it: bad entries fail alone, nonsense
 * indices break one queue pair and leave the other serving, kicks are
 * suppressed while the shadow polls, interrupts come only to a guest
 * that says it waits (Documentation/window.md).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "checks.h"

#define LOAD(p)		__atomic_load_n((p), __ATOMIC_ACQUIRE)

static int open_sess(int ctl, uint32_t *next, struct sess *s,
		     struct hc_session_info *info, const char *name)
{
	int st;

	memset(s, 0, sizeof(*s));
	st = open_session(ctl, *next, 1000, info, &s->fd);
	s->id = (*next)++;
	if (st == 0)
		st = sess_attach(s);
	if (st != 0)
		fail(name, "session: %d", st);
	return st;
}

static int64_t raw_result(struct sess *s, uint64_t tag)
{
	return wait_reply(s, tag, TIMEOUT_MS, NULL, NULL);
}

/* Bad entries, all queued at once with good ones between: each fails
 * with its own error, the good ones are served. */
static void check_bad_entries(struct sess *s)
{
	static const struct {
		const char *name;
		uint16_t module, op;
		uint32_t flags, in_off, in_len, out_off, out_len;
		int64_t want;
	} bad[] = {
		{ "window: input past the data area", T_SYS, HC_SYS_PING,
		  0, HC_QP_SIZE - 8, 16, 0, 0, -EFAULT },
		{ "window: output past the data area", T_SYS,
		  HC_SYS_PING, 0, 0, 0, HC_QP_SIZE - 100, 4096, -EFAULT },
		{ "window: input in the submission ring", T_FS,
		  HC_FS_STAT, 0, HC_QP_SQ_OFF, 64, 0, 0, -EFAULT },
		{ "window: output over the ctl page", T_SYS, HC_SYS_TIME,
		  0, 0, 0, 0, 64, -EFAULT },
		{ "window: offset wraps around", T_SYS, HC_SYS_PING, 0,
		  0xfffffff0u, 0x20, 0, 0, -EFAULT },
		{ "window: length over HC_MAX_DATA", T_SYS, HC_SYS_PING,
		  0, 0, 0, HC_QP_DATA_OFF, HC_MAX_DATA + 1, -EINVAL },
		{ "window: unknown op", T_FS, 200, 0, 0, 0, 0, 0,
		  -ENOSYS },
		{ "window: session op other than CANCEL", HC_MOD_SESSION,
		  HC_SESSION_CLOSE, 0, 0, 0, 0, 0, -ENOSYS },
		{ "window: nonzero flags", T_SYS, HC_SYS_PING, 1, 0, 0,
		  0, 0, -EINVAL },
	};
	enum { N = sizeof(bad) / sizeof(bad[0]) };
	uint64_t tags[N], good[N];
	unsigned char *out;
	uint32_t olen;
	unsigned i;
	int ok = 1;

	for (i = 0; i < N; i++) {
		struct hc_sqe e;

		memset(&e, 0, sizeof(e));
		e.tag = tags[i] = next_tag++;
		e.module = sess_handle(s, bad[i].module);
		e.op = bad[i].op;
		e.flags = bad[i].flags;
		e.in_off = bad[i].in_off;
		e.in_len = bad[i].in_len;
		e.out_off = bad[i].out_off;
		e.out_len = bad[i].out_len;
		if (submit_sqe(s, 0, &e) < 0)
			fail(bad[i].name, "cannot submit");
		good[i] = next_tag++;
		send_call(s, good[i], T_SYS, HC_SYS_PING, 0, 0, 0, "ok",
			  2, 2);
	}
	for (i = 0; i < N; i++) {
		int64_t r = raw_result(s, tags[i]);

		CHECK(bad[i].name, r == bad[i].want, "result %lld, want %lld",
		      (long long)r, (long long)bad[i].want);
	}
	for (i = 0; i < N; i++) {
		out = NULL;
		if (wait_reply(s, good[i], TIMEOUT_MS, &out, &olen) != 2 ||
		    olen != 2 || memcmp(out, "ok", 2))
			ok = 0;
		free(out);
	}
	CHECK("window: good entries between bad ones are served", ok,
	      "a ping failed");
}

/* qp breaks: its state says so, the other queue pair still serves. */
static void check_broken(int ctl, uint32_t *next, int which)
{
	const char *name = which == HC_QPERR_SQ_INDEX ?
		"window: sq_prod out of range breaks the queue pair" :
		"window: cq_cons out of range breaks the queue pair";
	struct hc_session_info info;
	struct hc_qp_ctl *c;
	struct sess s;
	int bq = which == HC_QPERR_SQ_INDEX ? 1 : 0, i;
	uint64_t one = 1;
	int64_t r;

	if (open_sess(ctl, next, &s, &info, name) != 0)
		return;
	c = sess_ctl(&s, bq);
	if (which == HC_QPERR_SQ_INDEX) {
		__atomic_store_n(&c->sq_prod, 1000, __ATOMIC_RELEASE);
		if (write(s.kick, &one, sizeof(one)) < 0)
			perror("kick");
	} else {
		__atomic_store_n(&c->cq_cons, 777, __ATOMIC_RELEASE);
		s.qp = 0;
		send_call(&s, next_tag++, T_SYS, HC_SYS_PING, 0, 0, 0,
			  NULL, 0, 0);
		if (write(s.kick, &one, sizeof(one)) < 0)
			perror("kick");
	}
	for (i = 0; i < 500 && !(LOAD(&c->state) & HC_QP_BROKEN); i++)
		msleep(10);
	CHECK(name, (LOAD(&c->state) & HC_QP_BROKEN) &&
	      LOAD(&c->error) == (uint32_t)which, "state %u error %u",
	      LOAD(&c->state), LOAD(&c->error));
	s.qp = !bq;
	r = call(&s, T_SYS, HC_SYS_PING, 0, 0, 0, "x", 1, 1, NULL, NULL);
	CHECK(which == HC_QPERR_SQ_INDEX ?
	      "window: qp 0 serves while qp 1 is broken" :
	      "window: qp 1 serves while qp 0 is broken", r == 1,
	      "ping %lld", (long long)r);
	sess_close(&s);
	CHECK("window: a broken queue pair's shadow ends on close",
	      gone_within(info.shadow_pid, 5000), "still there");
}

/* One busy caller: back-to-back calls find the shadow polling. */
static void check_kicks(int ctl, uint32_t *next)
{
	struct hc_session_info info;
	struct sess s;
	int i, n = 1000, ok = 1;

	if (open_sess(ctl, next, &s, &info, "window: kicks") != 0)
		return;
	for (i = 0; i < n && ok; i++)
		ok = call(&s, T_SYS, HC_SYS_PING, 0, 0, 0, NULL, 0, 0,
			  NULL, NULL) == 0;
	CHECK("window: back-to-back calls", ok, "call %d failed", i);
	CHECK("window: back-to-back calls cost few kicks",
	      s.kicks < (unsigned)n / 4, "%u kicks for %d calls", s.kicks, n);
	CHECK("window: the ctl counts the guest's kicks",
	      LOAD(&sess_ctl(&s, 0)->guest_kicks) == s.kicks,
	      "%u vs %u", LOAD(&sess_ctl(&s, 0)->guest_kicks), s.kicks);
	sess_close(&s);
}

/* Interrupts only while HC_CQ_WAITING is set. */
static void check_irqs(int ctl, uint32_t *next)
{
	struct hc_session_info info;
	struct hc_qp_ctl *c;
	struct reply rp;
	struct sess s;
	uint64_t v = 0;
	int i, n = 50, got = 0, waited = 0;
	unsigned before, irqs0;

	if (open_sess(ctl, next, &s, &info, "window: interrupts") != 0)
		return;
	c = sess_ctl(&s, 0);
	/* The bind waits as a guest does (interrupts): before the count. */
	sess_handle(&s, T_SYS);
	irqs0 = LOAD(&c->host_irqs);
	while (read(s.irq, &v, sizeof(v)) == sizeof(v))
		;
	/* Spin on cq_prod without saying we wait: no interrupt at all. */
	for (i = 0; i < n; i++) {
		uint32_t want = s.q[0].cons + 1;
		int spins = 0;

		send_call(&s, next_tag++, T_SYS, HC_SYS_PING, 0, 0, 0,
			  NULL, 0, 0);
		while (LOAD(&c->cq_prod) != want && spins++ < 2000000)
			sched_yield();
		if (read(s.irq, &v, sizeof(v)) == sizeof(v))
			got += v;
		if (recv_reply(&s, TIMEOUT_MS, &rp) == 0)
			free(rp.data);
	}
	CHECK("window: no interrupt without HC_CQ_WAITING",
	      got == 0 && LOAD(&c->host_irqs) == irqs0, "%d irqs, host_irqs "
	      "%u (%u before)", got, LOAD(&c->host_irqs), irqs0);
	/* Waiting for a call that takes a while: an interrupt. */
	before = s.irqs;
	for (i = 0; i < 3; i++) {
		char *argv[] = { "sleep", "0.05", NULL };
		int64_t h;

		msleep(5);	/* past the polling budget: the shadow sleeps */
		h = spawn(&s, NULL, argv, NULL, 0, NULL);

		if (h >= 0) {
			waited += call0(&s, T_PROC, HC_PROC_WAIT, h, 0,
					NULL, 0) == 0;
			call0(&s, T_PROC, HC_PROC_RELEASE, h, 0, NULL, 0);
		}
	}
	CHECK("window: a waiting guest gets its interrupt",
	      waited == 3 && s.irqs > before && LOAD(&c->host_irqs) > 0,
	      "waits %d, irqs %u, host_irqs %u", waited, s.irqs - before,
	      LOAD(&c->host_irqs));
	CHECK("window: a sleeping shadow is kicked and counts its wakeups",
	      s.kicks > 0 && LOAD(&c->host_wakeups) > 0 &&
	      LOAD(&c->host_wakeups) <= s.kicks,
	      "wakeups %u kicks %u", LOAD(&c->host_wakeups), s.kicks);
	sess_close(&s);
}

void check_window(int ctl, uint32_t *next)
{
	struct hc_session_info info;
	struct sess s;

	if (open_sess(ctl, next, &s, &info, "window: bad entries") == 0) {
		check_bad_entries(&s);
		sess_close(&s);
	}
	check_broken(ctl, next, HC_QPERR_SQ_INDEX);
	check_broken(ctl, next, HC_QPERR_CQ_INDEX);
	check_kicks(ctl, next);
	check_irqs(ctl, next);
}
