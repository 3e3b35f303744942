/* SPDX-License-Identifier: MIT */
/*
 * The session window arrives first on fd 3: HCP_WINDOW with the memfd,
 * the kick eventfd and the interrupt eventfd. Received and mapped before
 * the shadow confines itself (the filter would refuse recvmsg without the
 * proc module, and mmap of a new fd is simplest before it), and checked
 * as strictly as anything from the other side: a memfd that could shrink
 * under the mapping would kill the shadow with SIGBUS mid-call.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include "log.h"
#include "shadow.h"

/* QEMU sends the window right after the session opens. */
#define WINDOW_WAIT_MS	30000

/* Is fd an eventfd? (anon inodes all look alike to fstat; without
 * /proc we cannot tell, and a wrong fd then only fails its reads) */
static int is_eventfd(int fd)
{
	char path[64], target[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return errno == ENOENT && access("/proc/self", F_OK) < 0;
	target[n] = 0;
	return strcmp(target, "anon_inode:[eventfd]") == 0;
}

static int bad(const char *why, int e)
{
	log_msg("HCP_WINDOW refused: %s; ending session", why);
	return e;
}

static int check_memfd(int fd)
{
	struct stat st;
	int seals;

	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return bad("the window fd is not a memfd", -EINVAL);
	if (st.st_size < HC_WIN_SIZE)
		return bad("the window is smaller than HC_WIN_SIZE", -EINVAL);
	seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0 || !(seals & F_SEAL_SHRINK))
		return bad("the window memfd is not sealed against shrinking",
			   -EINVAL);
	return 0;
}

int window_receive(int sock, void **mem, int *kick_fd, int *irq_fd)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int) * HCP_WINDOW_NFDS)];
	} cm;
	unsigned char msg[HCP_MAX_MSG + 1];
	struct iovec iov = { msg, sizeof(msg) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cm.buf,
			     .msg_controllen = sizeof(cm.buf) };
	struct pollfd p = { .fd = sock, .events = POLLIN };
	int fds[HCP_WINDOW_NFDS] = { -1, -1, -1 }, nfds = 0, e, i;
	struct hcp_window w;
	struct cmsghdr *c;
	ssize_t n;
	void *m;

	e = poll(&p, 1, WINDOW_WAIT_MS);
	if (e == 0)
		return bad("none came in time", -ETIMEDOUT);
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		e = -errno;
		log_msg("session socket: %s", strerror(-e));
		return e;
	}
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		int k, cnt;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		cnt = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (k = 0; k < cnt; k++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + k * sizeof(int), sizeof(fd));
			if (nfds < HCP_WINDOW_NFDS)
				fds[nfds++] = fd;
			else
				close(fd);
		}
	}
	e = -EPROTO;
	if (n == 0) {
		log_msg("session closed before its window came");
		e = -ECONNRESET;
	}
	else if (mh.msg_flags & (MSG_CTRUNC | MSG_TRUNC))
		bad("more fds or bytes than a window message has", e);
	else if (hcp_check(msg, n) < 0)
		bad("a malformed message", e);
	else if (memcpy(&w, msg, sizeof(struct hcp_hdr)),
		 w.hdr.type != HCP_WINDOW)
		bad("the first message is not HCP_WINDOW", e);
	else if (memcpy(&w, msg, sizeof(w)), w.size != HC_WIN_SIZE ||
		 w.flags != 0)
		bad("a window size other than HC_WIN_SIZE, or flags", e);
	else if (nfds != HCP_WINDOW_NFDS)
		bad("it needs three fds: memfd, kick, interrupt", e);
	else if ((e = check_memfd(fds[HCP_WINDOW_FD_MEM])) < 0)
		;
	else if (!is_eventfd(fds[HCP_WINDOW_FD_KICK]) ||
		 !is_eventfd(fds[HCP_WINDOW_FD_IRQ]))
		e = bad("the kick or interrupt fd is not an eventfd", -EINVAL);
	else
		e = 0;
	if (e == 0) {
		m = mmap(NULL, HC_WIN_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
			 fds[HCP_WINDOW_FD_MEM], 0);
		if (m == MAP_FAILED) {
			e = -errno;
			log_msg("HCP_WINDOW: mmap: %s; ending session",
				strerror(-e));
		}
	}
	/* The mapping keeps the memory; the memfd itself is not needed. */
	if (fds[HCP_WINDOW_FD_MEM] >= 0)
		close(fds[HCP_WINDOW_FD_MEM]);
	if (e < 0) {
		for (i = 1; i < nfds; i++)
			close(fds[i]);
		return e;
	}
	*mem = m;
	*kick_fd = fds[HCP_WINDOW_FD_KICK];
	*irq_fd = fds[HCP_WINDOW_FD_IRQ];
	return 0;
}
