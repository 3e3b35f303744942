// SPDX-License-Identifier: MIT
/*
 * hc-stream: stream fds (HOSTCALL_IOC_STREAM). A guest fd bound to a host
 * process's stdin or stdout carries bytes both ways intact, ends with EOF,
 * gives EPIPE and SIGPIPE as a pipe does, is interrupted by signals, has
 * no position, outlives the session fd, and rejects bad arguments.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "hc-util.h"

static void on_alarm(int sig)
{
	(void)sig;
}

/* spawn argv (NUL-separated, n strings); handle or -errno */
static long spawn(int fd, const char *argv, size_t len, int n)
{
	struct hc_spawn_info si;
	long long res;

	hc_raw(fd, T_PROC, HC_PROC_SPAWN, n, 0, 0, argv, (unsigned)len,
	       &si, sizeof(si), &res);
	return (long)res;
}

static int stream_fd(int fd, long h, unsigned stream, unsigned flags)
{
	struct hostcall_ioc_stream a = {
		.handle = (int)h, .stream = stream, .flags = flags, .fd = -1,
	};

	if (ioctl(fd, HOSTCALL_IOC_STREAM, &a) < 0)
		return -errno;
	return a.fd;
}

static long long wait_status(int fd, long h)
{
	long long res;

	hc_raw(fd, T_PROC, HC_PROC_WAIT, h, 0, 0, NULL, 0, NULL, 0, &res);
	return res;
}

static void release(int fd, long h)
{
	hc_raw(fd, T_PROC, HC_PROC_RELEASE, h, 0, 0, NULL, 0, NULL, 0,
	       NULL);
}

static size_t read_all(int fd, unsigned char *buf, size_t cap)
{
	size_t n = 0;
	ssize_t r;

	while (n < cap && (r = read(fd, buf + n, cap - n)) > 0)
		n += r;
	return n;
}

/* 3 MiB through a host `cat`: written in odd sizes, read back the same */
static void roundtrip(int fd)
{
	static const char argv[] = "cat\0";
	const size_t len = 3u << 20;
	unsigned char *out = malloc(len), *in = malloc(len + 1);
	size_t i, off = 0, got = 0;
	char link[64], path[64];
	long h = spawn(fd, argv, sizeof(argv) - 1, 1);
	int w, r, ok = 1, ws = 0;
	pid_t pid;

	hc_check(h >= 0, "stream: spawn host cat", "result %ld", h);
	w = stream_fd(fd, h, 0, HC_STREAM_F_CLOEXEC);
	r = stream_fd(fd, h, 1, HC_STREAM_F_CLOEXEC);
	hc_check(w >= 0 && r >= 0, "stream: fds for stdin and stdout",
		 "%d %d", w, r);
	if (w < 0 || r < 0 || !out || !in)
		return;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", w);
	i = readlink(path, link, sizeof(link) - 1);
	link[i < sizeof(link) ? i : 0] = 0;
	hc_check(strstr(link, "hostcall-stream") != NULL,
		 "stream: fd is a hostcall stream", "readlink: %s", link);
	hc_check((fcntl(w, F_GETFD) & FD_CLOEXEC) &&
		 (fcntl(w, F_GETFL) & O_ACCMODE) == O_WRONLY &&
		 (fcntl(r, F_GETFL) & O_ACCMODE) == O_RDONLY,
		 "stream: stdin write-only, stdout read-only, close-on-exec",
		 "flags");
	hc_check(lseek(r, 0, SEEK_SET) < 0 && errno == ESPIPE,
		 "stream: no seeking", "lseek: %s", strerror(errno));
	hc_check(read(w, in, 1) < 0 && errno == EBADF,
		 "stream: stdin fd cannot be read", "%s", strerror(errno));

	for (i = 0; i < len; i++)
		out[i] = (unsigned char)(i * 7 + (i >> 13));
	/* a child writes while we read, as the two ends of a pipeline */
	pid = fork();
	if (pid == 0) {
		close(r);
		while (off < len) {
			size_t n = (off / 4096) % 3 == 0 ? 4096 :
				   (off / 4096) % 3 == 1 ? 200000 : 777;
			ssize_t k;

			if (n > len - off)
				n = len - off;
			k = write(w, out + off, n);
			if (k <= 0)
				_exit(1);
			off += k;
		}
		_exit(0);
	}
	close(w);
	got = read_all(r, in, len + 1);
	for (i = 0; i < got && i < len; i++)
		if (in[i] != out[i]) {
			ok = 0;
			break;
		}
	waitpid(pid, &ws, 0);
	hc_check(got == len && ok && WIFEXITED(ws) && !WEXITSTATUS(ws),
		 "stream: 3 MiB through host cat intact",
		 "got %zu of %zu, first difference at %zu, writer 0x%x", got,
		 len, i, ws);
	hc_check(read(r, in, 10) == 0, "stream: end of stream after close",
		 "%s", strerror(errno));
	hc_check(wait_status(fd, h) == 0, "stream: host cat exits 0", "");
	close(r);
	release(fd, h);
	free(out);
	free(in);
}

