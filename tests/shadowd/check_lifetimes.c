/* SPDX-License-Identifier: MIT */
/*
 * Lifetimes of the shadow's handles: a process handle's signals reach its
 * own process group and nothing that got the number later; a file handle
 * closed and its slot reused names nothing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "checks.h"

/* The state letter of pid in /proc, or 0 when it is gone. */
static char proc_state(pid_t pid)
{
	char path[64], buf[512], *rp;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	rp = strrchr(buf, ')');
	return rp && rp[1] == ' ' ? rp[2] : 0;
}

/*
 * A child of ours whose pid is want, in a process group of its own (as a
 * host command's group would be), when ns_last_pid lets us ask for that
 * number (root); else any pid. Returns the child (killed by the caller).
 */
static pid_t victim_at(pid_t want)
{
	int tries, fd, asked;
	pid_t pid = -1;
	char num[16];

	for (tries = 0;; tries++) {
		asked = 0;
		fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY);
		if (fd >= 0) {
			snprintf(num, sizeof(num), "%d", (int)want - 1);
			asked = write(fd, num, strlen(num)) > 0;
			close(fd);
		}
		pid = fork();
		if (pid == 0) {
			setpgid(0, 0);
			for (;;)
				pause();
		}
		if (pid == want || !asked || tries >= 49)
			break;
		/* Someone else took the number meanwhile: again. */
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	setpgid(pid, pid);
	return pid;
}

/*
 * Before: WAIT reaped the leader and SIGNAL/RELEASE ran kill(-pid), so a
 * new process group that got the number took the SIGKILL.
 */
static void check_pgid_reuse(struct sess *s)
{
	char *argv[] = { "sh", "-c", "exit 5", NULL };
	const char *name = "proc: a reused pid never gets the handle's signals";
	int64_t h, r, sig, rel;
	pid_t pid = -1, v, wr;
	char st;
	int ws, alive, root = access("/proc/sys/kernel/ns_last_pid", W_OK) == 0;

	h = spawn(s, NULL, argv, NULL, 0, &pid);
	r = h >= 0 ? call0(s, T_PROC, HC_PROC_WAIT, h, 0, NULL, 0) : h;
	st = pid > 0 ? proc_state(pid) : 0;
	CHECK("proc: an exited leader stays a zombie until RELEASE",
	      h >= 0 && WIFEXITED(r) && WEXITSTATUS(r) == 5 && st == 'Z',
	      "spawn %lld wait %lld state '%c'", (long long)h, (long long)r,
	      st ? st : '-');
	if (h < 0)
		return;
	r = call0(s, T_PROC, HC_PROC_WAIT, h, 0, NULL, 0);
	CHECK("proc: WAIT again gives the same status", WIFEXITED(r) &&
	      WEXITSTATUS(r) == 5, "wait %lld", (long long)r);
	v = victim_at(pid);
	sig = call0(s, T_PROC, HC_PROC_SIGNAL, h, SIGKILL, NULL, 0);
	rel = call0(s, T_PROC, HC_PROC_RELEASE, h, 0, NULL, 0);
	msleep(50);
	ws = 0;
	wr = v > 0 ? waitpid(v, &ws, WNOHANG) : -1;
	alive = wr == 0;
	if (!root)
		skip(name, "needs root (ns_last_pid) to hand the number to "
		     "another process");
	else
		/* Fixed, the number is not handed out while the handle
		 * lives (v != pid; then a kill of v is another shadow's doing:
		 * test runs overlap on this machine). */
		CHECK(name, (v != pid || alive) && sig == 0 && rel == 0,
		      "victim %d (wanted %d) %s (waitpid %d: %s, status "
		      "0x%x), signal %lld release %lld", (int)v, (int)pid,
		      alive ? "alive" : "gone", (int)wr,
		      wr < 0 ? strerror(errno) : "-", ws, (long long)sig,
		      (long long)rel);
	if (v > 0) {
		kill(v, SIGKILL);
		waitpid(v, NULL, 0);
	}
	for (ws = 0; ws < 50 && proc_state(pid) == 'Z'; ws++)
		msleep(20);
	st = proc_state(pid);
	CHECK("proc: RELEASE reaps the leader", st != 'Z',
	      "pid %d state '%c'", (int)pid, st);
}

/* After the leader exits, SIGNAL still reaches the members it left. */
static void check_group_after_exit(struct sess *s)
{
	char *argv[] = { "sh", "-c", "sleep 100 >/dev/null & echo $!; exit 0", NULL };
	char *out = NULL;
	int64_t h, w, r;
	pid_t member = 0;
	int i;

	h = spawn(s, NULL, argv, NULL, 0, NULL);
	if (h >= 0 && read_all(s, h, 1, &out) > 0)
		member = atoi(out);
	w = h >= 0 ? call0(s, T_PROC, HC_PROC_WAIT, h, 0, NULL, 0) : h;
	r = h >= 0 ? call0(s, T_PROC, HC_PROC_SIGNAL, h, SIGKILL, NULL,
			   0) : h;
	for (i = 0; i < 100 && member > 0 && proc_state(member) &&
	     proc_state(member) != 'Z'; i++)
		msleep(20);
	CHECK("proc: SIGNAL after the leader exited reaches its group",
	      member > 0 && WIFEXITED(w) && r == 0 &&
	      (!proc_state(member) || proc_state(member) == 'Z'),
	      "member %d wait %lld signal %lld state '%c'", (int)member,
	      (long long)w, (long long)r,
	      member > 0 && proc_state(member) ? proc_state(member) : '-');
	free(out);
	if (h >= 0)
		call0(s, T_PROC, HC_PROC_RELEASE, h, 0, NULL, 0);
}

/* Before: fs handles were bare slots; a closed one read the next file. */
static void check_file_generation(struct sess *s)
{
	char a[] = "/tmp/hc-gen-a-XXXXXX", b[] = "/tmp/hc-gen-b-XXXXXX";
	unsigned char *out = NULL;
	int64_t h1, h2, r, c;
	int fa = mkstemp(a), fb = mkstemp(b);

	if (fa < 0 || fb < 0 || write(fb, "secret", 6) != 6) {
		fail("fs: a closed handle names nothing", "setup");
		return;
	}
	close(fa);
	close(fb);
	h1 = path_call(s, T_FS, HC_FS_OPEN, O_RDONLY, 0, a);
	c = call0(s, T_FS, HC_FS_CLOSE, h1, 0, NULL, 0);
	h2 = path_call(s, T_FS, HC_FS_OPEN, O_RDONLY, 0, b);
	r = call(s, T_FS, HC_FS_READ, h1, 0, 0, NULL, 0, 100, &out, NULL);
	CHECK("fs: a closed handle names nothing", h1 >= 0 && c == 0 &&
	      h2 >= 0 && h2 != h1 && r == -EBADF,
	      "old %lld new %lld, read through the old one %lld '%s'",
	      (long long)h1, (long long)h2, (long long)r,
	      out ? (char *)out : "");
	free(out);
	r = call0(s, T_FS, HC_FS_CLOSE, h1, 0, NULL, 0);
	CHECK("fs: closing a stale handle leaves the new file open",
	      r == -EBADF && call(s, T_FS, HC_FS_PREAD, h2, 0, 0, NULL,
				  0, 6, NULL, NULL) == 6, "close %lld",
	      (long long)r);
	call0(s, T_FS, HC_FS_CLOSE, h2, 0, NULL, 0);
	unlink(a);
	unlink(b);
}

void check_lifetimes(struct sess *s)
{
	check_pgid_reuse(s);
	check_group_after_exit(s);
	check_file_generation(s);
}
