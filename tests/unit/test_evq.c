/* SPDX-License-Identifier: MIT */
/* Unit test of the shadow's event queues (shadowd/shadow/evq.c and the
 * module's bookkeeping in evq_module.c): CREATE's validation, put and get
 * with the guest's side played here, the notification flags, and hostile
 * headers breaking a queue and nothing else. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "evq.h"
#include "evq_loop.h"
#include "hostcall_module.h"
#include "unit.h"

/* The module API's call accessors: not used by these tests' paths. */
int64_t hcm_arg(const struct hcm_call *c, unsigned int i)
{
	(void)c;
	(void)i;
	abort();
}

static unsigned char *qp;

static struct hc_evq_hdr *hdr_at(uint32_t off)
{
	return (struct hc_evq_hdr *)(qp + off);
}

static void validation(void)
{
	const uint32_t d = HC_QP_DATA_OFF;

	CHECK("create: good to-host", evq_check(d, 64, 64, HC_EVQ_TO_HOST) == 0);
	CHECK("create: good to-guest", evq_check(d, 2, 8, HC_EVQ_TO_GUEST) == 0);
	CHECK("create: bad direction", evq_check(d, 64, 64, 0) == -EINVAL);
	CHECK("create: entries not a power of 2",
	      evq_check(d, 48, 64, HC_EVQ_TO_HOST) == -EINVAL);
	CHECK("create: one entry", evq_check(d, 1, 64, HC_EVQ_TO_HOST) == -EINVAL);
	CHECK("create: entry size not a multiple of 8",
	      evq_check(d, 64, 12, HC_EVQ_TO_HOST) == -EINVAL);
	CHECK("create: entry size over 4096",
	      evq_check(d, 2, 4104, HC_EVQ_TO_HOST) == -EINVAL);
	CHECK("create: over HC_EVQ_MAX_BYTES",
	      evq_check(d, 64, 4096, HC_EVQ_TO_HOST) == -EINVAL);
	CHECK("create: misaligned", evq_check(d + 8, 64, 64, 1) == -EINVAL);
	CHECK("create: in the sq ring",
	      evq_check(HC_QP_SQ_OFF, 64, 64, 1) == -EFAULT);
	CHECK("create: past the queue pair",
	      evq_check(HC_QP_SIZE - 64, 64, 64, 1) == -EFAULT);
	CHECK("create: up to the last byte",
	      evq_check(HC_QP_SIZE - HC_EVQ_BYTES(2, 32), 2, 32, 1) == 0);
	CHECK("create: offset that wraps",
	      evq_check(0xffffffc0u, 2, 32, 1) == -EFAULT);
	CHECK("create: 64-bit arguments",
	      evq_check((1ull << 32) + d, 2, 32, 1) == -EFAULT &&
	      evq_check(d, (1ull << 32) + 2, 32, 1) == -EINVAL);
}

static void module_table(void)
{
	const uint32_t d = HC_QP_DATA_OFF;
	int64_t a, b, c, ids[HC_EVQ_MAX];
	int i, ok = 1;

	a = evq_create(d, 64, 64, HC_EVQ_TO_HOST);
	CHECK("module: create", a > 0);
	b = evq_create(d + 64, 2, 8, HC_EVQ_TO_GUEST);
	CHECK("module: overlapping the first queue", b == -EBUSY);
	b = evq_create(d + HC_EVQ_BYTES(64, 64), 2, 8, HC_EVQ_TO_GUEST);
	CHECK("module: right after it", b > 0 && b != a);
	CHECK("module: lookup", hcm_evq_lookup(NULL, (uint32_t)a) &&
	      hcm_evq_entry_size(hcm_evq_lookup(NULL, (uint32_t)a)) == 64);
	CHECK("module: destroy", evq_destroy((uint64_t)a) == 0);
	CHECK("module: gone", !hcm_evq_lookup(NULL, (uint32_t)a) &&
	      evq_destroy((uint64_t)a) == -ENOENT);
	c = evq_create(d, 64, 64, HC_EVQ_TO_HOST);
	CHECK("module: its place is free again, under a new id",
	      c > 0 && c != a && !hcm_evq_lookup(NULL, (uint32_t)a));
	evq_destroy((uint64_t)b);
	evq_destroy((uint64_t)c);
	for (i = 0; i < HC_EVQ_MAX; i++) {
		ids[i] = evq_create(d + i * 256, 2, 8, HC_EVQ_TO_HOST);
		ok &= ids[i] > 0;
	}
	CHECK("module: HC_EVQ_MAX queues", ok);
	CHECK("module: one more", evq_create(d + HC_EVQ_MAX * 256, 2, 8, 1) ==
	      -EMFILE);
	for (i = 0; i < HC_EVQ_MAX; i++)
		evq_destroy((uint64_t)ids[i]);
	CHECK("module: huge id", evq_destroy(1ull << 40) == -ENOENT);
}

