// SPDX-License-Identifier: MIT
/*
 * hc-sigio: MIB MiB through a host `cat` and back, checked byte for byte,
 * meant to run under hc-sigstorm (signals must never lose or duplicate a
 * byte). Two paths:
 *   stream  stream fds: a child writes (4096, 200000 and 777 bytes in turn:
 *           write-behind and direct), the parent reads (4096 and 131072 in
 *           turn: read-ahead and direct);
 *   calls   HC_PROC_WRITE from a thread, HC_PROC_READ from another, on
 *           the caller's buffers, as `hostcall exec` does.
 * SIGWINCH has a handler without SA_RESTART, SIGCHLD one with it, so a
 * storm of either shows EINTR or restarts; EINTR is retried and short
 * counts continued, as a correct program does.
 *
 *   hc-sigio MIB LABEL [stream|calls]    (LABEL names the checks)
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include "hc-util.h"

#define CALL_MAX	(128 * 1024)

static uint64_t total;
static const char *label;

/* The byte at stream position pos: every 8-byte word names its place, so
 * a lost or repeated piece never lines up by chance. */
static void fill(unsigned char *b, uint64_t pos, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++, pos++) {
		uint64_t w = ((pos >> 3) + 1) * 0x9e3779b97f4a7c15ull;

		b[i] = (unsigned char)(w >> ((pos & 7) * 8));
	}
}

struct checker {
	uint64_t got;		/* bytes received */
	uint64_t bad;		/* first wrong position, or UINT64_MAX */
	unsigned char want[CALL_MAX];
};

static void check_bytes(struct checker *c, const unsigned char *b, size_t n)
{
	size_t i;

	if (c->bad == UINT64_MAX && c->got + n <= total) {
		fill(c->want, c->got, n);
		for (i = 0; i < n; i++)
			if (b[i] != c->want[i]) {
				c->bad = c->got + i;
				break;
			}
	} else if (c->bad == UINT64_MAX) {
		c->bad = total;	/* more than was sent */
	}
	c->got += n;
}

static void report(const char *name, struct checker *c, int writer_ok)
{
	char what[128];

	snprintf(what, sizeof(what), "sigio (%s): %s: %llu MiB through host cat intact",
		 label, name, (unsigned long long)(total >> 20));
	hc_check(c->got == total && c->bad == UINT64_MAX && writer_ok, what,
		 "got %llu of %llu bytes (%+lld), first wrong byte at %lld, writer %s",
		 (unsigned long long)c->got, (unsigned long long)total,
		 (long long)(c->got - total),
		 c->bad == UINT64_MAX ? -1LL : (long long)c->bad,
		 writer_ok ? "ok" : "failed");
}

static void on_signal(int sig)
{
	(void)sig;
}

static long spawn_cat(int fd)
{
	static const char argv[] = "cat\0";
	struct hc_spawn_info si;
	long long res;

	do
		hc_raw(fd, T_PROC, HC_PROC_SPAWN, 1, 0, 0, argv,
		       sizeof(argv) - 1, &si, sizeof(si), &res);
	while (res == -EINTR);
	return (long)res;
}

static long long call_retry(int fd, unsigned op, long h, long a1,
			    const void *in, unsigned in_len, void *out,
			    unsigned out_len)
{
	long long res;

	do
		hc_raw(fd, T_PROC, op, h, a1, 0, in, in_len, out, out_len,
		       &res);
	while (res == -EINTR);
	return res;
}

static int stream_fd(int fd, long h, unsigned stream)
{
	struct hostcall_ioc_stream a = {
		.handle = (int)h, .stream = stream, .fd = -1,
		.flags = HC_STREAM_F_CLOEXEC,
	};

	return ioctl(fd, HOSTCALL_IOC_STREAM, &a) < 0 ? -errno : a.fd;
}

/* ---- stream fds ---------------------------------------------------------- */

static int stream_writer(int w)
{
	static const size_t sizes[] = { 4096, 200000, 777 };
	unsigned char *buf = malloc(200000);
	uint64_t off = 0;
	unsigned k = 0;

	if (!buf)
		return 1;
	while (off < total) {
		size_t n = sizes[k++ % 3], done = 0;

		if (n > total - off)
			n = total - off;
		fill(buf, off, n);
		while (done < n) {
			ssize_t r = write(w, buf + done, n - done);

			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				return 1;
			done += r;
		}
		off += n;
	}
	return 0;
}

