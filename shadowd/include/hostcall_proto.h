/* SPDX-License-Identifier: MIT */
/*
 * hostcall host protocol: QEMU's -device hostcall <-> shadowd <-> shadows.
 * The one definition; QEMU, shadowd, the shadow and the tests include it.
 * Documentation/host-protocol.md explains it.
 *
 * Transport: AF_UNIX SOCK_SEQPACKET, one message per packet, host byte order.
 * Every message starts with struct hcp_hdr; hdr.len is the packet length.
 *
 * Control connection (QEMU <-> shadowd): private mode passes one end of a
 * socketpair to `shadowd --private --fd N`; system mode connects to the
 * daemon's socket. QEMU sends HCP_HELLO first, then HCP_OPEN per guest
 * session. shadowd answers HCP_OPENED, with the session socket (SCM_RIGHTS)
 * when status is 0: a direct connection to the new shadow, so shadowd stays
 * out of the data path.
 *
 * Session connection (QEMU <-> one shadow): control only. QEMU's first
 * message is HCP_WINDOW with three fds: the session window (a sealed
 * memfd of HC_WIN_SIZE bytes, also mapped into the guest's BAR2), the kick
 * eventfd (the guest's kicks: signalled by QEMU under TCG, by KVM
 * otherwise) and the interrupt eventfd (the shadow signals it when a guest
 * waits: QEMU raises MSI-X under TCG, an irqfd does under KVM; shared by
 * the device's sessions). Calls then flow through the window only (see
 * hostcall_abi.h section 2b). Closing the connection ends the session:
 * the shadow kills what it started and exits; QEMU marks the window
 * HC_QP_DEAD when the shadow goes first.
 */
#ifndef HOSTCALL_PROTO_H
#define HOSTCALL_PROTO_H

#include <stdint.h>
#include <stddef.h>
#include "hostcall_abi.h"

#define HCP_VERSION	2	/* 2: HCP_WINDOW; calls left the socket */
#define HCP_MAGIC	0x48435031u	/* "HCP1" */

enum hcp_type {
	HCP_HELLO	= 1,	/* QEMU -> shadowd: struct hcp_hello */
	HCP_HELLO_OK	= 2,	/* shadowd -> QEMU: struct hcp_status */
	HCP_OPEN	= 3,	/* QEMU -> shadowd: struct hc_identity */
	HCP_OPENED	= 4,	/* shadowd -> QEMU: struct hcp_opened (+fd) */
	/* 5, 6, 7: HCP_CALL, HCP_CANCEL, HCP_REPLY of version 1; unused */
	HCP_WINDOW	= 8,	/* QEMU -> shadow: struct hcp_window + 3 fds */
};

struct hcp_hdr {
	uint32_t magic;		/* HCP_MAGIC */
	uint16_t type;		/* enum hcp_type */
	uint16_t flags;		/* 0 */
	uint32_t len;		/* whole message, header included */
	uint32_t session;	/* device's session id */
	uint64_t tag;		/* the guest's request tag */
};

struct hcp_hello {
	struct hcp_hdr hdr;
	uint32_t version;	/* HCP_VERSION */
	uint32_t reserved;
	char vm_name[64];	/* NUL-terminated; "" when unnamed */
};

struct hcp_status {
	struct hcp_hdr hdr;
	int32_t status;		/* 0 or -errno */
	uint32_t version;
};

struct hcp_open {
	struct hcp_hdr hdr;
	struct hc_identity id;
};

struct hcp_opened {
	struct hcp_hdr hdr;
	int32_t status;		/* 0: an fd is attached; else -errno */
	uint32_t reserved;
	struct hc_session_info info;
};

/* fds attached in this order (SCM_RIGHTS) */
#define HCP_WINDOW_FD_MEM	0
#define HCP_WINDOW_FD_KICK	1
#define HCP_WINDOW_FD_IRQ	2
#define HCP_WINDOW_NFDS		3

struct hcp_window {
	struct hcp_hdr hdr;	/* session: the guest's session id */
	uint32_t size;		/* HC_WIN_SIZE; the memfd is at least this
				 * big and sealed against shrinking */
	uint32_t flags;		/* 0 */
};

/* Largest packet either side sends or accepts. */
#define HCP_MAX_MSG	512

/*
 * Codec helpers (shadowd/proto.c): fill a header, and check a received
 * packet of n bytes. hcp_check() returns 0 when the header is sane, the
 * length matches n and the fixed part for its type fits; else -EPROTO.
 */
void hcp_init(struct hcp_hdr *h, uint16_t type, uint32_t len,
	      uint32_t session, uint64_t tag);
int hcp_check(const void *buf, size_t n);

#endif /* HOSTCALL_PROTO_H */
