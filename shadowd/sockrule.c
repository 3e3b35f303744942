/* SPDX-License-Identifier: MIT */
/* Destinations of the sock rules (sockrule.h): parse and match. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "sockrule.h"

#define ERR(...)	(snprintf(err, n, __VA_ARGS__), -EINVAL)

int sockrule_name_ok(const char *s)
{
	size_t len = strlen(s), i;

	if (len == 0 || len > SOCKRULE_NAME_MAX || s[0] == '.' ||
	    s[len - 1] == '.' || strstr(s, ".."))
		return 0;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '.' &&
		    s[i] != '-' && s[i] != '_')
			return 0;
	return 1;
}

static int port(const char *s, const char *e, uint16_t *out)
{
	unsigned long v = 0;
	const char *p;

	if (s == e || e - s > 5)
		return -1;
	for (p = s; p < e; p++) {
		if (!isdigit((unsigned char)*p))
			return -1;
		v = v * 10 + (*p - '0');
	}
	if (v > 65535)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

/* "*", "N", "N-M", or a comma list of N and N-M. */
static int ports(const char *s, struct sock_dest *d, char *err, size_t n)
{
	const char *p = s, *end, *dash;

	if (!strcmp(s, "*"))
		return 0;
	while (*p) {
		end = strchr(p, ',');
		if (!end)
			end = p + strlen(p);
		if (d->nports == SOCKRULE_PORTS_MAX)
			return ERR("more than %d port ranges", SOCKRULE_PORTS_MAX);
		dash = memchr(p, '-', end - p);
		if (port(p, dash ? dash : end, &d->ports[d->nports].lo) < 0 ||
		    port(dash ? dash + 1 : p, end,
			 &d->ports[d->nports].hi) < 0 ||
		    d->ports[d->nports].lo > d->ports[d->nports].hi)
			return ERR("'%s' is not a port, a range N-M or *", s);
		d->nports++;
		p = *end ? end + 1 : end;
		if (*end && !*p)
			return ERR("'%s' ends with a comma", s);
	}
	return 0;
}

/* An address or CIDR of either family; what may be IPv6 unbracketed. */
static int address(const char *s, struct sock_dest *d, char *err, size_t n)
{
	char a[64];
	const char *slash = strchr(s, '/');
	size_t len = slash ? (size_t)(slash - s) : strlen(s);
	unsigned long bits;
	char *end;

	if (len >= sizeof(a))
		return ERR("'%s' is not an address", s);
	memcpy(a, s, len);
	a[len] = 0;
	if (inet_pton(AF_INET, a, d->addr) == 1)
		d->family = AF_INET;
	else if (inet_pton(AF_INET6, a, d->addr) == 1)
		d->family = AF_INET6;
	else
		return 1;	/* not an address: maybe a name */
	d->prefix = d->family == AF_INET ? 32 : 128;
	if (slash) {
		errno = 0;
		bits = strtoul(slash + 1, &end, 10);
		if (errno || end == slash + 1 || *end || bits > d->prefix)
			return ERR("'%s': a prefix length from 0 to %u", s,
				   d->prefix);
		d->prefix = bits;
	}
	return 0;
}

int sockrule_parse(const char *word, struct sock_dest *d, char *err, size_t n)
{
	char what[SOCKRULE_NAME_MAX + 3];
	const char *colon = NULL, *p;
	size_t wl;
	int e;

	memset(d, 0, sizeof(*d));
	if (strlen(word) >= sizeof(d->text))
		return ERR("'%.40s...' is too long", word);
	snprintf(d->text, sizeof(d->text), "%s", word);
	if (word[0] == '[') {
		/* [IPv6]:PORTS, [IPv6]/LEN:PORTS or [IPv6/LEN]:PORTS */
		const char *rest;
		size_t pl;

		p = strchr(word, ']');
		if (!p)
			return ERR("'%s': want [ADDRESS]:PORTS", word);
		wl = p - word - 1;
		rest = p + 1;
		pl = rest[0] == '/' ? strcspn(rest, ":") : 0;
		if (wl + pl >= sizeof(what))
			return ERR("'%s' is not an address", word);
		memcpy(what, word + 1, wl);
		memcpy(what + wl, rest, pl);
		what[wl + pl] = 0;
		rest += pl;
		if ((rest[0] && rest[0] != ':') || (rest[0] == ':' && !rest[1]))
			return ERR("'%s': want [ADDRESS]:PORTS", word);
		e = address(what, d, err, n);
		if (e > 0 || (!e && d->family != AF_INET6))
			return ERR("'%s': brackets hold an IPv6 address", word);
		if (e < 0)
			return e;
		return rest[0] ? ports(rest + 1, d, err, n) : 0;
	}
	/* Several colons without brackets: an IPv6 address, every port. */
	p = strchr(word, ':');
	if (p && strchr(p + 1, ':')) {
		e = address(word, d, err, n);
		if (e > 0 || (!e && d->family != AF_INET6))
			return ERR("'%s' is not an IPv6 address (with a port: "
				   "[ADDRESS]:PORTS)", word);
		return e;
	}
	colon = p;
	wl = colon ? (size_t)(colon - word) : strlen(word);
	if (wl == 0 || wl >= sizeof(what) || (colon && !colon[1]))
		return ERR("'%s': want WHAT[:PORTS]", word);
	memcpy(what, word, wl);
	what[wl] = 0;
	if (colon && (e = ports(colon + 1, d, err, n)) < 0)
		return e;
	if (!strcmp(what, "*")) {
		d->any = 1;
		return 0;
	}
	e = address(what, d, err, n);
	if (e <= 0)
		return e;
	if (!strncmp(what, "*.", 2)) {
		d->wild = 1;
		memmove(what, what + 2, strlen(what + 2) + 1);
	}
	if (!sockrule_name_ok(what) || strchr(what, '/'))
		return ERR("'%s' is neither *, a host name, *.domain, an "
			   "address nor a CIDR", word);
	for (p = what; *p; p++)
		d->name[p - what] = (char)tolower((unsigned char)*p);
	return 0;
}

static int prefix_match(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned full = bits / 8, rest = bits % 8;

	if (memcmp(a, b, full))
		return 0;
	if (!rest)
		return 1;
	return ((a[full] ^ b[full]) & (0xff << (8 - rest)) & 0xff) == 0;
}

static int name_match(const struct sock_dest *d, const char *name)
{
	size_t nl, dl = strlen(d->name);

	if (!name)
		return 0;
	nl = strlen(name);
	if (!d->wild)
		return nl == dl && !strcasecmp(name, d->name);
	return nl > dl + 1 && name[nl - dl - 1] == '.' &&
	       !strcasecmp(name + nl - dl, d->name);
}

int sockrule_match(const struct sock_dest *d, const char *name, int family,
		   const uint8_t *addr, uint16_t port)
{
	int i, ok = d->nports == 0;

	for (i = 0; i < d->nports && !ok; i++)
		ok = port >= d->ports[i].lo && port <= d->ports[i].hi;
	if (!ok)
		return 0;
	if (d->any)
		return 1;
	if (d->family)
		return d->family == family &&
		       prefix_match(d->addr, addr, d->prefix);
	return name_match(d, name);
}
