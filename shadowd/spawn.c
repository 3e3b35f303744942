/* SPDX-License-Identifier: MIT */
/* fork/exec of a shadow for one session, under the mapped credentials. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "session_policy.h"
#include "spawn.h"

#define MAX_GROUPS 256

void identity_comm(const struct hc_identity *id, char out[17])
{
	size_t i;

	for (i = 0; i < sizeof(id->comm) && id->comm[i]; i++) {
		unsigned char c = id->comm[i];
		out[i] = (c >= 0x20 && c < 0x7f && c != ' ') ? c : '?';
	}
	out[i] = 0;
}

static void child_fail(int st)
{
	int e = errno;

	/* The parent reads errno; EOF there means exec succeeded. */
	if (write(st, &e, sizeof(e)) < 0)
		_exit(126);
	_exit(127);
}

/* Runs in the forked child; never returns. Single-threaded parent, so
 * the libc calls here are safe. */
static void child(const char *path, const struct host_user *u,
		  gid_t *groups, int ngroups, int sock, int st, int pol,
		  int aud, const struct container *box, char **argv,
		  char **envp)
{
	sigset_t mask;
	int fd, sig;

	/* shadowd blocks SIGCHLD for its signalfd and ignores SIGPIPE: the
	 * shadow starts from defaults and sets up its own. The signals that
	 * end a shadow stay blocked across exec, so one sent before the
	 * shadow has its signalfd waits for it instead of killing it before
	 * it can clean up. */
	for (sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_SETMASK, &mask, NULL);

	/* Own process group: signals aimed at shadowd's group (^C on the
	 * terminal running QEMU) do not reach the shadow; its lifetime is
	 * its session socket. No PDEATHSIG: a shadow must outlive a crashed
	 * shadowd while QEMU still holds the session. */
	setpgid(0, 0);

	/* Move the fds clear of 0..6, then place them: 3 = session socket,
	 * 4 = status pipe (close-on-exec), 5 = the session's policy,
	 * 6 = the audit socket, everything else closed. */
	st = fcntl(st, F_DUPFD_CLOEXEC, 10);
	if (st < 0)
		_exit(127);
	sock = fcntl(sock, F_DUPFD, 10);
	pol = pol >= 0 ? fcntl(pol, F_DUPFD, 10) : -1;
	aud = aud >= 0 ? fcntl(aud, F_DUPFD, 10) : -1;
	if (sock < 0 || dup2(sock, 3) < 0)
		child_fail(st);
	if (dup3(st, 4, O_CLOEXEC) < 0)
		child_fail(st);
	st = 4;
	if ((pol >= 0 && dup2(pol, SHADOW_POLICY_FD) < 0) ||
	    (aud >= 0 && dup2(aud, SHADOW_AUDIT_FD) < 0))
		child_fail(st);
	fd = open("/dev/null", O_RDWR);
	if (fd < 0)
		child_fail(st);
	dup2(fd, 0);
	/* Keep shadowd's stderr for the shadow's log lines; make sure 1 and
	 * 2 are open so later fds never land there. */
	if (fcntl(1, F_GETFD) < 0)
		dup2(fd, 1);
	if (fcntl(2, F_GETFD) < 0)
		dup2(fd, 2);
	if (close_range(7, ~0U, 0) < 0) {
		for (fd = 7; fd < 1024; fd++)
			close(fd);
	}

	/* Into the session's container while we may (still root). */
	if (container_enter(box) < 0)
		child_fail(st);
	if (u->uid != geteuid() || u->gid != getegid()) {
		if (setgroups(ngroups, groups) < 0 || setgid(u->gid) < 0 ||
		    setuid(u->uid) < 0)
			child_fail(st);
		/* Verify: a half-dropped shadow must never run. */
		if (getuid() != u->uid || geteuid() != u->uid ||
		    getgid() != u->gid || getegid() != u->gid) {
			errno = EPERM;
			child_fail(st);
		}
		if (u->uid != 0 && setuid(0) == 0) {
			errno = EPERM;
			child_fail(st);
		}
	}

	/* The shadow starts in the user's home; "/" if it is unusable
	 * (e.g. nobody's /nonexistent). */
	if (chdir(u->home) < 0 && chdir("/") < 0)
		child_fail(st);

	execve(path, argv, envp);
	child_fail(st);
}

