/* SPDX-License-Identifier: MIT */
/*
 * The host module API (hostcall_module.h) on the shadow's machinery: an
 * hcm_call is a struct call, HCM_ASYNC is the handlers' ASYNC, a watch is
 * a one-shot poll on the loop's io_uring, hcm_complete answers the call
 * as an io_uring completion would. Exported from hostcall-shadow
 * (-rdynamic with a version script) so plugins resolve these.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "auditfmt.h"
#include "log.h"
#include "registry.h"
#include "shadow.h"

_Static_assert(HCM_ASYNC == ASYNC, "one async marker");
_Static_assert(HCM_NAME_MAX == HC_MODULE_NAME_MAX, "one name limit");

struct hcm_session {
	struct hcm_identity id;
};

static struct hcm_session self;
const struct hcm_module *hcm_current;	/* whose code runs, for audit */

struct watch {
	struct watch *next;
	int fd;
	int dead;		/* unwatched or session end: no callback */
	void (*cb)(void *arg, int revents);
	void *arg;
	const struct hcm_module *m;	/* who watches */
};

static struct watch *watches;	/* armed, not yet completed */

struct hcm_session *hcm_self(void)
{
	return &self;
}

void hcm_init(void)
{
	struct hcm_identity *id = &self.id;

	id->guest_uid = pol.guest_uid;
	id->guest_gid = pol.guest_gid;
	id->guest_pid = pol.guest_pid;
	snprintf(id->comm, sizeof(id->comm), "%s", pol.guest_comm);
	id->host_uid = getuid();
	id->host_gid = getgid();
	snprintf(id->host_user, sizeof(id->host_user), "%s", sys_user_name());
	snprintf(id->vm, sizeof(id->vm), "%s", pol.vm);
}

/* ---- in a function ---- */

int64_t hcm_arg(const struct hcm_call *c, unsigned int i)
{
	return i < 4 ? call_of(c)->args[i] : 0;
}

const void *hcm_in(const struct hcm_call *c, size_t *len)
{
	struct call *k = call_of(c);

	*len = k->in_len;
	return k->in_len ? k->in : (const void *)"";
}

void *hcm_out(struct hcm_call *c, size_t *max)
{
	struct call *k = call_of(c);

	*max = k->out_max;
	return k->out;
}

void hcm_set_out_len(struct hcm_call *c, size_t len)
{
	struct call *k = call_of(c);

	/* More than asked for is dropped at the answer (reply()). */
	k->out_len = len > UINT32_MAX ? UINT32_MAX : len;
}

struct hcm_session *hcm_call_session(const struct hcm_call *c)
{
	(void)c;
	return &self;
}

void *hcm_state(const struct hcm_call *c)
{
	struct call *k = call_of(c);

	return k->bind ? k->bind->state : NULL;
}

void hcm_complete(struct hcm_call *c, int64_t result)
{
	struct call *k = call_of(c);

	if (result == HCM_ASYNC || result < -4095)
		result = -EIO;
	k->on_cancel = NULL;
	call_finish(k, result);
}

void hcm_on_cancel(struct hcm_call *c, void (*cancel)(struct hcm_call *c))
{
	call_of(c)->on_cancel = cancel;
}

/* ---- the session ---- */

const struct hcm_identity *hcm_identity(const struct hcm_session *s)
{
	(void)s;
	return &self.id;
}

int hcm_watch(struct hcm_session *s, int fd, unsigned int events,
	      void (*cb)(void *arg, int revents), void *arg)
{
	struct io_uring_sqe *sqe;
	struct watch *w;

	(void)s;
	if (fd < 0 || !cb)
		return -EINVAL;
	for (w = watches; w; w = w->next)
		if (w->fd == fd && !w->dead)
			return -EBUSY;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->fd = fd;
	w->cb = cb;
	w->arg = arg;
	w->m = hcm_current;
	w->next = watches;
	watches = w;
	sqe = watch_sqe(w);
	io_uring_prep_poll_add(sqe, fd, events & 0xffff);
	return 0;
}

int hcm_unwatch(struct hcm_session *s, int fd)
{
	struct watch *w;

	(void)s;
	for (w = watches; w; w = w->next) {
		if (w->fd == fd && !w->dead) {
			w->dead = 1;
			watch_cancel(w);
			return 0;
		}
	}
	return -ENOENT;
}

void hcm_watch_fired(void *p, int res)
{
	struct watch *w = p, **pp;

	for (pp = &watches; *pp; pp = &(*pp)->next) {
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	}
	if (!w->dead) {
		const struct hcm_module *prev = hcm_current;

		hcm_current = w->m;
		w->cb(w->arg, res < 0 ? POLLERR : res);
		hcm_current = prev;
	}
	free(w);
}

void hcm_watch_drop_all(void)
{
	struct watch *w;

	for (w = watches; w; w = w->next)
		w->dead = 1;
}

void hcm_audit(struct hcm_session *s, const char *event, const char *fields)
{
	char f[768], ev[64];
	size_t len = 0, i;

	(void)s;
	/* The event is a word: anything else becomes '_'. */
	snprintf(ev, sizeof(ev), "%s", event && *event ? event : "event");
	for (i = 0; ev[i]; i++)
		if (!((ev[i] >= 'a' && ev[i] <= 'z') ||
		      (ev[i] >= '0' && ev[i] <= '9') || ev[i] == '-' ||
		      ev[i] == '_'))
			ev[i] = '_';
	f[0] = 0;
	audit_kv(f, sizeof(f), &len, "module",
		 hcm_current ? hcm_current->name : "?");
	if (fields && *fields)
		snprintf(f + len, sizeof(f) - len, "%s%s",
			 fields[0] == ' ' ? "" : " ", fields);
	shadow_audit(ev, f);
}
