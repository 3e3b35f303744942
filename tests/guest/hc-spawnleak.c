// SPDX-License-Identifier: MIT
/*
 * hc-spawnleak: an interrupted spawn leaves no host process behind.
 *   1. A timer signal (handler, no SA_RESTART) every millisecond while
 *      spawning and releasing host `sleep`s: a spawn the signal hit
 *      returns its real handle (released here) or EINTR when the host
 *      started nothing (retried).
 *   2. A process sharing the session is SIGKILLed while it spawns: the
 *      driver releases what the killed caller's spawn started.
 * Afterwards no marked `sleep` may run on the host, with the session
 * still open (a closed session would end them anyway).
 *
 *   hc-spawnleak MARK     (host processes run as `sleep MARK`)
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

static char sleep_argv[64];
static unsigned sleep_len;
static volatile sig_atomic_t ticks;

static void on_alarm(int sig)
{
	(void)sig;
	ticks++;
}

/* one spawn of `sleep MARK`: handle, or -errno (EINTR included) */
static long long spawn_once(int fd)
{
	struct hc_spawn_info si;
	long long res;

	hc_raw(fd, T_PROC, HC_PROC_SPAWN, 2, 0, 0, sleep_argv, sleep_len,
	       &si, sizeof(si), &res);
	return res;
}

static void release(int fd, long long h)
{
	long long res;

	do
		hc_raw(fd, T_PROC, HC_PROC_RELEASE, (long)h, 0, 0, NULL, 0,
		       NULL, 0, &res);
	while (res == -EINTR);
}

/* How many marked host processes run now: `pgrep -c -f`, read back. */
static int host_count(int fd, const char *mark)
{
	char argv[128], out[64];
	struct hc_spawn_info si;
	long long h, n, total = 0;
	int len = snprintf(argv, sizeof(argv), "pgrep%c-c%c-f%c^sleep %s$",
			   0, 0, 0, mark) + 1;

	hc_raw(fd, T_PROC, HC_PROC_SPAWN, 4, 0, 0, argv, len, &si,
	       sizeof(si), &h);
	if (h < 0)
		return -1;
	do {
		hc_raw(fd, T_PROC, HC_PROC_READ, (long)h, 1, 0, NULL, 0,
		       out + total, sizeof(out) - 1 - total, &n);
		if (n > 0)
			total += n;
	} while ((n > 0 || n == -EINTR) && total < (long long)sizeof(out) - 1);
	out[total] = 0;
	release(fd, h);
	return atoi(out);
}

/* Wait up to 5 s for none to be left (a release kills asynchronously). */
static int left_after(int fd, const char *mark)
{
	int i, n = -1;

	for (i = 0; i < 50; i++) {
		n = host_count(fd, mark);
		if (n == 0)
			break;
		usleep(100000);
	}
	return n;
}

static void timer_storm(int fd, const char *mark)
{
	struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART */
	struct itimerval it = { { 0, 1000 }, { 0, 1000 } };
	struct itimerval off = { { 0, 0 }, { 0, 0 } };
	int i, spawned = 0, eintr = 0, errors = 0, left;

	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	for (i = 0; i < 150; i++) {
		long long h = spawn_once(fd);

		if (h == -EINTR) {
			eintr++;
			continue;
		}
		if (h < 0) {
			errors++;
			continue;
		}
		spawned++;
		release(fd, h);
	}
	setitimer(ITIMER_REAL, &off, NULL);
	printf("# spawnleak: %d spawns, %d EINTR, %d errors, %d timer signals\n",
	       spawned, eintr, errors, (int)ticks);
	left = left_after(fd, mark);
	hc_check(left == 0 && errors == 0 && ticks > 50,
		 "spawnleak: spawns hit by a timer signal leave no host process",
		 "%d host processes left, %d errors, %d signals", left, errors,
		 (int)ticks);
}

/*
 * A handle the driver handed to the killed child (written into its ioctl
 * argument, which lives in shared memory here) is the child's to release,
 * not the driver's: a kill can always land between a syscall's return and
 * the next instruction. We release such handles for it; whatever runs
 * after that, the driver leaked.
 */
struct shared {
	struct hostcall_ioc_call call;
	struct hc_spawn_info si;
};

static void kill_storm(int fd, const char *mark)
{
	struct shared *sh = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	volatile struct hostcall_ioc_call *call = &sh->call;
	unsigned short proc_mod = (unsigned short)hc_mod(fd, T_PROC);
	int i, left, in_hand = 0;

	if (sh == MAP_FAILED) {
		hc_check(0, "spawnleak: shared page", "%s", strerror(errno));
		return;
	}
	srand(getpid());
	for (i = 0; i < 30; i++) {
		pid_t pid;

		call->result = -1;
		pid = fork();
		if (pid == 0) {
			for (;;) {
				*(struct hostcall_ioc_call *)call =
					(struct hostcall_ioc_call){
					.module = proc_mod,
					.op = HC_PROC_SPAWN,
					.args = { 2, 0, 0, 0 },
					.in_ptr = (unsigned long)sleep_argv,
					.in_len = sleep_len,
					.out_ptr = (unsigned long)&sh->si,
					.out_len = sizeof(sh->si),
					.result = -1,
				};
				if (ioctl(fd, HOSTCALL_IOC_CALL, call) ||
				    call->result < 0)
					continue;
				release(fd, call->result);
				call->result = -1;
			}
		}
		usleep(2000 + rand() % 20000);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		if (call->result >= 0) {
			in_hand++;
			release(fd, call->result);
		}
	}
	printf("# spawnleak: 30 callers killed, %d with a handle in hand\n",
	       in_hand);
	left = left_after(fd, mark);
	hc_check(left == 0,
		 "spawnleak: callers SIGKILLed while spawning leave no host process",
		 "%d host processes left with the session still open", left);
}

int main(int argc, char **argv)
{
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: hc-spawnleak MARK\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	sleep_len = snprintf(sleep_argv, sizeof(sleep_argv), "sleep%c%s", 0,
			     argv[1]) + 1;
	fd = open("/dev/hostcall", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		printf("FAIL: spawnleak: open /dev/hostcall: %s\n",
		       strerror(errno));
		return 1;
	}
	timer_storm(fd, argv[1]);
	kill_storm(fd, argv[1]);
	close(fd);
	return hc_failures ? 1 : 0;
}
