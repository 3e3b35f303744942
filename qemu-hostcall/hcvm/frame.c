// SPDX-License-Identifier: MIT
/* Frame buffers for the hcvm channel (shared by hcvm and hcvm-agent). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "frame.h"

int bq_put(struct bq *q, const void *p, size_t n)
{
	if (q->len + n > q->cap) {
		size_t cap = q->cap ? q->cap : 4096;
		while (cap < q->len + n)
			cap *= 2;
		char *nb = realloc(q->buf, cap);
		if (!nb)
			return -1;
		q->buf = nb;
		q->cap = cap;
	}
	memcpy(q->buf + q->len, p, n);
	q->len += n;
	return 0;
}

void bq_drop(struct bq *q, size_t n)
{
	if (n >= q->len) {
		q->len = 0;
		return;
	}
	memmove(q->buf, q->buf + n, q->len - n);
	q->len -= n;
}

void bq_free(struct bq *q)
{
	free(q->buf);
	q->buf = NULL;
	q->len = q->cap = 0;
}

int frame_put(struct bq *q, uint32_t type, const void *data, size_t len)
{
	struct hcvm_frame f = { .type = type, .len = (uint32_t)len };

	if (len > HCVM_MAX_FRAME)
		return -1;
	if (bq_put(q, &f, sizeof(f)) < 0)
		return -1;
	return len ? bq_put(q, data, len) : 0;
}

int bq_flush(struct bq *q, int fd)
{
	while (q->len) {
		ssize_t n = write(fd, q->buf, q->len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 0;
			return -1;
		}
		bq_drop(q, (size_t)n);
	}
	return 0;
}

long bq_fill(struct bq *q, int fd, size_t max)
{
	char tmp[65536];
	ssize_t n;

	if (max > sizeof(tmp))
		max = sizeof(tmp);
	do
		n = read(fd, tmp, max);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN ? -2 : -1;
	if (n > 0 && bq_put(q, tmp, (size_t)n) < 0)
		return -1;
	return n;
}

int frame_next(struct bq *q, uint32_t *type, const char **data, uint32_t *len)
{
	struct hcvm_frame f;

	if (q->len < sizeof(f))
		return 0;
	memcpy(&f, q->buf, sizeof(f));
	if (f.len > HCVM_MAX_FRAME)
		return -1;
	if (q->len < sizeof(f) + f.len)
		return 0;
	*type = f.type;
	*len = f.len;
	*data = q->buf + sizeof(f);
	return 1;
}

void frame_done(struct bq *q, uint32_t len)
{
	bq_drop(q, sizeof(struct hcvm_frame) + len);
}
