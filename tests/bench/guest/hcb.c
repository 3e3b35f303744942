// SPDX-License-Identifier: MIT
/*
 * hcb: the hostcall side of `make bench`, through libhostcall (so it uses
 * whatever data path the library has). One measurement per run, printed as
 * "KEY SIDE VALUE" lines (bench.h); SIDE is side, or:
 *   --zc         "hostcall_zc": I/O from and into buffers in the session's
 *                window (hc_buf_alloc, ABI 2: no guest copy); without a
 *                window it says "skip" and measures nothing
 *   --side=NAME  NAME (e.g. for a run with HOSTCALL_WINDOW=0)
 *   hcb rtt N            null call round trip (1-byte ping), and the
 *                        session's kicks, wakeups, interrupts per 1000 calls
 *                        when the driver counts them (ABI 2)
 *   hcb g2h MIB          stream into host /dev/null, 128 KiB calls
 *   hcb h2g MIB          stream from host /dev/zero, 128 KiB calls
 *   hcb read PATH        read a host file through the fs module
 *   hcb stat DIR N       stat DIR/f0 .. DIR/f(N-1) through the fs module
 *   hcb cps N SECS       calls per second, N threads with a session each
 *   hcb spawn N          host `true` started and waited for, N times
 *   hcb sessions N HOLD  open N sessions at once (creation time each), say
 *                        "hold N" and keep them HOLD seconds for the host
 *                        to measure their memory
 *   hcb evq N            the event-queue ping-pong of N events with the
 *                        example plugin (tests/guest/evq-pingpong.h, as
 *                        the hc-evq test): events/s, and kicks, interrupts
 *                        and wakeups per 1000 events; "skip" without
 *                        event queues or the plugin
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <hostcall.h>
#include "bench.h"
#ifdef HC_EVQ_MODULE
#include "../../guest/evq-pingpong.h"
#endif

static char buf[CHUNK];
static const char *side = "hostcall";
static int zc;

static hc_session *must_open(void)
{
	hc_session *hc = hc_open();

	if (!hc) {
		fprintf(stderr, "hcb: open %s: %s\n", hc_default_device(), strerror(errno));
		exit(1);
	}
	return hc;
}

static int must_fs_open(hc_session *hc, const char *path, int flags)
{
	int fh = hc_fs_open(hc, path, flags, 0);

	if (fh < 0) {
		fprintf(stderr, "hcb: host open %s: %s\n", path, strerror(-fh));
		exit(1);
	}
	return fh;
}

/* The driver's call statistics (ABI 2's window counters); 0 without. */
static int stats(hc_session *hc, double v[4])
{
#ifdef HC_WIN_SIZE
	struct hostcall_ioc_info i;

	if (hc_dev_info(hc, &i) == 0 && i.abi_version >= 2) {
		v[0] = (double)i.calls, v[1] = (double)i.kicks;
		v[2] = (double)i.wakeups, v[3] = (double)i.irqs;
		return 1;
	}
#endif
	(void)hc, (void)v;
	return 0;
}

/* The buffer a stream moves data from or into: see --zc. */
static void *io_buf(hc_session *hc)
{
	if (!zc)
		return buf;
#ifdef HC_WIN_SIZE
	void *b = hc_buf_alloc(hc, CHUNK);

	if (b && hc_buf_in_window(hc, b, CHUNK))
		return b;
	hc_buf_free(hc, b);
#endif
	(void)hc;
	printf("skip %s: no buffer in a session window\n", side);
	exit(0);
}

static void io_buf_free(hc_session *hc, void *b)
{
#ifdef HC_WIN_SIZE
	if (b != buf)
		hc_buf_free(hc, b);
#endif
	(void)hc, (void)b;
}

