/* SPDX-License-Identifier: MIT */
/*
 * Per-shadow handle tables. The guest only ever names small integers;
 * they index these tables and are checked on every use.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include "shadow.h"

/*
 * A handle is (generation << bits) | slot: a slot's next user gets a new
 * generation, so a handle the guest keeps after RELEASE or CLOSE (a
 * stream fd closing late, say) names nothing instead of the slot's next
 * process or file. One mechanism for both tables.
 */
struct htable {
	unsigned bits;		/* slot bits of a handle */
	unsigned max;		/* slots */
	unsigned used;
	void **obj;		/* NULL: free */
	uint32_t *gen;
};

#define PROC_BITS	8
#define FILE_BITS	10
_Static_assert(MAX_PROCS <= (1 << PROC_BITS), "proc slot bits");
_Static_assert(MAX_FILES <= (1 << FILE_BITS), "file slot bits");

static void *proc_obj[MAX_PROCS], *file_obj[MAX_FILES];
static uint32_t proc_gen[MAX_PROCS], file_gen[MAX_FILES];
static struct htable procs = { PROC_BITS, MAX_PROCS, 0, proc_obj, proc_gen };
static struct htable files = { FILE_BITS, MAX_FILES, 0, file_obj, file_gen };
struct proc *all_procs;

/* A free slot among the first limit (the policy's): handle or -1. */
static int ht_add(struct htable *t, unsigned limit, void *o)
{
	/* Handles stay positive int32. */
	uint32_t gen_max = INT32_MAX >> t->bits;
	unsigned i;

	for (i = 0; i < limit && i < t->max; i++) {
		if (t->obj[i])
			continue;
		t->obj[i] = o;
		t->used++;
		t->gen[i] = t->gen[i] >= gen_max ? 1 : t->gen[i] + 1;
		return (int)(t->gen[i] << t->bits) | (int)i;
	}
	return -1;
}

static void *ht_lookup(const struct htable *t, int64_t h)
{
	int64_t slot = h & ((1 << t->bits) - 1);

	if (h < 0 || h > INT32_MAX || slot >= t->max ||
	    (uint64_t)h >> t->bits != t->gen[slot])
		return NULL;
	return t->obj[slot];
}

static void *ht_remove(struct htable *t, int64_t h)
{
	void *o = ht_lookup(t, h);

	if (o) {
		t->obj[h & ((1 << t->bits) - 1)] = NULL;
		t->used--;
	}
	return o;
}

int proc_table_add(struct proc *p)
{
	int h = ht_add(&procs, pol.max_procs, p);

	return h < 0 ? shadow_audit_limit("max-procs", 0, -EAGAIN) : h;
}

struct proc *proc_lookup(int64_t h)
{
	return ht_lookup(&procs, h);
}

struct proc *proc_table_remove(int64_t h)
{
	return ht_remove(&procs, h);
}

struct proc *proc_ref(struct proc *p)
{
	p->refs++;
	return p;
}

/* The last reference closes what the shadow holds of the process. The
 * process itself must be reaped by then (or the session is ending). */
void proc_unref(struct proc *p)
{
	int i;

	if (--p->refs > 0)
		return;
	for (i = 0; i < 3; i++)
		if (p->fds[i] >= 0)
			close(p->fds[i]);
	if (p->pidfd >= 0)
		close(p->pidfd);
	if (p->all_prev)
		p->all_prev->all_next = p->all_next;
	else
		all_procs = p->all_next;
	if (p->all_next)
		p->all_next->all_prev = p->all_prev;
	free(p);
}

/* fds are stored +1, so fd 0 is not "free". */
int file_table_add(int fd)
{
	int h = ht_add(&files, pol.max_files, (void *)(intptr_t)(fd + 1));

	return h < 0 ? shadow_audit_limit("max-files", 0, -EMFILE) : h;
}

int file_table_full(void)
{
	return files.used >= pol.max_files;
}

int file_lookup(int64_t h)
{
	void *o = ht_lookup(&files, h);

	return o ? (int)(intptr_t)o - 1 : -1;
}

int file_table_remove(int64_t h)
{
	void *o = ht_remove(&files, h);

	return o ? (int)(intptr_t)o - 1 : -1;
}
