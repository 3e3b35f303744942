/* SPDX-License-Identifier: MIT */
/*
 * Every session in its own container of processes: the shadow and all
 * it starts, to any depth. With a cgroup (root: system mode, or a root
 * VM owner) it has pids.max = max-tasks and the optional memory and CPU
 * limits, and shadowd kills it as a whole once the shadow is gone, even
 * if the shadow was SIGKILLed by one of its own commands. Without one
 * (shadowd not root, or no pids controller) RLIMIT_NPROC stands in for
 * max-tasks and the shadow's subreaper sweep for the kill.
 */
#ifndef HC_CONTAINER_H
#define HC_CONTAINER_H

#include <sys/resource.h>
#include "cgroup.h"
#include "policy.h"

struct container {
	struct cg cg;
	int in_cg;		/* else the fallback below */
	rlim_t nproc;		/* RLIMIT_NPROC for the fallback, 0: none */
};

/* Once at start: probe what this host offers (logs it), and end what an
 * earlier shadowd's sessions left whose shadows are gone. */
void container_init(void);
/* At exit: remove the containers still emptying (bounded, 1 s). */
void container_shutdown(void);
/* A container name "what" for this host: how sessions are contained. */
const char *container_kind(void);
/* Before forking the shadow of host user uid: 0 or -errno. */
int container_prepare(struct container *c, const struct vm_policy *vm,
		      uid_t uid);
/* In the forked shadow, still root (if we were): 0 or -errno. */
int container_enter(const struct container *c);
/* The shadow was reaped: audit the limits it hit (fields: the
 * session's), kill what is left, remove the container. */
void container_end(struct container *c, const char *fields);

#endif