static int rtt(long n)
{
	hc_session *hc = must_open();
	double s0[4], s1[4];
	char b = 'x', r;
	int have = stats(hc, s0);
#ifdef HC_WIN_SIZE
	printf("info %s path: %s\n", side, hc_direct(hc) ? "window" : "ioctl");
#endif
	double t0 = now();

	for (long i = 0; i < n; i++)
		if (hc_ping(hc, &b, &r, 1) != 1) {
			fprintf(stderr, "hcb: ping failed\n");
			return 1;
		}
	emit("null_rtt_us", side, (now() - t0) / (double)n * 1e6);
	if (have && stats(hc, s1) && s1[0] > s0[0]) {
		double calls = s1[0] - s0[0];

		emit("kicks_per_1000", side, (s1[1] - s0[1]) / calls * 1000);
		emit("wakeups_per_1000", side, (s1[2] - s0[2]) / calls * 1000);
		emit("irqs_per_1000", side, (s1[3] - s0[3]) / calls * 1000);
	}
	hc_close(hc);
	return 0;
}

/* Move total bytes in CHUNK calls; returns MB/s or -1. */
static double stream(const char *path, int out, size_t total)
{
	hc_session *hc = must_open();
	int fh = must_fs_open(hc, path, out ? O_WRONLY : O_RDONLY);
	char *b = io_buf(hc);
	size_t moved = 0;
	double t0 = now();

	while (moved < total) {
		size_t want = total - moved < CHUNK ? total - moved : CHUNK;
		ssize_t n = out ? hc_fs_write(hc, fh, b, want) : hc_fs_read(hc, fh, b, want);

		if (n <= 0)
			break;
		moved += (size_t)n;
	}
	double dt = now() - t0;

	io_buf_free(hc, b);
	hc_fs_close(hc, fh);
	hc_close(hc);
	if (moved != total) {
		fprintf(stderr, "hcb: %s: moved %zu of %zu bytes\n", path, moved, total);
		return -1;
	}
	return (double)total / dt / 1e6;
}

static int read_file(const char *path)
{
	hc_session *hc = must_open();
	int fh = must_fs_open(hc, path, O_RDONLY);
	char *b = io_buf(hc);
	size_t got = 0;
	ssize_t n;
	double t0 = now();

	while ((n = hc_fs_read(hc, fh, b, CHUNK)) > 0)
		got += (size_t)n;
	double dt = now() - t0;

	io_buf_free(hc, b);
	hc_fs_close(hc, fh);
	hc_close(hc);
	if (n < 0 || !got) {
		fprintf(stderr, "hcb: read %s: %s\n", path, n < 0 ? strerror((int)-n) : "empty");
		return 1;
	}
	emit("file_read_MBps", side, (double)got / dt / 1e6);
	return 0;
}

static int stat_files(const char *dir, long n)
{
	hc_session *hc = must_open();
	struct hc_stat st;
	char path[4096];
	double t0 = now();

	for (long i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/f%ld", dir, i);
		int r = hc_fs_stat(hc, path, &st, 0);

		if (r < 0) {
			fprintf(stderr, "hcb: stat %s: %s\n", path, strerror(-r));
			return 1;
		}
	}
	emit("stat_us", side, (now() - t0) / (double)n * 1e6);
	hc_close(hc);
	return 0;
}

static int spawn_true(long n)
{
	hc_session *hc = must_open();
	char *argv[] = { "true", NULL };
	double t0 = now();

	for (long i = 0; i < n; i++) {
		int st, h = hc_proc_spawn(hc, argv, NULL, NULL, 0, NULL);

		if (h < 0 || hc_proc_wait(hc, h, &st) < 0 || st != 0) {
			fprintf(stderr, "hcb: host true failed\n");
			return 1;
		}
		hc_proc_release(hc, h);
	}
	emit("true_ms", side, (now() - t0) / (double)n * 1e3);
	hc_close(hc);
	return 0;
}

struct caller {
	pthread_t t;
	hc_session *hc;
	pthread_barrier_t *start;
	double secs;
	long calls;
};

static void *call_loop(void *p)
{
	struct caller *c = p;
	char b = 'x', r;

	pthread_barrier_wait(c->start);
	double end = now() + c->secs;

	while (now() < end) {
		for (int i = 0; i < 16; i++)	/* the clock is slow under TCG */
			if (hc_ping(c->hc, &b, &r, 1) != 1)
				return NULL;
		c->calls += 16;
	}
	return NULL;
}

