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

static struct proc *procs[MAX_PROCS];
/*
 * A process handle is (generation << 8) | slot: a slot's next user gets a
 * new generation, so a handle the guest keeps after RELEASE (a stream fd
 * closing late, say) names nothing instead of the slot's next process.
 */
#define SLOT_BITS	8
#define GEN_MAX		0x7fffff	/* handles stay positive int32 */
_Static_assert(MAX_PROCS <= (1 << SLOT_BITS), "slot bits");
static uint32_t gens[MAX_PROCS];
static int files[MAX_FILES];
static int files_used;
struct proc *all_procs;

int proc_table_add(struct proc *p)
{
	int i;

	/* The policy's max-procs (<= MAX_PROCS) handles at once. */
	for (i = 0; i < (int)pol.max_procs; i++) {
		if (!procs[i]) {
			procs[i] = p;
			gens[i] = gens[i] >= GEN_MAX ? 1 : gens[i] + 1;
			return (int)(gens[i] << SLOT_BITS) | i;
		}
	}
	return shadow_audit_limit("max-procs", 0, -EAGAIN);
}

struct proc *proc_lookup(int64_t h)
{
	int64_t slot = h & ((1 << SLOT_BITS) - 1);

	if (h < 0 || h > INT32_MAX || slot >= MAX_PROCS ||
	    (uint64_t)h >> SLOT_BITS != gens[slot])
		return NULL;
	return procs[slot];
}

struct proc *proc_table_remove(int64_t h)
{
	struct proc *p = proc_lookup(h);

	if (p)
		procs[h & ((1 << SLOT_BITS) - 1)] = NULL;
	return p;
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

/* fds are stored +1 so the zeroed table means "free". */
int file_table_add(int fd)
{
	int i;

	for (i = 0; i < (int)pol.max_files; i++) {
		if (!files[i]) {
			files[i] = fd + 1;
			files_used++;
			return i;
		}
	}
	return shadow_audit_limit("max-files", 0, -EMFILE);
}

int file_table_full(void)
{
	return files_used >= (int)pol.max_files;
}

int file_lookup(int64_t h)
{
	if (h < 0 || h >= MAX_FILES || !files[h])
		return -1;
	return files[h] - 1;
}

int file_table_remove(int64_t h)
{
	int fd = file_lookup(h);

	if (fd >= 0) {
		files[h] = 0;
		files_used--;
	}
	return fd;
}
