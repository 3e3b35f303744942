/* SPDX-License-Identifier: MIT */
/*
 * The sock module's rules, as the shadow got them on its policy fd
 * (session_policy.c writes them, sockrule.c parses them on both sides),
 * and the names the guest resolved, which name rules and SNI need: the
 * guest connects to an address, the rule (and the certificate) speaks of
 * a name. Documentation/sock.md, "Host rules".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "log.h"
#include "sock.h"
#include "sockrule.h"

struct rule {
	int allow;
	struct sock_dest d;
	char text[sizeof(((struct sock_dest *)0)->text) + 8];
};

static struct rule *connects;	/* in order: the first match decides */
static int nconnects;
static struct sock_dest *listens;	/* none listed: the host's loopback */
static int nlistens, listens_listed;
static struct sock_dest *tls;
static int ntls;
static char *tls_ca;

static int add_dest(struct sock_dest **l, int *n, const char *word)
{
	struct sock_dest d, *nl;
	char err[256];

	if (sockrule_parse(word, &d, err, sizeof(err)) < 0) {
		log_msg("policy: %s", err);
		return -EINVAL;
	}
	nl = realloc(*l, (*n + 1) * sizeof(*nl));
	if (!nl)
		return -ENOMEM;
	nl[(*n)++] = d;
	*l = nl;
	return 0;
}

int sock_rules_line(const char *key, const char *v)
{
	struct rule *nl, r;
	char err[256];

	if (!strcmp(key, "sock-connect")) {
		memset(&r, 0, sizeof(r));
		if (!strncmp(v, "allow ", 6))
			r.allow = 1;
		else if (strncmp(v, "deny ", 5))
			return -EINVAL;
		v = strchr(v, ' ') + 1;
		if (sockrule_parse(v, &r.d, err, sizeof(err)) < 0) {
			log_msg("policy: %s", err);
			return -EINVAL;
		}
		snprintf(r.text, sizeof(r.text), "%s:%s",
			 r.allow ? "allow" : "deny", v);
		nl = realloc(connects, (nconnects + 1) * sizeof(*nl));
		if (!nl)
			return -ENOMEM;
		nl[nconnects++] = r;
		connects = nl;
		return 0;
	}
	if (!strcmp(key, "sock-listen-listed")) {
		listens_listed = 1;
		return 0;
	}
	if (!strcmp(key, "sock-listen")) {
		listens_listed = 1;
		return add_dest(&listens, &nlistens, v);
	}
	if (!strcmp(key, "force-tls"))
		return add_dest(&tls, &ntls, v);
	if (!strcmp(key, "tls-ca")) {
		if (v[0] != '/')
			return -EINVAL;
		free(tls_ca);
		tls_ca = strdup(v);
		return tls_ca ? 0 : -ENOMEM;
	}
	return -EINVAL;
}

void sock_rules_release(void)
{
	free(connects);
	free(listens);
	free(tls);
	free(tls_ca);
	connects = NULL;
	listens = tls = NULL;
	tls_ca = NULL;
	nconnects = nlistens = ntls = listens_listed = 0;
}

int sock_connect_allowed(const char *name, int family, const uint8_t *addr,
			 uint16_t port, const char **rule)
{
	int i;

	/* No sock-connect line: everything, as the proc module's curl
	 * could anyway. With lines: the first match, else refused. */
	if (!nconnects) {
		*rule = "default";
		return 1;
	}
	for (i = 0; i < nconnects; i++) {
		if (sockrule_match(&connects[i].d, name, family, addr, port)) {
			*rule = connects[i].text;
			return connects[i].allow;
		}
	}
	*rule = "unlisted";
	return 0;
}

int sock_listen_allowed(int family, const uint8_t *addr, uint16_t port)
{
	static const uint8_t lo4[4] = { 127, 0, 0, 1 };
	int i;

	if (!listens_listed)
		return family == AF_INET ? !memcmp(addr, lo4, 4) :
		       !memcmp(addr, in6addr_loopback.s6_addr, 16);
	/* Port 0 (the kernel's choice) matches only a rule for every
	 * port: the port it picks could be outside a range. */
	for (i = 0; i < nlistens; i++)
		if (sockrule_match(&listens[i], NULL, family, addr, port))
			return 1;
	return 0;
}

