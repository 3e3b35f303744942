/* SPDX-License-Identifier: MIT */
/* Unit test of the host protocol codec (shadowd/proto.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hostcall_proto.h"
#include "unit.h"


static unsigned char buf[HCP_MAX_MSG + 64];

/* A packet of type t and length len, header filled in. */
static void *pkt(uint16_t t, size_t len)
{
	memset(buf, 0, sizeof(buf));
	hcp_init((struct hcp_hdr *)buf, t, (uint32_t)len, 9, 77);
	return buf;
}

int main(void)
{
	struct hcp_hdr *h = (struct hcp_hdr *)buf;
	static const struct { uint16_t type; size_t size; int variable; } t[] = {
		{ HCP_HELLO, sizeof(struct hcp_hello), 1 },
		{ HCP_HELLO_OK, sizeof(struct hcp_status), 0 },
		{ HCP_OPEN, sizeof(struct hcp_open), 0 },
		{ HCP_OPENED, sizeof(struct hcp_opened), 0 },
		{ HCP_WINDOW, sizeof(struct hcp_window), 0 },
	};
	char name[128];
	unsigned i;

	/* hcp_init */
	pkt(HCP_HELLO, 100);
	CHECK("init fields", h->magic == HCP_MAGIC && h->type == HCP_HELLO &&
	      h->flags == 0 && h->len == 100 && h->session == 9 &&
	      h->tag == 77);

	/* Layout the peers agree on (host order, natural alignment). */
	CHECK("header is 24 bytes", sizeof(struct hcp_hdr) == 24);
	CHECK("window message is 32 bytes", sizeof(struct hcp_window) == 32);
	CHECK("max message fits every type",
	      HCP_MAX_MSG >= sizeof(struct hcp_opened) &&
	      HCP_MAX_MSG >= sizeof(struct hcp_hello));
	CHECK("version 2", HCP_VERSION == 2);

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(name, sizeof(name), "type %u exact size ok", t[i].type);
		CHECK(name, hcp_check(pkt(t[i].type, t[i].size), t[i].size) == 0);
		snprintf(name, sizeof(name), "type %u one byte short", t[i].type);
		CHECK(name, hcp_check(pkt(t[i].type, t[i].size - 1),
				      t[i].size - 1) == -EPROTO);
		snprintf(name, sizeof(name), "type %u one byte more: %s",
			 t[i].type, t[i].variable ? "ok" : "refused");
		CHECK(name, hcp_check(pkt(t[i].type, t[i].size + 1),
				      t[i].size + 1) ==
			    (t[i].variable ? 0 : -EPROTO));
	}

	CHECK("hello with max size", hcp_check(pkt(HCP_HELLO, HCP_MAX_MSG),
					       HCP_MAX_MSG) == 0);
	CHECK("hello over max", hcp_check(pkt(HCP_HELLO, HCP_MAX_MSG + 1),
					  HCP_MAX_MSG + 1) == -EPROTO);
	/* Version 1's call, cancel and reply are gone. */
	CHECK("type 5 (old call)", hcp_check(pkt(5, 64), 64) == -EPROTO);
	CHECK("type 6 (old cancel)", hcp_check(pkt(6, 24), 24) == -EPROTO);
	CHECK("type 7 (old reply)", hcp_check(pkt(7, 32), 32) == -EPROTO);

	pkt(HCP_HELLO, 100);
	CHECK("len below packet size", hcp_check(buf, 101) == -EPROTO);
	CHECK("len above packet size", hcp_check(buf, 99) == -EPROTO);
	CHECK("len matches", hcp_check(buf, 100) == 0);

	pkt(HCP_HELLO, 100);
	h->magic = 0x31504348;	/* byte-swapped magic */
	CHECK("wrong magic", hcp_check(buf, 100) == -EPROTO);
	pkt(HCP_HELLO, 100);
	h->flags = 1;
	CHECK("flags set", hcp_check(buf, 100) == -EPROTO);
	CHECK("type 0", hcp_check(pkt(0, 64), 64) == -EPROTO);
	CHECK("type 9", hcp_check(pkt(9, 64), 64) == -EPROTO);
	CHECK("type 0xffff", hcp_check(pkt(0xffff, 64), 64) == -EPROTO);

	CHECK("empty packet", hcp_check(buf, 0) == -EPROTO);
	CHECK("NULL buffer", hcp_check(NULL, 64) == -EPROTO);
	pkt(HCP_WINDOW, 32);
	CHECK("23 bytes", hcp_check(buf, 23) == -EPROTO);
	h->len = 0;
	CHECK("len 0 in a full message", hcp_check(buf, 32) == -EPROTO);
	pkt(HCP_WINDOW, 32);
	h->len = 0xffffffff;
	CHECK("len 0xffffffff", hcp_check(buf, 32) == -EPROTO);

	/* Unaligned buffers are fine (the codec copies the header out). */
	memset(buf, 0, sizeof(buf));
	{
		struct hcp_window x;

		memset(&x, 0, sizeof(x));
		hcp_init(&x.hdr, HCP_WINDOW, sizeof(x), 1, 2);
		memcpy(buf + 1, &x, sizeof(x));
		CHECK("unaligned buffer", hcp_check(buf + 1, sizeof(x)) == 0);
	}

	/* Every length from 0 to 200 for every type byte: never a crash,
	 * and only the legal sizes pass. */
	{
		int bad = 0;
		unsigned ty, n;

		for (ty = 0; ty < 10; ty++) {
			for (n = 0; n <= 200; n++) {
				size_t min = 0;
				int var = 0, known = 0, want;
				unsigned k;

				for (k = 0; k < sizeof(t) / sizeof(t[0]); k++)
					if (t[k].type == ty) {
						min = t[k].size;
						var = t[k].variable;
						known = 1;
					}
				pkt(ty, n);
				want = known && n >= 24 &&
				       (var ? n >= min : n == min);
				if ((hcp_check(buf, n) == 0) != want)
					bad++;
			}
		}
		CHECK("sweep of types and lengths", bad == 0);
	}

	printf("%s: %d failure%s\n", failures ? "FAILED" : "OK", failures,
	       failures == 1 ? "" : "s");
	return failures ? 1 : 0;
}
