// SPDX-License-Identifier: MIT
/*
 * hcvm-agent: the guest half of `hcvm exec`. Started by the image's init
 * when the kernel command line says hcvm.mode=exec. Reads one HCVM_EXEC
 * frame from the virtio-serial port, runs the command as the requested
 * guest uid with pipes for stdin/stdout/stderr, relays them as frames and
 * ends with HCVM_EXIT. init powers the guest off afterwards.
 *
 * `hcvm-agent --console TTY` (hcvm run) only applies the host terminal's
 * size, sent as HCVM_WINSIZE frames, to the guest console TTY.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "frame.h"

#define STDIN_HIGH (1u << 20)	/* stop reading the port past this backlog */

static int port;
static struct bq out;		/* frames to the host */

static void die(const char *msg)
{
	char line[512];
	int n = snprintf(line, sizeof(line), "hcvm-agent: %s\n", msg);

	frame_put(&out, HCVM_ERROR, line, (size_t)n);
	int32_t st = 125;
	frame_put(&out, HCVM_EXIT, &st, sizeof(st));
	fcntl(port, F_SETFL, 0);
	bq_flush(&out, port);
	exit(1);
}

static int open_port(void)
{
	DIR *d = opendir("/sys/class/virtio-ports");
	struct dirent *e;
	char path[300], name[64];

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/class/virtio-ports/%s/name", e->d_name);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(name, sizeof(name), f) && !strncmp(name, HCVM_PORT_NAME "\n", 5)) {
			fclose(f);
			snprintf(path, sizeof(path), "/dev/%s", e->d_name);
			closedir(d);
			return open(path, O_RDWR | O_CLOEXEC);
		}
		fclose(f);
	}
	closedir(d);
	errno = ENOENT;
	return -1;
}

/* Fields of the /etc/passwd line for uid: gid, home; and the group list. */
static void lookup_user(unsigned uid, unsigned *gid, char *home, size_t hsz,
			gid_t *groups, int *ngroups)
{
	char line[512], user[64] = "";
	FILE *f = fopen("/etc/passwd", "r");

	*gid = uid;
	snprintf(home, hsz, "/");
	*ngroups = 0;
	while (f && fgets(line, sizeof(line), f)) {
		char *save, *name = strtok_r(line, ":", &save);
		strtok_r(NULL, ":", &save);
		char *u = strtok_r(NULL, ":", &save), *g = strtok_r(NULL, ":", &save);
		strtok_r(NULL, ":", &save);
		char *h = strtok_r(NULL, ":", &save);
		if (name && u && g && (unsigned)atoi(u) == uid) {
			*gid = (unsigned)atoi(g);
			snprintf(user, sizeof(user), "%s", name);
			if (h)
				snprintf(home, hsz, "%s", h);
			break;
		}
	}
	if (f)
		fclose(f);
	groups[(*ngroups)++] = *gid;
	f = user[0] ? fopen("/etc/group", "r") : NULL;
	while (f && fgets(line, sizeof(line), f) && *ngroups < 32) {
		line[strcspn(line, "\n")] = 0;
		char *save, *name = strtok_r(line, ":", &save);
		strtok_r(NULL, ":", &save);
		char *g = strtok_r(NULL, ":", &save), *members = strtok_r(NULL, ":", &save);
		if (!name || !g || !members)
			continue;
		for (char *s2, *m = strtok_r(members, ",", &s2); m; m = strtok_r(NULL, ",", &s2))
			if (!strcmp(m, user))
				groups[(*ngroups)++] = (gid_t)atoi(g);
	}
	if (f)
		fclose(f);
}

static pid_t start(unsigned uid, char **argv, int fds[3])
{
	int in[2], o[2], e[2];
	unsigned gid;
	char home[256];
	gid_t groups[33];
	int ng;

	if (pipe2(in, O_CLOEXEC) || pipe2(o, O_CLOEXEC) || pipe2(e, O_CLOEXEC))
		die("pipe failed");
	lookup_user(uid, &gid, home, sizeof(home), groups, &ng);
	pid_t pid = fork();
	if (pid < 0)
		die("fork failed");
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(o[1], 1);
		dup2(e[1], 2);
		signal(SIGPIPE, SIG_DFL);
		if (setgroups((size_t)ng, groups) || setgid(gid) || setuid(uid)) {
			fprintf(stderr, "hcvm: cannot become uid %u: %s\n", uid, strerror(errno));
			_exit(126);
		}
		if (chdir(home))
			chdir("/");
		setenv("HOME", home, 1);
		setenv("PATH", "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", 1);
		execvp(argv[0], argv);
		int err = errno;
		fprintf(stderr, "hcvm: %s: %s\n", argv[0],
			err == ENOENT ? "command not found" : strerror(err));
		_exit(err == ENOENT ? 127 : 126);
	}
	close(in[0]);
	close(o[1]);
	close(e[1]);
	fds[0] = in[1];
	fds[1] = o[0];
	fds[2] = e[0];
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	return pid;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Console mode: set TTY's size from each HCVM_WINSIZE frame until EOF. */
static int console(const char *tty)
{
	struct bq in = { 0 };
	const char *data;
	uint32_t type, len;
	int fd = open(tty, O_RDWR | O_NOCTTY | O_CLOEXEC), r;

	if (fd < 0) {
		perror(tty);
		return 1;
	}
	for (;;) {
		while ((r = frame_next(&in, &type, &data, &len)) == 1) {
			struct hcvm_winsize w;
			struct winsize ws = { 0 };

			if (type == HCVM_WINSIZE && len == sizeof(w)) {
				memcpy(&w, data, sizeof(w));
				ws.ws_row = w.rows;
				ws.ws_col = w.cols;
				/* the tty sends SIGWINCH to its foreground job */
				if (ioctl(fd, TIOCSWINSZ, &ws) < 0)
					perror("hcvm-agent: TIOCSWINSZ");
			}
			frame_done(&in, len);
		}
		if (r < 0) {
			fprintf(stderr, "hcvm-agent: bad frame from host\n");
			return 1;
		}
		if (bq_fill(&in, port, sizeof(struct hcvm_frame) + HCVM_MAX_FRAME) <= 0)
			return 0;	/* the host closed the port */
	}
}

