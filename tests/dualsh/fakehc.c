// SPDX-License-Identifier: MIT
/*
 * A stand-in for /dev/hostcall, for dualsh's host-run tests: the real
 * libhostcall (guest-lib/lib/hostcall.c) is compiled with open() and
 * ioctl() renamed to these. The "device" is a unix socket served by
 * fakeshadow (one forked session per connection, as a shadow is one per
 * open). Each call travels as one SEQPACKET message with a fresh reply
 * socket attached, so many threads and forked children call at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "fakehc.h"

int fakehc_open(const char *path, int flags, ...)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;

	(void)flags;
	if (stat(path, &st) < 0)
		return -1;
	if (!S_ISSOCK(st.st_mode)) {
		errno = ENODEV;
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	strncpy(sa.sun_path, path, sizeof(sa.sun_path) - 1);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		close(fd);
		errno = e == ECONNREFUSED ? EHOSTDOWN : e;
		return -1;
	}
	return fd;
}

int fakehc_ioctl(int fd, unsigned long req, ...)
{
	struct hostcall_ioc_call *c;
	struct fakehc_req *rq;
	struct fakehc_rep rep;
	struct msghdr mh = { 0 };
	struct iovec iov[2];
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct cmsghdr *cm;
	int sv[2];
	size_t len;
	ssize_t r;
	va_list ap;

	va_start(ap, req);
	c = va_arg(ap, struct hostcall_ioc_call *);
	va_end(ap);
	if (req != HOSTCALL_IOC_CALL) {
		errno = ENOTTY;
		return -1;
	}
	if (c->in_len > HC_MAX_DATA || c->out_len > HC_MAX_DATA) {
		errno = E2BIG;
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	len = sizeof(*rq) + c->in_len;
	rq = malloc(len);
	if (!rq) {
		close(sv[0]);
		close(sv[1]);
		errno = ENOMEM;
		return -1;
	}
	rq->module = c->module;
	rq->op = c->op;
	memcpy(rq->args, c->args, sizeof(rq->args));
	rq->in_len = c->in_len;
	rq->out_len = c->out_len;
	if (c->in_len)
		memcpy(rq + 1, (void *)(uintptr_t)c->in_ptr, c->in_len);
	iov[0].iov_base = rq;
	iov[0].iov_len = len;
	mh.msg_iov = iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &sv[1], sizeof(int));
	do
		r = sendmsg(fd, &mh, MSG_NOSIGNAL);
	while (r < 0 && errno == EINTR);
	free(rq);
	close(sv[1]);
	if (r < 0) {
		close(sv[0]);
		errno = ENODEV;
		return -1;
	}
	memset(&mh, 0, sizeof(mh));
	iov[0].iov_base = &rep;
	iov[0].iov_len = sizeof(rep);
	iov[1].iov_base = (void *)(uintptr_t)c->out_ptr;
	iov[1].iov_len = c->out_len;
	mh.msg_iov = iov;
	mh.msg_iovlen = c->out_len ? 2 : 1;
	do
		r = recvmsg(sv[0], &mh, 0);
	while (r < 0 && errno == EINTR);
	close(sv[0]);
	if (r < (ssize_t)sizeof(rep)) {
		errno = EIO;
		return -1;
	}
	c->result = rep.result;
	c->out_used = rep.out_used;
	return 0;
}