/* the host reader goes away: EPIPE with SIGPIPE ignored, death by SIGPIPE
 * otherwise; closing our read end gives the host writer SIGPIPE */
static void pipes(int fd)
{
	static const char head[] = "head\0-c\0" "5\0";
	static const char yes[] = "yes\0";
	char buf[65536];
	long h = spawn(fd, head, sizeof(head) - 1, 3);
	int w = stream_fd(fd, h, 0, 0), st = 0, k, r;
	ssize_t n = 1;
	pid_t pid;

	memset(buf, 'x', sizeof(buf));
	hc_check(h >= 0 && w >= 0, "stream: spawn host head -c 5", "%ld %d", h, w);
	pid = fork();
	if (pid == 0) {
		for (k = 0; k < 1000; k++)
			if (write(w, buf, sizeof(buf)) < 0)
				_exit(2);
		_exit(3);
	}
	waitpid(pid, &st, 0);
	hc_check(WIFSIGNALED(st) && WTERMSIG(st) == SIGPIPE,
		 "stream: writer to a gone host reader dies of SIGPIPE",
		 "status 0x%x", st);
	signal(SIGPIPE, SIG_IGN);
	for (k = 0; k < 1000 && n > 0; k++)
		n = write(w, buf, sizeof(buf));
	hc_check(n < 0 && errno == EPIPE, "stream: EPIPE with SIGPIPE ignored",
		 "%zd %s", n, strerror(errno));
	signal(SIGPIPE, SIG_DFL);
	close(w);
	release(fd, h);

	h = spawn(fd, yes, sizeof(yes) - 1, 1);
	r = stream_fd(fd, h, 1, 0);
	n = read(r, buf, 100);
	hc_check(n > 0 && buf[0] == 'y', "stream: read host yes", "%zd", n);
	close(r);
	st = (int)wait_status(fd, h);
	hc_check(WIFSIGNALED(st) && WTERMSIG(st) == SIGPIPE,
		 "stream: closing the reader stops host yes by SIGPIPE",
		 "status 0x%x", st);
	release(fd, h);
}

/* small writes queued behind the writer reach a slow host reader after
 * the writer exited; a writer killed while the host does not read goes
 * at once */
static void behind(int fd)
{
	static const char slow[] = "sh\0-c\0sleep 1; exec cat\0";
	static const char sleep30[] = "sleep\0" "30\0";
	static unsigned char buf[300 * 1024], back[300 * 1024 + 1];
	long h = spawn(fd, slow, sizeof(slow) - 1, 3);
	int w = stream_fd(fd, h, 0, 0), r = stream_fd(fd, h, 1, 0), st = 0;
	size_t i, got;
	pid_t pid;
	time_t t0;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)(i % 251);
	pid = fork();
	if (pid == 0) {
		close(r);
		for (i = 0; i < sizeof(buf); i += 4096)
			if (write(w, buf + i, 4096) != 4096)
				_exit(1);
		_exit(0);	/* with bytes still queued in the driver */
	}
	close(w);
	got = read_all(r, back, sizeof(back));
	waitpid(pid, &st, 0);
	hc_check(got == sizeof(buf) && !memcmp(buf, back, got) &&
		 WIFEXITED(st) && !WEXITSTATUS(st),
		 "stream: 4 KiB writes reach a slow reader after the writer exits",
		 "got %zu of %zu, writer 0x%x", got, sizeof(buf), st);
	close(r);
	wait_status(fd, h);
	release(fd, h);

	h = spawn(fd, sleep30, sizeof(sleep30) - 1, 2);
	w = stream_fd(fd, h, 0, 0);
	pid = fork();
	if (pid == 0) {
		for (;;)
			if (write(w, buf, 4096) < 0)
				_exit(1);
	}
	close(w);
	sleep(2);	/* the host pipe is full, the queue too */
	t0 = time(NULL);
	kill(pid, SIGTERM);
	waitpid(pid, &st, 0);
	hc_check(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM && time(NULL) - t0 < 5,
		 "stream: a writer killed while the host does not read exits at once",
		 "status 0x%x after %lds", st, (long)(time(NULL) - t0));
	release(fd, h);
}

/* poll(2) and O_NONBLOCK: readable when the host has data, writable
 * while the driver can take more */
