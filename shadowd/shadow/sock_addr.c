/* SPDX-License-Identifier: MIT */
/*
 * Addresses between the guest and the host's stack (sock.h): the bytes
 * of Linux x86-64 sockaddr_in / sockaddr_in6, checked, and the host's
 * loopback named host.internal on the guest's side (169.254.77.1 and
 * fd68:6368:6f73:7400::1 there, 127.0.0.1 and ::1 here), because the
 * guest's own loopback stays the guest's.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include "hostcall_abi.h"
#include "sock.h"

static const uint8_t hi6[16] = HC_SOCK_HOST_INTERNAL6;

_Static_assert(sizeof(struct sockaddr_in) == 16, "x86-64 sockaddr_in");
_Static_assert(sizeof(struct sockaddr_in6) == HC_SOCK_ADDR_MAX,
	       "x86-64 sockaddr_in6");

static int v4mapped(const struct in6_addr *a)
{
	static const uint8_t pre[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
					 0xff, 0xff };

	return !memcmp(a->s6_addr, pre, 12);
}

int sock_addr_in(const void *p, size_t len, int family,
		 struct sockaddr_storage *ss, socklen_t *sl)
{
	sa_family_t f;

	if (len < sizeof(f))
		return -EINVAL;
	memcpy(&f, p, sizeof(f));
	if (f != AF_INET && f != AF_INET6)
		return -EAFNOSUPPORT;
	if (f != family)
		return -EAFNOSUPPORT;
	memset(ss, 0, sizeof(*ss));
	if (f == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		if (len != sizeof(*a))
			return -EINVAL;
		memcpy(a, p, sizeof(*a));
		memset(a->sin_zero, 0, sizeof(a->sin_zero));
		if (ntohl(a->sin_addr.s_addr) == HC_SOCK_HOST_INTERNAL4)
			a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		*sl = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		if (len != sizeof(*a))
			return -EINVAL;
		memcpy(a, p, sizeof(*a));
		/* No link-local scopes from the guest: its interface
		 * numbers mean nothing here. */
		if (a->sin6_scope_id)
			return -EINVAL;
		if (!memcmp(a->sin6_addr.s6_addr, hi6, 16))
			a->sin6_addr = in6addr_loopback;
		else if (v4mapped(&a->sin6_addr) &&
			 ntohl(a->sin6_addr.s6_addr32[3]) ==
				 HC_SOCK_HOST_INTERNAL4)
			a->sin6_addr.s6_addr32[3] =
				htonl(INADDR_LOOPBACK);
		*sl = sizeof(*a);
	}
	return 0;
}

size_t sock_addr_out(const struct sockaddr_storage *ss, socklen_t sl,
		     void *out, size_t max)
{
	struct sockaddr_storage g;
	size_t n;

	memset(&g, 0, sizeof(g));
	memcpy(&g, ss, sl < sizeof(g) ? sl : sizeof(g));
	if (g.ss_family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&g;

		n = sizeof(*a);
		if (ntohl(a->sin_addr.s_addr) == INADDR_LOOPBACK)
			a->sin_addr.s_addr = htonl(HC_SOCK_HOST_INTERNAL4);
	} else if (g.ss_family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&g;

		n = sizeof(*a);
		if (IN6_IS_ADDR_LOOPBACK(&a->sin6_addr))
			memcpy(a->sin6_addr.s6_addr, hi6, 16);
		else if (v4mapped(&a->sin6_addr) &&
			 ntohl(a->sin6_addr.s6_addr32[3]) ==
				 INADDR_LOOPBACK)
			a->sin6_addr.s6_addr32[3] =
				htonl(HC_SOCK_HOST_INTERNAL4);
	} else {
		return 0;
	}
	if (max)	/* out may be NULL then */
		memcpy(out, &g, n < max ? n : max);
	return n;
}

int sock_addr_key(const struct sockaddr_storage *ss, uint8_t addr[16],
		  uint16_t *port)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;

		memcpy(addr, &a->sin_addr, 4);
		*port = ntohs(a->sin_port);
		return AF_INET;
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;

		*port = ntohs(a->sin6_port);
		if (v4mapped(&a->sin6_addr)) {
			memcpy(addr, &a->sin6_addr.s6_addr[12], 4);
			return AF_INET;
		}
		memcpy(addr, &a->sin6_addr, 16);
		return AF_INET6;
	}
	return 0;
}

void sock_addr_text(const struct sockaddr_storage *ss, char *buf, size_t n)
{
	char a[INET6_ADDRSTRLEN];
	uint8_t k[16];
	uint16_t port;
	int f = sock_addr_key(ss, k, &port);

	if (!f || !inet_ntop(f, k, a, sizeof(a))) {
		snprintf(buf, n, "-");
		return;
	}
	snprintf(buf, n, f == AF_INET6 ? "[%s]:%u" : "%s:%u", a, port);
}
