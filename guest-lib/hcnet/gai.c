// SPDX-License-Identifier: MIT
/*
 * hcnet: getaddrinfo through the host's resolver (GETADDRINFO), so that
 * names resolve as the host resolves them (its /etc/hosts, its DNS) and
 * the host's name rules see what the guest resolved. Stay in the guest's
 * own resolver: no node (the guest's loopback or wildcard), numeric
 * addresses, "localhost" and its subdomains (RFC 6761), and names the
 * guest's /etc/hosts gives only loopback addresses. Without the host (no
 * device, no "sock" for this session) the guest's resolver answers.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hcnet.h"

#define EXPORT __attribute__((visibility("default")))
#define MAX_AI	32
/* the flags GETADDRINFO takes (AI_CANONNAME: the shim sets the name) */
#define HOST_FLAGS (AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV | AI_ADDRCONFIG)

/* One answer of the host's: the list and its addresses in one block,
 * remembered so that freeaddrinfo knows it from libc's. */
struct block {
	struct block *next;
	char *canon;
	unsigned n;
	struct {
		struct addrinfo ai;
		struct sockaddr_in6 sa;	/* the larger of the two */
	} e[];
};

static pthread_mutex_t blocks_lock = PTHREAD_MUTEX_INITIALIZER;
static struct block *blocks;

static int loopback_text(const char *a)
{
	struct in6_addr a6;
	struct in_addr a4;

	if (inet_pton(AF_INET, a, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, a, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6) ||
		       (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
	return 0;
}

/* 1: the guest's /etc/hosts names node, with loopback addresses only */
static int guest_hosts_loopback(const char *node)
{
	char line[1024], *save, *addr, *name;
	int found = 0, other = 0;
	FILE *f = fopen("/etc/hosts", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "#\n")] = 0;
		addr = strtok_r(line, " \t", &save);
		if (!addr)
			continue;
		while ((name = strtok_r(NULL, " \t", &save)))
			if (!strcasecmp(name, node)) {
				if (loopback_text(addr))
					found = 1;
				else
					other = 1;
			}
	}
	fclose(f);
	return found && !other;
}

static int localhost_name(const char *node)
{
	size_t n = strlen(node);

	if (n && node[n - 1] == '.')
		n--;
	return (n == 9 && !strncasecmp(node, "localhost", 9)) ||
	       (n > 10 && !strncasecmp(node + n - 10, ".localhost", 10));
}

int hcnet_guest_resolves(const char *node, const char *service, int family,
			 int flags)
{
	struct addrinfo h = { 0 }, *res;
	int e;

	if (!node || (flags & AI_NUMERICHOST) || localhost_name(node) ||
	    guest_hosts_loopback(node))
		return 1;
	/* a numeric address: the guest parses it (the service too, if it
	 * can: a service name the guest does not know goes to the host) */
	h.ai_flags = AI_NUMERICHOST;
	h.ai_family = family;
	e = REAL(getaddrinfo)(node, service, &h, &res);
	if (!e)
		REAL(freeaddrinfo)(res);
	return e != EAI_NONAME && e != EAI_SERVICE;
}

static int from_host(hc_session *hc, const char *node, const char *service,
		     const struct addrinfo *hints, struct addrinfo **out)
{
	struct hc_sock_ai ai[MAX_AI];
	struct block *b;
	int fam = hints ? hints->ai_family : AF_UNSPEC;
	int type = hints ? hints->ai_socktype : 0;
	int proto = hints ? hints->ai_protocol : 0;
	int flags = hints ? hints->ai_flags : 0;
	int n, i, k = 0;

	n = hc_getaddrinfo(hc, node, service, fam, type, flags & HOST_FLAGS,
			   ai, MAX_AI);
	if (n < 0)
		return n;
	b = calloc(1, sizeof(*b) + (size_t)n * sizeof(b->e[0]));
	if (!b)
		return EAI_MEMORY;
	if (node && (flags & AI_CANONNAME) && !(b->canon = strdup(node))) {
		free(b);
		return EAI_MEMORY;
	}
	for (i = 0; i < n; i++) {
		struct addrinfo *a = &b->e[k].ai;

		if ((ai[i].family != AF_INET && ai[i].family != AF_INET6) ||
		    ai[i].addrlen > sizeof(b->e[k].sa) ||
		    (proto && (int)ai[i].protocol != proto))
			continue;
		a->ai_family = (int)ai[i].family;
		a->ai_socktype = (int)ai[i].socktype;
		a->ai_protocol = (int)ai[i].protocol;
		a->ai_addrlen = ai[i].addrlen;
		a->ai_addr = (struct sockaddr *)&b->e[k].sa;
		memcpy(&b->e[k].sa, ai[i].addr, ai[i].addrlen);
		if (k)
			b->e[k - 1].ai.ai_next = a;
		k++;
	}
	if (!k) {
		free(b->canon);
		free(b);
		return EAI_NONAME;
	}
	b->e[0].ai.ai_canonname = b->canon;
	b->n = (unsigned)k;
	pthread_mutex_lock(&blocks_lock);
	b->next = blocks;
	blocks = b;
	pthread_mutex_unlock(&blocks_lock);
	*out = &b->e[0].ai;
	return 0;
}

EXPORT int getaddrinfo(const char *node, const char *service,
		       const struct addrinfo *hints, struct addrinfo **res)
{
	hc_session *hc;
	int e;

	if (hcnet_guest_resolves(node, service, hints ? hints->ai_family : AF_UNSPEC,
				 hints ? hints->ai_flags : 0))
		return REAL(getaddrinfo)(node, service, hints, res);
	hc = hcnet_session();
	if (!hc)
		return REAL(getaddrinfo)(node, service, hints, res);
	e = from_host(hc, node, service, hints, res);
	if (e == EAI_SYSTEM && (errno == EPERM || errno == ENOENT ||
				errno == ENODEV || errno == EPROTO)) {
		hcnet_no_host(errno);	/* no "sock" for this session */
		return REAL(getaddrinfo)(node, service, hints, res);
	}
	hcnet_dbg("getaddrinfo %s: the host's: %s", node,
		  e ? gai_strerror(e) : "ok");
	return e;
}

EXPORT void freeaddrinfo(struct addrinfo *ai)
{
	struct block **p, *b = NULL;

	pthread_mutex_lock(&blocks_lock);
	for (p = &blocks; *p; p = &(*p)->next)
		if (&(*p)->e[0].ai == ai) {
			b = *p;
			*p = b->next;
			break;
		}
	pthread_mutex_unlock(&blocks_lock);
	if (!b) {
		REAL(freeaddrinfo)(ai);
		return;
	}
	free(b->canon);
	free(b);
}
