/* SPDX-License-Identifier: MIT */
/*
 * The test client: plays QEMU's side of the host protocol against
 * BUILD/shadowd and the shadows it hands out (and the guest's side of
 * their windows, qp.c), and reports checks as
 *   PASS: name | FAIL: name: reason | SKIP: name: reason
 * Shared by test_shadowd (the shadow's services) and test_security (the
 * security model).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "client.h"

const char *build;
int failures;
uint64_t next_tag = 1;

/* ---- reporting ----------------------------------------------------------- */

void pass(const char *name)
{
	printf("PASS: %s\n", name);
	fflush(stdout);
}

void __attribute__((format(printf, 2, 3)))
fail(const char *name, const char *fmt, ...)
{
	va_list ap;

	printf("FAIL: %s: ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	failures++;
}

void skip(const char *name, const char *why)
{
	printf("SKIP: %s: %s\n", name, why);
	fflush(stdout);
}

/* ---- children and reaping ------------------------------------------------ */

/* We are a subreaper: shadows orphaned by a killed shadowd come to us. */
void reap_any(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

void msleep(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Wait up to ms for pid to be gone (reaping orphans meanwhile). */
int gone_within(pid_t pid, int ms)
{
	for (; ms > 0; ms -= 20) {
		reap_any();
		if (kill(pid, 0) < 0 && errno == ESRCH)
			return 1;
		msleep(20);
	}
	return 0;
}

/* The policy file start_private() gives shadowd: see client.h. */
const char *test_policy;

pid_t start_shadowd(const char *const extra[], int *ctl)
{
	char path[4096];
	const char *argv[16] = { "shadowd", "--private", "--fd", "3" };
	int sv[2], n = 4;
	pid_t pid;

	for (; extra && *extra && n < 15; extra++)
		argv[n++] = *extra;
	argv[n] = NULL;
	snprintf(path, sizeof(path), "%s/shadowd", build);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(sv[1], 3);
		execv(path, (char **)argv);
		perror(path);
		_exit(127);
	}
	close(sv[1]);
	*ctl = sv[0];
	return pid;
}

pid_t start_private(int *ctl)
{
	const char *extra[] = { "--config", test_policy, NULL };

	return start_shadowd(test_policy ? extra : NULL, ctl);
}

/*
 * A policy naming the test's own user explicitly: a shadowd started by
 * root then serves as root (named by a rule) instead of nobody (the
 * fallback for root-owned VMs without one).
 */
void write_test_policy(void)
{
	static char path[] = "/tmp/hc-test-policy-XXXXXX";
	struct passwd *pw = getpwuid(getuid());
	int fd = mkstemp(path);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;

	if (!f || !pw) {
		fprintf(stderr, "test: cannot write %s\n", path);
		exit(2);
	}
	fprintf(f, "# written by the test: everything as %s\n[vm *]\n"
		"owners = %s\nmap * = %s\n", pw->pw_name, pw->pw_name,
		pw->pw_name);
	fclose(f);
	test_policy = path;
}

void remove_test_policy(void)
{
	if (test_policy)
		unlink(test_policy);
}

/* ---- the control connection ---------------------------------------------- */

int recv_timeout(int fd, void *buf, size_t n, int *passed_fd)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int) * 4)];
	} cm;
	struct iovec iov = { buf, n };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = cm.buf,
			      .msg_controllen = sizeof(cm.buf) };
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct cmsghdr *c;
	ssize_t r;

	if (passed_fd)
		*passed_fd = -1;
	if (poll(&p, 1, TIMEOUT_MS) <= 0)
		return -ETIMEDOUT;
	r = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
	if (r < 0)
		return -errno;
	for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			int fds[4], k, nf = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);

			memcpy(fds, CMSG_DATA(c), nf * sizeof(int));
			for (k = 0; k < nf; k++) {
				if (passed_fd && *passed_fd < 0)
					*passed_fd = fds[k];
				else
					close(fds[k]);
			}
		}
	}
	return (int)r;
}

int hello(int ctl, uint32_t version)
{
	return hello_vm(ctl, version, "testvm");
}

int hello_vm(int ctl, uint32_t version, const char *vm)
{
	struct hcp_hello h;
	struct hcp_status r;
	int n;

	memset(&h, 0, sizeof(h));
	hcp_init(&h.hdr, HCP_HELLO, sizeof(h), 0, 1);
	h.version = version;
	snprintf(h.vm_name, sizeof(h.vm_name), "%s", vm);
	if (send(ctl, &h, sizeof(h), 0) != sizeof(h))
		return -EIO;
	n = recv_timeout(ctl, &r, sizeof(r), NULL);
	if (n < 0)
		return n;
	if (n == 0)
		return -ECONNRESET;
	if (hcp_check(&r, n) < 0 || r.hdr.type != HCP_HELLO_OK)
		return -EPROTO;
	return r.status;
}

/* HCP_OPEN: status, with the session fd and info on success. */
int open_session(int ctl, uint32_t session, uint32_t guest_uid,
		 struct hc_session_info *info, int *fd)
{
	struct hc_identity id;

	memset(&id, 0, sizeof(id));
	id.uid = guest_uid;
	id.gid = guest_uid;
	id.pid = 4242;
	strcpy(id.comm, "tester");
	return open_session_id(ctl, session, &id, info, fd);
}

int open_session_id(int ctl, uint32_t session, const struct hc_identity *id,
		    struct hc_session_info *info, int *fd)
{
	struct hcp_open o;
	struct hcp_opened r;
	int n;