static void count_cb(void *arg, struct hcm_evq *q)
{
	(void)q;
	++*(int *)arg;
}

/* The guest's put, as libhostcall makes it (without its lock). */
static int guest_put(uint32_t off, uint32_t entries, uint32_t esize,
		     uint64_t v)
{
	struct hc_evq_hdr *h = hdr_at(off);
	unsigned char *ring = qp + off + HC_EVQ_HDR_SIZE;

	if (h->prod - h->cons >= entries)
		return -EAGAIN;
	memset(ring + (h->prod & (entries - 1)) * esize, 0, esize);
	memcpy(ring + (h->prod & (entries - 1)) * esize, &v, sizeof(v));
	__atomic_store_n(&h->prod, h->prod + 1, __ATOMIC_RELEASE);
	return 0;
}

static void to_host(void)
{
	const uint32_t off = HC_QP_DATA_OFF + 4096;
	struct hc_evq_hdr *h = hdr_at(off);
	struct hcm_evq *q;
	uint64_t ev[4];
	int64_t id;
	int i, ok = 1, calls = 0;

	memset(h, 0xee, HC_EVQ_BYTES(8, 32));
	h->prod = 0;
	h->prod_flags = 0;
	id = evq_create(off, 8, 32, HC_EVQ_TO_HOST);
	q = hcm_evq_lookup(NULL, (uint32_t)id);
	CHECK("to-host: our fields set at creation",
	      q && h->cons == 0 && h->cons_flags == 0 && h->state == 0);
	CHECK("to-host: empty", hcm_evq_get(q, ev, sizeof(ev)) == -EAGAIN);
	CHECK("to-host: put is the guest's",
	      hcm_evq_put(q, ev, 8) == -EINVAL);
	CHECK("to-host: a buffer smaller than an entry",
	      hcm_evq_get(q, ev, 16) == -EINVAL);
	for (i = 0; i < 8; i++)
		guest_put(off, 8, 32, 100 + i);
	CHECK("to-host: the guest fills it", guest_put(off, 8, 32, 0) == -EAGAIN);
	for (i = 0; i < 8; i++)
		ok &= hcm_evq_get(q, ev, sizeof(ev)) == 32 && ev[0] == 100u + i &&
		      ev[1] == 0;
	CHECK("to-host: 8 entries in order", ok);
	CHECK("to-host: cons published", h->cons == 8);
	CHECK("to-host: empty again", hcm_evq_get(q, ev, sizeof(ev)) == -EAGAIN);

	/* the guest producer waits for room: the interrupt is due */
	evq_notify();
	h->prod_flags = HC_EVQ_WAITING;
	guest_put(off, 8, 32, 1);
	hcm_evq_get(q, ev, sizeof(ev));
	CHECK("to-host: interrupt for a waiting producer", evq_notify() == 1);
	CHECK("to-host: only once", evq_notify() == 0);
	h->prod_flags = 0;
	guest_put(off, 8, 32, 2);
	hcm_evq_get(q, ev, sizeof(ev));
	CHECK("to-host: none without the flag", evq_notify() == 0);

	/* notify and sleep */
	CHECK("to-host: no callback, nothing served", evq_serve() == 0);
	CHECK("to-host: sleep without a watcher sets nothing",
	      evq_sleep_all() == 0 && h->cons_flags == 0);
	evq_wake_all(0);
	guest_put(off, 8, 32, 3);
	CHECK("to-host: notify", hcm_evq_notify(q, count_cb, &calls) == 0);
	CHECK("to-host: entries waiting at notify are news",
	      evq_serve() == 1 && calls == 1);
	CHECK("to-host: edge: told once", evq_serve() == 0 && calls == 1);
	hcm_evq_get(q, ev, sizeof(ev));
	CHECK("to-host: sleep sets NEED_WAKEUP",
	      evq_sleep_all() == 0 && h->cons_flags ==
	      (HC_EVQ_NEED_WAKEUP | 1u << HC_EVQ_SLEEPS_SHIFT));
	guest_put(off, 8, 32, 4);
	evq_wake_all(1);
	CHECK("to-host: woken: cleared, counted",
	      h->cons_flags == 0 && ((struct hc_qp_ctl *)qp)->host_wakeups == 1);
	CHECK("to-host: sleep sees the entry that came (recheck)",
	      evq_sleep_all() == 1 && h->cons_flags == 0);
	CHECK("to-host: served", evq_serve() == 1 && calls == 2);
	hcm_evq_get(q, ev, sizeof(ev));
	CHECK("to-host: each sleep a new count in the flags",
	      evq_sleep_all() == 0 && h->cons_flags ==
	      (HC_EVQ_NEED_WAKEUP | 3u << HC_EVQ_SLEEPS_SHIFT));
	evq_wake_all(0);

	/* hostile indices */
	h->prod = h->cons + 9;
	CHECK("to-host: prod - cons > entries breaks it",
	      hcm_evq_get(q, ev, sizeof(ev)) == -EIO &&
	      h->state == HC_EVQ_BROKEN && h->error == HC_EVQERR_INDEX);
	CHECK("to-host: our index flipped for a sleeper",
	      h->cons == (12u ^ 0x80000000u));
	CHECK("to-host: the guest hears of it", evq_notify() == 1);
	h->prod = 11;
	CHECK("to-host: broken for good",
	      hcm_evq_get(q, ev, sizeof(ev)) == -EIO && evq_serve() == 0);
	CHECK("to-host: destroy", evq_destroy((uint64_t)id) == 0);
	CHECK("to-host: destroyed: the module's callback hears it",
	      calls == 3 && hcm_evq_get(q, ev, sizeof(ev)) == -EPIPE &&
	      hcm_evq_notify(q, NULL, NULL) == -EPIPE);
}