int main(int ac, char **av)
{
	struct bq in = { 0 }, stdin_q = { 0 };
	uint32_t type, len;
	const char *data;
	int fds[3], stdin_eof = 0, r;
	pid_t pid = 0;
	int status = -1;
	double exited_at = 0;

	signal(SIGPIPE, SIG_IGN);
	port = open_port();
	if (ac == 3 && !strcmp(av[1], "--console"))
		return port < 0 ? 0 : console(av[2]);	/* no port: no size */
	if (ac != 1) {
		fprintf(stderr, "usage: hcvm-agent [--console TTY]\n");
		return 2;
	}
	if (port < 0) {
		perror("hcvm-agent: virtio port " HCVM_PORT_NAME);
		return 1;
	}
	/* The first frame must be HCVM_EXEC. */
	while ((r = frame_next(&in, &type, &data, &len)) == 0)
		if (bq_fill(&in, port, sizeof(struct hcvm_frame) + HCVM_MAX_FRAME) <= 0)
			die("port closed before the command arrived");
	if (r < 0 || type != HCVM_EXEC || len < 8)
		die("bad first frame");
	uint32_t uid, argc;
	memcpy(&uid, data, 4);
	memcpy(&argc, data + 4, 4);
	if (argc < 1 || argc > 4096 || data[len - 1] != 0)
		die("bad command frame");
	char **argv = calloc(argc + 1, sizeof(char *));
	const char *p = data + 8, *end = data + len;
	for (uint32_t i = 0; i < argc; i++) {
		if (p >= end)
			die("bad command frame");
		argv[i] = strdup(p);
		p += strlen(p) + 1;
	}
	frame_done(&in, len);
	pid = start(uid, argv, fds);
	fcntl(port, F_SETFL, O_NONBLOCK);

	while (fds[1] >= 0 || fds[2] >= 0 || pid > 0) {
		struct pollfd pf[4] = {
			{ .fd = port, .events = (stdin_q.len < STDIN_HIGH ? POLLIN : 0) |
						(out.len ? POLLOUT : 0) },
			{ .fd = stdin_q.len ? fds[0] : -1, .events = POLLOUT },
			{ .fd = out.len < STDIN_HIGH ? fds[1] : -1, .events = POLLIN },
			{ .fd = out.len < STDIN_HIGH ? fds[2] : -1, .events = POLLIN },
		};
		poll(pf, 4, 100);
		if ((pf[0].revents & POLLIN) && bq_fill(&in, port, 65536) == 0)
			stdin_eof = 1;	/* host went away: treat as EOF */
		/* frames may already wait in `in`, read with the EXEC frame */
		while ((r = frame_next(&in, &type, &data, &len)) == 1) {
			if (type == HCVM_STDIN && fds[0] >= 0)
				bq_put(&stdin_q, data, len);
			else if (type == HCVM_STDIN_EOF)
				stdin_eof = 1;
			frame_done(&in, len);
		}
		if (r < 0)
			die("bad frame from host");
		if (fds[0] >= 0 && stdin_q.len && bq_flush(&stdin_q, fds[0]) < 0) {
			bq_free(&stdin_q);	/* reader gone (EPIPE): drop input */
			close(fds[0]);
			fds[0] = -1;
		}
		if (fds[0] >= 0 && stdin_eof && !stdin_q.len) {
			close(fds[0]);
			fds[0] = -1;
		}
		for (int i = 1; i <= 2; i++) {
			if (fds[i] < 0 || !(pf[1 + i].revents & (POLLIN | POLLHUP)))
				continue;
			char buf[HCVM_MAX_FRAME];
			ssize_t n = read(fds[i], buf, sizeof(buf));
			if (n <= 0) {
				close(fds[i]);
				fds[i] = -1;
			} else {
				frame_put(&out, i == 1 ? HCVM_STDOUT : HCVM_STDERR, buf, (size_t)n);
			}
		}
		if (out.len && bq_flush(&out, port) < 0)
			return 1;
		if (pid > 0 && waitpid(pid, &status, WNOHANG) == pid) {
			pid = 0;
			exited_at = now();
		}
		/* A background child may hold the pipes open; do not wait forever. */
		if (!pid && exited_at && now() - exited_at > 2.0)
			break;
	}
	int32_t code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	frame_put(&out, HCVM_EXIT, &code, sizeof(code));
	fcntl(port, F_SETFL, 0);
	if (bq_flush(&out, port) < 0)
		return 1;
	return 0;
}
