/* SPDX-License-Identifier: MIT */
/*
 * Figures of the window data path with the test client as the guest
 * (no VM): null round trip with the shadow polling and asleep, kicks
 * and interrupts per 1000 back-to-back calls, 128 KiB FS_READ from a
 * tmpfs file. `make -C tests/shadowd bench SHADOWD=DIR` (a plain build:
 * the tests' own shadowd has the sanitizers).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>
#include "client.h"

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int ping(struct sess *s)
{
	return call(s, T_SYS, HC_SYS_PING, 0, 0, 0, NULL, 0, 0, NULL,
		    NULL) == 0;
}

static void null_calls(struct sess *s)
{
	const int n = 20000, m = 300;
	struct hc_qp_ctl *c = sess_ctl(s, 0);
	unsigned k0, i0, w0;
	double t, asleep = 0;
	int i;

	for (i = 0; i < 1000; i++)	/* warm up */
		ping(s);
	k0 = s->kicks;
	i0 = s->irqs;
	w0 = c->host_wakeups;
	t = now_us();
	for (i = 0; i < n; i++)
		ping(s);
	t = now_us() - t;
	printf("null round trip, back to back (polling): %.2f us\n", t / n);
	printf("per 1000 back-to-back calls: %.2f kicks, %.2f interrupts, "
	       "%.2f shadow wakeups\n", 1000.0 * (s->kicks - k0) / n,
	       1000.0 * (s->irqs - i0) / n,
	       1000.0 * (c->host_wakeups - w0) / n);
	k0 = s->kicks;
	i0 = s->irqs;
	for (i = 0; i < m; i++) {
		double t1;

		msleep(2);	/* well past the budget: the shadow sleeps */
		t1 = now_us();
		ping(s);
		asleep += now_us() - t1;
	}
	printf("null round trip, shadow asleep: %.2f us (%u kicks, %u "
	       "interrupts for %d calls)\n", asleep / m, s->kicks - k0,
	       s->irqs - i0, m);
}

static void fs_read(struct sess *s, int depth)
{
	const char *path = "/dev/shm/hc-bench-window";
	const size_t chunk = 128 * 1024, size = 256u << 20;
	char *buf = malloc(chunk);
	uint64_t tags[16];
	size_t off = 0, done = 0;
	int fd, h, i, inflight = 0;
	double t;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	memset(buf, 'x', chunk);
	for (off = 0; off < size; off += chunk)
		if (write(fd, buf, chunk) != (ssize_t)chunk)
			break;
	close(fd);
	h = path_call(s, T_FS, HC_FS_OPEN, O_RDONLY, 0, path);
	if (h < 0) {
		printf("fs read: open %d\n", h);
		return;
	}
	t = now_us();
	for (off = 0, i = 0; done < size;) {
		while (inflight < depth && off < size) {
			tags[i % depth] = next_tag++;
			send_call(s, tags[i % depth], T_FS, HC_FS_PREAD,
				  h, off, 0, NULL, 0, chunk);
			off += chunk;
			inflight++;
			i++;
		}
		{
			unsigned char *o = NULL;
			uint32_t olen = 0;
			int64_t r = wait_reply(s, tags[(i - inflight) % depth],
					       TIMEOUT_MS, &o, &olen);

			free(o);
			if (r != (int64_t)chunk) {
				printf("fs read: pread %lld\n", (long long)r);
				break;
			}
			done += r;
			inflight--;
		}
	}
	t = now_us() - t;
	printf("fs read, 128 KiB PREADs from tmpfs, %d in flight: %.0f MB/s "
	       "(%zu MiB in %.0f ms)\n", depth, done / t, done >> 20, t / 1e3);
	call0(s, T_FS, HC_FS_CLOSE, h, 0, NULL, 0);
	unlink(path);
	free(buf);
}

int main(int argc, char **argv)
{
	struct hc_session_info info;
	struct sess s;
	int ctl, st;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR_WITH_SHADOWD\n", argv[0]);
		return 2;
	}
	build = argv[1];
	signal(SIGPIPE, SIG_IGN);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	write_test_policy();
	if (start_private(&ctl) < 0 || hello(ctl, HCP_VERSION) != 0)
		return 1;
	memset(&s, 0, sizeof(s));
	st = open_session(ctl, 1, 1000, &info, &s.fd);
	s.id = 1;
	if (st != 0 || sess_attach(&s) != 0) {
		fprintf(stderr, "session: %d\n", st);
		return 1;
	}
	printf("-- the guest sleeps at once when it waits:\n");
	null_calls(&s);
	printf("-- the guest looks for 50 us before it sleeps:\n");
	s.spin_us = 50;
	null_calls(&s);
	fs_read(&s, 1);
	fs_read(&s, 4);
	sess_close(&s);
	close(ctl);
	remove_test_policy();
	reap_any();
	return 0;
}
