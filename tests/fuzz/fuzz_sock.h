/* SPDX-License-Identifier: MIT */
/* fuzz_sock.c's harness and its fake shadow (fuzz_sock_host.c). */
#ifndef FUZZ_SOCK_H
#define FUZZ_SOCK_H

#include <stdint.h>
#include "shadow.h"

#define FZ_MAX_FDS	1024
#define FZ_MAX_CALLS	64

extern void *fz_state;		/* the module's session state */
void fz_loop(int spurious);	/* answer jobs, fire (ready) watches */
int fz_watching(void);		/* watches armed */
/* a loopback port this process bound (0xb0..0xbf: the TLS server's) */
uint16_t fz_port(unsigned i);
int fz_open_fds(void);		/* sockets the module opened, not closed */
void fz_tls_port(uint16_t port);	/* the TLS server's, connectable */

/* fuzz_sock_tls.c: a TLS echo server on 127.0.0.3 */
uint16_t fz_tls_start(void);	/* its port, 0: none (no certificate) */
void fz_tls_turn(void);		/* accept, handshake, echo: one step */
void fz_tls_reset(void);	/* between inputs */

#endif
