/* SPDX-License-Identifier: MIT */
/*
 * example.so: the example host module ("example" 1.2), built against
 * hostcall_module.h alone; the tests bind it, and Documentation/modules.md
 * walks through it.
 *
 *   1 echo    in -> out; result: bytes echoed
 *   2 add     result: args[0] + args[1] + args[2] + args[3]
 *   3 whoami  out: the caller's identity as text; result: its length
 *   4 sleep   args[0]: milliseconds; answers 0 later (HCM_ASYNC), or
 *             -ECANCELED when the guest cancels it
 *   5 count   result: how many times count was called in this session
 *             (state from session_init, audited and freed at session_fini)
 *   6 pingpong  args[0]: a to-host event queue's id, args[1]: a to-guest
 *             one's, args[2]: count; echoes count events from the first
 *             into the second (HCM_ASYNC, hcm_evq_notify), then answers
 *             count (-EIO a queue broke, -EPIPE one was destroyed)
 *
 * The shadow's seccomp filter allows no timerfd_create or timerfd_settime
 * once it runs a function, so the timer sleep waits on is made in the
 * load function: one periodic tick, watched only while a sleep is pending.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include <hostcall_module.h>

#define TICK_MS		5

static int tick_fd = -1;
static int tick_armed;

struct sleeper {
	struct sleeper *next;
	struct hcm_call *call;
	long long due_ms;
};

static struct sleeper *sleepers;

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static int64_t echo(struct hcm_call *c)
{
	size_t len, max;
	const void *in = hcm_in(c, &len);
	void *out = hcm_out(c, &max);
	size_t n = len < max ? len : max;

	memcpy(out, in, n);
	hcm_set_out_len(c, n);
	return n;
}

static int64_t add(struct hcm_call *c)
{
	return hcm_arg(c, 0) + hcm_arg(c, 1) + hcm_arg(c, 2) + hcm_arg(c, 3);
}

static int64_t whoami(struct hcm_call *c)
{
	const struct hcm_identity *id = hcm_identity(hcm_call_session(c));
	char text[256];
	size_t max;
	void *out = hcm_out(c, &max);
	int n;

	n = snprintf(text, sizeof(text),
		     "guest_uid=%u guest_gid=%u guest_pid=%u comm=%s "
		     "host_uid=%u host_user=%s vm=%s\n",
		     id->guest_uid, id->guest_gid, id->guest_pid, id->comm,
		     id->host_uid, id->host_user, id->vm[0] ? id->vm : "-");
	if (n < 0 || (size_t)n > max)
		return -ENOSPC;
	memcpy(out, text, n);
	hcm_set_out_len(c, n);
	return n;
}

/* ---- sleep: asynchronous, cancellable ---- */

static void unlink_sleeper(struct sleeper *s)
{
	struct sleeper **pp;

	for (pp = &sleepers; *pp; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			return;
		}
	}
}

static void tick(void *arg, int revents);

static void arm(struct hcm_session *ses)
{
	if (!tick_armed && sleepers &&
	    hcm_watch(ses, tick_fd, POLLIN, tick, ses) == 0)
		tick_armed = 1;
}

