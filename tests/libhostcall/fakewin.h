/* SPDX-License-Identifier: MIT */
/* The guest driver's part for libhostcall, on a test client's window. */
#ifndef FAKEWIN_H
#define FAKEWIN_H

#include <signal.h>
#include "client.h"

extern struct sess fw_sess;		/* the window: qp 1 is the library's */
extern volatile sig_atomic_t fw_signal;	/* set by a handler: WAIT fails EINTR */
extern int fw_waits;			/* HOSTCALL_IOC_WAITs made */

#endif
