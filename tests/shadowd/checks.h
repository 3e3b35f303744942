/* SPDX-License-Identifier: MIT */
/* Check groups of test_shadowd that live in their own files. */
#ifndef HC_TEST_CHECKS_H
#define HC_TEST_CHECKS_H

#include "client.h"

/* check_pipeline.c: HC_SPAWN_F_STDIN_PROC, host stages joined on the host */
void check_stdin_proc(struct sess *s);
/* check_pty.c: HC_SPAWN_F_PTY and HC_PROC_RESIZE */
void check_pty(struct sess *s);

/* check_lifetimes.c: process groups and handle generations */
void check_lifetimes(struct sess *s);
/* HC_CANCEL_F_UNDO: what a gone caller's call created is released */
void check_undo(struct sess *s);
/* check_blocking.c: hung host calls do not stop the shadow's loop */
void check_blocking(int ctl, uint32_t session);

/* check_hosterrors.c: ENOSPC, EROFS, EIO of host writes */
void check_hosterrors(struct sess *s);

/* check_window.c: bad entries, broken queue pairs, kicks, interrupts */
void check_window(int ctl, uint32_t *next_session);

/* check_evq.c: the built-in "evq" module's CREATE and DESTROY */
void check_evq(int ctl, uint32_t *next_session);
/* and a ping-pong with the example plugin, on a shadowd of its own */
void check_evq_pingpong(void);

/* check_sock.c: the built-in "sock" module against host servers, on a
 * shadowd of its own with sock rules and an audit file */
void check_sock(void);
/* check_sock_modules.c: policies that leave fs (names resolve through
 * the resolver helper) or sock (no network) out */
void check_sock_modules(void);

/* check_daemon.c: shadowd serving several VMs (socket mode) */
void check_daemon(void);

#endif
