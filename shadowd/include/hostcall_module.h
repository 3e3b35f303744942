/* SPDX-License-Identifier: MIT */
/*
 * hostcall_module.h: the host module API. Installed; a plugin module is a
 * shared object built against this header alone.
 *
 * A module has a name, a version (major.minor) and a table of numbered
 * functions. A guest program binds it by name and version in its session
 * (hc_bind), gets a handle, and calls function n (1..nfuncs) with four
 * integer arguments, an input buffer and an output buffer (hc_rpc). The
 * shadow -- one process per guest session, running as the host user the
 * guest user maps to -- runs every function on its one io_uring loop
 * thread: a function must not block. It either answers at once or returns
 * HCM_ASYNC and answers later with hcm_complete(), typically from a
 * callback of hcm_watch() (an fd became ready) or of an event queue.
 *
 * Plugins: NAME.so in the module directory (root-owned, not writable by
 * group or others; shadowd.conf's module-dir), loaded by the shadow of a
 * session whose policy lets it bind NAME, before the shadow confines
 * itself (seccomp, Landlock): what a plugin needs beyond the shadow's own
 * system calls it must open in its load function. The loader calls
 *     int hostcall_module_load(void);   -- calls hcm_register(); 0 or -errno
 * and, at session end,
 *     void hostcall_module_unload(void);   -- optional
 *
 * Everything the guest sends is hostile: hcm_in() is a private copy (the
 * guest cannot change it while the function parses it), hcm_out() is
 * guest-visible memory to write, never to read back.
 *
 * Documentation/modules.md explains the API with the example plugin.
 */
#ifndef HOSTCALL_MODULE_H
#define HOSTCALL_MODULE_H

#include <stddef.h>
#include <stdint.h>

#define HCM_API_VERSION		1
#define HCM_NAME_MAX		31	/* [a-z0-9_-], 1..31 bytes */
#define HCM_MAX_FUNCS		255

/* A function's result when it will answer later with hcm_complete(). */
#define HCM_ASYNC		INT64_MIN

struct hcm_call;	/* one call from the guest, until it is answered */
struct hcm_session;	/* the guest session this shadow serves */
struct hcm_evq;		/* an event queue in the session window */

/* Returns the result (>= 0, or a negative errno), or HCM_ASYNC. */
typedef int64_t (*hcm_fn)(struct hcm_call *c);

struct hcm_function {
	const char *name;	/* listed by `hostcall modules` */
	hcm_fn fn;
};

struct hcm_module {
	unsigned int api;	/* HCM_API_VERSION */
	const char *name;
	unsigned int major, minor;
	unsigned int nfuncs;	/* function n is funcs[n - 1] */
	const struct hcm_function *funcs;
	/* At the first bind in a session (NULL: none): 0 with *state set,
	 * or a negative errno, which the bind returns. */
	int (*session_init)(struct hcm_session *s, void **state);
	/* At the last unbind, or at session end (NULL: none). No call of
	 * this module is pending then: they were cancelled first. */
	void (*session_fini)(struct hcm_session *s, void *state);
};

/* 0; -EEXIST (the name is taken), -EINVAL (a bad name or table). The
 * module must stay valid until hcm_unregister() or process exit. */
int hcm_register(const struct hcm_module *m);
int hcm_unregister(const struct hcm_module *m);

/* ---- in a function ---- */

int64_t hcm_arg(const struct hcm_call *c, unsigned int i);	/* i < 4 */
/* The input: a private copy, len bytes (0: none; never NULL). */
const void *hcm_in(const struct hcm_call *c, size_t *len);
/* Where the output goes: *max bytes (0: the guest gave none). */
void *hcm_out(struct hcm_call *c, size_t *max);
/* Bytes of output written (<= max), reported to the guest. */
void hcm_set_out_len(struct hcm_call *c, size_t len);
struct hcm_session *hcm_call_session(const struct hcm_call *c);
/* The module's per-session state (session_init's *state). */
void *hcm_state(const struct hcm_call *c);

/* Answer a call that returned HCM_ASYNC: exactly once, from the loop
 * thread (a callback). Output written before it is delivered. */
void hcm_complete(struct hcm_call *c, int64_t result);
/* The guest cancelled an HCM_ASYNC call (a signal, the caller died):
 * cancel runs on the loop; the module then answers it, -ECANCELED if it
 * had done nothing. Without a hook the call runs to its end. */
void hcm_on_cancel(struct hcm_call *c, void (*cancel)(struct hcm_call *c));

/* ---- the session ---- */

struct hcm_identity {
	uint32_t guest_uid, guest_gid, guest_pid;	/* from the guest kernel */
	char comm[16];
	uint32_t host_uid, host_gid;			/* the shadow runs as */
	char host_user[32];
	char vm[64];					/* the VM's name */
};
const struct hcm_identity *hcm_identity(const struct hcm_session *s);

/* Call cb(arg, revents) on the loop once fd has one of events (POLLIN,
 * POLLOUT, ...): one shot; watch again for more. 0 or -errno. */
int hcm_watch(struct hcm_session *s, int fd, unsigned int events,
	      void (*cb)(void *arg, int revents), void *arg);
/* Drop a watch that has not fired (its cb is not called). 0 or -ENOENT. */
int hcm_unwatch(struct hcm_session *s, int fd);
/* One audit line: "module=NAME event=EVENT" followed by fields
 * (" key=value" pairs, values without spaces). */
void hcm_audit(struct hcm_session *s, const char *event, const char *fields);

/* ---- event queues (Documentation/evq.md) ----
 * A queue is a ring of fixed-size entries in the session window, created
 * by the guest (hc_evq_create) with a direction; a module reaches it by
 * the id the guest passes to one of its functions. Keep a queue pointer
 * only while a notify callback is on it (the callback runs once more when
 * the guest destroys the queue); else look it up by id in each call.
 * Besides the errors below, get and put return -EIO once the guest broke
 * the queue (indices that make no sense): it is not served any more. */
struct hcm_evq *hcm_evq_lookup(struct hcm_session *s, uint32_t id);
uint32_t hcm_evq_entry_size(const struct hcm_evq *q);
/* Put one entry (len <= entry size) on a to-guest queue: 0, -EAGAIN when
 * full, -EPIPE once the guest destroyed it, -EINVAL wrong direction.
 * Raises the guest's interrupt only if a guest reader waits. */
int hcm_evq_put(struct hcm_evq *q, const void *ev, size_t len);
/* Take one entry from a to-host queue into ev (len >= entry size):
 * the entry size, -EAGAIN when empty, -EPIPE, -EINVAL as above. */
int hcm_evq_get(struct hcm_evq *q, void *ev, size_t len);
/* cb(arg, q) on the loop whenever a to-host queue may have new entries
 * or a to-guest queue may have room (NULL cb: stop). Edge-triggered: it
 * runs when the guest moved its index since the module last heard (at
 * once if entries wait when it registers; room only after a put found
 * the queue full): drain what you can. 0, or -EPIPE once destroyed. */
int hcm_evq_notify(struct hcm_evq *q, void (*cb)(void *arg, struct hcm_evq *q),
		   void *arg);

#endif