int shadow_spawn(const char *shadow_path, const struct host_user *u,
		 const struct hc_identity *id, uint32_t session,
		 const char *vm_name, int policy_fd, int audit_fd,
		 const struct container *box, pid_t *pid_out, int *fd_out,
		 int *status_fd)
{
	char s_session[16], s_guest[96], comm[17];
	char e_home[300], e_user[80], e_logname[80], e_shell[300], e_term[128];
	char *argv[12], *envp[8];
	gid_t groups[MAX_GROUPS];
	int ngroups = MAX_GROUPS, sv[2], st[2], e = 0, n = 0;
	const char *term = getenv("TERM");
	pid_t pid;

	identity_comm(id, comm);
	snprintf(s_session, sizeof(s_session), "%u", session);
	snprintf(s_guest, sizeof(s_guest), "uid=%u,gid=%u,pid=%u,comm=%s",
		 id->uid, id->gid, id->pid, comm);
	argv[n++] = "hostcall-shadow";
	argv[n++] = "--session";
	argv[n++] = s_session;
	argv[n++] = "--user";
	argv[n++] = (char *)u->name;
	argv[n++] = "--guest";
	argv[n++] = s_guest;
	argv[n++] = "--vm";
	argv[n++] = (char *)(vm_name ? vm_name : "");
	argv[n] = NULL;

	/* The shadow's base environment; spawned host commands inherit it. */
	n = 0;
	snprintf(e_home, sizeof(e_home), "HOME=%s", u->home);
	snprintf(e_user, sizeof(e_user), "USER=%s", u->name);
	snprintf(e_logname, sizeof(e_logname), "LOGNAME=%s", u->name);
	snprintf(e_shell, sizeof(e_shell), "SHELL=%s", u->shell);
	envp[n++] = e_home;
	envp[n++] = e_user;
	envp[n++] = e_logname;
	envp[n++] = e_shell;
	envp[n++] = "PATH=/usr/local/bin:/usr/bin:/bin";
	if (term && *term && strlen(term) < 100) {
		snprintf(e_term, sizeof(e_term), "TERM=%s", term);
		envp[n++] = e_term;
	}
	envp[n] = NULL;

	/* Supplementary groups of the target user, looked up before fork. */
	if (u->uid != geteuid() || u->gid != getegid()) {
		if (getgrouplist(u->name, u->gid, groups, &ngroups) < 0)
			return -E2BIG;
	} else {
		ngroups = 0;
	}

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	if (pipe2(st, O_CLOEXEC) < 0) {
		e = -errno;
		goto out_sock;
	}
	pid = fork();
	if (pid < 0) {
		e = -errno;
		goto out_pipe;
	}
	if (pid == 0) {
		close(sv[0]);
		close(st[0]);
		child(shadow_path, u, groups, ngroups, sv[1], st[1],
		      policy_fd, audit_fd, box, argv, envp);
	}
	setpgid(pid, pid);	/* also here: no window where it is in ours */
	close(sv[1]);
	close(st[1]);
	/* The child's chdir to the user's home may hang (a dead NFS or FUSE
	 * mount): shadowd never waits for it, it polls the status pipe. */
	fcntl(st[0], F_SETFL, O_NONBLOCK);
	*pid_out = pid;
	*fd_out = sv[0];
	*status_fd = st[0];
	return 0;

out_pipe:
	close(st[0]);
	close(st[1]);
out_sock:
	close(sv[0]);
	close(sv[1]);
	return e;
}

int shadow_spawn_status(int status_fd)
{
	ssize_t r;
	int e;

	do
		r = read(status_fd, &e, sizeof(e));
	while (r < 0 && errno == EINTR);
	if (r < 0 && errno == EAGAIN)
		return 1;
	if (r == 0)
		return 0;
	/* The child failed before exec and exits at once. */
	if (r != sizeof(e) || e <= 0)
		e = EIO;
	return -e;
}
