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

static const struct hcm_function funcs[] = {
	{ "echo", echo },
	{ "add", add },
	{ "whoami", whoami },
	{ "sleep", sleep_fn },
	{ "count", count },
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
