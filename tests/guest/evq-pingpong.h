/* SPDX-License-Identifier: MIT */
/*
 * The event-queue ping-pong with the example plugin, shared by the test
 * (hc-evq.c) and make bench (tests/bench/guest/hcb.c): a feeder thread
 * puts COUNT events on a to-host queue, the plugin's pingpong echoes them
 * into a to-guest queue, the calling thread gets and checks them; the
 * pingpong call itself waits on a third thread, as it answers only at
 * the end. Figures from the session's counters (HOSTCALL_IOC_INFO).
 */
#ifndef HC_EVQ_PINGPONG_H
#define HC_EVQ_PINGPONG_H

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "hostcall.h"

#define EVQ_EXAMPLE	"example"
#define EVQ_PINGPONG	"pingpong"

struct evq_ev {
	uint32_t thread;
	uint32_t seq;
	uint64_t check;		/* thread and seq mixed: torn entries show */
};

static inline uint64_t evq_mix(uint32_t t, uint32_t s)
{
	return ((uint64_t)t << 32 | s) * 0x9e3779b97f4a7c15ull;
}

static inline double evq_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A function's number from the MODULES listing ("NAME M.N" lines, then
 * "\tN FUNCTION" lines): > 0, or -ENOENT. */
static inline int evq_find_fn(hc_session *hc, const char *module,
			      const char *fn)
{
	static char text[16384];
	int n = hc_modules(hc, text, sizeof(text) - 1), in = 0;
	char *line, *save = NULL;

	if (n < 0)
		return n;
	text[n] = 0;
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (line[0] != '\t') {
			size_t l = strlen(module);

			in = !strncmp(line, module, l) && line[l] == ' ';
			continue;
		}
		if (in) {
			char *name = strchr(line + 1, ' ');

			if (name && !strcmp(name + 1, fn))
				return atoi(line + 1);
		}
	}
	return -ENOENT;
}

/* pingpong(in, out, count) on a thread of its own. */
struct evq_pp {
	pthread_t t;
	hc_session *hc;
	int handle, fn;
	int64_t args[4];
	int64_t result;
};

static inline void *evq_pp_thread(void *arg)
{
	struct evq_pp *p = arg;

	p->result = hc_rpc(p->hc, p->handle, (unsigned)p->fn, p->args, NULL, 0,
			   NULL, 0, NULL);
	return NULL;
}

static inline void evq_pp_start(struct evq_pp *p, hc_session *hc, int handle,
				int fn, hc_evq *in, hc_evq *out, int64_t count)
{
	memset(p, 0, sizeof(*p));
	p->hc = hc;
	p->handle = handle;
	p->fn = fn;
	p->args[0] = hc_evq_id(in);
	p->args[1] = hc_evq_id(out);
	p->args[2] = count;
	p->result = INT64_MIN;
	pthread_create(&p->t, NULL, evq_pp_thread, p);
}

struct evq_feeder {
	hc_evq *in;
	long n;
	int err;
};

static inline void *evq_feed(void *arg)
{
	struct evq_feeder *f = arg;
	struct evq_ev e = { 0, 0, 0 };
	long i;

	for (i = 0; i < f->n; i++) {
		e.seq = (uint32_t)i;
		e.check = evq_mix(0, e.seq);
		f->err = hc_evq_put(f->in, &e, sizeof(e), 10000);
		if (f->err)
			break;
	}
	return NULL;
}

struct evq_figures {
	double secs, per_s;
	double kicks, irqs, wakeups;	/* per 1000 events */
	int accel;			/* HC_ACCEL_* */
};

/* The ping-pong of n events through queues of `entries` entries: 0 when
 * every event came back in order and pingpong answered n; else a
 * description in why. */
static inline int evq_pingpong(hc_session *hc, int handle, int fn, long n,
			       unsigned entries, struct evq_figures *fig,
			       char *why, size_t whylen)
{
	hc_evq *in = hc_evq_create(hc, entries, sizeof(struct evq_ev),
				   HC_EVQ_TO_HOST);
	hc_evq *out = hc_evq_create(hc, entries, sizeof(struct evq_ev),
				    HC_EVQ_TO_GUEST);
	struct hostcall_ioc_info a, b;
	struct evq_feeder f = { in, n, 0 };
	struct evq_ev e;
	struct evq_pp pp;
	pthread_t t;
	double t0;
	long i, wrong = 0;
	int r = 0;

	memset(fig, 0, sizeof(*fig));
	if (!in || !out) {
		snprintf(why, whylen, "queues: %s", strerror(errno));
		hc_evq_destroy(in);
		hc_evq_destroy(out);
		return -1;
	}
	hc_dev_info(hc, &a);
	t0 = evq_now();
	evq_pp_start(&pp, hc, handle, fn, in, out, n);
	pthread_create(&t, NULL, evq_feed, &f);
	for (i = 0; i < n; i++) {
		r = hc_evq_get(out, &e, sizeof(e), 10000);
		if (r < 0)
			break;
		wrong += e.seq != (uint32_t)i || e.check != evq_mix(0, e.seq);
	}
	fig->secs = evq_now() - t0;
	hc_dev_info(hc, &b);
	pthread_join(t, NULL);
	pthread_join(pp.t, NULL);
	fig->per_s = (double)n / fig->secs;
	fig->kicks = 1000.0 * (double)(b.kicks - a.kicks) / (double)n;
	fig->irqs = 1000.0 * (double)(b.irqs - a.irqs) / (double)n;
	fig->wakeups = 1000.0 * (double)(b.wakeups - a.wakeups) / (double)n;
	fig->accel = (int)a.accel;
	hc_evq_destroy(in);
	hc_evq_destroy(out);
	if (r < 0 || f.err || wrong || pp.result != n) {
		snprintf(why, whylen, "get %d after %ld events, put %d, %ld wrong, "
			 "pingpong %lld", r, i, f.err, wrong,
			 (long long)pp.result);
		return -1;
	}
	return 0;
}

#endif