static void polling(int fd)
{
	static const char late[] = "sh\0-c\0sleep 1; echo x\0";
	static const char sleep30[] = "sleep\0" "30\0";
	static char buf[4096];
	long h = spawn(fd, late, sizeof(late) - 1, 3);
	int r = stream_fd(fd, h, 1, 0), w, n0, n1, k;
	time_t t0;
	struct pollfd p = { .fd = r, .events = POLLIN };
	ssize_t n;

	n0 = poll(&p, 1, 200);
	fcntl(r, F_SETFL, O_NONBLOCK);
	n = read(r, buf, sizeof(buf));
	hc_check(n0 == 0 && n < 0 && errno == EAGAIN,
		 "stream: not readable while the host is silent (poll 0, EAGAIN)",
		 "poll %d, read %zd %s", n0, n, strerror(errno));
	n1 = poll(&p, 1, 10000);
	n = read(r, buf, sizeof(buf));
	hc_check(n1 == 1 && (p.revents & POLLIN) && n == 2 && buf[0] == 'x',
		 "stream: poll wakes when the host writes; read gets it",
		 "poll %d revents 0x%x, read %zd", n1, p.revents, n);
	p.events = POLLIN;
	n1 = poll(&p, 1, 10000);
	n = read(r, buf, sizeof(buf));
	hc_check(n1 == 1 && n == 0, "stream: poll and read at end of stream",
		 "poll %d, read %zd", n1, n);
	close(r);
	wait_status(fd, h);
	release(fd, h);

	h = spawn(fd, sleep30, sizeof(sleep30) - 1, 2);
	w = stream_fd(fd, h, 0, 0);
	p.fd = w;
	p.events = POLLOUT;
	n0 = poll(&p, 1, 1000);
	fcntl(w, F_SETFL, O_NONBLOCK);
	/* fill until the host pipe, the send in flight and the queue are
	 * full: EAGAIN, then poll says when there is room again */
	for (k = 0, n1 = 1; k < 400 && n1 == 1;) {
		for (n = 1; k < 400 && n > 0; k++)
			n = write(w, buf, sizeof(buf));
		if (n >= 0 || errno != EAGAIN)
			break;
		n1 = poll(&p, 1, 500);
	}
	hc_check(n0 == 1 && n < 0 && errno == EAGAIN && n1 == 0 &&
		 k > 16 && k < 400,
		 "stream: writable until full, then EAGAIN and poll 0",
		 "poll %d, %d writes, last %zd %s, poll %d", n0, k, n,
		 strerror(errno), n1);
	/* what is queued stays queued for the host; close does not wait
	 * (sleep never reads), as closing a pipe does not */
	t0 = time(NULL);
	close(w);
	hc_check(time(NULL) - t0 < 3, "stream: close does not wait for a host that does not read",
		 "%lds", (long)(time(NULL) - t0));
	release(fd, h);
}

/* a signal interrupts a read that waits on a silent host process */
static void interrupt(int fd)
{
	struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART */
	static const char sleep30[] = "sleep\0" "30\0";
	long h = spawn(fd, sleep30, sizeof(sleep30) - 1, 2);
	int r = stream_fd(fd, h, 1, 0);
	char c;
	ssize_t n;

	sigaction(SIGALRM, &sa, NULL);
	alarm(1);
	n = read(r, &c, 1);
	hc_check(n < 0 && errno == EINTR, "stream: signal interrupts a read",
		 "%zd %s", n, strerror(errno));
	close(r);
	release(fd, h);
}

/* the stream keeps the session: output is readable after its fd closed */
static void outlive(void)
{
	static const char echo[] = "echo\0hello\0";
	int fd = open("/dev/hostcall", O_RDWR), r;
	char buf[64] = "";
	long h = spawn(fd, echo, sizeof(echo) - 1, 2);
	size_t n;

	r = stream_fd(fd, h, 1, 0);
	close(fd);
	n = read_all(r, (unsigned char *)buf, sizeof(buf) - 1);
	buf[n] = 0;
	hc_check(r >= 0 && !strcmp(buf, "hello\n"),
		 "stream: readable after the session fd closed", "'%s'", buf);
	close(r);
}

static void bad_args(int fd)
{
	static const char echo[] = "true\0";
	long h = spawn(fd, echo, sizeof(echo) - 1, 1);
	char c;
	int r;

	hc_check(stream_fd(fd, h, 3, 0) == -EINVAL,
		 "stream: stream 3 is EINVAL", "");
	hc_check(stream_fd(fd, -1, 1, 0) == -EINVAL,
		 "stream: handle -1 is EINVAL", "");
	hc_check(stream_fd(fd, h, 1, 0x80) == -EINVAL,
		 "stream: unknown flags are EINVAL", "");
	r = stream_fd(fd, 4000, 1, 0);
	hc_check(r >= 0 && read(r, &c, 1) < 0 && errno == EBADF,
		 "stream: a handle the host does not know reads EBADF",
		 "%d %s", r, strerror(errno));
	if (r >= 0)
		close(r);
	wait_status(fd, h);
	release(fd, h);
}

int main(void)
{
	int fd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	fd = open("/dev/hostcall", O_RDWR);
	if (fd < 0) {
		printf("FAIL: stream: open /dev/hostcall: %s\n", strerror(errno));
		return 1;
	}
	roundtrip(fd);
	pipes(fd);
	behind(fd);
	polling(fd);
	interrupt(fd);
	outlive();
	bad_args(fd);
	close(fd);
	return hc_failures ? 1 : 0;
}
