// SPDX-License-Identifier: MIT
/*
 * test_libwindow SHADOWD_DIR: libhostcall's direct path against a real
 * shadow, no VM (fakewin.c plays the driver, tests/shadowd's client QEMU):
 * the session maps, pings, threads sharing the session each get their own
 * answers, zero copy through a host file, a signal cancels a blocked call
 * with -EINTR and the session goes on, kicks per 1000 back-to-back calls;
 * event queues (create, -EAGAIN, timeouts; with the example plugin a
 * ping-pong).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fakewin.h"
#include "hostcall.h"
#include "../guest/evq-pingpong.h"

static hc_session *hc;
static int bad, total;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *worker(void *arg)
{
	long t = (long)arg;
	unsigned char in[8192], out[8192];

	for (int i = 0; i < 200; i++) {
		unsigned len = 1 + (unsigned)((t * 131 + i * 977) % sizeof(in));

		for (unsigned k = 0; k < len; k++)
			in[k] = (unsigned char)(t * 7 + i * 13 + k * 31);
		if (hc_ping(hc, in, out, len) != (int)len || memcmp(in, out, len))
			__atomic_fetch_add(&bad, 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&total, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void threads(void)
{
	pthread_t th[16];

	for (long t = 0; t < 16; t++)
		pthread_create(&th[t], NULL, worker, (void *)t);
	for (int t = 0; t < 16; t++)
		pthread_join(th[t], NULL);
	CHECK("libwindow: 16 threads sharing the session each get their own answers",
	      !bad && total == 16 * 200, "%d of %d wrong", bad, total);
}

static void kicks(void)
{
	struct hostcall_ioc_info a, b;
	char o;
	int ok = 1, waits = fw_waits;
	double t0 = now();

	hc_dev_info(hc, &a);
	for (int i = 0; i < 1000 && ok; i++)
		ok = hc_ping(hc, "x", &o, 1) == 1;
	hc_dev_info(hc, &b);
	printf("# libwindow: 1000 back-to-back calls, %.1f us each: %llu kicks, "
	       "%llu wakeups, %llu irqs, %d waits\n", (now() - t0) * 1e3,
	       (unsigned long long)(b.kicks - a.kicks),
	       (unsigned long long)(b.wakeups - a.wakeups),
	       (unsigned long long)(b.irqs - a.irqs), fw_waits - waits);
	CHECK("libwindow: 1000 back-to-back calls, few kicks",
	      ok && b.calls - a.calls == 1000 && b.kicks - a.kicks < 500,
	      "ok %d, %llu calls, %llu kicks", ok,
	      (unsigned long long)(b.calls - a.calls),
	      (unsigned long long)(b.kicks - a.kicks));
}

static void zero_copy(void)
{
	unsigned char *w = hc_buf_alloc(hc, HC_MAX_DATA), *r = hc_buf_alloc(hc, HC_MAX_DATA);
	char path[64];
	ssize_t n, m;
	int fh;

	snprintf(path, sizeof(path), "/tmp/hc-libwindow.%d", (int)getpid());
	fh = hc_fs_open(hc, path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	for (int i = 0; w && i < HC_MAX_DATA; i++)
		w[i] = (unsigned char)(i * 7 + (i >> 9));
	n = hc_fs_write(hc, fh, w, HC_MAX_DATA);
	m = hc_fs_pread(hc, fh, r, HC_MAX_DATA, 0);
	CHECK("libwindow: 128 KiB to a host file and back between window buffers",
	      fh >= 0 && hc_buf_in_window(hc, w, HC_MAX_DATA) &&
	      hc_buf_in_window(hc, r, HC_MAX_DATA) && n == HC_MAX_DATA &&
	      m == HC_MAX_DATA && !memcmp(w, r, HC_MAX_DATA),
	      "open %d write %zd read %zd", fh, n, m);
	hc_fs_close(hc, fh);
	hc_fs_unlink(hc, path, 0);
	hc_buf_free(hc, w);
	hc_buf_free(hc, r);
}

static void on_alarm(int sig)
{
	(void)sig;
	fw_signal = 1;
}

static void interrupted(void)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	char *argv[] = { "sleep", "30", NULL }, buf[64], o[4];
	int h = hc_proc_spawn(hc, argv, NULL, NULL, 0, NULL), st = 0, r;
	double t0 = now();

	sigaction(SIGALRM, &sa, NULL);
	alarm(1);
	r = hc_proc_wait(hc, h, &st);
	CHECK("libwindow: a signal cancels a blocked wait: -EINTR",
	      h >= 0 && r == -EINTR && now() - t0 < 10, "handle %d, result %d after %.1f s",
	      h, r, now() - t0);
	alarm(1);
	r = (int)hc_proc_read(hc, h, HC_STDOUT, buf, sizeof(buf));
	CHECK("libwindow: a signal cancels a blocked read: -EINTR", r == -EINTR,
	      "result %d", r);
	alarm(0);
	hc_proc_signal(hc, h, SIGKILL);
	r = hc_proc_wait(hc, h, &st);
	CHECK("libwindow: the session goes on after cancels",
	      r == 0 && WIFSIGNALED(st) && hc_ping(hc, "pong", o, 4) == 4,
	      "result %d status %#x", r, st);
	hc_proc_release(hc, h);
}

static void event_queues(void)
{
	struct evq_ev e = { 1, 2, 3 };
	struct evq_figures fig;
	hc_evq *q = hc_evq_create(hc, 4, sizeof(e), HC_EVQ_TO_HOST);
	hc_evq *g = hc_evq_create(hc, 4, sizeof(e), HC_EVQ_TO_GUEST);
	char why[200];
	int i, r = 0, ex, fn;
	double t0;

	CHECK("libwindow: evq: create a queue each way", q && g, "errno %d", errno);
	if (!q || !g)
		return;
	for (i = 0; i < 4 && !r; i++)
		r = hc_evq_put(q, &e, sizeof(e), 0);
	CHECK("libwindow: evq: 4 puts, then -EAGAIN", !r &&
	      hc_evq_put(q, &e, sizeof(e), 0) == -EAGAIN, "%d", r);
	t0 = now();
	r = hc_evq_get(g, &e, sizeof(e), 50);
	CHECK("libwindow: evq: a blocking get times out", r == -ETIMEDOUT &&
	      now() - t0 >= 0.049, "%d after %.3f s", r, now() - t0);
	r = hc_evq_destroy(q);
	CHECK("libwindow: evq: destroy", !r && !hc_evq_destroy(g), "%d", r);
	ex = hc_bind(hc, EVQ_EXAMPLE, 1, 0);
	fn = ex > 0 ? evq_find_fn(hc, EVQ_EXAMPLE, EVQ_PINGPONG) : ex;
	if (fn < 0) {
		printf("SKIP: libwindow: evq: no example plugin (%d)\n", fn);
		return;
	}
	r = evq_pingpong(hc, ex, fn, 20000, 64, &fig, why, sizeof(why));
	printf("# libwindow: evq ping-pong: %.0f events/s, per 1000 events %.2f "
	       "kicks, %.2f irqs, %.2f wakeups\n", fig.per_s, fig.kicks,
	       fig.irqs, fig.wakeups);
	CHECK("libwindow: evq: ping-pong of 20000 events", !r, "%s", why);
	hc_unbind(hc, ex);
}

/* The example plugin for the event-queue ping-pong, when it was built
 * (SHADOWD_DIR/modules, or make's build/host/modules beside build/bin)
 * and we may load it (root: a root-owned directory). */
