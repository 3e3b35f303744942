/* SPDX-License-Identifier: MIT */
/*
 * libhostcall internals: the session, the window's data path (hc_window.c)
 * and its data-area allocator (hc_bufs.c). Not installed.
 */
#ifndef HC_INTERNAL_H
#define HC_INTERNAL_H

#include <stdint.h>

#include "hostcall.h"

struct hc_window;

/* The built-in host modules libhostcall's wrappers call. */
enum { HC_BI_SYS, HC_BI_PROC, HC_BI_FS, HC_BI_SOCK, HC_BI_N };

struct hc_session {
	int fd;
	struct hc_window *win;	/* NULL: every call is HOSTCALL_IOC_CALL */
	int builtin[HC_BI_N];	/* their handles once bound, else 0 */
};

/* A built-in's handle, bound at the first use: > 0, or the bind's -errno. */
int hc_builtin(hc_session *hc, int which);
#define HC_M(hc, X)	hc_builtin(hc, HC_BI_##X)

/* ---- the data-area allocator (callers hold the window's lock) ------------ */

/* 256-byte granules: small calls share cache lines with nobody else's. */
#define HC_GRAN_SHIFT	8
#define HC_GRAN		(1u << HC_GRAN_SHIFT)
#define HC_NGRAN	(HC_QP_DATA_LEN / HC_GRAN)
#define HC_MAP_WORDS	((HC_NGRAN + 63) / 64)

struct hc_bufs {
	uint64_t used[HC_MAP_WORDS];	/* granule taken */
	uint64_t last[HC_MAP_WORDS];	/* last granule of an allocation */
	uint64_t first[HC_MAP_WORDS];	/* first granule of an allocation */
	unsigned hint;			/* next-fit: where the last one ended */
};

void hc_bufs_init(struct hc_bufs *b);
/* A run for len bytes (> 0): its byte offset in the data area, or -1. */
long hc_bufs_alloc(struct hc_bufs *b, size_t len);
/* Give back the run starting at off; 0, or -1 if no run starts there. */
int hc_bufs_free(struct hc_bufs *b, size_t off);

/* ---- the window (hc_window.c) --------------------------------------------- */

/* Map qp 1 of the session's window; leaves hc->win NULL when it cannot
 * (old driver, mmap refused, HOSTCALL_WINDOW=0). */
void hc_win_open(hc_session *hc);
void hc_win_close(hc_session *hc);
/* The window, if this process may use it (not a forked child's copy). */
struct hc_window *hc_win_get(const hc_session *hc);
/* Result of hc_win_call meaning "use the ioctl". */
#define HC_WIN_FALLBACK	1
/* One call through the window: 0 (call->result, out_used filled), a
 * negative errno, or HC_WIN_FALLBACK. */
int hc_win_call(hc_session *hc, struct hostcall_ioc_call *call);
/* The data area as user memory, for hc_buf_*: its start. */
unsigned char *hc_win_data(struct hc_window *w);
void *hc_win_buf_alloc(struct hc_window *w, size_t len);
/* 1 if p was a window buffer (given back), 0 if it is not in the window. */
int hc_win_buf_free(struct hc_window *w, void *p);
/* [p, p + len) inside the data area of the mapping hc had (even in a
 * forked child, where the mapping is gone). */
int hc_win_holds(const hc_session *hc, const void *p, size_t len);

#endif /* HC_INTERNAL_H */
