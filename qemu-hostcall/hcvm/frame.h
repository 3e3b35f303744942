/* SPDX-License-Identifier: MIT */
/* Frame buffers for the hcvm channel: non-blocking send and receive. */
#ifndef HCVM_FRAME_H
#define HCVM_FRAME_H

#include <stddef.h>
#include <stdint.h>
#include "wire.h"

/* A growable byte queue. */
struct bq {
	char *buf;
	size_t len, cap;
};

int bq_put(struct bq *q, const void *p, size_t n);
void bq_drop(struct bq *q, size_t n);
void bq_free(struct bq *q);

/* Queue one frame (header + data) on q. */
int frame_put(struct bq *q, uint32_t type, const void *data, size_t len);
/* Write as much of q as fd takes now; -1 on a real error. */
int bq_flush(struct bq *q, int fd);
/* Read what fd has into q: >0 bytes, 0 at EOF, -1 on error (EAGAIN: -2). */
long bq_fill(struct bq *q, int fd, size_t max);
/*
 * Take the next complete frame from q: returns 1 and sets *type, *data,
 * *len (valid until the next bq call); 0 when incomplete; -1 when the frame
 * is malformed (over HCVM_MAX_FRAME). Call frame_done() after using it.
 */
int frame_next(struct bq *q, uint32_t *type, const char **data, uint32_t *len);
void frame_done(struct bq *q, uint32_t len);

#endif
