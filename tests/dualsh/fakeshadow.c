// SPDX-License-Identifier: MIT
/*
 * fakeshadow SOCKET [HOME]: serves the host-call ops dualsh uses (BIND, "sys",
 * "proc" with STDIN_PROC, MERGE_ERR and PTY, "fs") on a unix
 * socket, for the host-run tests. Each connection is a session in its own
 * forked process (its own cwd, its own children), like a shadow; each call
 * runs in its own thread. Not a security boundary: a test double only.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <pty.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "fakehc.h"

#define MAXH 256

struct hproc {
	bool used, pty, waited;
	pid_t pid;
	int fd[3];		/* our ends: stdin (write), stdout, stderr */
	int status;
	pthread_mutex_t wait_lock;
};

static struct hproc procs[MAXH];
static int files[MAXH];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

struct call {
	struct fakehc_req *rq;
	int reply;
};

static int64_t do_spawn(struct fakehc_req *rq, char *out, uint32_t *used)
{
	char *in = (char *)(rq + 1), *end = in + rq->in_len, *p = in;
	int argc = (int)rq->args[0], envc = (int)rq->args[1], i, h;
	unsigned flags = (unsigned)rq->args[2];
	char **argv, **env, *cwd = NULL;
	int ep[2], sin[2] = { -1, -1 }, sout[2] = { -1, -1 }, serr[2] = { -1, -1 };
	int master = -1, slave = -1, e = 0;
	pid_t pid;

	if (argc < 1 || envc < 0 || argc > 4096 || envc > 4096)
		return -EINVAL;
	argv = calloc(argc + 1, sizeof(char *));
	env = calloc(envc + 1, sizeof(char *));
	if (flags & HC_SPAWN_F_CWD) {
		cwd = p;
		p += strnlen(p, end - p) + 1;
	}
	for (i = 0; i < argc && p < end; i++) {
		argv[i] = p;
		p += strnlen(p, end - p) + 1;
	}
	for (i = 0; i < envc && p < end; i++) {
		env[i] = p;
		p += strnlen(p, end - p) + 1;
	}
	pthread_mutex_lock(&lock);
	for (h = 0; h < MAXH && procs[h].used; h++)
		;
	if (h == MAXH) {
		pthread_mutex_unlock(&lock);
		free(argv);
		free(env);
		return -EMFILE;
	}
	if (flags & HC_SPAWN_F_PTY) {
		struct winsize ws = { .ws_row = (unsigned short)(rq->args[3] >> 16),
				      .ws_col = (unsigned short)(rq->args[3] & 0xffff) };

		if (openpty(&master, &slave, NULL, NULL, &ws) < 0) {
			e = errno;
			goto fail;
		}
	} else {
		if (flags & HC_SPAWN_F_STDIN_PROC) {
			int src = (int)rq->args[3];

			if (src < 0 || src >= MAXH || !procs[src].used || procs[src].fd[1] < 0) {
				e = EBADF;
				goto fail;
			}
			sin[0] = procs[src].fd[1];
			procs[src].fd[1] = -1;
		} else if (pipe2(sin, O_CLOEXEC) < 0) {
			e = errno;
			goto fail;
		}
		if (pipe2(sout, O_CLOEXEC) < 0 ||
		    (!(flags & HC_SPAWN_F_MERGE_ERR) && pipe2(serr, O_CLOEXEC) < 0)) {
			e = errno;
			goto fail;
		}
	}
	if (pipe2(ep, O_CLOEXEC) < 0) {
		e = errno;
		goto fail;
	}
	pid = fork();
	if (pid == 0) {
		setsid();
		if (master >= 0) {
			ioctl(slave, TIOCSCTTY, 0);
			dup2(slave, 0);
			dup2(slave, 1);
			dup2(slave, 2);
		} else {
			dup2(sin[0], 0);
			dup2(sout[1], 1);
			dup2(serr[1] >= 0 ? serr[1] : sout[1], 2);
		}
		/* a host command starts clean: default dispositions, no mask */
		for (i = 1; i < 32; i++)
			signal(i, SIG_DFL);
		{
			sigset_t none;

			sigemptyset(&none);
			sigprocmask(SIG_SETMASK, &none, NULL);
		}
		if (cwd && chdir(cwd) < 0)
			goto child_fail;
		for (i = 0; env[i]; i++)
			putenv(env[i]);
		execvp(argv[0], argv);
child_fail:
		e = errno;
		if (write(ep[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	close(ep[1]);
	if (pid < 0 || read(ep[0], &e, sizeof(e)) == sizeof(e)) {
		if (pid > 0)
			waitpid(pid, NULL, 0);
		else
			e = errno;
		close(ep[0]);
		goto fail;
	}
	close(ep[0]);
	memset(&procs[h], 0, sizeof(procs[h]));
	procs[h].used = true;
	procs[h].pid = pid;
	pthread_mutex_init(&procs[h].wait_lock, NULL);
	if (master >= 0) {
		close(slave);
		procs[h].pty = true;
		procs[h].fd[0] = master;
		procs[h].fd[1] = dup(master);
		procs[h].fd[2] = -1;
	} else {
		close(sin[0]);
		close(sout[1]);
		if (serr[1] >= 0)
			close(serr[1]);
		procs[h].fd[0] = sin[1];
		procs[h].fd[1] = sout[0];
		procs[h].fd[2] = serr[0];
	}
	pthread_mutex_unlock(&lock);
	{
		struct hc_spawn_info si = { .pid = pid };

		memcpy(out, &si, sizeof(si));
		*used = sizeof(si);
	}
	free(argv);
	free(env);
	return h;
fail:
	pthread_mutex_unlock(&lock);
	if (master >= 0) {
		close(master);
		close(slave);
	}
	if (!(flags & HC_SPAWN_F_STDIN_PROC) && sin[0] >= 0)
		close(sin[0]);
	else if (sin[0] >= 0)
		close(sin[0]);
	if (sin[1] >= 0)
		close(sin[1]);
	if (sout[0] >= 0) {
		close(sout[0]);
		close(sout[1]);
	}
	if (serr[0] >= 0) {
		close(serr[0]);
		close(serr[1]);
	}
	free(argv);
	free(env);
	return -e;
}

static struct hproc *getp(int64_t h)
{
	if (h < 0 || h >= MAXH || !procs[h].used)
		return NULL;
	return &procs[h];
}

static int64_t do_proc(struct fakehc_req *rq, char *out, uint32_t *used)
{
	struct hproc *p;
	int fd, stream = (int)rq->args[1];
	ssize_t r;

	if (rq->op == HC_PROC_SPAWN)
		return do_spawn(rq, out, used);
	p = getp(rq->args[0]);
	if (!p)
		return -EBADF;
	switch (rq->op) {
	case HC_PROC_READ:
		if (stream != 1 && stream != 2)
			return -EINVAL;
		fd = p->fd[stream];
		if (fd < 0)
			return 0;
		do
			r = read(fd, out, rq->out_len);
		while (r < 0 && errno == EINTR);
		if (r < 0)
			return errno == EIO ? 0 : -errno;
		*used = r;
		return r;
	case HC_PROC_WRITE:
		fd = p->fd[0];
		if (fd < 0)
			return -EPIPE;
		r = write(fd, rq + 1, rq->in_len);
		return r < 0 ? -errno : r;
	case HC_PROC_CLOSE:
		if (stream < 0 || stream > 2)
			return -EINVAL;
		if (p->pty && stream == 0) {
			char eot = 4;

			if (write(p->fd[0], &eot, 1) < 0)
				return -errno;
			return 0;
		}
		pthread_mutex_lock(&lock);
		fd = p->fd[stream];
		p->fd[stream] = -1;
		pthread_mutex_unlock(&lock);
		if (fd >= 0)
			close(fd);
		return 0;
	case HC_PROC_SIGNAL:
		if (p->waited)
			return -ESRCH;
		return kill(-p->pid, (int)rq->args[1]) < 0 ? -errno : 0;
	case HC_PROC_WAIT:
		pthread_mutex_lock(&p->wait_lock);
		if (!p->waited) {
			int st;

			while (waitpid(p->pid, &st, 0) < 0 && errno == EINTR)
				;
			p->status = st;
			p->waited = true;
		}
		pthread_mutex_unlock(&p->wait_lock);
		return p->status;
	case HC_PROC_RELEASE:
		if (!p->waited) {
			kill(-p->pid, SIGKILL);
			pthread_mutex_lock(&p->wait_lock);
			if (!p->waited)
				waitpid(p->pid, &p->status, 0);
			p->waited = true;
			pthread_mutex_unlock(&p->wait_lock);
		} else {
			kill(-p->pid, SIGKILL);
		}
		pthread_mutex_lock(&lock);
		for (fd = 0; fd < 3; fd++)
			if (p->fd[fd] >= 0)
				close(p->fd[fd]);
		p->used = false;
		pthread_mutex_unlock(&lock);
		return 0;
	case HC_PROC_RESIZE: {
		struct winsize ws = { .ws_row = (unsigned short)(rq->args[1] >> 16),
				      .ws_col = (unsigned short)(rq->args[1] & 0xffff) };

		if (!p->pty)
			return -ENOTTY;
		return ioctl(p->fd[0], TIOCSWINSZ, &ws) < 0 ? -errno : 0;
	}
	}
	return -ENOSYS;
}

static int64_t do_fs(struct fakehc_req *rq, char *out, uint32_t *used)
{
	char *path = (char *)(rq + 1);
	int64_t h = rq->args[0];
	ssize_t r;
	int fd, i;

	if (rq->in_len && (rq->op == HC_FS_OPEN || rq->op == HC_FS_STAT ||
			   rq->op == HC_FS_MKDIR || rq->op == HC_FS_UNLINK))
		path[rq->in_len - 1] = 0;
	switch (rq->op) {
	case HC_FS_OPEN:
		fd = open(path, (int)rq->args[0] | O_CLOEXEC, (mode_t)rq->args[1]);
		if (fd < 0)
			return -errno;
		pthread_mutex_lock(&lock);
		for (i = 0; i < MAXH && files[i]; i++)
			;
		if (i < MAXH)
			files[i] = fd + 1;
		pthread_mutex_unlock(&lock);
		if (i == MAXH) {
			close(fd);
			return -EMFILE;
		}
		return i;
	case HC_FS_STAT: {
		struct stat st;
		struct hc_stat hs = { 0 };

		if (((rq->args[0] & HC_STAT_F_NOFOLLOW) ? lstat(path, &st) : stat(path, &st)) < 0)
			return -errno;
		hs.mode = st.st_mode;
		hs.size = st.st_size;
		hs.ino = st.st_ino;
		memcpy(out, &hs, sizeof(hs));
		*used = sizeof(hs);
		return 0;
	}
	case HC_FS_MKDIR:
		return mkdir(path, (mode_t)rq->args[0]) < 0 ? -errno : 0;
	case HC_FS_UNLINK:
		return ((rq->args[0] & HC_UNLINK_F_DIR) ? rmdir(path) : unlink(path)) < 0 ? -errno : 0;
	}
	if (h < 0 || h >= MAXH || !files[h])
		return -EBADF;
	fd = files[h] - 1;
	switch (rq->op) {
	case HC_FS_READ:
		r = read(fd, out, rq->out_len);
		break;
	case HC_FS_WRITE:
		r = write(fd, rq + 1, rq->in_len);
		return r < 0 ? -errno : r;
	case HC_FS_READDIR:
		r = syscall(SYS_getdents64, fd, out, rq->out_len);
		break;
	case HC_FS_CLOSE:
		files[h] = 0;
		close(fd);
		return 0;
	default:
		return -ENOSYS;
	}
	if (r < 0)
		return -errno;
	*used = r;
	return r;
}

static int64_t do_sys(struct fakehc_req *rq, char *out, uint32_t *used)
{
	char buf[4096];

	switch (rq->op) {
	case HC_SYS_PING:
		memcpy(out, rq + 1, rq->in_len < rq->out_len ? rq->in_len : rq->out_len);
		*used = rq->in_len < rq->out_len ? rq->in_len : rq->out_len;
		return *used;
	case HC_SYS_INFO: {
		struct hc_sys_info si = { .abi_version = HC_ABI_VERSION,
					  .host_uid = getuid(), .host_gid = getgid(),
					  .shadow_pid = getpid() };

		strcpy(si.host_user, "fake");
		strcpy(si.hostname, "fakehost");
		if (getcwd(buf, sizeof(buf)))
			strncpy(si.cwd, buf, sizeof(si.cwd) - 1);
		memcpy(out, &si, sizeof(si) < rq->out_len ? sizeof(si) : rq->out_len);
		*used = sizeof(si) < rq->out_len ? sizeof(si) : rq->out_len;
		return 0;
	}
	case HC_SYS_CHDIR:
		((char *)(rq + 1))[rq->in_len - 1] = 0;
		return chdir((char *)(rq + 1)) < 0 ? -errno : 0;
	case HC_SYS_GETCWD:
		if (!getcwd(buf, sizeof(buf)))
			return -errno;
		if (strlen(buf) > rq->out_len)
			return -ERANGE;
		memcpy(out, buf, strlen(buf));
		*used = strlen(buf);
		return strlen(buf);
	}
	return -ENOSYS;
}

/* The built-in modules by name, at fixed handles (a shadow's come from
 * its binding table; libhostcall never assumes them). */
enum { FAKE_SYS = 1, FAKE_PROC = 2, FAKE_FS = 3 };

static int64_t do_session(const struct fakehc_req *rq)
{
	static const char *const names[] = { "sys", "proc", "fs" };
	const char *in = (const char *)(rq + 1);
	int i;

	if (rq->op == HC_SESSION_UNBIND)
		return rq->args[0] >= FAKE_SYS && rq->args[0] <= FAKE_FS ?
		       0 : -EBADF;
	if (rq->op != HC_SESSION_BIND)
		return -ENOSYS;
	for (i = 0; i < 3; i++)
		if (rq->in_len == strlen(names[i]) &&
		    !memcmp(in, names[i], rq->in_len))
			return rq->args[0] == 1 ? FAKE_SYS + i : -EPROTO;
	return -ENOENT;
}

static void *serve(void *arg)
{
	struct call *c = arg;
	struct fakehc_req *rq = c->rq;
	char *rep = calloc(1, sizeof(struct fakehc_rep) + rq->out_len);
	struct fakehc_rep *h = (void *)rep;
	uint32_t used = 0;
	int64_t r;

	switch (rq->module) {
	case HC_MOD_SESSION: r = do_session(rq); break;
	case FAKE_SYS: r = do_sys(rq, rep + sizeof(*h), &used); break;
	case FAKE_PROC: r = do_proc(rq, rep + sizeof(*h), &used); break;
	case FAKE_FS: r = do_fs(rq, rep + sizeof(*h), &used); break;
	default: r = -EBADF;
	}
	h->result = r;
	h->out_used = used;
	if (send(c->reply, rep, sizeof(*h) + used, MSG_NOSIGNAL) < 0)
		perror("fakeshadow: reply");
	close(c->reply);
	free(rep);
	free(rq);
	free(c);
	return NULL;
}

static void session(int fd)
{
	size_t max = sizeof(struct fakehc_req) + HC_MAX_DATA;
	int i;

	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		struct fakehc_req *rq = malloc(max);
		char cbuf[CMSG_SPACE(sizeof(int))];
		struct iovec iov = { rq, max };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
				     .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
		struct cmsghdr *cm;
		struct call *c;
		pthread_t t;
		ssize_t r;

		r = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
		if (r < 0 && errno == EINTR) {
			free(rq);
			continue;
		}
		if (r <= 0) {
			free(rq);
			break;
		}
		cm = CMSG_FIRSTHDR(&mh);
		if (!cm || cm->cmsg_type != SCM_RIGHTS || r < (ssize_t)sizeof(*rq)) {
			free(rq);
			continue;
		}
		c = malloc(sizeof(*c));
		c->rq = rq;
		memcpy(&c->reply, CMSG_DATA(cm), sizeof(int));
		pthread_create(&t, NULL, serve, c);
		pthread_detach(t);
	}
	/* the session ends: so does everything it started */
	for (i = 0; i < MAXH; i++)
		if (procs[i].used && !procs[i].waited)
			kill(-procs[i].pid, SIGKILL);
	_exit(0);
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int ls;

	if (argc < 2) {
		fprintf(stderr, "usage: fakeshadow SOCKET [HOME]\n");
		return 2;
	}
	if (argc > 2 && chdir(argv[2]) < 0) {
		perror(argv[2]);
		return 1;
	}
	signal(SIGCHLD, SIG_DFL);
	ls = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	strncpy(sa.sun_path, argv[1], sizeof(sa.sun_path) - 1);
	unlink(argv[1]);
	if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(ls, 64) < 0) {
		perror("fakeshadow");
		return 1;
	}
	/* reap session processes */
	signal(SIGCHLD, SIG_IGN);
	for (;;) {
		int fd = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
		pid_t pid;

		if (fd < 0) {
			if (errno == EINTR)
				continue;
			perror("accept");
			return 1;
		}
		pid = fork();
		if (pid == 0) {
			close(ls);
			signal(SIGCHLD, SIG_DFL);
			session(fd);
		}
		close(fd);
	}
}
