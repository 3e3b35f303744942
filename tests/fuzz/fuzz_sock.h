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
uint16_t fz_port(unsigned i);	/* a loopback port this process bound */
int fz_open_fds(void);		/* sockets the module opened, not closed */

#endif
