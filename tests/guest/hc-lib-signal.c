// SPDX-License-Identifier: MIT
/*
 * hc-lib-signal: signals during libhostcall calls keep the ioctl's meaning
 * (-EINTR: nothing happened; else the real result, maybe a short count),
 * whichever path the session uses (the window or the ioctl).
 *   - SIGALRM (no SA_RESTART) interrupts a wait on a host `sleep 30` and a
 *     read of its silent stdout with -EINTR, promptly; the session works on;
 *   - with SA_RESTART the same wait just goes on to its real status;
 *   - 4 MiB through a host `cat`, a writer and a reader thread sharing the
 *     session, both pelted with SIGUSR1 (no SA_RESTART): retrying on
 *     -EINTR and going on after short counts loses and duplicates nothing.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <hostcall.h>
#include "hc-util.h"

#define TOTAL (4u << 20)

static hc_session *hc;
static int h;
static volatile int stop;
static long eintr_w, eintr_r, short_w;

static void on_sig(int sig)
{
	(void)sig;
}


static unsigned char pat(size_t i)
{
	return (unsigned char)(i * 131 + (i >> 13));
}

static void handler(int sig, int flags)
{
	struct sigaction sa = { .sa_handler = on_sig, .sa_flags = flags };

	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

static void interrupted(void)
{
	static char *const argv[] = { "sleep", "30", NULL };
	int st = -1, r;
	char *buf = malloc(65536), out[4];
	double t0;

	handler(SIGALRM, 0);
	h = hc_proc_spawn(hc, argv, NULL, NULL, 0, NULL);
	hc_check(h >= 0, "libsig: spawn host sleep 30", "%s", strerror(-h));
	if (h < 0)
		return;
	alarm(1);
	t0 = now();
	r = hc_proc_wait(hc, h, &st);
	hc_check(r == -EINTR && now() - t0 < 20,
		 "libsig: SIGALRM interrupts a wait on the host with -EINTR",
		 "result %d after %.1f s", r, now() - t0);
	alarm(1);
	r = (int)hc_proc_read(hc, h, HC_STDOUT, buf, 65536);
	hc_check(r == -EINTR, "libsig: SIGALRM interrupts a read of a silent stream",
		 "result %d", r);
	hc_check(hc_ping(hc, "ping", out, 4) == 4 && !memcmp(out, "ping", 4),
		 "libsig: the session works after interrupted calls", "ping failed");
	hc_proc_signal(hc, h, SIGKILL);
	r = hc_proc_wait(hc, h, &st);
	hc_check(r == 0 && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
		 "libsig: the interrupted process is still there to be killed and waited",
		 "result %d status %#x", r, st);
	hc_proc_release(hc, h);
	free(buf);
}

static void restarted(void)
{
	static char *const argv[] = { "sleep", "2", NULL };
	int st = -1, r, n = 0;
	double t0 = now();

	handler(SIGALRM, SA_RESTART);
	h = hc_proc_spawn(hc, argv, NULL, NULL, 0, NULL);
	if (h < 0) {
		hc_check(0, "libsig: spawn host sleep 2", "%s", strerror(-h));
		return;
	}
	/* a signal every 100 ms while the call waits */
	struct itimerval it = { { 0, 100000 }, { 0, 100000 } };

	setitimer(ITIMER_REAL, &it, NULL);
	do
		r = hc_proc_wait(hc, h, &st);
	while (r == -EINTR && ++n < 100);
	it = (struct itimerval){ { 0, 0 }, { 0, 0 } };
	setitimer(ITIMER_REAL, &it, NULL);
	hc_check(r == 0 && n == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
		 "libsig: with SA_RESTART a wait goes on to the real status",
		 "result %d after %d EINTR, status %#x, %.1f s", r, n, st, now() - t0);
	hc_proc_release(hc, h);
}

static void *writer(void *arg)
{
	unsigned char *buf = malloc(HC_MAX_DATA);
	size_t off = 0;

	(void)arg;
	while (buf && off < TOTAL) {
		size_t len = 1 + (off * 7919) % HC_MAX_DATA;

		if (len > TOTAL - off)
			len = TOTAL - off;
		for (size_t k = 0; k < len; k++)
			buf[k] = pat(off + k);
		ssize_t n = hc_proc_write(hc, h, buf, len);

		if (n == -EINTR) {
			eintr_w++;
			continue;
		}
		if (n <= 0)
			break;
		if ((size_t)n < len)
			short_w++;
		off += (size_t)n;
	}
	while (hc_proc_close(hc, h, HC_STDIN) == -EINTR)
		;
	free(buf);
	return NULL;
}

static void *pelter(void *arg)
{
	pthread_t *t = arg;
	struct timespec ts = { 0, 300000 };

	for (long i = 0; !stop; i++) {
		pthread_kill(t[i & 1], SIGUSR1);
		nanosleep(&ts, NULL);
	}
	return NULL;
}

static void storm(void)
{
	static char *const argv[] = { "cat", NULL };
	unsigned char *buf = malloc(HC_MAX_DATA);
	size_t got = 0, bad_at = (size_t)-1;
	pthread_t t[2], p;
	int st = -1;

	handler(SIGUSR1, 0);
	h = hc_proc_spawn(hc, argv, NULL, NULL, 0, NULL);
	if (h < 0 || !buf) {
		hc_check(0, "libsig: spawn host cat", "%s", strerror(-h));
		return;
	}
	t[0] = pthread_self();
	pthread_create(&t[1], NULL, writer, NULL);
	pthread_create(&p, NULL, pelter, t);
	for (;;) {
		size_t len = 1 + (got * 104729) % HC_MAX_DATA;
		ssize_t n = hc_proc_read(hc, h, HC_STDOUT, buf, len);

		if (n == -EINTR) {
			eintr_r++;
			continue;
		}
		if (n <= 0)
			break;
		for (ssize_t k = 0; k < n && bad_at == (size_t)-1; k++)
			if (buf[k] != pat(got + (size_t)k))
				bad_at = got + (size_t)k;
		got += (size_t)n;
	}
	stop = 1;
	pthread_join(p, NULL);
	pthread_join(t[1], NULL);
	while (hc_proc_wait(hc, h, &st) == -EINTR)
		;
	hc_proc_release(hc, h);
	printf("# libsig: storm: %ld EINTR on writes, %ld on reads, %ld short writes (%s)\n",
	       eintr_w, eintr_r, short_w, hc_direct(hc) ? "window" : "ioctl");
	hc_check(got == TOTAL && bad_at == (size_t)-1,
		 "libsig: 4 MiB through host cat under a signal storm: nothing lost or repeated",
		 "%zu of %u bytes, first wrong at %zd", got, TOTAL, (ssize_t)bad_at);
	free(buf);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	hc = hc_open();
	if (!hc) {
		printf("FAIL: libsig: open: %s\n", strerror(errno));
		return 1;
	}
	printf("# libsig: data path %s\n", hc_direct(hc) ? "window" : "ioctl");
	interrupted();
	restarted();
	storm();
	hc_close(hc);
	return hc_failures ? 1 : 0;
}
