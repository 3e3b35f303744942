/* SPDX-License-Identifier: MIT */
/* The wire format between fakehc.c (client) and fakeshadow.c (server). */
#ifndef FAKEHC_H
#define FAKEHC_H

#include <stdint.h>
#include "hostcall_abi.h"

struct fakehc_req {
	uint16_t module, op;
	uint32_t in_len, out_len;
	int64_t args[4];
	/* in data follows */
};

struct fakehc_rep {
	int64_t result;
	uint32_t out_used, pad;
	/* out data follows */
};

int fakehc_open(const char *path, int flags, ...);
int fakehc_ioctl(int fd, unsigned long req, ...);

#endif
