// SPDX-License-Identifier: MIT
/*
 * hc-threads: many threads share one session, many processes have their
 * own. Every ping carries data unique to its caller and call, so a
 * completion delivered to the wrong waiter shows up as a mismatch.
 *   hc-threads THREADS CALLS PROCS
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include "hc-util.h"

static int fd, calls;
static int bad;

static void *worker(void *arg)
{
	long t = (long)arg;
	char in[4096], out[4096];
	long long res;

	for (int i = 0; i < calls; i++) {
		unsigned len = 1 + (unsigned)((t * 131 + i * 17) % sizeof(in));
		for (unsigned k = 0; k < len; k++)
			in[k] = (char)(t * 7 + i + k);
		if (hc_raw(fd, T_SYS, HC_SYS_PING, 0, 0, 0, in, len, out, len, &res) ||
		    res != len || memcmp(in, out, len))
			__sync_fetch_and_add(&bad, 1);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int threads = argc > 1 ? atoi(argv[1]) : 8;
	int procs = argc > 3 ? atoi(argv[3]) : 4;
	calls = argc > 2 ? atoi(argv[2]) : 200;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int p = 0; p < procs; p++) {
		if (fork() == 0) {
			pthread_t th[64];
			fd = open("/dev/hostcall", O_RDWR);
			if (fd < 0)
				_exit(2);
			for (long t = 0; t < threads && t < 64; t++)
				pthread_create(&th[t], NULL, worker, (void *)t);
			for (int t = 0; t < threads && t < 64; t++)
				pthread_join(th[t], NULL);
			_exit(bad ? 1 : 0);
		}
	}
	int ok = 0, st;
	while (wait(&st) > 0)
		ok += WIFEXITED(st) && WEXITSTATUS(st) == 0;
	hc_check(ok == procs, "threads: concurrent pings from threads and processes all match",
		 "%d of %d processes saw every answer right", ok, procs);
	return hc_failures ? 1 : 0;
}