static void allow_example_plugin(void)
{
	static const char *const dirs[] = { "%s/modules", "%s/../host/modules" };
	char raw[512], dir[PATH_MAX], so[PATH_MAX + 16];
	FILE *f;
	unsigned i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(raw, sizeof(raw), dirs[i], build);
		if (!realpath(raw, dir))	/* the policy wants it plain */
			continue;
		snprintf(so, sizeof(so), "%s/example.so", dir);
		if (geteuid() == 0 && access(so, R_OK) == 0)
			break;
	}
	if (i == sizeof(dirs) / sizeof(dirs[0]))
		return;
	f = fopen(test_policy, "a");
	if (!f)
		return;
	fprintf(f, "modules = sys proc fs evq example\n[global]\n"
		"module-dir = %s\n", dir);
	fclose(f);
}

int main(int argc, char **argv)
{
	struct hc_session_info info;
	char o[8];
	int ctl;

	if (argc != 2) {
		fprintf(stderr, "usage: %s SHADOWD_DIR\n", argv[0]);
		return 2;
	}
	build = argv[1];
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	alarm(120);
	write_test_policy();
	allow_example_plugin();
	start_private(&ctl);
	if (hello(ctl, HCP_VERSION) || open_session(ctl, 1, 1000, &info, &fw_sess.fd) ||
	    (fw_sess.id = info.session, sess_attach(&fw_sess))) {
		printf("FAIL: libwindow: no shadow session with a window\n");
		return 1;
	}
	hc = hc_open_path("/dev/hostcall-fake");
	CHECK("libwindow: hc_open maps qp 1", hc && hc_direct(hc), "not direct");
	if (!hc || !hc_direct(hc))
		return 1;
	CHECK("libwindow: a ping", hc_ping(hc, "abcdefgh", o, 8) == 8 &&
	      !memcmp(o, "abcdefgh", 8), "wrong echo");
	kicks();
	threads();
	zero_copy();
	event_queues();
	interrupted();
	hc_close(hc);
	remove_test_policy();
	return failures != 0;
}
