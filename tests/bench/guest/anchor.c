// SPDX-License-Identifier: MIT
/*
 * anchor: the reference side of `make bench`, in the same guest as hcb.
 * Prints "KEY SIDE VALUE" lines (bench.h):
 *   anchor vrtt N          virtio-serial 1-byte echo round trip
 *   anchor vg2h MIB        virtio-serial stream to the host peer's sink
 *   anchor vh2g MIB        virtio-serial stream from the host peer's source
 *   anchor memcpy MIB      the guest's own memory-copy rate (the ceiling)
 *   anchor read SIDE PATH  read a file through the guest kernel, page
 *                          caches dropped first (9p, virtio-fs)
 *   anchor stat SIDE DIR N stat DIR/f0 .. DIR/f(N-1), caches dropped first
 *   anchor time KEY SIDE N CMD  run CMD with sh -c, print its time / N, ms
 *   anchor rate KEY SIDE MIB CMD run CMD, which moves MIB MiB: MB/s
 * The port "bench" is served on the host by tests/bench-peer.c: a command
 * byte and a little-endian u64 count ('E' echo, 'S' sink, 'R' source).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "bench.h"

static char buf[CHUNK];

static int open_port(const char *want)
{
	DIR *d = opendir("/sys/class/virtio-ports");
	struct dirent *e;
	char path[300], name[64];
	int fd = -1;

	while (d && fd < 0 && (e = readdir(d))) {
		snprintf(path, sizeof(path), "/sys/class/virtio-ports/%s/name", e->d_name);
		FILE *f = fopen(path, "r");

		if (!f)
			continue;
		if (fgets(name, sizeof(name), f) && !strcmp(strtok(name, "\n"), want)) {
			snprintf(path, sizeof(path), "/dev/%s", e->d_name);
			fd = open(path, O_RDWR);
		}
		fclose(f);
	}
	if (d)
		closedir(d);
	if (fd < 0) {
		fprintf(stderr, "anchor: no virtio-serial port named %s\n", want);
		exit(1);
	}
	return fd;
}

static void peer_cmd(int port, char c, uint64_t n)
{
	char cmd[9] = { c };

	memcpy(cmd + 1, &n, 8);	/* x86-64 both sides: little endian */
	if (write(port, cmd, 9) != 9) {	/* a port write this small is whole */
		fprintf(stderr, "anchor: write to the bench port failed\n");
		exit(1);
	}
}

static int vrtt(long n)
{
	int port = open_port("bench");
	char b = 'x', r;

	peer_cmd(port, 'E', (uint64_t)n);
	double t0 = now();

	for (long i = 0; i < n; i++)
		if (write(port, &b, 1) != 1 || read(port, &r, 1) != 1)
			return 1;
	emit("null_rtt_us", "virtio_serial", (now() - t0) / (double)n * 1e6);
	return 0;
}

static int vstream(int g2h, size_t total)
{
	int port = open_port("bench");
	char ack;

	peer_cmd(port, g2h ? 'S' : 'R', total);
	double t0 = now();

	for (size_t off = 0; off < total;) {
		size_t k = total - off < CHUNK ? total - off : CHUNK;
		ssize_t n = g2h ? write(port, buf, k) : read(port, buf, k);

		if (n <= 0)
			return 1;
		off += (size_t)n;
	}
	if (g2h && read(port, &ack, 1) != 1)	/* the peer's ack: all arrived */
		return 1;
	emit(g2h ? "g2h_MBps" : "h2g_MBps", "virtio_serial", (double)total / (now() - t0) / 1e6);
	return 0;
}

static int copy_rate(size_t total)
{
	char *a = malloc(total), *b = malloc(total);
	double best = 0;

	if (!a || !b)
		return 1;
	memset(a, 1, total);
	memset(b, 2, total);	/* fault both in before timing */
	for (int i = 0; i < 3; i++) {
		double t0 = now();

		memcpy(i & 1 ? a : b, i & 1 ? b : a, total);
		double v = (double)total / (now() - t0) / 1e6;

		if (v > best)
			best = v;
	}
	emit("memcpy_MBps", "guest", best);
	free(a);
	free(b);
	return 0;
}

static void drop_caches(void)
{
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);

	sync();
	if (fd < 0 || write(fd, "3\n", 2) != 2)
		fprintf(stderr, "anchor: drop_caches failed (not root?)\n");
	if (fd >= 0)
		close(fd);
}

static int kread(const char *side, const char *path)
{
	size_t got = 0;
	ssize_t n;

	drop_caches();
	int fd = open(path, O_RDONLY);

	if (fd < 0) {
		perror(path);
		return 1;
	}
	double t0 = now();

	while ((n = read(fd, buf, CHUNK)) > 0)
		got += (size_t)n;
	double dt = now() - t0;

	close(fd);
	if (n < 0 || !got)
		return 1;
	emit("file_read_MBps", side, (double)got / dt / 1e6);
	return 0;
}

static int kstat(const char *side, const char *dir, long n)
{
	char path[4096];
	struct stat st;

	drop_caches();
	double t0 = now();

	for (long i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/f%ld", dir, i);
		if (stat(path, &st)) {
			perror(path);
			return 1;
		}
	}
	emit("stat_us", side, (now() - t0) / (double)n * 1e6);
	return 0;
}

/* rate: n MiB moved, print MB/s; else n runs, print ms each */
static int timed(const char *key, const char *side, long n, const char *cmd, int rate)
{
	double t0 = now();

	if (system(cmd) != 0) {
		fprintf(stderr, "anchor: %s failed\n", cmd);
		return 1;
	}
	double dt = now() - t0;

	emit(key, side, rate ? (double)n * 1048576 / dt / 1e6 : dt / (double)n * 1e3);
	return 0;
}

int main(int argc, char **argv)
{
	const char *m = argc > 1 ? argv[1] : "";
	long a = argc > 2 ? atol(argv[2]) : 0;

	if (!strcmp(m, "vrtt") && a > 0)
		return vrtt(a);
	if ((!strcmp(m, "vg2h") || !strcmp(m, "vh2g")) && a > 0)
		return vstream(m[1] == 'g', (size_t)a << 20);
	if (!strcmp(m, "memcpy") && a > 0)
		return copy_rate((size_t)a << 20);
	if (!strcmp(m, "read") && argc == 4)
		return kread(argv[2], argv[3]);
	if (!strcmp(m, "stat") && argc == 5 && atol(argv[4]) > 0)
		return kstat(argv[2], argv[3], atol(argv[4]));
	if ((!strcmp(m, "time") || !strcmp(m, "rate")) && argc == 6 && atol(argv[4]) > 0)
		return timed(argv[2], argv[3], atol(argv[4]), argv[5], m[0] == 'r');
	fprintf(stderr, "usage: anchor vrtt N | vg2h MIB | vh2g MIB | memcpy MIB |"
		" read SIDE PATH | stat SIDE DIR N | time KEY SIDE N CMD |"
		" rate KEY SIDE MIB CMD\n");
	return 2;
}
