/* SPDX-License-Identifier: MIT */
/*
 * The built-in "evq" module as the shadow serves it (Documentation/evq.md):
 * bound by name, CREATE validated against queue pair 1's data area and the
 * other queues, the host's header fields set at creation whatever the
 * guest left there, DESTROY, the per-session limit.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "checks.h"

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
