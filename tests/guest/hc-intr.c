// SPDX-License-Identifier: MIT
/*
 * hc-intr: a signal interrupts a blocking host-call cleanly. A PROC_WAIT on
 * a host `sleep 30` and a PROC_READ of its silent stdout are interrupted by
 * SIGALRM: the ioctl returns EINTR promptly (the host cancelled it before
 * it did anything; without a handler it would restart),
 * the session keeps working, and the buffer of an interrupted read may be
 * unmapped at once (the driver keeps its own reference to the pages).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "hc-util.h"

static void on_alarm(int sig)
{
	(void)sig;
}


int main(void)
{
	struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART */
	long long res;
	static const char argv[] = "sleep\0" "30\0";

	setvbuf(stdout, NULL, _IOLBF, 0);
	sigaction(SIGALRM, &sa, NULL);
	int fd = open("/dev/hostcall", O_RDWR);
	if (fd < 0) {
		printf("FAIL: intr: open /dev/hostcall: %s\n", strerror(errno));
		return 1;
	}
	struct hc_spawn_info si;
	hc_raw(fd, T_PROC, HC_PROC_SPAWN, 2, 0, 0, argv, sizeof(argv) - 1,
	       &si, sizeof(si), &res);
	hc_check(res >= 0, "intr: spawn host sleep", "result %lld", res);
	long h = (long)res;

	alarm(1);
	double t0 = now();
	int rc = hc_raw(fd, T_PROC, HC_PROC_WAIT, h, 0, 0, NULL, 0, NULL, 0, &res);
	double dt = now() - t0;
	hc_check(rc == -1 && res == -EINTR, "intr: SIGALRM interrupts PROC_WAIT with EINTR",
		 "rc %d res %lld", rc, res);
	hc_check(dt < 20, "intr: the interrupted wait returned before the host command ended",
		 "took %.1f s", dt);

	char *page = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	alarm(1);
	rc = hc_raw(fd, T_PROC, HC_PROC_READ, h, 1, 0, NULL, 0, page, 65536, &res);
	hc_check(rc == -1 && res == -EINTR, "intr: SIGALRM interrupts a blocked PROC_READ",
		 "rc %d res %lld", rc, res);
	munmap(page, 65536);	/* the cancelled call may still hold these pages */

	char pong[8];
	rc = hc_raw(fd, T_SYS, HC_SYS_PING, 0, 0, 0, "pingpong", 8, pong, 8, &res);
	hc_check(rc == 0 && res == 8 && !memcmp(pong, "pingpong", 8),
		 "intr: the session still works after interrupted calls", "rc %d res %lld", rc, res);

	hc_raw(fd, T_PROC, HC_PROC_SIGNAL, h, SIGKILL, 0, NULL, 0, NULL, 0, &res);
	hc_check(res == 0, "intr: PROC_SIGNAL SIGKILL", "result %lld", res);
	rc = hc_raw(fd, T_PROC, HC_PROC_WAIT, h, 0, 0, NULL, 0, NULL, 0, &res);
	hc_check(rc == 0 && res >= 0 && WIFSIGNALED((int)res) && WTERMSIG((int)res) == SIGKILL,
		 "intr: PROC_WAIT reports the SIGKILL", "rc %d status %lld", rc, res);

	/* Local argument errors come back as ioctl errors. */
	rc = hc_raw(fd, HC_MOD_SESSION, HC_SESSION_CLOSE, 0, 0, 0, NULL, 0, NULL, 0, &res);
	hc_check(rc == -1 && res == -EINVAL, "intr: users cannot issue session ops", "rc %d res %lld", rc, res);
	rc = hc_raw(fd, T_SYS, HC_SYS_PING, 0, 0, 0, pong, HC_MAX_DATA + 1, NULL, 0, &res);
	hc_check(rc == -1 && res == -E2BIG, "intr: a buffer over HC_MAX_DATA gets E2BIG", "rc %d res %lld", rc, res);
	rc = hc_raw(fd, T_SYS, HC_SYS_PING, 0, 0, 0, (void *)8, 16, pong, 8, &res);
	hc_check(rc == -1 && res == -EFAULT, "intr: a bad user pointer gets EFAULT", "rc %d res %lld", rc, res);
	close(fd);
	return hc_failures ? 1 : 0;
}
