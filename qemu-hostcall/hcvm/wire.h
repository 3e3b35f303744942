/* SPDX-License-Identifier: MIT */
/*
 * hcvm wire format: the frames `hcvm exec` (host) and hcvm-agent (guest)
 * exchange over one virtio-serial port named HCVM_PORT_NAME. One ordered
 * channel keeps stdout, stderr and the exit status in sequence. Under
 * `hcvm run` the same port only carries HCVM_WINSIZE, to the agent's
 * console mode, so the serial console has the host terminal's size.
 * Frame: struct hcvm_frame, then len bytes. Host byte order (both x86-64).
 */
#ifndef HCVM_WIRE_H
#define HCVM_WIRE_H

#include <stdint.h>

#define HCVM_PORT_NAME	"hcvm"
#define HCVM_MAX_FRAME	(64 * 1024)

enum hcvm_type {
	HCVM_EXEC	= 1,	/* host->guest: u32 uid, u32 argc, argv strings\0 */
	HCVM_STDIN	= 2,	/* host->guest: data */
	HCVM_STDIN_EOF	= 3,	/* host->guest: no data */
	HCVM_STDOUT	= 4,	/* guest->host: data */
	HCVM_STDERR	= 5,	/* guest->host: data */
	HCVM_EXIT	= 6,	/* guest->host: int32 exit status (0..255) */
	HCVM_ERROR	= 7,	/* guest->host: message for the user */
	HCVM_WINSIZE	= 8,	/* host->guest (hcvm run): struct hcvm_winsize */
};

/* The host terminal's size, for the guest console (hcvm run). */
struct hcvm_winsize {
	uint16_t rows;
	uint16_t cols;
};

struct hcvm_frame {
	uint32_t type;
	uint32_t len;
};

#endif
