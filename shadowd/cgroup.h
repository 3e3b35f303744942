/* SPDX-License-Identifier: MIT */
/*
 * One cgroup per session, below shadowd's own: cgroup v2 when its
 * unified hierarchy has the pids controller, else the v1 pids (and
 * memory, cpu, freezer) hierarchies, else none. Root only.
 */
#ifndef HC_CGROUP_H
#define HC_CGROUP_H

#include <limits.h>
#include "policy.h"

enum cg_kind { CG_NONE, CG_V1, CG_V2 };

/* v1 has one directory per controller; v2 one for all. */
enum { CGD_PIDS, CGD_MEMORY, CGD_CPU, CGD_FREEZER, CGD_N };

struct cg {
	char dir[CGD_N][PATH_MAX];	/* "" where not used */
};

/* Probe once, as root: which kind, and set up the base (v2: enable the
 * controllers below shadowd's cgroup). Writes what it found to *what. */
enum cg_kind cg_probe(char *what, size_t n);
/* Make the session's cgroup named name with limit l: 0 or -errno. */
int cg_create(struct cg *g, const char *name, const struct limits *l);
/* In the new shadow, before it drops root: join the session's cgroup. */
int cg_join(const struct cg *g);
/* Limit events so far: forks refused at pids.max, OOM kills. */
void cg_events(const struct cg *g, unsigned long *tasks_refused,
	       unsigned long *oom_kills);
/* Kill everything in it (bounded); then remove it: 0, or -EBUSY when
 * something is still exiting (cg_remove again later). */
void cg_kill(const struct cg *g);
int cg_remove(struct cg *g);
/* Call fn for each session cgroup of a shadowd that is gone (its name
 * says whose), with what it holds; fn may cg_kill and cg_remove it. */
void cg_stale(void (*fn)(struct cg *g, int has_shadow));

#endif
