// SPDX-License-Identifier: MIT
/*
 * hc-lib-window: libhostcall's direct path through the session window.
 *   - hc_open maps the window when the device has windows;
 *   - many threads share one session: every answer reaches its own caller
 *     (data unique to caller and call, checksummed), while another thread
 *     waits on a host `sleep`;
 *   - a forked child has no window: its calls take the ioctl and work, and
 *     the parent's stay direct;
 *   - zero copy: window buffers from hc_buf_alloc go to a host file and
 *     back with no guest copy, bytes intact;
 *   - kicks per 1000 back-to-back calls of one busy caller are few (printed;
 *     only a loose bound is asserted, never a time).
 *   hc-lib-window [THREADS [CALLS]]
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include <hostcall.h>
#include "hc-util.h"

static hc_session *hc;
static int calls;
static int bad, total;

/* a byte of caller t's call i at offset k, and the call's length */
static unsigned char pat(long t, int i, unsigned k)
{
	return (unsigned char)(t * 7 + i * 13 + k * 31 + (k >> 8));
}

static unsigned len_of(long t, int i)
{
	return 1 + (unsigned)((t * 131 + i * 977) % 16384);
}

static void *worker(void *arg)
{
	long t = (long)arg;
	unsigned char *in = malloc(16384), *out = malloc(16384);

	for (int i = 0; in && out && i < calls; i++) {
		unsigned len = len_of(t, i), sum_in = 0, sum_out = 0;

		for (unsigned k = 0; k < len; k++) {
			in[k] = pat(t, i, k);
			sum_in = sum_in * 33 + in[k];
		}
		memset(out, 0, len);
		int r = hc_ping(hc, in, out, len);

		for (unsigned k = 0; k < len; k++)
			sum_out = sum_out * 33 + out[k];
		if (r != (int)len || sum_in != sum_out)
			__atomic_fetch_add(&bad, 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&total, 1, __ATOMIC_RELAXED);
	}
	free(in);
	free(out);
	return NULL;
}

static void *sleeper(void *arg)
{
	static char *const argv[] = { "sleep", "1", NULL };
	int *st = arg, h = hc_proc_spawn(hc, argv, NULL, NULL, 0, NULL);

	*st = -1;
	if (h >= 0 && hc_proc_wait(hc, h, st) == 0)
		hc_proc_release(hc, h);
	return NULL;
}

static void threads(int nthreads)
{
	pthread_t th[64], sl;
	int st = -1;

	if (nthreads > 64)
		nthreads = 64;
	pthread_create(&sl, NULL, sleeper, &st);
	for (long t = 0; t < nthreads; t++)
		pthread_create(&th[t], NULL, worker, (void *)t);
	for (int t = 0; t < nthreads; t++)
		pthread_join(th[t], NULL);
	pthread_join(sl, NULL);
	hc_check(!bad && total == nthreads * calls,
		 "window: threads sharing one session each get their own answers",
		 "%d of %d pings wrong", bad, total);
	hc_check(st == 0, "window: a host sleep waited on meanwhile ends with 0",
		 "status %d", st);
	hc_check(hc_direct(hc), "window: the session is still direct after the threads",
		 "fell back to the ioctl");
}

static void forked(void)
{
	int st;
	pid_t p = fork();

	if (p == 0) {
		char in[300], out[300];
		void *b = hc_buf_alloc(hc, 4096);
		int ok = !hc_direct(hc) && b && !hc_buf_in_window(hc, b, 4096);

		for (int i = 0; i < 50 && ok; i++) {
			for (unsigned k = 0; k < sizeof(in); k++)
				in[k] = (char)pat(99, i, k);
			ok = hc_ping(hc, in, out, sizeof(in)) == (int)sizeof(in) &&
			     !memcmp(in, out, sizeof(in));
		}
		hc_buf_free(hc, b);
		_exit(ok ? 0 : 1);
	}
	waitpid(p, &st, 0);
	hc_check(p > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
		 "window: a forked child has no window and its calls take the ioctl",
		 "child status %#x", st);
	char out[4];
	hc_check(hc_direct(hc) && hc_ping(hc, "pong", out, 4) == 4 && !memcmp(out, "pong", 4),
		 "window: the parent stays direct after the fork", "direct %d", hc_direct(hc));
}