static void via_stream(int fd, struct checker *c)
{
	static unsigned char buf[CALL_MAX];
	long h = spawn_cat(fd);
	int w = stream_fd(fd, h, 0), r = stream_fd(fd, h, 1), st = 0;
	unsigned k = 0;
	pid_t pid;

	if (h < 0 || w < 0 || r < 0) {
		hc_check(0, "sigio: stream: host cat and its stream fds",
			 "%ld %d %d", h, w, r);
		return;
	}
	pid = fork();
	if (pid == 0) {
		close(r);
		_exit(stream_writer(w));
	}
	close(w);
	for (;;) {
		size_t n = k++ & 1 ? CALL_MAX : 4096;
		ssize_t got = read(r, buf, n);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		check_bytes(c, buf, got);
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	close(r);
	report("stream fds", c, WIFEXITED(st) && !WEXITSTATUS(st));
	call_retry(fd, HC_PROC_WAIT, h, 0, NULL, 0, NULL, 0);
	call_retry(fd, HC_PROC_RELEASE, h, 0, NULL, 0, NULL, 0);
}

/* ---- raw host-calls ------------------------------------------------------ */

struct call_writer {
	int fd;
	long h;
	int ok;
};

static void *calls_writer(void *arg)
{
	struct call_writer *cw = arg;
	unsigned char *buf = malloc(CALL_MAX);
	uint64_t off = 0;
	unsigned k = 0;

	cw->ok = buf != NULL;
	while (buf && off < total) {
		size_t n = k++ & 1 ? CALL_MAX : 50000, done = 0;

		if (n > total - off)
			n = total - off;
		fill(buf, off, n);
		/* the host may take part of it: send the rest */
		while (done < n) {
			long long r = call_retry(cw->fd, HC_PROC_WRITE, cw->h, 0,
						 buf + done, n - done, NULL, 0);

			if (r <= 0) {
				cw->ok = 0;
				goto out;
			}
			done += r;
		}
		off += n;
	}
out:
	call_retry(cw->fd, HC_PROC_CLOSE, cw->h, 0, NULL, 0, NULL, 0);
	free(buf);
	return NULL;
}

static void via_calls(int fd, struct checker *c)
{
	static unsigned char buf[CALL_MAX];
	struct call_writer cw = { .fd = fd, .h = spawn_cat(fd) };
	pthread_t t;

	if (cw.h < 0 || pthread_create(&t, NULL, calls_writer, &cw)) {
		hc_check(0, "sigio: calls: host cat", "%ld", cw.h);
		return;
	}
	for (;;) {
		long long n = call_retry(fd, HC_PROC_READ, cw.h, 1, NULL, 0,
					 buf, sizeof(buf));

		if (n <= 0)
			break;
		check_bytes(c, buf, n);
	}
	pthread_join(t, NULL);
	report("host-calls", c, cw.ok);
	call_retry(fd, HC_PROC_WAIT, cw.h, 0, NULL, 0, NULL, 0);
	call_retry(fd, HC_PROC_RELEASE, cw.h, 0, NULL, 0, NULL, 0);
}

int main(int argc, char **argv)
{
	struct sigaction intr = { .sa_handler = on_signal };
	struct sigaction restart = { .sa_handler = on_signal,
				     .sa_flags = SA_RESTART };
	const char *what = argc > 3 ? argv[3] : "both";
	struct checker *c1 = calloc(1, sizeof(*c1));
	struct checker *c2 = calloc(1, sizeof(*c2));
	int fd;

	if (argc < 3 || atoi(argv[1]) <= 0 || !c1 || !c2) {
		fprintf(stderr, "usage: hc-sigio MIB LABEL [stream|calls]\n");
		return 2;
	}
	total = (uint64_t)atoi(argv[1]) << 20;
	label = argv[2];
	c1->bad = c2->bad = UINT64_MAX;
	setvbuf(stdout, NULL, _IOLBF, 0);
	sigaction(SIGWINCH, &intr, NULL);
	sigaction(SIGCHLD, &restart, NULL);
	fd = open("/dev/hostcall", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		printf("FAIL: sigio: open /dev/hostcall: %s\n", strerror(errno));
		return 1;
	}
	if (strcmp(what, "calls"))
		via_stream(fd, c1);
	if (strcmp(what, "stream"))
		via_calls(fd, c2);
	close(fd);
	return hc_failures ? 1 : 0;
}
