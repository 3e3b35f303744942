/* SPDX-License-Identifier: MIT */
/*
 * Event queues end to end (Documentation/evq.md), against the example
 * plugin's pingpong (echoes a to-host queue into a to-guest queue):
 *
 *   hc-evq [COUNT]    every check, then a ping-pong of COUNT events
 *                     (default 20000; make bench runs a million through
 *                     tests/bench/guest/hcb.c, with the same code:
 *                     evq-pingpong.h)
 *
 * Checks: create and destroy, bad arguments, -EAGAIN on a full and an
 * empty queue, -ETIMEDOUT of blocking get and put, many guest threads
 * producing and two consuming (no loss, no duplicate, each producer's
 * order kept), hostile headers (the host breaks the queue, a sleeping
 * getter wakes with -EIO, the session and other queues live on).
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "hostcall.h"
#include "hc-util.h"
#include "evq-pingpong.h"

static hc_session *hc;
static int example = -1;	/* binding */
static int pingpong_fn = -1;

static void pp_start(struct evq_pp *p, hc_evq *in, hc_evq *out, int64_t count)
{
	evq_pp_start(p, hc, example, pingpong_fn, in, out, count);
}

/* ---- basics ------------------------------------------------------------- */

static void basics(void)
{
	struct evq_ev e = { 0 }, big[2];
	hc_evq *q, *g;
	double t0;
	int i, r = 0;

	errno = 0;
	hc_check(!hc_evq_create(hc, 48, 64, HC_EVQ_TO_HOST) && errno == EINVAL,
		 "evq: entries not a power of 2", "errno %d", errno);
	errno = 0;
	hc_check(!hc_evq_create(hc, 16, 12, HC_EVQ_TO_HOST) && errno == EINVAL,
		 "evq: entry size not a multiple of 8", "errno %d", errno);
	errno = 0;
	hc_check(!hc_evq_create(hc, 16, 16, 3) && errno == EINVAL,
		 "evq: bad direction", "errno %d", errno);
	errno = 0;
	hc_check(!hc_evq_create(hc, 64, 4096, HC_EVQ_TO_HOST) && errno == EINVAL,
		 "evq: over 128 KiB", "errno %d", errno);

	q = hc_evq_create(hc, 16, sizeof(struct evq_ev), HC_EVQ_TO_HOST);
	g = hc_evq_create(hc, 16, sizeof(struct evq_ev), HC_EVQ_TO_GUEST);
	hc_check(q && g && hc_evq_id(q) > 0 && hc_evq_id(g) > 0 &&
		 hc_evq_id(q) != hc_evq_id(g), "evq: create two queues",
		 "errno %d", errno);
	if (!q || !g)
		exit(1);
	for (i = 0; i < 16 && !r; i++)
		r = hc_evq_put(q, &e, sizeof(e), HC_EVQ_NONBLOCK);
	hc_check(!r, "evq: 16 puts fill 16 entries", "%d", r);
	r = hc_evq_put(q, &e, sizeof(e), HC_EVQ_NONBLOCK);
	hc_check(r == -EAGAIN, "evq: put on a full queue: -EAGAIN", "%d", r);
	t0 = now();
	r = hc_evq_put(q, &e, sizeof(e), 100);
	hc_check(r == -ETIMEDOUT && now() - t0 >= 0.09,
		 "evq: blocking put on a full queue: -ETIMEDOUT after 100 ms",
		 "%d after %.3f s", r, now() - t0);
	r = hc_evq_get(g, &e, sizeof(e), HC_EVQ_NONBLOCK);
	hc_check(r == -EAGAIN, "evq: get on an empty queue: -EAGAIN", "%d", r);
	t0 = now();
	r = hc_evq_get(g, &e, sizeof(e), 200);
	hc_check(r == -ETIMEDOUT && now() - t0 >= 0.19 && now() - t0 < 5,
		 "evq: blocking get: -ETIMEDOUT after 200 ms", "%d after %.3f s",
		 r, now() - t0);
	hc_check(hc_evq_get(q, &e, sizeof(e), 0) == -EINVAL &&
		 hc_evq_put(g, &e, sizeof(e), 0) == -EINVAL,
		 "evq: the wrong direction: -EINVAL", "");
	hc_check(hc_evq_put(q, big, sizeof(big), 0) == -EINVAL &&
		 hc_evq_get(g, &e, sizeof(e) - 8, 0) == -EINVAL,
		 "evq: an event bigger than an entry: -EINVAL", "");
	r = hc_evq_destroy(q);
	hc_check(!r && !hc_evq_destroy(g), "evq: destroy", "%d", r);
	/* the window's room comes back: many queues one after the other */
	for (i = 0, r = 0; i < 200 && !r; i++) {
		q = hc_evq_create(hc, 256, 256, HC_EVQ_TO_GUEST);
		r = q ? hc_evq_destroy(q) : -errno;
	}
	hc_check(!r, "evq: 200 creates and destroys of 64 KiB queues",
		 "%d at %d", r, i);
}

/* ---- echo: pingpong with n events ----------------------------------------- */

