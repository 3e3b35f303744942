// SPDX-License-Identifier: MIT
/*
 * The window's data-area allocator: a bitmap of 256-byte granules, next fit
 * (calls come and go roughly in order, so the search usually ends at its
 * first step). The caller serializes; the bitmaps live in guest-private
 * memory, never in the window, so the host cannot disturb them.
 */
#include <string.h>

#include "hc_internal.h"

static int bit(const uint64_t *m, unsigned i)
{
	return (int)((m[i >> 6] >> (i & 63)) & 1);
}

static void set(uint64_t *m, unsigned i)
{
	m[i >> 6] |= 1ull << (i & 63);
}

static void clear(uint64_t *m, unsigned i)
{
	m[i >> 6] &= ~(1ull << (i & 63));
}

void hc_bufs_init(struct hc_bufs *b)
{
	memset(b, 0, sizeof(*b));
	/* granules past the end count as taken: whole-word steps stay inside */
	for (unsigned i = HC_NGRAN; i < HC_MAP_WORDS * 64; i++)
		set(b->used, i);
}

/* the first of n free granules in a row, from start on, wrapping once */
static long find_run(const uint64_t *used, unsigned start, unsigned n)
{
	unsigned i = start, run = 0, seen = 0;

	while (seen < HC_NGRAN + n) {
		if (i >= HC_NGRAN) {
			i = 0;	/* a run does not wrap */
			run = 0;
		}
		if (!(i & 63) && i + 64 <= HC_NGRAN && !~used[i >> 6]) {
			i += 64;
			seen += 64;
			run = 0;
			continue;
		}
		if (!(i & 63) && i + 64 <= HC_NGRAN && !used[i >> 6] &&
		    run + 64 < n) {
			i += 64;
			seen += 64;
			run += 64;
			continue;
		}
		if (bit(used, i)) {
			run = 0;
		} else if (++run == n) {
			return (long)(i + 1 - n);
		}
		i++;
		seen++;
	}
	return -1;
}

long hc_bufs_alloc(struct hc_bufs *b, size_t len)
{
	unsigned n, s;
	long at;

	if (!len || len > HC_QP_DATA_LEN)
		return -1;
	n = (unsigned)((len + HC_GRAN - 1) >> HC_GRAN_SHIFT);
	at = find_run(b->used, b->hint, n);
	if (at < 0)
		return -1;
	s = (unsigned)at;
	for (unsigned i = s; i < s + n; i++)
		set(b->used, i);
	set(b->first, s);
	set(b->last, s + n - 1);
	b->hint = s + n < HC_NGRAN ? s + n : 0;
	return (long)s << HC_GRAN_SHIFT;
}

int hc_bufs_free(struct hc_bufs *b, size_t off)
{
	unsigned i = (unsigned)(off >> HC_GRAN_SHIFT);

	if (off & (HC_GRAN - 1) || i >= HC_NGRAN || !bit(b->first, i))
		return -1;
	clear(b->first, i);
	for (;; i++) {
		clear(b->used, i);
		if (bit(b->last, i)) {
			clear(b->last, i);
			return 0;
		}
	}
}