static int calls_per_s(int n, double secs)
{
	struct caller *c = calloc((size_t)n, sizeof(*c));
	pthread_barrier_t start;
	char key[32];
	long total = 0;

	pthread_barrier_init(&start, NULL, (unsigned)n + 1);
	for (int i = 0; i < n; i++) {
		c[i] = (struct caller){ .hc = must_open(), .start = &start, .secs = secs };
		pthread_create(&c[i].t, NULL, call_loop, &c[i]);
	}
	pthread_barrier_wait(&start);
	double t0 = now();

	for (int i = 0; i < n; i++) {
		pthread_join(c[i].t, NULL);
		total += c[i].calls;
		hc_close(c[i].hc);
	}
	snprintf(key, sizeof(key), "calls_per_s_%d", n);
	emit(key, side, (double)total / (now() - t0));
	free(c);
	return 0;
}

static int sessions(int n, int hold)
{
	hc_session **hc = calloc((size_t)n, sizeof(*hc));
	double t0 = now();

	for (int i = 0; i < n; i++)
		hc[i] = must_open();
	emit("session_create_ms", side, (now() - t0) / n * 1e3);
	printf("hold %d\n", n);	/* tests/bench.sh measures QEMU and the shadows now */
	fflush(stdout);
	sleep((unsigned)hold);
	for (int i = 0; i < n; i++)
		hc_close(hc[i]);
	free(hc);
	return 0;
}

static int evq(long n)
{
#ifdef HC_EVQ_MODULE
	hc_session *hc = must_open();
	int handle = hc_bind(hc, EVQ_EXAMPLE, 1, 0);
	int fn = handle > 0 ? evq_find_fn(hc, EVQ_EXAMPLE, EVQ_PINGPONG) :
		 handle;
	struct evq_figures fig;
	char why[200];

	if (fn < 0) {
		printf("skip %s evq: no example plugin's pingpong (%s)\n", side,
		       strerror(-fn));
		hc_close(hc);
		return 0;
	}
	if (evq_pingpong(hc, handle, fn, n, 256, &fig, why, sizeof(why))) {
		fprintf(stderr, "hcb: evq ping-pong: %s\n", why);
		return 1;
	}
	emit("evq_events_per_s", side, fig.per_s);
	emit("evq_kicks_per_1000", side, fig.kicks);
	emit("evq_irqs_per_1000", side, fig.irqs);
	emit("evq_wakeups_per_1000", side, fig.wakeups);
	hc_close(hc);
#else
	(void)n;
	printf("skip %s evq: no event queues in this tree\n", side);
#endif
	return 0;
}

int main(int argc, char **argv)
{
	double v;

	for (; argc > 1 && !strncmp(argv[1], "--", 2); argc--, argv++) {
		if (!strcmp(argv[1], "--zc"))
			zc = 1, side = "hostcall_zc";
		else if (!strncmp(argv[1], "--side=", 7))
			side = argv[1] + 7;
		else
			break;	/* the usage below */
	}
	const char *m = argc > 1 ? argv[1] : "";
	long a = argc > 2 ? atol(argv[2]) : 0;

	if (!strcmp(m, "rtt") && a > 0)
		return rtt(a);
	if ((!strcmp(m, "g2h") || !strcmp(m, "h2g")) && a > 0) {
		int out = m[0] == 'g';

		v = stream(out ? "/dev/null" : "/dev/zero", out, (size_t)a << 20);
		if (v < 0)
			return 1;
		emit(out ? "g2h_MBps" : "h2g_MBps", side, v);
		return 0;
	}
	if (!strcmp(m, "read") && argc == 3)
		return read_file(argv[2]);
	if (!strcmp(m, "stat") && argc == 4 && atol(argv[3]) > 0)
		return stat_files(argv[2], atol(argv[3]));
	if (!strcmp(m, "cps") && argc == 4 && a > 0)
		return calls_per_s((int)a, atof(argv[3]));
	if (!strcmp(m, "spawn") && a > 0)
		return spawn_true(a);
	if (!strcmp(m, "sessions") && argc == 4 && a > 0)
		return sessions((int)a, atoi(argv[3]));
	if (!strcmp(m, "evq") && a > 0)
		return evq(a);
	fprintf(stderr, "usage: hcb [--zc] [--side=NAME] rtt N | g2h MIB | h2g MIB | read PATH | stat DIR N |"
		" cps N SECS | spawn N | sessions N HOLD | evq N\n");
	return 2;
}
