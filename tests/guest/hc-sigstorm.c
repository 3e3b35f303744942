// SPDX-License-Identifier: MIT
/*
 * hc-sigstorm: run a command in a process group of its own and pelt the
 * whole group with signals until the command exits.
 *
 *   hc-sigstorm stop|winch USEC [DELAY_MS] -- CMD [ARG]...
 *
 * stop:  SIGSTOP, then SIGCONT a third of USEC later, every USEC (Ctrl-Z
 *        and fg, very fast);
 * winch: SIGWINCH and SIGCHLD in turn, every USEC;
 * starting DELAY_MS (default 0) after CMD.
 * Prints "# storm: N signals" on stderr and exits with CMD's status
 * (128+N if a signal N killed it).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void nap(long usec)
{
	struct timespec ts = { usec / 1000000, (usec % 1000000) * 1000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int main(int argc, char **argv)
{
	long usec, delay = 0, n = 0;
	int stop, st = 0, cmd = 4;
	pid_t pid;

	if (argc > 4 && strcmp(argv[3], "--")) {
		delay = strtol(argv[3], NULL, 10);
		cmd = 5;
	}
	if (argc < cmd + 1 || strcmp(argv[cmd - 1], "--") ||
	    (strcmp(argv[1], "stop") && strcmp(argv[1], "winch"))) {
		fprintf(stderr, "usage: hc-sigstorm stop|winch USEC [DELAY_MS] -- CMD [ARG]...\n");
		return 2;
	}
	stop = !strcmp(argv[1], "stop");
	usec = strtol(argv[2], NULL, 10);
	if (usec < 100) {
		fprintf(stderr, "hc-sigstorm: USEC must be at least 100\n");
		return 2;
	}
	pid = fork();
	if (pid < 0) {
		perror("hc-sigstorm: fork");
		return 125;
	}
	if (pid == 0) {
		setpgid(0, 0);
		execvp(argv[cmd], argv + cmd);
		fprintf(stderr, "hc-sigstorm: %s: %s\n", argv[cmd],
			strerror(errno));
		_exit(127);
	}
	/* both sides set the group: no signal goes to ours meanwhile */
	setpgid(pid, pid);
	nap(delay * 1000);
	while (waitpid(pid, &st, WNOHANG) != pid) {
		if (stop) {
			kill(-pid, SIGSTOP);
			nap(usec / 3);
			kill(-pid, SIGCONT);
			nap(usec - usec / 3);
			n += 2;
		} else {
			kill(-pid, n & 1 ? SIGCHLD : SIGWINCH);
			nap(usec);
			n++;
		}
	}
	fprintf(stderr, "# storm: %ld signals\n", n);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return WEXITSTATUS(st);
}
