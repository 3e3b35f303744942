/* SPDX-License-Identifier: MIT */
/*
 * hostcall host protocol codec: fill and check packet headers.
 * Also compiled into QEMU's -device hostcall, so plain portable C:
 * libc and the two protocol headers only.
 */
#include <errno.h>
#include <string.h>
#include "hostcall_proto.h"

void hcp_init(struct hcp_hdr *h, uint16_t type, uint32_t len,
	      uint32_t session, uint64_t tag)
{
	memset(h, 0, sizeof(*h));
	h->magic = HCP_MAGIC;
	h->type = type;
	h->flags = 0;
	h->len = len;
	h->session = session;
	h->tag = tag;
}

/*
 * Smallest legal length of each type, and whether the type is fixed-size.
 * HELLO may grow in later versions, so it only has a minimum: a peer
 * speaking another version still gets its -EPROTONOSUPPORT answer.
 */
static int hcp_size(uint16_t type, size_t *min, int *exact)
{
	*exact = 1;
	switch (type) {
	case HCP_HELLO:
		*min = sizeof(struct hcp_hello);
		*exact = 0;
		return 0;
	case HCP_HELLO_OK:
		*min = sizeof(struct hcp_status);
		return 0;
	case HCP_OPEN:
		*min = sizeof(struct hcp_open);
		return 0;
	case HCP_OPENED:
		*min = sizeof(struct hcp_opened);
		return 0;
	case HCP_WINDOW:
		*min = sizeof(struct hcp_window);
		return 0;
	}
	return -1;
}

int hcp_check(const void *buf, size_t n)
{
	struct hcp_hdr h;
	size_t min;
	int exact;

	if (!buf || n < sizeof(h) || n > HCP_MAX_MSG)
		return -EPROTO;
	/* The buffer may be unaligned: copy the header out. */
	memcpy(&h, buf, sizeof(h));
	if (h.magic != HCP_MAGIC || h.flags != 0 || h.len != n)
		return -EPROTO;
	if (hcp_size(h.type, &min, &exact) < 0)
		return -EPROTO;
	if (n < min || (exact && n != min))
		return -EPROTO;
	return 0;
}
