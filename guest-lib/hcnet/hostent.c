// SPDX-License-Identifier: MIT
/*
 * hcnet: gethostbyname and its variants through the host's resolver, as
 * getaddrinfo (gai.c), for the older programs that use them. The _r forms
 * fill the caller's buffer; the others a buffer of the calling thread.
 */
#include <errno.h>
#include <netdb.h>
#include <stdint.h>
#include <string.h>

#include "hcnet.h"

#define EXPORT __attribute__((visibility("default")))
#define MAX_ADDRS	16

static int herr(int eai)
{
	return eai == EAI_AGAIN ? TRY_AGAIN :
	       eai == EAI_NONAME || eai == EAI_NODATA ? HOST_NOT_FOUND :
	       NO_RECOVERY;
}

/* ret's pointers and the addresses into buf: aliases (none), the address
 * list, the addresses, the name */
static int fill(const char *name, int af, const struct hc_sock_ai *ai, int n,
		struct hostent *ret, char *buf, size_t buflen)
{
	size_t alen = af == AF_INET ? 4 : 16, nl = strlen(name) + 1, need;
	char **list = (char **)(void *)buf, *p;
	int i, k = 0;

	/* buf holds pointers first: align it */
	p = (char *)(((uintptr_t)buf + sizeof(char *) - 1) & ~(sizeof(char *) - 1));
	need = (size_t)(p - buf) + (size_t)(n + 2) * sizeof(char *) +
	       (size_t)n * alen + nl;
	if (need > buflen)
		return ERANGE;
	list = (char **)(void *)p;
	p += (size_t)(n + 2) * sizeof(char *);
	for (i = 0; i < n; i++) {
		const unsigned char *a = ai[i].addr;

		if ((int)ai[i].family != af)
			continue;
		/* sin_addr at 4, sin6_addr at 8 */
		memcpy(p, a + (af == AF_INET ? 4 : 8), alen);
		list[1 + k++] = p;
		p += alen;
	}
	list[1 + k] = NULL;
	list[0] = NULL;	/* the (empty) alias list */
	memcpy(p, name, nl);
	ret->h_name = p;
	ret->h_aliases = list;
	ret->h_addrtype = af;
	ret->h_length = (int)alen;
	ret->h_addr_list = list + 1;
	return k ? 0 : -1;
}

EXPORT int gethostbyname2_r(const char *name, int af, struct hostent *ret,
			    char *buf, size_t buflen, struct hostent **result,
			    int *h_errnop)
{
	struct hc_sock_ai ai[MAX_ADDRS];
	hc_session *hc;
	int n, e;

	*result = NULL;
	if ((af != AF_INET && af != AF_INET6) ||
	    hcnet_guest_resolves(name, NULL, af, 0) || !(hc = hcnet_session()))
		return REAL(gethostbyname2_r)(name, af, ret, buf, buflen, result,
					      h_errnop);
	/* each address once: one socket type */
	n = hc_getaddrinfo(hc, name, NULL, af, SOCK_STREAM, 0, ai, MAX_ADDRS);
	if (n == EAI_SYSTEM && (errno == EPERM || errno == ENOENT ||
				errno == ENODEV || errno == EPROTO)) {
		hcnet_no_host(errno);
		return REAL(gethostbyname2_r)(name, af, ret, buf, buflen, result,
					      h_errnop);
	}
	if (n < 0) {
		*h_errnop = herr(n);
		return n == EAI_SYSTEM ? errno : 0;
	}
	e = fill(name, af, ai, n, ret, buf, buflen);
	if (e > 0) {
		*h_errnop = NETDB_INTERNAL;
		return e;
	}
	if (e < 0) {
		*h_errnop = NO_DATA;
		return 0;
	}
	*result = ret;
	return 0;
}

EXPORT int gethostbyname_r(const char *name, struct hostent *ret, char *buf,
			   size_t buflen, struct hostent **result, int *h_errnop)
{
	return gethostbyname2_r(name, AF_INET, ret, buf, buflen, result,
				h_errnop);
}

EXPORT struct hostent *gethostbyname2(const char *name, int af)
{
	static __thread struct hostent he;
	static __thread char buf[1024];
	struct hostent *r;
	int e;

	if (gethostbyname2_r(name, af, &he, buf, sizeof(buf), &r, &e) || !r) {
		h_errno = e;
		return NULL;
	}
	return r;
}

EXPORT struct hostent *gethostbyname(const char *name)
{
	return gethostbyname2(name, AF_INET);
}
