// SPDX-License-Identifier: MIT
/*
 * hc-bind: host modules by name and version through libhostcall.
 *   hc-bind            hc_bind's errors, then hc_rpc to the example plugin
 *                      ("example" 1.2: echo, add, whoami, sleep, count),
 *                      cancel of its asynchronous sleep by a signal
 *   hc-bind refused    the policy refuses this user the example: -EPERM
 *   hc-bind absent     the example plugin is not loaded: -ENOENT
 * Runs the same over the window and, with HOSTCALL_WINDOW=0, the ioctl.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "hc-util.h"
#include "hostcall.h"

enum { ECHO = 1, ADD = 2, WHOAMI = 3, SLEEP = 4, COUNT = 5 };

static void on_alarm(int sig)
{
	(void)sig;
}

static void errors(hc_session *hc)
{
	int r;

	r = hc_bind(hc, "no-such-module", 1, 0);
	hc_check(r == -ENOENT, "bind: an unknown module gets ENOENT", "%d", r);
	r = hc_bind(hc, "Bad/Name", 1, 0);
	hc_check(r == -EINVAL, "bind: a bad name gets EINVAL", "%d", r);
	r = hc_bind(hc, "example", 2, 0);
	hc_check(r == -EPROTO, "bind: another major gets EPROTO", "%d", r);
	r = hc_bind(hc, "example", 1, 3);
	hc_check(r == -EPROTO, "bind: a minor above the host's gets EPROTO",
		 "%d", r);
	r = hc_unbind(hc, 63);
	hc_check(r == -EBADF, "unbind: a handle never bound gets EBADF", "%d",
		 r);
	r = (int)hc_rpc(hc, 63, 1, NULL, NULL, 0, NULL, 0, NULL);
	hc_check(r == -EBADF, "rpc: a handle never bound gets EBADF", "%d", r);
}

static void example(hc_session *hc)
{
	struct hc_bind_info info;
	int64_t args[4] = { 40, 2, -5, 5 };
	char out[256];
	size_t used = 0;
	int64_t r;
	int h, h2, i;
	double t;

	memset(&info, 0, sizeof(info));
	h = hc_bind_info(hc, "example", 1, 0, &info);
	hc_check(h > 0 && h < HC_MAX_BINDINGS && info.major == 1 &&
		 info.minor == 2 && info.nfuncs >= 5,
		 "bind: example 1.0 binds the host's 1.2",
		 "handle %d version %u.%u nfuncs %u", h, info.major, info.minor,
		 info.nfuncs);
	if (h <= 0)
		return;
	h2 = hc_bind(hc, "example", 1, 2);
	hc_check(h2 == h, "bind: again gives the same handle", "%d vs %d", h2,
		 h);

	r = hc_rpc(hc, h, ECHO, NULL, "hello, host", 11, out, sizeof(out),
		   &used);
	hc_check(r == 11 && used == 11 && !memcmp(out, "hello, host", 11),
		 "rpc: example echo", "result %lld used %zu", (long long)r,
		 used);
	r = hc_rpc(hc, h, ADD, args, NULL, 0, NULL, 0, NULL);
	hc_check(r == 42, "rpc: example add", "result %lld", (long long)r);
	memset(out, 0, sizeof(out));
	r = hc_rpc(hc, h, WHOAMI, NULL, NULL, 0, out, sizeof(out) - 1, &used);
	{
		char want[64];

		snprintf(want, sizeof(want), "guest_uid=%u ", (unsigned)getuid());
		hc_check(r > 0 && strstr(out, want) && strstr(out, "comm=hc-bind"),
			 "rpc: example whoami names this guest user and program",
			 "result %lld: %s", (long long)r, out);
	}
	for (i = 1; i <= 3; i++)
		r = hc_rpc(hc, h, COUNT, NULL, NULL, 0, NULL, 0, NULL);
	hc_check(r == 3, "rpc: example count keeps its state per session",
		 "result %lld", (long long)r);
	r = hc_rpc(hc, h, 99, NULL, NULL, 0, NULL, 0, NULL);
	hc_check(r == -ENOSYS, "rpc: a function the module lacks gets ENOSYS",
		 "result %lld", (long long)r);

	/* asynchronous: answered later on the shadow's loop */
	args[0] = 200;
	t = now();
	r = hc_rpc(hc, h, SLEEP, args, NULL, 0, NULL, 0, NULL);
	t = now() - t;
	hc_check(r == 0 && t >= 0.19 && t < 5, "rpc: example sleep 200 ms",
		 "result %lld after %.3f s", (long long)r, t);
	/* ... and cancelled by a signal: nothing happened, so EINTR */
	{
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_alarm;	/* no SA_RESTART */
		sigaction(SIGALRM, &sa, NULL);
		ualarm(300000, 0);
		args[0] = 20000;
		t = now();
		r = hc_rpc(hc, h, SLEEP, args, NULL, 0, NULL, 0, NULL);
		t = now() - t;
		hc_check(r == -EINTR && t < 5,
			 "rpc: a signal cancels example sleep (EINTR)",
			 "result %lld after %.3f s", (long long)r, t);
	}
	r = hc_rpc(hc, h, ECHO, NULL, "x", 1, out, 1, NULL);
	hc_check(r == 1, "rpc: the module serves after the cancel", "%lld",
		 (long long)r);

	hc_check(hc_unbind(hc, h) == 0 && hc_unbind(hc, h) == 0,
		 "unbind: both references", "");
	r = hc_rpc(hc, h, ADD, args, NULL, 0, NULL, 0, NULL);
	hc_check(r == -EBADF, "rpc: after the last unbind the handle is gone",
		 "result %lld", (long long)r);
	h = hc_bind(hc, "example", 1, 2);
	r = hc_rpc(hc, h, COUNT, NULL, NULL, 0, NULL, 0, NULL);
	hc_check(h > 0 && r == 1, "bind: a new binding starts new state",
		 "handle %d count %lld", h, (long long)r);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "all";
	const char *via = getenv("HOSTCALL_WINDOW") &&
			  !strcmp(getenv("HOSTCALL_WINDOW"), "0") ? "ioctl" :
								    "window";
	hc_session *hc = hc_open();
	int r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!hc) {
		hc_check(0, "bind: open a session", "%s", strerror(errno));
		return 1;
	}
	printf("# hc-bind %s through the %s\n", mode, via);
	if (!strcmp(mode, "refused")) {
		r = hc_bind(hc, "example", 1, 2);
		hc_check(r == -EPERM, "bind: the policy refuses this user example",
			 "%d", r);
	} else if (!strcmp(mode, "absent")) {
		r = hc_bind(hc, "example", 1, 2);
		hc_check(r == -ENOENT, "bind: no example plugin without a policy "
			 "naming it", "%d", r);
	} else {
		errors(hc);
		example(hc);
	}
	hc_close(hc);
	return hc_failures ? 1 : 0;
}
