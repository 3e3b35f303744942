// SPDX-License-Identifier: MIT
/*
 * hc-stall: the guest side of a stalled host. Once it starts a host
 * process named hc-stall-marker, tests/e2e/run-signals.sh stops this
 * session's shadow (SIGSTOP) for 6 s. Meanwhile: small writes queue
 * behind a write-behind worker that waits for the host; 3 s in, a stream
 * fd is closed and a call waiting on the host gets a signal. None of it
 * may hang uninterruptibly (the caller checks dmesg for hung-task
 * warnings); everything completes once the host resumes.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include "hc-util.h"

static int fd;
static volatile int writing = 1;
static long long written;
static int write_err;


static void on_usr1(int sig)
{
	(void)sig;
}

static long spawn(const char *argv, size_t len, int n)
{
	struct hc_spawn_info si;
	long long res;

	hc_raw(fd, T_PROC, HC_PROC_SPAWN, n, 0, 0, argv, (unsigned)len,
	       &si, sizeof(si), &res);
	return (long)res;
}

static int stream_fd(long h, unsigned stream)
{
	struct hostcall_ioc_stream a = { .handle = (int)h, .stream = stream };

	return ioctl(fd, HOSTCALL_IOC_STREAM, &a) < 0 ? -errno : a.fd;
}

static void *writer(void *arg)
{
	static char buf[4096];
	int w = *(int *)arg;

	memset(buf, 'x', sizeof(buf));
	while (writing) {
		ssize_t n = write(w, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			write_err = n < 0 ? errno : EIO;
			break;
		}
		written += n;
	}
	return NULL;
}

struct waiter {
	long h;
	int rc, err;
	double took;	/* from the signal to the return */
	double t_sig;
};

static void *waiter(void *arg)
{
	struct waiter *wt = arg;
	long long res;

	wt->rc = hc_raw(fd, T_PROC, HC_PROC_WAIT, wt->h, 0, 0, NULL, 0,
			NULL, 0, &res);
	wt->err = wt->rc ? (int)-res : 0;
	wt->took = now() - wt->t_sig;
	return NULL;
}

int main(void)
{
	static const char marker[] =
		"sh\0-c\0cat >/dev/null; echo done\0hc-stall-marker\0";
	static const char sleeper[] = "sleep\0" "60\0";
	struct sigaction sa = { .sa_handler = on_usr1 };	/* no SA_RESTART */
	struct waiter wt = { 0 };
	pthread_t tw, tv;
	long h1, h2;
	int w, r;
	double t0, t;
	long long res;

	setvbuf(stdout, NULL, _IOLBF, 0);
	sigaction(SIGUSR1, &sa, NULL);
	fd = open("/dev/hostcall", O_RDWR);
	if (fd < 0) {
		printf("FAIL: stall: open /dev/hostcall: %s\n", strerror(errno));
		return 1;
	}
	h2 = spawn(sleeper, sizeof(sleeper) - 1, 2);
	r = stream_fd(h2, 1);
	wt.h = spawn(sleeper, sizeof(sleeper) - 1, 2);
	/* last: the host stalls the shadow once it sees this one */
	h1 = spawn(marker, sizeof(marker) - 1, 4);
	w = stream_fd(h1, 0);
	if (h1 < 0 || h2 < 0 || wt.h < 0 || w < 0 || r < 0) {
		printf("FAIL: stall: setup: %ld %ld %ld %d %d\n", h1, h2, wt.h,
		       w, r);
		return 1;
	}
	t0 = now();
	printf("# stall: marker started; the host stops the shadow now\n");
	pthread_create(&tw, NULL, writer, &w);
	wt.t_sig = 1e18;
	pthread_create(&tv, NULL, waiter, &wt);

	sleep(3);	/* the shadow is stopped by now */
	t = now();
	close(r);
	t = now() - t;
	hc_check(t < 1, "stall: closing a stream fd does not wait for a stalled host",
		 "close took %.1f s", t);
	wt.t_sig = now();
	pthread_kill(tv, SIGUSR1);

	while (now() - t0 < 10)
		usleep(100000);
	writing = 0;
	pthread_join(tw, NULL);
	close(w);
	pthread_join(tv, NULL);
	printf("# stall: %lld bytes written; the interrupted wait returned after %.1f s\n",
	       written, wt.took);
	hc_check(wt.rc == -1 && wt.err == EINTR,
		 "stall: a signalled call to a stalled host ends with EINTR once the host answers",
		 "rc %d errno %d", wt.rc, wt.err);
	hc_raw(fd, T_PROC, HC_PROC_WAIT, h1, 0, 0, NULL, 0, NULL, 0, &res);
	hc_check(!write_err && written > 0 && res == 0,
		 "stall: queued small writes reach the host after it resumes",
		 "write error %s, %lld bytes, host status %lld",
		 strerror(write_err), written, res);
	hc_raw(fd, T_PROC, HC_PROC_RELEASE, h1, 0, 0, NULL, 0, NULL, 0, &res);
	hc_raw(fd, T_PROC, HC_PROC_RELEASE, h2, 0, 0, NULL, 0, NULL, 0, &res);
	hc_raw(fd, T_PROC, HC_PROC_RELEASE, wt.h, 0, 0, NULL, 0, NULL, 0,
	       &res);
	close(fd);
	return hc_failures ? 1 : 0;
}