static int echo(hc_evq *in, hc_evq *out, int n)
{
	struct evq_pp p;
	struct evq_ev e;
	int i, r = 0;

	pp_start(&p, in, out, n);
	for (i = 0; i < n && !r; i++) {
		e = (struct evq_ev){ 0, (uint32_t)i, evq_mix(0, (uint32_t)i) };
		r = hc_evq_put(in, &e, sizeof(e), 5000);
		if (!r)
			r = hc_evq_get(out, &e, sizeof(e), 5000);
		if (r > 0)
			r = e.seq == (uint32_t)i && e.check == evq_mix(0, e.seq) ? 0 :
			    -EBADMSG;
	}
	pthread_join(p.t, NULL);
	return r ? r : (int)p.result;
}

/* ---- threads ------------------------------------------------------------- */

#define PRODUCERS	4
#define CONSUMERS	2

struct mt {
	hc_evq *in, *out;
	int per;		/* events per producer */
	uint32_t id;
	int err;
	uint32_t last[PRODUCERS];	/* a consumer's: next seq per producer */
	int got;
};

static unsigned char *seen;	/* [producer * per + seq] */
static pthread_mutex_t seen_lock = PTHREAD_MUTEX_INITIALIZER;
static int total_got, dups, bad;

static void *producer(void *arg)
{
	struct mt *m = arg;
	int i, r;

	for (i = 0; i < m->per; i++) {
		struct evq_ev e = { m->id, (uint32_t)i, evq_mix(m->id, (uint32_t)i) };

		r = hc_evq_put(m->in, &e, sizeof(e), 10000);
		if (r) {
			m->err = r;
			break;
		}
	}
	return NULL;
}

static void *consumer(void *arg)
{
	struct mt *m = arg;
	struct evq_ev e;
	int r;

	for (;;) {
		pthread_mutex_lock(&seen_lock);
		r = total_got >= PRODUCERS * m->per;
		pthread_mutex_unlock(&seen_lock);
		if (r)
			break;
		r = hc_evq_get(m->out, &e, sizeof(e), 200);
		if (r == -ETIMEDOUT)
			continue;
		if (r < 0) {
			m->err = r;
			break;
		}
		pthread_mutex_lock(&seen_lock);
		if (e.thread >= PRODUCERS || e.seq >= (uint32_t)m->per ||
		    e.check != evq_mix(e.thread, e.seq))
			bad++;
		else if (seen[e.thread * m->per + e.seq]++)
			dups++;
		else if (e.seq < m->last[e.thread])
			bad++;		/* this consumer saw it out of order */
		if (e.thread < PRODUCERS)
			m->last[e.thread] = e.seq;
		total_got++;
		m->got++;
		pthread_mutex_unlock(&seen_lock);
	}
	return NULL;
}

static void threads(hc_evq *in, hc_evq *out, int per)
{
	struct mt p[PRODUCERS], c[CONSUMERS];
	pthread_t tp[PRODUCERS], tc[CONSUMERS];
	struct evq_pp pp;
	int i, missing = 0, err = 0;

	seen = calloc((size_t)PRODUCERS * per, 1);
	pp_start(&pp, in, out, (int64_t)PRODUCERS * per);
	for (i = 0; i < CONSUMERS; i++) {
		c[i] = (struct mt){ .in = in, .out = out, .per = per };
		pthread_create(&tc[i], NULL, consumer, &c[i]);
	}
	for (i = 0; i < PRODUCERS; i++) {
		p[i] = (struct mt){ .in = in, .out = out, .per = per,
				    .id = (uint32_t)i };
		pthread_create(&tp[i], NULL, producer, &p[i]);
	}
	for (i = 0; i < PRODUCERS; i++) {
		pthread_join(tp[i], NULL);
		err = err ? err : p[i].err;
	}
	for (i = 0; i < CONSUMERS; i++) {
		pthread_join(tc[i], NULL);
		err = err ? err : c[i].err;
	}
	pthread_join(pp.t, NULL);
	for (i = 0; i < PRODUCERS * per; i++)
		missing += !seen[i];
	hc_check(!err && !missing && !dups && !bad &&
		 pp.result == (int64_t)PRODUCERS * per,
		 "evq: 4 producer and 2 consumer threads: no loss, no duplicate, "
		 "each producer's order kept",
		 "err %d, %d missing, %d duplicates, %d bad, pingpong %lld",
		 err, missing, dups, bad, (long long)pp.result);
	printf("# threads: consumers got %d and %d\n", c[0].got, c[1].got);
	free(seen);
}

/* ---- hostile headers -------------------------------------------------------- */

static void *get_forever(void *arg)
{
	struct evq_ev e;

	return (void *)(intptr_t)hc_evq_get(arg, &e, sizeof(e), HC_EVQ_FOREVER);
}