static void tick(void *arg, int revents)
{
	struct sleeper *s, *next;
	long long now = now_ms();
	uint64_t n;

	(void)revents;
	tick_armed = 0;
	if (read(tick_fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return;
	for (s = sleepers; s; s = next) {
		next = s->next;
		if (s->due_ms <= now) {
			unlink_sleeper(s);
			hcm_complete(s->call, 0);
			free(s);
		}
	}
	arm(arg);
}

static void sleep_cancel(struct hcm_call *c)
{
	struct sleeper *s;

	for (s = sleepers; s; s = s->next) {
		if (s->call == c) {
			unlink_sleeper(s);
			free(s);
			hcm_complete(c, -ECANCELED);
			return;
		}
	}
}

static int64_t sleep_fn(struct hcm_call *c)
{
	int64_t ms = hcm_arg(c, 0);
	struct sleeper *s;

	if (ms < 0 || ms > 3600 * 1000)
		return -EINVAL;
	if (tick_fd < 0)
		return -ENODEV;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->call = c;
	s->due_ms = now_ms() + ms;
	s->next = sleepers;
	sleepers = s;
	hcm_on_cancel(c, sleep_cancel);
	arm(hcm_call_session(c));
	return HCM_ASYNC;
}

/* ---- count: per-session state ---- */

static int64_t count(struct hcm_call *c)
{
	unsigned long *n = hcm_state(c);

	return ++*n;
}

static int count_init(struct hcm_session *s, void **state)
{
	(void)s;
	*state = calloc(1, sizeof(unsigned long));
	return *state ? 0 : -ENOMEM;
}

static void count_fini(struct hcm_session *s, void *state)
{
	char f[48];

	snprintf(f, sizeof(f), " count=%lu", *(unsigned long *)state);
	hcm_audit(s, "session-fini", f);
	free(state);
}

/* ---- pingpong: event queues (Documentation/evq.md) ---- */

/*
 * Echo args[2] events from to-host queue args[0] into to-guest queue
 * args[1], then answer with the count. One callback on both queues (new
 * entries in one, room in the other) moves what it can and returns; an
 * event taken but not put yet waits in `ev`. Each event is copied once
 * out of the window (get) and once into it (put).
 */
struct pingpong {
	struct pingpong *next;
	struct hcm_call *call;
	struct hcm_evq *in, *out;
	int64_t left, done;
	int have;		/* ev holds an event taken, not yet put */
	size_t len;
	unsigned char ev[4096];	/* HC_EVQ_ENTRY_MAX */
};

static struct pingpong *pingpongs;

static void pingpong_end(struct pingpong *p, int64_t result)
{
	struct pingpong **pp;

	for (pp = &pingpongs; *pp != p; pp = &(*pp)->next)
		;
	*pp = p->next;
	hcm_evq_notify(p->in, NULL, NULL);
	hcm_evq_notify(p->out, NULL, NULL);
	hcm_complete(p->call, result);
	free(p);
}

static void pingpong_run(void *arg, struct hcm_evq *q)
{
	struct pingpong *p = arg;
	int r;

	(void)q;
	while (p->left) {
		if (!p->have) {
			r = hcm_evq_get(p->in, p->ev, sizeof(p->ev));
			if (r == -EAGAIN)
				return;		/* the guest's next put calls us */
			if (r < 0)
				goto fail;
			p->len = (size_t)r;
			p->have = 1;
		}
		r = hcm_evq_put(p->out, p->ev, p->len);
		if (r == -EAGAIN)
			return;			/* room calls us */
		if (r < 0)
			goto fail;
		p->have = 0;
		p->left--;
		p->done++;
	}
	pingpong_end(p, p->done);
	return;
fail:
	/* -EIO: a queue broke; -EPIPE: the guest destroyed one */
	pingpong_end(p, r);
}

static void pingpong_cancel(struct hcm_call *c)
{
	struct pingpong *p;

	for (p = pingpongs; p; p = p->next) {
		if (p->call == c) {
			pingpong_end(p, p->done ? p->done : -ECANCELED);
			return;
		}
	}
}

static int64_t pingpong(struct hcm_call *c)
{
	struct hcm_session *s = hcm_call_session(c);
	struct hcm_evq *in, *out;
	struct pingpong *p;

	in = hcm_evq_lookup(s, (uint32_t)hcm_arg(c, 0));
	out = hcm_evq_lookup(s, (uint32_t)hcm_arg(c, 1));
	if (!in || !out || hcm_arg(c, 0) != (uint32_t)hcm_arg(c, 0) ||
	    hcm_arg(c, 1) != (uint32_t)hcm_arg(c, 1))
		return -ENOENT;
	if (hcm_arg(c, 2) < 0 || hcm_evq_entry_size(in) > hcm_evq_entry_size(out))
		return -EINVAL;
	if (!hcm_arg(c, 2))
		return 0;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->call = c;
	p->in = in;
	p->out = out;
	p->left = hcm_arg(c, 2);
	if (hcm_evq_notify(in, pingpong_run, p) < 0 ||
	    hcm_evq_notify(out, pingpong_run, p) < 0) {
		hcm_evq_notify(in, NULL, NULL);
		free(p);
		return -EPIPE;
	}
	p->next = pingpongs;
	pingpongs = p;
	hcm_on_cancel(c, pingpong_cancel);
	return HCM_ASYNC;
}

static const struct hcm_function funcs[] = {
	{ "echo", echo },
	{ "add", add },
	{ "whoami", whoami },
	{ "sleep", sleep_fn },
	{ "count", count },
	{ "pingpong", pingpong },
};

static const struct hcm_module example = {
	.api = HCM_API_VERSION,
	.name = "example",
	.major = 1,
	.minor = 2,
	.nfuncs = sizeof(funcs) / sizeof(funcs[0]),
	.funcs = funcs,
	.session_init = count_init,
	.session_fini = count_fini,
};

int hostcall_module_load(void)
{
	struct itimerspec it = {
		.it_interval = { 0, TICK_MS * 1000000L },
		.it_value = { 0, TICK_MS * 1000000L },
	};

	tick_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (tick_fd < 0)
		return -errno;
	if (timerfd_settime(tick_fd, 0, &it, NULL) < 0) {
		int e = -errno;

		close(tick_fd);
		tick_fd = -1;
		return e;
	}
	return hcm_register(&example);
}

void hostcall_module_unload(void)
{
	if (tick_fd >= 0)
		close(tick_fd);
	tick_fd = -1;
}