static void zero_copy(void)
{
	const size_t chunk = HC_MAX_DATA, total_len = 8u << 20;
	unsigned char *w = hc_buf_alloc(hc, chunk), *r = hc_buf_alloc(hc, chunk);
	char path[64];
	size_t bad_at = (size_t)-1, moved = 0;
	int fh;

	snprintf(path, sizeof(path), "/tmp/hc-lib-window.%d", (int)getpid());
	hc_check(w && r && hc_buf_in_window(hc, w, chunk) && hc_buf_in_window(hc, r, chunk),
		 "window: hc_buf_alloc gives window buffers", "not in the window");
	fh = hc_fs_open(hc, path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	hc_check(fh >= 0, "window: open a host file", "%s", strerror(-fh));
	if (fh < 0 || !w || !r)
		return;
	for (size_t off = 0; off < total_len; off += chunk) {
		for (size_t k = 0; k < chunk; k++)
			w[k] = pat(off / chunk, 1, (unsigned)k);
		ssize_t n = hc_fs_write(hc, fh, w, chunk);

		if (n != (ssize_t)chunk)
			break;
		moved += (size_t)n;
	}
	hc_check(moved == total_len, "window: 8 MiB written from a window buffer",
		 "%zu bytes", moved);
	moved = 0;
	for (size_t off = 0; off < total_len && bad_at == (size_t)-1; off += chunk) {
		ssize_t n = hc_fs_pread(hc, fh, r, chunk, (off_t)off);

		if (n != (ssize_t)chunk)
			break;
		for (size_t k = 0; k < chunk; k++)
			if (r[k] != pat(off / chunk, 1, (unsigned)k)) {
				bad_at = off + k;
				break;
			}
		moved += (size_t)n;
	}
	hc_check(moved == total_len && bad_at == (size_t)-1,
		 "window: 8 MiB read back into a window buffer, every byte right",
		 "%zu bytes, first bad byte at %zd", moved, (ssize_t)bad_at);
	hc_fs_close(hc, fh);
	hc_fs_unlink(hc, path, 0);
	hc_buf_free(hc, w);
	hc_buf_free(hc, r);
}

static void kicks(void)
{
	struct hostcall_ioc_info a, b;
	char x = 'k', y;
	int ok = 1;

	hc_dev_info(hc, &a);
	for (int i = 0; i < 1000 && ok; i++)
		ok = hc_ping(hc, &x, &y, 1) == 1 && y == 'k';
	hc_dev_info(hc, &b);
	printf("# window: 1000 back-to-back calls: %llu kicks, %llu wakeups, %llu irqs\n",
	       (unsigned long long)(b.kicks - a.kicks),
	       (unsigned long long)(b.wakeups - a.wakeups),
	       (unsigned long long)(b.irqs - a.irqs));
	hc_check(ok && b.calls - a.calls >= 1000,
		 "window: 1000 back-to-back calls counted by the driver",
		 "ok %d, calls %llu", ok, (unsigned long long)(b.calls - a.calls));
	hc_check(b.kicks - a.kicks < 500,
		 "window: a busy caller kicks the shadow for fewer than half its calls",
		 "%llu kicks", (unsigned long long)(b.kicks - a.kicks));
}

int main(int argc, char **argv)
{
	struct hostcall_ioc_info info;
	int nthreads = argc > 1 ? atoi(argv[1]) : 16;

	calls = argc > 2 ? atoi(argv[2]) : 300;
	setvbuf(stdout, NULL, _IOLBF, 0);
	hc = hc_open();
	if (!hc) {
		printf("FAIL: window: open: %s\n", strerror(errno));
		return 1;
	}
	if (hc_dev_info(hc, &info) || !(info.features & HC_F_WINDOW)) {
		printf("SKIP: window: the device has no session windows (features %#x)\n",
		       info.features);
		hc_close(hc);
		return 0;
	}
	hc_check(hc_direct(hc), "window: hc_open maps the session's window",
		 "calls go through the ioctl");
	if (!hc_direct(hc))
		return 1;
	threads(nthreads);
	forked();
	zero_copy();
	kicks();
	hc_close(hc);
	return hc_failures ? 1 : 0;
}
