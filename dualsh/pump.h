/* SPDX-License-Identifier: MIT */
/*
 * dualsh pump: one forked process per run of host stages that relays bytes
 * between guest descriptors and host streams (and host files), forwards
 * signals to the host processes, waits for them and reports their exit
 * statuses. Guest stages next to the run use driver stream fds instead
 * and are not in the plan; with a driver that has none, the pump relays
 * their pipes too.
 */
#ifndef DUALSH_PUMP_H
#define DUALSH_PUMP_H

#include <stdbool.h>
#include <sys/types.h>

#include "hostcall.h"

#define PUMP_CHUNK	HC_MAX_DATA	/* 128 KiB per call */
#define PUMP_MAX_STAGES	32
#define PUMP_MAX_COPIES	(3 * PUMP_MAX_STAGES)

enum ep_kind {
	EP_NONE,	/* closed */
	EP_FD,		/* a guest descriptor */
	EP_PROC,	/* a host process stream: stream 0 write, 1/2 read */
	EP_HFILE,	/* a host file handle */
};

struct ep {
	enum ep_kind kind;
	int fd;		/* EP_FD */
	int h;		/* EP_PROC: process handle; EP_HFILE: file handle */
	int stream;	/* EP_PROC */
};

struct pump_copy {
	struct ep src, dst;
	bool input;	/* guest -> host: not waited for at the end */
};

struct pump_plan {
	hc_session *hc;
	int n;				/* stages */
	int h[PUMP_MAX_STAGES];		/* handle, or -1 (failed) */
	int st[PUMP_MAX_STAGES];	/* preset status for failed stages */
	int ncopy;
	struct pump_copy copy[PUMP_MAX_COPIES];
	int nclose;			/* host streams to close at once */
	struct ep close[PUMP_MAX_COPIES];
	int nhfile;
	int hfile[PUMP_MAX_COPIES];	/* host files to close at the end */
	bool pty;			/* one stage on a host pty */
	int ttyfd;			/* pty mode: the guest terminal */
	int statfd;			/* statuses go here (write end) */
};

/* in the forked child: run the plan, never return */
_Noreturn void pump_main(struct pump_plan *p);

#endif
