/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the shadow's window handling (shadow/window.c):
 * the input is a guest. Its first bytes fill the ctl pages and submission
 * rings of both queue pairs; the rest is a script of guest actions (new
 * indices, rewritten entries, reaped completions, sleeps and wakes)
 * between which the shadow takes, checks and completes entries as its
 * loop does, without executing host ops. Every buffer of an entry that
 * passed the check is touched (ASan: inside the window) and the
 * protocol's invariants are asserted: never more completions owed than
 * the completion ring holds, never a write outside the shadow's fields.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "window.h"

#define CHECK(c)	do { if (!(c)) __builtin_trap(); } while (0)

static unsigned char *mem;

/* Calls taken and not completed yet, per queue pair (their tags). */
static uint64_t inflight[2][HC_QP_ENTRIES + 1];
static int ninflight[2];

/* The shadow's side of one pass: take all, complete some. */
static void shadow_pass(struct win *w, unsigned keep)
{
	int i;

	for (i = 0; i < 2; i++) {
		struct wqp *q = &w->qp[i];
		struct hc_sqe e;
		int err, r;

		while ((r = win_take(q, &e, &err)) == 1) {
			CHECK(ninflight[i] < HC_QP_ENTRIES);
			if (err == 0) {
				unsigned char *in = win_buf(q, e.in_off, e.in_len);
				unsigned char *out = win_buf(q, e.out_off,
							     e.out_len);
				volatile unsigned char sum = 0;
				uint32_t k;

				CHECK(e.in_len <= HC_MAX_DATA &&
				      e.out_len <= HC_MAX_DATA);
				CHECK(in >= q->base + HC_QP_DATA_OFF &&
				      in + e.in_len <= q->base + HC_QP_SIZE);
				CHECK(out >= q->base + HC_QP_DATA_OFF &&
				      out + e.out_len <= q->base + HC_QP_SIZE);
				for (k = 0; k < e.in_len; k += 512)
					sum += in[k];
				if (e.out_len)
					memset(out, 0xa5, e.out_len);
				(void)sum;
			} else {
				CHECK(err == -EINVAL || err == -EFAULT ||
				      err == -ENOSYS);
			}
			inflight[i][ninflight[i]++] = e.tag;
		}
		/* Complete all but `keep` of them, newest first. */
		while (ninflight[i] > (int)(keep % (HC_QP_ENTRIES + 1))) {
			uint64_t tag = inflight[i][--ninflight[i]];

			win_post(q, tag, 0, 0);
		}
		win_notify(q);
		/* Owed completions fit: taken - reaped <= entries. */
		if (!q->broken)
			CHECK(q->sq_cons - q->cq_prod <= HC_QP_ENTRIES);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The rings' pages of both queue pairs come from the input. */
	const size_t rings = HC_QP_DATA_OFF;
	struct win w;
	size_t n, pos = 0;
	int i;

	if (!mem) {
		mem = aligned_alloc(4096, HC_WIN_SIZE);
		if (!mem)
			abort();
	}
	memset(mem, 0, HC_WIN_SIZE);
	for (i = 0; i < 2 && pos < size; i++) {
		n = size - pos < rings ? size - pos : rings;
		memcpy(mem + i * HC_QP_SIZE, data + pos, n);
		pos += n;
	}
	/* The guest's indices as the input wrote them; ours from 0. */
	win_init(&w, mem);
	ninflight[0] = ninflight[1] = 0;
	shadow_pass(&w, 0);

	/* The script: 4 bytes per guest action. */
	for (; pos + 4 <= size; pos += 4) {
		int qp = data[pos] & 1;
		struct hc_qp_ctl *c = w.qp[qp].ctl;
		unsigned arg = data[pos + 2] | data[pos + 3] << 8;

		switch ((data[pos] >> 1) % 6) {
		case 0:		/* submit arg % 80 more */
			c->sq_prod += arg % 80;
			break;
		case 1:		/* rewrite a byte of the sq */
			mem[qp * HC_QP_SIZE + HC_QP_SQ_OFF +
			    arg % (HC_QP_ENTRIES * sizeof(struct hc_sqe))] =
				data[pos + 1];
			break;
		case 2:		/* reap everything */
			c->cq_cons = c->cq_prod;
			break;
		case 3:		/* any cq_cons at all */
			c->cq_cons = arg | (uint32_t)data[pos + 1] << 16;
			break;
		case 4:		/* sleep and wake the shadow */
			c->cq_flags = data[pos + 1];
			if (win_sleep(&w) != WIN_WORK)
				win_wake(&w, data[pos + 1] & 1);
			CHECK(c->sq_flags == 0 || w.qp[qp].broken);
			break;
		case 5:		/* poke a guest field of the ctl */
			c->sq_prod = arg * 0x10001u;
			break;
		}
		shadow_pass(&w, data[pos + 1]);
	}
	return 0;
}
