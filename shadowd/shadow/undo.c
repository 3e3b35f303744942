/* SPDX-License-Identifier: MIT */
/*
 * undo.c: HC_CANCEL_F_UNDO: what a call created, released when its caller is
 * gone (killed, or its answer could not be delivered). A call still in
 * flight is marked and undone when it completes; one already answered is
 * found in its queue pair's record of recent creating calls (entries of a
 * queue pair are taken in order, so the call came before its cancel).
 */
#include "auditfmt.h"
#include "registry.h"
#include "shadow.h"
#include "sock.h"

#define UNDO_HIST	256	/* per queue pair; 4 times its entries */

static struct undo_rec {
	uint64_t tag;
	int kind;
	int64_t result;
} undo_hist[2][UNDO_HIST];
static unsigned undo_next[2];

int undo_kind(const struct call *c)
{
	if (c->module == HC_MOD_SESSION)
		return c->op == HC_SESSION_BIND ? UNDO_UNBIND : UNDO_NONE;
	if (c->builtin == MOD_PROC && c->op == HC_PROC_SPAWN)
		return UNDO_RELEASE;
	if (c->builtin == MOD_FS && c->op == HC_FS_OPEN)
		return UNDO_CLOSE;
	if (c->builtin == MOD_SOCK &&
	    (c->op == HC_SOCK_SOCKET || c->op == HC_SOCK_ACCEPT))
		return UNDO_SOCKET;
	return UNDO_NONE;
}

void undo(int kind, int64_t result)
{
	char f[64];
	size_t len = 0;

	switch (kind) {
	case UNDO_RELEASE:
		call_internal(MOD_PROC, HC_PROC_RELEASE, result);
		break;
	case UNDO_CLOSE:
		call_internal(MOD_FS, HC_FS_CLOSE, result);
		break;
	case UNDO_UNBIND:
		registry_unbind(result);
		break;
	case UNDO_SOCKET:
		sock_undo(result);
		break;
	default:
		return;
	}
	f[0] = 0;
	audit_kv(f, sizeof(f), &len, "what", kind == UNDO_RELEASE ? "process" :
		 kind == UNDO_CLOSE ? "file" :
		 kind == UNDO_SOCKET ? "socket" : "binding");
	shadow_audit("call-undone", f);
}

void undo_record(int qp, uint64_t tag, int kind, int64_t result)
{
	struct undo_rec *r = &undo_hist[qp][undo_next[qp]++ % UNDO_HIST];

	r->tag = tag;
	r->kind = kind;
	r->result = result;
}

void undo_answered(int qp, uint64_t tag)
{
	int i;

	for (i = 0; i < UNDO_HIST; i++) {
		struct undo_rec *r = &undo_hist[qp][i];

		if (r->kind != UNDO_NONE && r->tag == tag) {
			int kind = r->kind;

			r->kind = UNDO_NONE;
			undo(kind, r->result);
			return;
		}
	}
}

