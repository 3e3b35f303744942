/* SPDX-License-Identifier: MIT */
/*
 * The sock module's destinations (Documentation/sock.md, "Host rules"):
 * `WHAT[:PORTS]` words of sock-connect, sock-listen and force-tls. One
 * parser for both sides: shadowd checks shadowd.conf with it (errors
 * with their line), the shadow parses the same words again from its
 * policy fd, so what was checked is what applies.
 */
#ifndef HC_SOCKRULE_H
#define HC_SOCKRULE_H

#include <stddef.h>
#include <stdint.h>

#define SOCKRULE_NAME_MAX	253	/* a DNS name */
#define SOCKRULE_PORTS_MAX	8	/* ranges in one word */

struct sock_dest {
	int any;		/* WHAT is "*" */
	int family;		/* AF_INET, AF_INET6: an address or CIDR; 0: a name */
	uint8_t addr[16];
	unsigned prefix;	/* bits that must match */
	char name[SOCKRULE_NAME_MAX + 1];	/* lower case */
	int wild;		/* "*.name": strictly below name */
	int nports;		/* 0: every port */
	struct { uint16_t lo, hi; } ports[SOCKRULE_PORTS_MAX];
	char text[300];		/* the word, for audit lines */
};

/* One word: 0, or -EINVAL with a reason in err (n bytes). */
int sockrule_parse(const char *word, struct sock_dest *d, char *err, size_t n);

/*
 * Does d match a destination? name: what the guest resolved to reach
 * addr (NULL: none); family and addr (4 or 16 bytes; an IPv4-mapped IPv6
 * address must be given as IPv4); port in host order.
 */
int sockrule_match(const struct sock_dest *d, const char *name, int family,
		   const uint8_t *addr, uint16_t port);

/* A host name as the rules and the resolver want it: 1..253 bytes of
 * [A-Za-z0-9.-_], no empty labels. */
int sockrule_name_ok(const char *s);

#endif
