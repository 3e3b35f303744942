/* SPDX-License-Identifier: MIT */
/*
 * The built-in "evq" module as the shadow serves it (Documentation/evq.md):
 * bound by name, CREATE validated against queue pair 1's data area and the
 * other queues, the host's header fields set at creation whatever the
 * guest left there, DESTROY, the per-session limit; then, with the example
 * plugin loaded by a shadowd of our own, a ping-pong where this test plays
 * the guest's side of the protocol by hand (no libhostcall), and a hostile
 * producer index breaking one queue only.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include "checks.h"

#define LOAD(p)		__atomic_load_n((p), __ATOMIC_ACQUIRE)
#define STORE(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define MB()		__atomic_thread_fence(__ATOMIC_SEQ_CST)

static int64_t create(struct sess *s, int64_t h, uint64_t off, unsigned entries,
		      unsigned esize, int dir)
{
	next_a3 = dir;
	return call(s, (uint16_t)h, HC_EVQ_CREATE, (int64_t)off, entries, esize,
		    NULL, 0, 0, NULL, NULL);
}

static int64_t destroy(struct sess *s, int64_t h, int64_t id)
{
	return call(s, (uint16_t)h, HC_EVQ_DESTROY, id, 0, 0, NULL, 0, 0, NULL,
		    NULL);
}

void check_evq(int ctl, uint32_t *next_session)
{
	static unsigned char zero[65536 + HC_EVQ_ALIGN];
	struct hc_session_info info;
	struct hc_bind_info bi;
	struct hc_evq_hdr *hdr;
	struct sess s;
	int64_t h, a, b, ids[HC_EVQ_MAX];
	uint32_t off;
	int i, ok = 1;

	memset(&s, 0, sizeof(s));
	if (open_session(ctl, *next_session, 1000, &info, &s.fd) ||
	    sess_attach(&s)) {
		fail("evq: session", "no session");
		return;
	}
	s.id = (*next_session)++;
	h = sess_bind(&s, HC_EVQ_MODULE, HC_EVQ_MAJOR, HC_EVQ_MINOR, &bi);
	CHECK("evq: bound by name, 1.0 with 2 functions",
	      h > 0 && bi.major == 1 && bi.nfuncs == HC_EVQ_FN_END - 1,
	      "handle %lld, %u.%u, %u functions", (long long)h, bi.major,
	      bi.minor, bi.nfuncs);
	if (h <= 0)
		goto out;
	off = sess_data(&s, 1, zero, sizeof(zero));
	off = (off + HC_EVQ_ALIGN - 1) & ~(uint32_t)(HC_EVQ_ALIGN - 1);
	CHECK("evq: create: a bad direction",
	      create(&s, h, off, 16, 16, 0) == -EINVAL, "wrong answer");
	CHECK("evq: create: entries not a power of 2",
	      create(&s, h, off, 24, 16, HC_EVQ_TO_HOST) == -EINVAL, "wrong answer");
	CHECK("evq: create: misaligned",
	      create(&s, h, off + 8, 16, 16, HC_EVQ_TO_HOST) == -EINVAL, "wrong answer");
	CHECK("evq: create: over the submission ring",
	      create(&s, h, HC_QP_SQ_OFF, 16, 16, HC_EVQ_TO_HOST) == -EFAULT, "wrong answer");
	CHECK("evq: create: past the queue pair",
	      create(&s, h, HC_QP_SIZE - 256, 16, 16, HC_EVQ_TO_HOST) == -EFAULT,
	      "wrong answer");
	CHECK("evq: create: an offset that wraps",
	      create(&s, h, 0xffffffc0u, 16, 16, HC_EVQ_TO_HOST) == -EFAULT, "wrong answer");
	hdr = (struct hc_evq_hdr *)(s.win + HC_QP_SIZE + off);
	memset(hdr, 0xee, sizeof(*hdr));
	a = create(&s, h, off, 16, 16, HC_EVQ_TO_HOST);
	CHECK("evq: create: an id", a > 0, "%lld", (long long)a);
	CHECK("evq: create: the host's fields set, the guest's left alone",
	      hdr->cons == 0 && hdr->cons_flags == 0 && hdr->state == 0 &&
	      hdr->error == 0 && hdr->prod == 0xeeeeeeeeu,
	      "cons %#x state %#x prod %#x", hdr->cons, hdr->state, hdr->prod);
	CHECK("evq: create: overlapping another queue",
	      create(&s, h, off + 256, 16, 16, HC_EVQ_TO_GUEST) == -EBUSY, "wrong answer");
	b = create(&s, h, off + HC_EVQ_BYTES(16, 16), 16, 16, HC_EVQ_TO_GUEST);
	CHECK("evq: create: right after it", b > 0 && b != a, "%lld",
	      (long long)b);
	CHECK("evq: destroy", destroy(&s, h, a) == 0 && destroy(&s, h, b) == 0,
	      "wrong answer");
	CHECK("evq: destroy: twice", destroy(&s, h, a) == -ENOENT, "wrong answer");
	CHECK("evq: destroy: an id never given", destroy(&s, h, 12345) == -ENOENT,
	      "wrong answer");
	for (i = 0; i < HC_EVQ_MAX; i++) {
		ids[i] = create(&s, h, off + i * 256, 2, 8, HC_EVQ_TO_HOST);
		ok &= ids[i] > 0;
	}
	CHECK("evq: 64 queues in a session, not 65", ok &&
	      create(&s, h, off + HC_EVQ_MAX * 256, 2, 8, HC_EVQ_TO_HOST) ==
	      -EMFILE, "wrong answer");
	for (i = 0; i < HC_EVQ_MAX; i++)
		destroy(&s, h, ids[i]);
	CHECK("evq: the session still serves",
	      call(&s, T_SYS, HC_SYS_PING, 0, 0, 0, "q", 1, 1, NULL, NULL) == 1,
	      "wrong answer");
out:
	sess_close(&s);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- the guest's side by hand: one producer, one consumer --------------- */