static void to_guest(void)
{
	const uint32_t off = HC_QP_DATA_OFF + 8192;
	struct hc_evq_hdr *h = hdr_at(off);
	uint64_t *ring = (uint64_t *)(qp + off + HC_EVQ_HDR_SIZE);
	struct hcm_evq *q;
	uint64_t v = 7, big[3] = { 0 };
	int64_t id;
	int i, ok = 1, calls = 0;

	memset(h, 0, HC_EVQ_BYTES(4, 16));
	id = evq_create(off, 4, 16, HC_EVQ_TO_GUEST);
	q = hcm_evq_lookup(NULL, (uint32_t)id);
	CHECK("to-guest: get is the guest's",
	      hcm_evq_get(q, &big, sizeof(big)) == -EINVAL);
	CHECK("to-guest: an event bigger than an entry",
	      hcm_evq_put(q, big, sizeof(big)) == -EINVAL);
	memset(ring, 0xff, 4 * 16);
	for (i = 0; i < 4; i++, v++)
		ok &= hcm_evq_put(q, &v, sizeof(v)) == 0;
	CHECK("to-guest: 4 puts", ok && h->prod == 4);
	CHECK("to-guest: the rest of an entry zeroed",
	      ring[0] == 7 && ring[1] == 0 && ring[6] == 10 && ring[7] == 0);
	evq_notify();
	CHECK("to-guest: full", hcm_evq_put(q, &v, sizeof(v)) == -EAGAIN);
	hcm_evq_notify(q, count_cb, &calls);
	CHECK("to-guest: a full put sleeps with NEED_WAKEUP",
	      evq_sleep_all() == 0 && (h->prod_flags & HC_EVQ_NEED_WAKEUP));
	evq_wake_all(0);
	CHECK("to-guest: no room, no callback", evq_serve() == 0);
	h->cons = 1;		/* the guest took one */
	CHECK("to-guest: room: the callback", evq_serve() == 1 && calls == 1);
	CHECK("to-guest: room is told once", evq_serve() == 0);
	CHECK("to-guest: no NEED_WAKEUP unless full",
	      evq_sleep_all() == 0 && h->prod_flags == 0);
	evq_wake_all(0);
	h->cons_flags = HC_EVQ_WAITING;
	CHECK("to-guest: put", hcm_evq_put(q, &v, sizeof(v)) == 0);
	CHECK("to-guest: interrupt for a waiting consumer", evq_notify() == 1);
	h->cons = 5;		/* the guest took them all */
	hcm_evq_put(q, &v, sizeof(v));
	CHECK("to-guest: one interrupt per sleep", evq_notify() == 0);
	h->cons_flags = HC_EVQ_WAITING | 2u << HC_EVQ_SLEEPS_SHIFT;
	hcm_evq_put(q, &v, sizeof(v));
	CHECK("to-guest: a new sleep, a new interrupt", evq_notify() == 1);
	h->cons_flags = 0;
	h->cons = 8;		/* past prod */
	CHECK("to-guest: cons past prod breaks it",
	      hcm_evq_put(q, &v, sizeof(v)) == -EIO && h->state == HC_EVQ_BROKEN &&
	      h->prod == (7u ^ 0x80000000u));
	CHECK("to-guest: the guest hears of it", evq_notify() == 1);
	evq_destroy((uint64_t)id);
}

int main(void)
{
	qp = aligned_alloc(4096, HC_QP_SIZE);
	if (!qp)
		return 1;
	memset(qp, 0, HC_QP_SIZE);
	validation();
	CHECK("create before the window is attached",
	      evq_create(HC_QP_DATA_OFF, 2, 8, 1) == -ENODEV);
	evq_attach(qp);
	module_table();
	to_host();
	to_guest();
	free(qp);
	return DONE();
}