int sock_tls_wanted(const char *name, int family, const uint8_t *addr,
		    uint16_t port)
{
	int i;

	for (i = 0; i < ntls; i++)
		if (sockrule_match(&tls[i], name, family, addr, port))
			return 1;
	return 0;
}

int sock_tls_rules(void)
{
	return ntls > 0;
}

const char *sock_tls_ca(void)
{
	return tls_ca;
}

/* ---- names the guest resolved ---- */

#define NAMES	256

struct name {
	unsigned long seq;	/* when it was last resolved */
	int family;
	uint8_t addr[16];
	char name[SOCKRULE_NAME_MAX + 1];
};

static pthread_mutex_t names_lock = PTHREAD_MUTEX_INITIALIZER;
static struct name names[NAMES];
static unsigned names_next;	/* the oldest, overwritten next */
static unsigned long names_seq;

void sock_names_remember(const char *name, int family, const uint8_t *addr)
{
	struct name *e;
	size_t len = family == AF_INET ? 4 : 16;
	unsigned i;

	if (!sockrule_name_ok(name))
		return;
	pthread_mutex_lock(&names_lock);
	/* One entry per name and address (several names may share an
	 * address: all of them count for the rules); the oldest goes. */
	for (i = 0; i < NAMES; i++)
		if (names[i].family == family &&
		    !memcmp(names[i].addr, addr, len) &&
		    !strcasecmp(names[i].name, name))
			break;
	if (i < NAMES) {
		names[i].seq = ++names_seq;
		pthread_mutex_unlock(&names_lock);
		return;
	}
	e = &names[names_next++ % NAMES];
	e->seq = ++names_seq;
	e->family = family;
	memset(e->addr, 0, sizeof(e->addr));
	memcpy(e->addr, addr, len);
	snprintf(e->name, sizeof(e->name), "%s", name);
	pthread_mutex_unlock(&names_lock);
}

/* The names resolved to an address, latest first: how many (<= max). */
static int names_of(int family, const uint8_t *addr,
		    char out[][SOCKRULE_NAME_MAX + 1], int max)
{
	size_t len = family == AF_INET ? 4 : 16;
	unsigned long seqs[8];
	int n = 0, i, j;

	if (max > 8)
		max = 8;
	pthread_mutex_lock(&names_lock);
	for (i = 0; i < NAMES; i++) {
		if (names[i].family != family ||
		    memcmp(names[i].addr, addr, len))
			continue;
		/* insertion by seq, newest first, keep max */
		for (j = n; j > 0 && seqs[j - 1] < names[i].seq; j--) {
			if (j < max) {
				seqs[j] = seqs[j - 1];
				memcpy(out[j], out[j - 1], sizeof(out[j]));
			}
		}
		if (j < max) {
			seqs[j] = names[i].seq;
			snprintf(out[j], sizeof(out[j]), "%s", names[i].name);
			if (n < max)
				n++;
		}
	}
	pthread_mutex_unlock(&names_lock);
	return n;
}

const char *sock_names_lookup(int family, const uint8_t *addr, char *buf,
			      size_t n)
{
	char l[1][SOCKRULE_NAME_MAX + 1];

	if (names_of(family, addr, l, 1) < 1)
		return NULL;
	snprintf(buf, n, "%s", l[0]);
	return buf;
}

int sock_dest_allowed(int family, const uint8_t *addr, uint16_t port,
		      const char **rule, char *name, size_t n)
{
	char l[8][SOCKRULE_NAME_MAX + 1];
	const char *r, *allowed_by = NULL;
	int k = names_of(family, addr, l, 8), i, ok;

	snprintf(name, n, "%s", k ? l[0] : "");
	/* Every name the guest resolved to this address, and the address
	 * alone: an explicit deny by any of them wins (a second name for
	 * the same address must not lift a deny), else an allow by any. */
	for (i = -1; i < k; i++) {
		ok = sock_connect_allowed(i < 0 ? NULL : l[i], family, addr,
					  port, &r);
		if (!ok && strcmp(r, "unlisted")) {
			*rule = r;
			if (i >= 0)
				snprintf(name, n, "%s", l[i]);
			return 0;
		}
		if (ok && (!allowed_by || i == 0)) {
			allowed_by = r;
			if (i >= 0)
				snprintf(name, n, "%s", l[i]);
		}
	}
	*rule = allowed_by ? allowed_by : "unlisted";
	return allowed_by != NULL;
}
