// SPDX-License-Identifier: MIT
/*
 * libhostcall: sockets served by the host's network stack (the "sock"
 * module, Documentation/sock.md). The driver makes the socket fds
 * (HOSTCALL_IOC_SOCKET, HOSTCALL_IOC_SOCK); this file is their thin
 * wrappers and the host resolver.
 */
#include <errno.h>
#include <netdb.h>
#include <string.h>
#include <sys/ioctl.h>

#include "hostcall.h"
#include "hc_internal.h"

int hc_socket(hc_session *hc, int family, int type, int protocol)
{
	struct hostcall_ioc_socket a = {
		.family = family, .type = type, .protocol = protocol, .fd = -1,
	};

	if (!hc)
		return -EINVAL;
	if (ioctl(hc->fd, HOSTCALL_IOC_SOCKET, &a) < 0)
		return -errno;
	return a.fd;
}

int64_t hc_sock_call(int fd, unsigned fn, int64_t a1, int64_t a2, int64_t a3,
		     unsigned flags, const void *in, size_t in_len, void *out,
		     size_t out_len, size_t *out_used)
{
	struct hostcall_ioc_sock c = {
		.fn = fn, .flags = flags, .args = { a1, a2, a3 },
		.in_ptr = (uintptr_t)in, .out_ptr = (uintptr_t)out,
		.in_len = (uint32_t)in_len, .out_len = (uint32_t)out_len,
	};

	if (in_len > UINT32_MAX || out_len > UINT32_MAX)
		return -E2BIG;
	if (ioctl(fd, HOSTCALL_IOC_SOCK, &c) < 0)
		return -errno;
	if (out_used)
		*out_used = c.out_used;
	return c.result;
}

int hc_sock_info(int fd, struct hostcall_ioc_sock_info *info)
{
	struct hostcall_ioc_sock_info i;

	if (ioctl(fd, HOSTCALL_IOC_SOCK_INFO, &i) < 0)
		return -errno;
	if (i.magic != HC_SOCKFD_MAGIC)
		return -ENOTTY;	/* someone else's ioctl number */
	if (info)
		*info = i;
	return 0;
}

int hc_getaddrinfo(hc_session *hc, const char *node, const char *service,
		   int family, int socktype, int flags, struct hc_sock_ai *ai,
		   unsigned max)
{
	char in[2 * (NI_MAXHOST + 1)];
	size_t nl = node ? strlen(node) : 0, sl = service ? strlen(service) : 0;
	size_t used = 0;
	int64_t args[4] = { family, socktype, flags, 0 };
	int64_t r;
	int h;

	if ((!nl && !sl) || nl > NI_MAXHOST || sl > NI_MAXHOST)
		return EAI_NONAME;
	memcpy(in, node ? node : "", nl + 1);
	memcpy(in + nl + 1, service ? service : "", sl + 1);
	h = hc_builtin(hc, HC_BI_SOCK);
	if (h < 0) {
		errno = -h;
		return EAI_SYSTEM;
	}
	r = hc_rpc(hc, h, HC_SOCK_GETADDRINFO, args, in, nl + sl + 2, ai,
		   (size_t)max * sizeof(*ai), &used);
	if (r < -HC_SOCK_EAI_BASE)
		return HC_SOCK_EAI(r);
	if (r < 0) {
		errno = (int)-r;
		return EAI_SYSTEM;
	}
	if ((uint64_t)r > max || used < (size_t)r * sizeof(*ai)) {
		errno = EIO;	/* more records than room, or than written */
		return EAI_SYSTEM;
	}
	return (int)r;
}
