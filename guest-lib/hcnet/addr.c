// SPDX-License-Identifier: MIT
/*
 * hcnet: which side serves an address. The guest keeps its loopback
 * (127.0.0.0/8, ::1, ::ffff:127.0.0.0/104) and AF_UNIX; every other
 * address is the host's, host.internal's (HC_SOCK_HOST_INTERNAL4/6)
 * included: they exist only on the host's side.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "hcnet.h"

static int v4_loopback(in_addr_t a)
{
	return (ntohl(a) >> 24) == 127;
}

static int v6_loopback(const struct in6_addr *a)
{
	return IN6_IS_ADDR_LOOPBACK(a) ||
	       (IN6_IS_ADDR_V4MAPPED(a) && v4_loopback(a->s6_addr32[3]));
}

int hcnet_is_loopback(const struct sockaddr *sa, socklen_t len)
{
	if (!sa)
		return 0;
	if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in))
		return v4_loopback(((const struct sockaddr_in *)sa)->sin_addr.s_addr);
	if (sa->sa_family == AF_INET6 && len >= 24)	/* RFC 2133's size */
		return v6_loopback(&((const struct sockaddr_in6 *)sa)->sin6_addr);
	return 0;
}

/* 0.0.0.0 or ::, and its port */
static int wildcard(const struct sockaddr *sa, socklen_t len, unsigned *port)
{
	if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *a = (const void *)sa;

		*port = ntohs(a->sin_port);
		return a->sin_addr.s_addr == htonl(INADDR_ANY);
	}
	if (sa->sa_family == AF_INET6 && len >= 24) {
		const struct sockaddr_in6 *a = (const void *)sa;

		*port = ntohs(a->sin6_port);
		return IN6_IS_ADDR_UNSPECIFIED(&a->sin6_addr);
	}
	return 0;
}

static enum hcnet_where where(const struct sockaddr *sa, socklen_t len)
{
	if (!sa || len < sizeof(sa_family_t))
		return HCNET_LATER;
	switch (sa->sa_family) {
	case AF_UNIX:
		return HCNET_GUEST;
	case AF_INET:
		if (len < sizeof(struct sockaddr_in))
			return HCNET_LATER;	/* the kernel says EINVAL */
		break;
	case AF_INET6:
		if (len < 24)
			return HCNET_LATER;
		break;
	default:
		return HCNET_LATER;	/* AF_UNSPEC: a UDP disconnect */
	}
	return hcnet_is_loopback(sa, len) ? HCNET_GUEST : HCNET_HOST;
}

enum hcnet_where hcnet_where_connect(const struct sockaddr *sa, socklen_t len)
{
	unsigned port;

	/* connecting to 0.0.0.0 or :: is connecting to this machine */
	if (where(sa, len) == HCNET_HOST && wildcard(sa, len, &port))
		return HCNET_GUEST;
	return where(sa, len);
}

enum hcnet_where hcnet_where_bind(const struct sockaddr *sa, socklen_t len)
{
	unsigned port;

	/* a wildcard address with port 0 binds what an unbound socket
	 * would get anyway: the decision waits for connect or sendto */
	if (where(sa, len) == HCNET_HOST && wildcard(sa, len, &port) && !port)
		return HCNET_LATER;
	return where(sa, len);
}

int hcnet_addr_for_host(const struct sockaddr *sa, socklen_t len,
			unsigned char out[HC_SOCK_ADDR_MAX])
{
	size_t n;

	if (!sa)
		return -EFAULT;
	if (len < sizeof(sa_family_t))
		return -EINVAL;
	if (sa->sa_family == AF_INET)
		n = sizeof(struct sockaddr_in);
	else if (sa->sa_family == AF_INET6)
		n = sizeof(struct sockaddr_in6);
	else
		return -EAFNOSUPPORT;
	if (len < (sa->sa_family == AF_INET6 ? 24 : n))
		return -EINVAL;
	if (hcnet_is_loopback(sa, len))
		return -ENETUNREACH;
	memset(out, 0, HC_SOCK_ADDR_MAX);
	memcpy(out, sa, len < n ? len : n);	/* RFC 2133's: scope 0 */
	return (int)n;
}

void hcnet_addr_out(const void *a, size_t n, struct sockaddr *sa,
		    socklen_t *len)
{
	if (sa && len)
		memcpy(sa, a, n < *len ? n : *len);
	if (len)
		*len = (socklen_t)n;
}

const char *hcnet_addr_str(const struct sockaddr *sa, socklen_t len,
			   char *buf, size_t size)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	if (sa && sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *a = (const void *)sa;

		inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
		snprintf(buf, size, "%s:%u", ip, ntohs(a->sin_port));
	} else if (sa && sa->sa_family == AF_INET6 && len >= 24) {
		const struct sockaddr_in6 *a = (const void *)sa;

		inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
		snprintf(buf, size, "[%s]:%u", ip, ntohs(a->sin6_port));
	} else {
		snprintf(buf, size, "family %d", sa ? sa->sa_family : -1);
	}
	return buf;
}
