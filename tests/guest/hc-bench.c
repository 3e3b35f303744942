// SPDX-License-Identifier: MIT
/*
 * hc-bench: guest half of `make bench`. Measures, in one guest:
 *   hostcall round trip (1-byte SYS_PING)       vs  virtio-serial 1-byte echo
 *     through the session window (libhostcall, direct) and through the
 *     ioctl, best of 3 rounds each, interleaved; the window's kicks,
 *     wakeups and interrupts per 1000 of those calls
 *   guest->host stream into host `cat >/dev/null` vs virtio-serial 64 KiB writes
 *   host->guest stream from host `head -c N /dev/zero`
 *     both from/into a window buffer (zero copy in the guest)
 * The virtio-serial port "bench" is served on the host by tests/bench-peer.c.
 * Prints "name value unit" lines for tests/bench.sh.
 *   hc-bench [MiB]
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <hostcall.h>
#include "hc-util.h"

#define CHUNK (128 * 1024)


static int open_port(const char *want)
{
	DIR *d = opendir("/sys/class/virtio-ports");
	struct dirent *e;
	char path[300], name[64];

	while (d && (e = readdir(d))) {
		snprintf(path, sizeof(path), "/sys/class/virtio-ports/%s/name", e->d_name);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(name, sizeof(name), f) && !strncmp(name, want, strlen(want))) {
			fclose(f);
			snprintf(path, sizeof(path), "/dev/%s", e->d_name);
			closedir(d);
			return open(path, O_RDWR);
		}
		fclose(f);
	}
	if (d)
		closedir(d);
	return -1;
}

static int write_all(int fd, const void *p, size_t n)
{
	for (size_t off = 0; off < n;) {
		ssize_t w = write(fd, (const char *)p + off, n - off);
		if (w <= 0)
			return -1;
		off += (size_t)w;
	}
	return 0;
}

static int read_all(int fd, void *p, size_t n)
{
	for (size_t off = 0; off < n;) {
		ssize_t r = read(fd, (char *)p + off, n - off);
		if (r <= 0)
			return -1;
		off += (size_t)r;
	}
	return 0;
}

static long spawn(int fd, const char *argv, size_t len, int argc)
{
	long long res;
	struct hc_spawn_info si;
	hc_raw(fd, T_PROC, HC_PROC_SPAWN, argc, 0, 0, argv, (unsigned)len, &si, sizeof(si), &res);
	return (long)res;
}

int main(int argc, char **argv)
{
	long mib = argc > 1 ? atol(argv[1]) : 256;
	size_t total = (size_t)mib << 20;
	int n = 2000;
	long long res;
	char *buf = malloc(CHUNK);

	setvbuf(stdout, NULL, _IOLBF, 0);
	memset(buf, 0, CHUNK);

	hc_session *hc = hc_open();
	if (!hc) {
		perror("hc-bench: /dev/hostcall");
		return 1;
	}
	int fd = hc_fd(hc);
	/* round trips: the window (direct) and the ioctl, interleaved */
	char b = 'x', r;
	double t0, best[2] = { 1e9, 1e9 };
	struct hostcall_ioc_info i0, i1;
	unsigned long long direct_calls = 0, kicks = 0, wakeups = 0, irqs = 0;
	for (int round = 0; round < 3; round++) {
		hc_dev_info(hc, &i0);
		t0 = now();
		for (int i = 0; i < n; i++)
			hc_ping(hc, &b, &r, 1);
		double dt = (now() - t0) / n * 1e6;
		hc_dev_info(hc, &i1);
		direct_calls += n;
		kicks += i1.kicks - i0.kicks;
		wakeups += i1.wakeups - i0.wakeups;
		irqs += i1.irqs - i0.irqs;
		if (dt < best[0])
			best[0] = dt;
		t0 = now();
		for (int i = 0; i < n; i++)
			hc_raw(fd, T_SYS, HC_SYS_PING, 0, 0, 0, &b, 1, &r, 1, &res);
		dt = (now() - t0) / n * 1e6;
		if (dt < best[1])
			best[1] = dt;
	}
	printf("hostcall_rtt_us %.1f\n", best[0]);
	printf("hostcall_ioctl_rtt_us %.1f\n", best[1]);
	printf("hostcall_direct %d\n", hc_direct(hc));
	printf("hostcall_kicks_per_1000 %.1f\n", kicks * 1000.0 / direct_calls);
	printf("hostcall_wakeups_per_1000 %.1f\n", wakeups * 1000.0 / direct_calls);
	printf("hostcall_irqs_per_1000 %.1f\n", irqs * 1000.0 / direct_calls);
	/* streams move data from and into a window buffer: no guest copy */
	char *wbuf = hc_buf_alloc(hc, CHUNK);
	if (!wbuf)
		return 1;
	memset(wbuf, 0, CHUNK);

	int port = open_port("bench");
	if (port >= 0) {
		char cmd[9] = { 'E' };
		uint64_t cnt = (uint64_t)n;
		memcpy(cmd + 1, &cnt, 8);
		write_all(port, cmd, 9);
		t0 = now();
		for (int i = 0; i < n; i++)
			if (write_all(port, &b, 1) || read_all(port, &r, 1))
				break;
		printf("vserial_rtt_us %.1f\n", (now() - t0) / n * 1e6);
	}

	/* guest -> host */
	static const char cat[] = "sh\0-c\0cat > /dev/null\0";
	long h = spawn(fd, cat, sizeof(cat) - 1, 3);
	t0 = now();
	for (size_t off = 0; off < total;) {
		ssize_t w = hc_proc_write(hc, (int)h, wbuf, CHUNK);
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	hc_raw(fd, T_PROC, HC_PROC_CLOSE, h, 0, 0, NULL, 0, NULL, 0, &res);
	hc_raw(fd, T_PROC, HC_PROC_WAIT, h, 0, 0, NULL, 0, NULL, 0, &res);
	printf("hostcall_g2h_MBps %.0f\n", total / (now() - t0) / 1e6);
	hc_raw(fd, T_PROC, HC_PROC_RELEASE, h, 0, 0, NULL, 0, NULL, 0, &res);

	if (port >= 0) {
		size_t vtotal = total / 2;	/* the reference figure used 128 MiB */
		char cmd[9] = { 'S' };
		uint64_t len = vtotal;
		memcpy(cmd + 1, &len, 8);
		write_all(port, cmd, 9);
		t0 = now();
		for (size_t off = 0; off < vtotal; off += 65536)
			write_all(port, buf, 65536);
		read_all(port, &r, 1);	/* the peer's ack: all bytes arrived */
		printf("vserial_g2h_MBps %.0f\n", vtotal / (now() - t0) / 1e6);
	}

	/* host -> guest */
	char head[64];
	int hl = snprintf(head, sizeof(head), "head%c-c%c%zu%c/dev/zero", 0, 0, total, 0);
	h = spawn(fd, head, (size_t)hl + 1, 4);
	size_t got = 0;
	t0 = now();
	for (;;) {
		ssize_t rd = hc_proc_read(hc, (int)h, HC_STDOUT, wbuf, CHUNK);
		if (rd <= 0)
			break;
		got += (size_t)rd;
	}
	double dt = now() - t0;
	hc_raw(fd, T_PROC, HC_PROC_WAIT, h, 0, 0, NULL, 0, NULL, 0, &res);
	printf("hostcall_h2g_MBps %.0f\n", got / dt / 1e6);
	if (got != total)
		printf("hostcall_h2g_short %zu\n", got);
	if (port >= 0) {
		size_t vtotal = total / 2;
		char cmd[9] = { 'R' };
		uint64_t len = vtotal;
		memcpy(cmd + 1, &len, 8);
		write_all(port, cmd, 9);
		t0 = now();
		for (size_t off = 0; off < vtotal;) {
			ssize_t n = read(port, buf, CHUNK);
			if (n <= 0)
				break;
			off += (size_t)n;
		}
		printf("vserial_h2g_MBps %.0f\n", vtotal / (now() - t0) / 1e6);
	}

	/* the dual-OS shell's pipelines, as a user types them: with stream
	 * fds (the default) and through the pump (DUALSH_NOSTREAM=1) */
	char line[256];
	static const char *const mode[2] = { "", "_pump" };
	static const char *const env[2] = { "", "DUALSH_NOSTREAM=1 " };
	snprintf(line, sizeof(line), "hostcall exec -- sh -c 'head -c %ldM /dev/zero > /tmp/hc-bench.big'", mib);
	int big = system(line) == 0;
	/* the guest's own tools alone, for scale */
	snprintf(line, sizeof(line), "head -c %zu /dev/zero | cat > /dev/null", total);
	t0 = now();
	if (system(line) == 0)
		printf("guest_head_MBps %.0f\n", total / (now() - t0) / 1e6);
	snprintf(line, sizeof(line), "head -c %zu /dev/zero | wc -c > /dev/null", total);
	t0 = now();
	if (system(line) == 0)
		printf("guest_wc_MBps %.0f\n", total / (now() - t0) / 1e6);
	/* each pipeline with stream fds and through the pump, alternating,
	 * best of two (one run alone is noisy under TCG) */
	static const struct {
		const char *key, *cmd;
		int host_file;	/* needs /tmp/hc-bench.big on the host */
	} pipes[] = {
		{ "g2h", "head -c %zu /dev/zero | !cat > /dev/null", 0 },
		{ "g2h_dd4k", "dd if=/dev/zero bs=4k count=%zu 2>/dev/null | !cat > /dev/null", 0 },
		{ "g2h_dd", "dd if=/dev/zero bs=128k count=%zu 2>/dev/null | !cat > /dev/null", 0 },
		{ "h2g", "!cat /tmp/hc-bench.big | wc -c > /dev/null", 1 },
		{ "h2g_dd4k", "!cat /tmp/hc-bench.big | dd bs=4k of=/dev/null 2>/dev/null", 1 },
		{ "h2g_dd", "!cat /tmp/hc-bench.big | dd bs=128k of=/dev/null 2>/dev/null", 1 },
	};
	for (size_t k = 0; k < sizeof(pipes) / sizeof(pipes[0]); k++) {
		double best[2] = { 0, 0 };
		size_t arg = total;
		char cmd[160];

		if (pipes[k].host_file && !big)
			continue;
		if (strstr(pipes[k].cmd, "bs=4k count"))
			arg = total / 4096;
		else if (strstr(pipes[k].cmd, "bs=128k count"))
			arg = total / (128 * 1024);
		snprintf(cmd, sizeof(cmd), pipes[k].cmd, arg);
		for (int r = 0; r < 4; r++) {
			int m = r & 1;

			snprintf(line, sizeof(line), "%sdualsh -c '%s'", env[m], cmd);
			t0 = now();
			if (system(line) == 0) {
				double v = total / (now() - t0) / 1e6;

				if (v > best[m])
					best[m] = v;
			}
		}
		for (int m = 0; m < 2; m++)
			if (best[m] > 0)
				printf("dualsh_%s%s_MBps %.0f\n", pipes[k].key, mode[m], best[m]);
	}
	if (big)
		system("hostcall exec -- rm -f /tmp/hc-bench.big");

	/* host command start, through a whole hostcall exec cycle */
	t0 = now();
	for (int i = 0; i < 50; i++) {
		static const char tr[] = "true\0";
		h = spawn(fd, tr, sizeof(tr) - 1, 1);
		hc_raw(fd, T_PROC, HC_PROC_WAIT, h, 0, 0, NULL, 0, NULL, 0, &res);
		hc_raw(fd, T_PROC, HC_PROC_RELEASE, h, 0, 0, NULL, 0, NULL, 0, &res);
	}
	printf("hostcall_spawn_true_ms %.2f\n", (now() - t0) / 50 * 1e3);
	hc_buf_free(hc, wbuf);
	hc_close(hc);
	return 0;
}