struct gq {
	struct hc_evq_hdr *h;
	uint64_t *ring;		/* 2 words an entry */
	uint32_t entries, own;
};

static void kick(struct sess *s)
{
	uint64_t one = 1;

	s->kicks++;
	if (write(s->kick, &one, sizeof(one)) < 0)
		perror("test: kick");
}

static int gput(struct sess *s, struct gq *q, uint64_t v)
{
	if (q->own - LOAD(&q->h->cons) >= q->entries)
		return -EAGAIN;
	q->ring[2 * (q->own & (q->entries - 1))] = v;
	q->ring[2 * (q->own & (q->entries - 1)) + 1] = ~v;
	STORE(&q->h->prod, ++q->own);
	MB();
	if (LOAD(&q->h->cons_flags) & HC_EVQ_NEED_WAKEUP)
		kick(s);
	return 0;
}

static int gget(struct sess *s, struct gq *q, uint64_t *v)
{
	uint32_t prod = LOAD(&q->h->prod);

	if (prod == q->own)
		return -EAGAIN;
	*v = q->ring[2 * (q->own & (q->entries - 1))];
	if (q->ring[2 * (q->own & (q->entries - 1)) + 1] != ~*v)
		return -EBADMSG;
	STORE(&q->h->cons, ++q->own);
	MB();
	if (LOAD(&q->h->prod_flags) & HC_EVQ_NEED_WAKEUP)
		kick(s);
	return 0;
}

/* Nothing to do: WAITING on the out queue, mb, recheck, the interrupt. */
static void gwait(struct sess *s, struct gq *out, int ms)
{
	struct pollfd p = { s->irq, POLLIN, 0 };
	uint64_t n;

	static uint32_t sleeps;

	/* each sleep a new value: the shadow interrupts once per value */
	STORE(&out->h->cons_flags, HC_EVQ_WAITING | ++sleeps << HC_EVQ_SLEEPS_SHIFT);
	MB();
	if (LOAD(&out->h->prod) == out->own)
		poll(&p, 1, ms);
	if (read(s->irq, &n, sizeof(n)) == sizeof(n))
		s->irqs += (unsigned)n;
	STORE(&out->h->cons_flags, 0);
}

static void gq_init(struct sess *s, struct gq *q, uint32_t off, uint32_t entries)
{
	q->h = (struct hc_evq_hdr *)(s->win + HC_QP_SIZE + off);
	q->ring = (uint64_t *)((unsigned char *)q->h + HC_EVQ_HDR_SIZE);
	q->entries = entries;
	q->own = 0;
}

static int write_plugin_policy(char *path, size_t n)
{
	int fd;
	FILE *f;

	snprintf(path, n, "/tmp/hc-evq-policy-XXXXXX");
	fd = mkstemp(path);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f)
		return -1;
	fprintf(f, "[global]\nmodule-dir = %s/modules\n[vm *]\nowners = root\n"
		"map * = root\nmodules = sys proc fs evq example\n", build);
	fclose(f);
	return 0;
}

