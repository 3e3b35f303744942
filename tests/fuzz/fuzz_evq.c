/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the shadow's event queues (shadow/evq.c and the
 * "evq" module's bookkeeping, shadow/evq_module.c): the input is a guest.
 * It creates queues with any arguments at all (CREATE), then a script
 * rewrites headers and rings at will between the shadow's gets, puts,
 * callbacks, notifications and sleeps. Queue pair 1 is allocated at its
 * exact size, so ASan traps any access outside it; the invariants: a
 * created queue lies inside the data area and overlaps no other, the
 * shadow never writes a guest-owned header field, a queue that is not
 * broken never has more entries in flight than it holds, and a get
 * returns exactly the slot's bytes.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "evq.h"
#include "evq_loop.h"
#include "hostcall_module.h"
#include "log.h"

#define CHECK(c)	do { if (!(c)) __builtin_trap(); } while (0)
#define NQ		4

int64_t hcm_arg(const struct hcm_call *c, unsigned int i)
{
	(void)c;
	(void)i;
	__builtin_trap();
}

static int quiet(const char *line, size_t n)
{
	(void)line;
	(void)n;
	return 0;
}

static unsigned char *qp;
static int calls;

static void cb(void *arg, struct hcm_evq *q)
{
	(void)arg;
	(void)q;
	calls++;
}

/* The guest's fields of a header: the shadow must leave them be. */
struct guest_fields {
	uint32_t idx, flags;
};

static struct guest_fields guest_of(const struct evq *e)
{
	struct guest_fields g;

	if (e->dir == HC_EVQ_TO_HOST) {
		g.idx = e->hdr->prod;
		g.flags = e->hdr->prod_flags;
	} else {
		g.idx = e->hdr->cons;
		g.flags = e->hdr->cons_flags;
	}
	return g;
}

static uint32_t rd32(const uint8_t *d)
{
	return d[0] | d[1] << 8 | (uint32_t)d[2] << 16 | (uint32_t)d[3] << 24;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hcm_evq *q[NQ] = { 0 };
	int64_t ids[NQ] = { 0 };
	unsigned char ev[HC_EVQ_ENTRY_MAX + 8];
	size_t pos = 0;
	int i, j;

	if (!qp) {
		qp = malloc(HC_QP_SIZE);	/* exact: ASan's bounds */
		if (!qp)
			abort();
		log_sink = quiet;
		evq_attach(qp);
	}
	memset(qp, 0, HC_QP_SIZE);
	calls = 0;

	/* CREATE: 10 bytes each, any arguments the guest likes */
	for (i = 0; i < NQ && pos + 10 <= size; i++, pos += 10) {
		uint64_t off = rd32(data + pos) % (HC_QP_SIZE + 4096);
		uint64_t entries = 1u << (data[pos + 4] % 20);
		uint64_t esize = (data[pos + 5] | data[pos + 6] << 8) % 4200;
		uint64_t dir = data[pos + 7] % 3;

		if (data[pos + 8] & 1)
			off &= ~(uint64_t)(HC_EVQ_ALIGN - 1);
		if (data[pos + 8] & 2)
			esize &= ~(uint64_t)7;
		if (data[pos + 8] & 4)
			entries += data[pos + 9];
		ids[i] = evq_create(off, entries, esize, dir);
		CHECK(ids[i] != 0);
		if (ids[i] < 0) {
			CHECK(ids[i] == -EINVAL || ids[i] == -EFAULT ||
			      ids[i] == -EBUSY);
			continue;
		}
		q[i] = hcm_evq_lookup(NULL, (uint32_t)ids[i]);
		CHECK(q[i]);
		CHECK(evq_of(q[i])->off >= HC_QP_DATA_OFF &&
		      evq_of(q[i])->off + HC_EVQ_BYTES(evq_of(q[i])->entries, evq_of(q[i])->esize)
		      <= HC_QP_SIZE);
		for (j = 0; j < i; j++)
			CHECK(!q[j] || !evq_overlap(evq_of(q[j]), evq_of(q[i])->off,
				(uint32_t)HC_EVQ_BYTES(evq_of(q[i])->entries,
						       evq_of(q[i])->esize)));
		if (data[pos + 9] & 1)
			hcm_evq_notify(q[i], cb, NULL);
	}

	/* The script: 6 bytes per step, a guest action then the shadow's. */
	for (; pos + 6 <= size; pos += 6) {
		struct hcm_evq *h = q[data[pos] % NQ];
		struct evq *e;
		struct guest_fields before, after;
		uint32_t arg = rd32(data + pos + 2);
		int r;

		if (!h)
			continue;
		e = evq_of(h);
		switch ((data[pos] >> 2) % 8) {
		case 0:		/* any guest index */
			if (e->dir == HC_EVQ_TO_HOST)
				e->hdr->prod = arg;
			else
				e->hdr->cons = arg;
			break;
		case 1:		/* a sane guest move */
			if (e->dir == HC_EVQ_TO_HOST)
				e->hdr->prod += arg % (e->entries + 1);
			else
				e->hdr->cons += arg % (e->entries + 1);
			break;
		case 2:		/* a byte of the header, anywhere */
			((unsigned char *)e->hdr)[arg % HC_EVQ_HDR_SIZE] =
				data[pos + 1];
			break;
		case 3:		/* a byte of the ring */
			e->ring[arg % (e->entries * e->esize)] = data[pos + 1];
			break;
		case 4:		/* the guest's flags */
			if (e->dir == HC_EVQ_TO_HOST)
				e->hdr->prod_flags = arg;
			else
				e->hdr->cons_flags = arg;
			break;
		default:
			break;
		}
		before = guest_of(e);
		switch (data[pos + 1] % 6) {
		case 0:
			r = hcm_evq_get(h, ev, sizeof(ev));
			if (r > 0) {
				CHECK((uint32_t)r == e->esize);
				CHECK(!memcmp(ev, e->ring + (size_t)((e->own - 1) &
					(e->entries - 1)) * e->esize, e->esize));
			} else {
				CHECK(r == -EAGAIN || r == -EIO || r == -EINVAL);
			}
			break;
		case 1:
			memset(ev, data[pos + 2], sizeof(ev));
			r = hcm_evq_put(h, ev, arg % (e->esize + 16));
			CHECK(r == 0 || r == -EAGAIN || r == -EIO || r == -EINVAL);
			break;
		case 2:
			evq_serve();
			break;
		case 3:
			evq_notify();
			break;
		case 4:
			if (!evq_sleep_all())
				evq_wake_all(data[pos + 2] & 1);
			break;
		case 5:
			hcm_evq_notify(h, data[pos + 2] & 1 ? cb : NULL, NULL);
			break;
		}
		/* the guest's fields are the guest's */
		after = guest_of(e);
		CHECK(before.idx == after.idx && before.flags == after.flags);
		/* broken is for good, whatever the guest writes after */
		if (e->broken)
			CHECK(hcm_evq_get(h, ev, sizeof(ev)) != (int)e->esize &&
			      hcm_evq_put(h, ev, 8) != 0);
	}
	for (i = 0; i < NQ; i++)
		if (ids[i] > 0)
			CHECK(evq_destroy((uint64_t)ids[i]) == 0);
	evq_forget();	/* what modules kept of destroyed queues */
	return 0;
}