static void hostile(void)
{
	hc_evq *in = hc_evq_create(hc, 8, sizeof(struct evq_ev), HC_EVQ_TO_HOST);
	hc_evq *out = hc_evq_create(hc, 8, sizeof(struct evq_ev), HC_EVQ_TO_GUEST);
	struct hc_evq_hdr *h;
	struct evq_ev e = { 0 };
	struct evq_pp pp;
	pthread_t t;
	void *res;
	char pong[1];
	int r;

	if (!in || !out) {
		hc_check(0, "evq: hostile: queues", "errno %d", errno);
		return;
	}
	/* to-host: a producer index far ahead of the host's */
	h = hc_evq_header(in);
	__atomic_store_n(&h->prod, h->cons + 1000, __ATOMIC_RELEASE);
	pp_start(&pp, in, out, 1);
	pthread_join(pp.t, NULL);
	hc_check(pp.result == -EIO &&
		 (__atomic_load_n(&h->state, __ATOMIC_ACQUIRE) & HC_EVQ_BROKEN) &&
		 h->error == HC_EVQERR_INDEX,
		 "evq: hostile: prod - cons > entries breaks the queue",
		 "pingpong %lld, state %u error %u", (long long)pp.result,
		 h->state, h->error);
	r = hc_evq_put(in, &e, sizeof(e), 0);
	hc_check(r == -EIO, "evq: hostile: a broken queue says -EIO", "%d", r);
	hc_evq_destroy(in);

	/* to-guest: a getter asleep; its consumer index jumps past prod */
	in = hc_evq_create(hc, 8, sizeof(struct evq_ev), HC_EVQ_TO_HOST);
	pthread_create(&t, NULL, get_forever, out);
	usleep(100000);
	h = hc_evq_header(out);
	__atomic_store_n(&h->cons, h->prod + 100, __ATOMIC_RELEASE);
	pp_start(&pp, in, out, 1);
	hc_evq_put(in, &e, sizeof(e), 1000);
	pthread_join(pp.t, NULL);
	pthread_join(t, &res);
	hc_check(pp.result == -EIO && (intptr_t)res == -EIO,
		 "evq: hostile: cons past prod breaks it; the sleeping getter "
		 "wakes with -EIO", "pingpong %lld, get %ld",
		 (long long)pp.result, (long)(intptr_t)res);
	hc_evq_destroy(in);
	hc_evq_destroy(out);

	/* the session lives on, and so do new queues */
	r = hc_ping(hc, "x", pong, 1);
	in = hc_evq_create(hc, 8, sizeof(struct evq_ev), HC_EVQ_TO_HOST);
	out = hc_evq_create(hc, 8, sizeof(struct evq_ev), HC_EVQ_TO_GUEST);
	hc_check(r == 1 && in && out && echo(in, out, 100) == 100,
		 "evq: hostile: the session and new queues work after it",
		 "ping %d", r);
	hc_evq_destroy(in);
	hc_evq_destroy(out);
}

/* ---- the ping-pong ------------------------------------------------------------ */

static int ping_pong(long n)
{
	struct hostcall_ioc_info a, b;
	struct evq_figures fig = { 0 };
	char why[200] = "";
	int r;

	hc_dev_info(hc, &a);
	r = evq_pingpong(hc, example, pingpong_fn, n, 256, &fig, why, sizeof(why));
	hc_dev_info(hc, &b);
	printf("# evq ping-pong: %ld events in %.3f s: %.0f events/s; per 1000 "
	       "events %.2f kicks, %.2f irqs, %.2f wakeups (%s)\n", n, fig.secs,
	       fig.per_s, fig.kicks, fig.irqs, fig.wakeups,
	       fig.accel == HC_ACCEL_KVM ? "kvm" : "tcg");
	hc_check(!r, "evq: ping-pong with the example plugin: every event back, "
		 "in order", "%s", why);
	hc_check(b.calls > a.calls && b.kicks >= a.kicks && b.irqs >= a.irqs,
		 "evq: the counters are reported", "calls %llu..%llu",
		 (unsigned long long)a.calls, (unsigned long long)b.calls);
	return r ? 1 : 0;
}

int main(int argc, char **argv)
{
	long count = argc > 1 ? atol(argv[1]) : 20000;
	hc_evq *in, *out;
	int r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	hc = hc_open();
	if (!hc) {
		printf("FAIL: evq: hc_open: %s\n", strerror(errno));
		return 1;
	}
	example = hc_bind(hc, EVQ_EXAMPLE, 1, 0);
	pingpong_fn = example > 0 ?
		evq_find_fn(hc, EVQ_EXAMPLE, EVQ_PINGPONG) : -ENOENT;
	if (example < 0 || pingpong_fn < 0) {
		printf("FAIL: evq: bind %s and find %s: %d, %d\n", EVQ_EXAMPLE,
		       EVQ_PINGPONG, example, pingpong_fn);
		return 1;
	}
	basics();
	in = hc_evq_create(hc, 64, sizeof(struct evq_ev), HC_EVQ_TO_HOST);
	out = hc_evq_create(hc, 64, sizeof(struct evq_ev), HC_EVQ_TO_GUEST);
	r = in && out ? echo(in, out, 1000) : -errno;
	hc_check(r == 1000, "evq: 1000 events echoed one by one", "%d", r);
	threads(in, out, 5000);
	hc_evq_destroy(in);
	hc_evq_destroy(out);
	hostile();
	ping_pong(count);
	hc_close(hc);
	return hc_failures ? 1 : 0;
}