	memset(&o, 0, sizeof(o));
	hcp_init(&o.hdr, HCP_OPEN, sizeof(o), session, 100 + session);
	o.id = *id;
	*fd = -1;
	if (send(ctl, &o, sizeof(o), 0) != sizeof(o))
		return -EIO;
	n = recv_timeout(ctl, &r, sizeof(r), fd);
	if (n < 0)
		return n;
	if (n == 0)
		return -ECONNRESET;
	if (hcp_check(&r, n) < 0 || r.hdr.type != HCP_OPENED ||
	    r.hdr.session != session) {
		if (*fd >= 0)
			close(*fd);
		return -EPROTO;
	}
	if (r.status == 0 && *fd < 0)
		return -EBADF;
	if (r.status != 0 && *fd >= 0) {
		close(*fd);
		*fd = -1;
		return -EEXIST;	/* fd attached to a failure: wrong */
	}
	*info = r.info;
	return r.status;
}

/* ---- the session connection (the window itself: qp.c) ------------------ */

/* Any next reply, stashed ones first. */
int next_reply(struct sess *s, int ms, struct reply *r)
{
	if (s->nstash) {
		*r = s->stash[--s->nstash];
		return 0;
	}
	return recv_reply(s, ms, r);
}

/* The reply for tag: result, or NO_REPLY. out gets a malloc'd copy. */
int64_t wait_reply(struct sess *s, uint64_t tag, int ms,
			  unsigned char **out, uint32_t *out_len)
{
	struct reply r;
	int i;

	for (;;) {
		for (i = 0; i < s->nstash; i++) {
			if (s->stash[i].tag != tag)
				continue;
			r = s->stash[i];
			s->stash[i] = s->stash[--s->nstash];
			goto found;
		}
		if (recv_reply(s, ms, &r) < 0)
			return NO_REPLY;
		if (r.tag == tag)
			goto found;
		if (s->nstash == 64) {
			free(r.data);
			return NO_REPLY;
		}
		s->stash[s->nstash++] = r;
	}
found:
	if (out_len)
		*out_len = r.len;
	if (out)
		*out = r.data;
	else
		free(r.data);
	return r.result;
}

/* A synchronous call; out (if any) is a malloc'd copy, NUL-terminated. */
int64_t call(struct sess *s, uint16_t mod, uint16_t op, int64_t a0,
		    int64_t a1, int64_t a2, const void *in, size_t in_len,
		    uint32_t out_max, unsigned char **out, uint32_t *out_len)
{
	uint64_t tag = next_tag++;

	if (out)
		*out = NULL;
	if (send_call(s, tag, mod, op, a0, a1, a2, in, in_len, out_max) < 0)
		return NO_REPLY;
	return wait_reply(s, tag, TIMEOUT_MS, out, out_len);
}

int64_t call0(struct sess *s, uint16_t mod, uint16_t op, int64_t a0,
		     int64_t a1, const void *in, size_t in_len)
{
	return call(s, mod, op, a0, a1, 0, in, in_len, 0, NULL, NULL);
}

int64_t path_call(struct sess *s, uint16_t mod, uint16_t op,
			 int64_t a0, int64_t a1, const char *path)
{
	return call0(s, mod, op, a0, a1, path, strlen(path) + 1);
}

/* Spawn: argv and env as NULL-terminated lists; handle or -errno. */
int64_t spawn(struct sess *s, const char *cwd, char *const argv[],
		     char *const env[], unsigned flags, pid_t *pid)
{
	return spawn4(s, cwd, argv, env, flags, 0, pid);
}

/* The same with args[3] (F_STDIN_PROC's handle, F_PTY's size). */
int64_t spawn4(struct sess *s, const char *cwd, char *const argv[],
		      char *const env[], unsigned flags, int64_t a3,
		      pid_t *pid)
{
	static char in[8192];
	struct hc_spawn_info info;
	size_t n = 0;
	int argc = 0, envc = 0;
	unsigned char *out;
	uint32_t olen;
	int64_t r;

	if (cwd) {
		flags |= HC_SPAWN_F_CWD;
		n += sprintf(in + n, "%s", cwd) + 1;
	}
	for (; argv[argc]; argc++)
		n += sprintf(in + n, "%s", argv[argc]) + 1;
	for (; env && env[envc]; envc++)
		n += sprintf(in + n, "%s", env[envc]) + 1;
	next_a3 = a3;
	r = call(s, T_PROC, HC_PROC_SPAWN, argc, envc, flags, in, n,
		 sizeof(info), &out, &olen);
	if (r >= 0 && pid) {
		*pid = -1;
		if (olen == sizeof(info)) {
			memcpy(&info, out, sizeof(info));
			*pid = info.pid;
		}
	}
	free(out);
	return r;
}

/* Read a stream to EOF: bytes (malloc'd in *data) or -errno. */
int64_t read_all(struct sess *s, int64_t h, int stream, char **data)
{
	size_t len = 0;
	char *buf = NULL;
	unsigned char *out;
	uint32_t olen;
	int64_t r;

	for (;;) {
		r = call(s, T_PROC, HC_PROC_READ, h, stream, 0, NULL, 0,
			 4096, &out, &olen);
		if (r <= 0) {
			free(out);
			break;
		}
		buf = realloc(buf, len + olen + 1);
		memcpy(buf + len, out, olen);
		len += olen;
		free(out);
	}
	if (!buf)
		buf = calloc(1, 1);
	buf[len] = 0;
	*data = buf;
	return r < 0 ? r : (int64_t)len;
}

int connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}