void check_evq_pingpong(void)
{
	static unsigned char zero[8192];
	const char *extra[] = { "--config", NULL, NULL };
	struct hc_session_info info;
	struct sess s;
	struct gq in, out;
	char path[64];
	int64_t h, ex, a, b, r;
	uint32_t off;
	uint64_t tag = 0x5000, v, next = 0, got = 0;
	int ctl, ws, bad = 0, n = 20000;
	pid_t d;
	double t0;

	if (geteuid() != 0) {
		skip("evq: ping-pong with the example plugin",
		     "needs root (a root-owned module directory)");
		return;
	}
	if (write_plugin_policy(path, sizeof(path)) < 0) {
		fail("evq: plugin policy", "cannot write it");
		return;
	}
	extra[1] = path;
	d = start_shadowd(extra, &ctl);
	memset(&s, 0, sizeof(s));
	if (hello(ctl, HCP_VERSION) || open_session(ctl, 1, 1000, &info, &s.fd) ||
	    sess_attach(&s)) {
		fail("evq: ping-pong: session", "no session");
		goto out;
	}
	s.id = 1;
	h = sess_bind(&s, HC_EVQ_MODULE, 1, 0, NULL);
	ex = sess_bind(&s, "example", 1, 0, NULL);
	CHECK("evq: the example plugin binds beside evq", h > 0 && ex > 0,
	      "evq %lld, example %lld", (long long)h, (long long)ex);
	if (h <= 0 || ex <= 0)
		goto close;
	off = sess_data(&s, 1, zero, sizeof(zero));
	off = (off + HC_EVQ_ALIGN - 1) & ~(uint32_t)(HC_EVQ_ALIGN - 1);
	a = create(&s, h, off, 64, 16, HC_EVQ_TO_HOST);
	b = create(&s, h, off + 2048, 64, 16, HC_EVQ_TO_GUEST);
	gq_init(&s, &in, off, 64);
	gq_init(&s, &out, off + 2048, 64);
	next_a3 = 0;
	if (a <= 0 || b <= 0 ||
	    send_call(&s, tag, (uint16_t)ex, 6, a, b, n, NULL, 0, 0) < 0) {
		fail("evq: ping-pong: start", "queues %lld %lld", (long long)a,
		     (long long)b);
		goto close;
	}
	t0 = now_s();
	while (got < (uint64_t)n && now_s() - t0 < 30) {
		int moved = 0;

		while (next < (uint64_t)n && gput(&s, &in, next * 7 + 1) == 0) {
			next++;
			moved = 1;
		}
		while ((r = gget(&s, &out, &v)) == 0) {
			bad += v != got * 7 + 1;
			got++;
			moved = 1;
		}
		bad += r == -EBADMSG;
		if (!moved)
			gwait(&s, &out, 100);
	}
	r = wait_reply(&s, tag, TIMEOUT_MS, NULL, NULL);
	printf("# evq: host-side ping-pong of %d events: %.0f events/s, "
	       "%u kicks, %u interrupts\n", n, n / (now_s() - t0), s.kicks,
	       s.irqs);
	CHECK("evq: ping-pong with the example plugin: every event back in order",
	      got == (uint64_t)n && !bad && r == n, "got %llu, %d bad, result %lld",
	      (unsigned long long)got, bad, (long long)r);

	/* hostile: a producer index far ahead breaks that queue alone */
	tag++;
	STORE(&in.h->prod, in.own + 1000);
	send_call(&s, tag, (uint16_t)ex, 6, a, b, 1, NULL, 0, 0);
	r = wait_reply(&s, tag, TIMEOUT_MS, NULL, NULL);
	CHECK("evq: a producer index past the entries breaks the queue",
	      r == -EIO && (LOAD(&in.h->state) & HC_EVQ_BROKEN) &&
	      LOAD(&in.h->error) == HC_EVQERR_INDEX,
	      "result %lld state %u", (long long)r, LOAD(&in.h->state));
	CHECK("evq: the broken queue's session still serves",
	      call(&s, T_SYS, HC_SYS_PING, 0, 0, 0, "q", 1, 1, NULL, NULL) == 1 &&
	      destroy(&s, h, a) == 0 && destroy(&s, h, b) == 0, "no");

	/* a pingpong still waiting when the guest destroys its queue, and
	 * one still waiting when the session ends (new queues start from a
	 * zeroed header: the broken one left its nonsense there) */
	memset(in.h, 0, 4096);
	a = create(&s, h, off, 64, 16, HC_EVQ_TO_HOST);
	b = create(&s, h, off + 2048, 64, 16, HC_EVQ_TO_GUEST);
	send_call(&s, ++tag, (uint16_t)ex, 6, a, b, 1000, NULL, 0, 0);
	msleep(50);
	r = destroy(&s, h, a);
	v = (uint64_t)wait_reply(&s, tag, TIMEOUT_MS, NULL, NULL);
	CHECK("evq: destroying a queue ends the pingpong waiting on it",
	      r == 0 && (int64_t)v == -EPIPE, "destroy %lld, pingpong %lld",
	      (long long)r, (long long)(int64_t)v);
	a = create(&s, h, off, 64, 16, HC_EVQ_TO_HOST);
	send_call(&s, ++tag, (uint16_t)ex, 6, a, b, 1000, NULL, 0, 0);
	msleep(50);
close:
	sess_close(&s);
	CHECK("evq: a session ending with a pingpong pending: the shadow exits",
	      gone_within(info.shadow_pid, 5000), "shadow %d still there",
	      info.shadow_pid);
out:
	close(ctl);
	waitpid(d, &ws, 0);
	unlink(path);
}
