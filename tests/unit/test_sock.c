/* SPDX-License-Identifier: MIT */
/*
 * Unit test of the sock module's pieces that need no socket: the
 * destinations of the rules (shadowd/sockrule.c), the rules as the
 * shadow applies them in order with their defaults (shadow/sock_rules.c),
 * the names the guest resolved, and the guest's addresses checked and
 * host.internal translated (shadow/sock_addr.c).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include "hostcall_abi.h"
#include "sock.h"
#include "sockrule.h"
#include "unit.h"

static int m(const char *rule, const char *name, const char *addr,
	     uint16_t port)
{
	struct sock_dest d;
	uint8_t a[16] = { 0 };
	char err[256];
	int fam = AF_INET;

	if (sockrule_parse(rule, &d, err, sizeof(err)) < 0) {
		printf("  %s: %s\n", rule, err);
		return -1;
	}
	if (addr && strchr(addr, ':'))
		fam = AF_INET6;
	if (addr)
		inet_pton(fam, addr, a);
	return sockrule_match(&d, name, fam, a, port);
}

static int bad(const char *rule)
{
	struct sock_dest d;
	char err[256];

	return sockrule_parse(rule, &d, err, sizeof(err)) == -EINVAL;
}

static void dests(void)
{
	CHECK("dest: * matches anything", m("*", NULL, "1.2.3.4", 9) == 1);
	CHECK("dest: *:443 only that port", m("*:443", NULL, "1.2.3.4", 443) == 1 &&
	      m("*:443", NULL, "1.2.3.4", 80) == 0);
	CHECK("dest: a port list and range", m("*:80,8000-8099", NULL,
	      "1.2.3.4", 8050) == 1 && m("*:80,8000-8099", NULL, "1.2.3.4",
	      8100) == 0 && m("*:80,8000-8099", NULL, "1.2.3.4", 80) == 1);
	CHECK("dest: CIDR v4", m("10.0.0.0/8", NULL, "10.9.8.7", 1) == 1 &&
	      m("10.0.0.0/8", NULL, "11.0.0.1", 1) == 0);
	CHECK("dest: CIDR with odd bits", m("192.168.0.0/23", NULL,
	      "192.168.1.200", 1) == 1 && m("192.168.0.0/23", NULL,
	      "192.168.2.1", 1) == 0);
	CHECK("dest: an address", m("127.0.0.1:22", NULL, "127.0.0.1", 22) == 1);
	CHECK("dest: v6 CIDR in brackets with ports",
	      m("[2001:db8::]/32:443", NULL, "2001:db8:1::5", 443) == 1 &&
	      m("[2001:db8::]/32:443", NULL, "2001:db9::5", 443) == 0);
	CHECK("dest: bare v6", m("::1", NULL, "::1", 5) == 1);
	CHECK("dest: v4 rule never matches v6", m("0.0.0.0/0", NULL, "::1", 5) == 0);
	CHECK("dest: a name, case-blind", m("Example.COM", "example.com",
	      "1.2.3.4", 1) == 1 && m("example.com", "www.example.com",
	      "1.2.3.4", 1) == 0);
	CHECK("dest: *.domain is strictly below", m("*.example.com",
	      "www.example.com", "1.1.1.1", 1) == 1 && m("*.example.com",
	      "example.com", "1.1.1.1", 1) == 0 && m("*.example.com",
	      "badexample.com", "1.1.1.1", 1) == 0);
	CHECK("dest: a name rule needs a resolved name",
	      m("example.com", NULL, "1.2.3.4", 1) == 0);
	CHECK("dest: bad words", bad("") && bad(":80") && bad("*:") &&
	      bad("x.org:") && bad("x.org:1,") && bad("x.org:0x50") &&
	      bad("a b") && bad("1.2.3.4/40") && bad("[::1") &&
	      bad("[1.2.3.4]:5") && bad("*foo.org") && bad("x.org:1-2-3") &&
	      bad("x.org:1,2,3,4,5,6,7,8,9"));
}

static const uint8_t lo4[4] = { 127, 0, 0, 1 };

static void rules(void)
{
	const char *r;
	uint8_t a[16];

	inet_pton(AF_INET, "10.1.2.3", a);
	CHECK("rules: without sock-connect lines everything is allowed",
	      sock_connect_allowed(NULL, AF_INET, a, 80, &r) == 1 &&
	      !strcmp(r, "default"));
	CHECK("rules: the listen default is the host's loopback",
	      sock_listen_allowed(AF_INET, lo4, 0) == 1 &&
	      sock_listen_allowed(AF_INET6, in6addr_loopback.s6_addr, 80) &&
	      sock_listen_allowed(AF_INET, a, 0) == 0);
	CHECK("rules: lines parse",
	      !sock_rules_line("sock-connect", "deny 10.0.0.0/8") &&
	      !sock_rules_line("sock-connect", "allow *:80") &&
	      !sock_rules_line("sock-connect", "allow host.internal") &&
	      !sock_rules_line("sock-listen", "0.0.0.0:8000-8099") &&
	      !sock_rules_line("force-tls", "secure.test:443") &&
	      !sock_rules_line("tls-ca", "/tmp/ca.pem"));
	CHECK("rules: bad lines are refused",
	      sock_rules_line("sock-connect", "maybe *") == -EINVAL &&
	      sock_rules_line("sock-connect", "allow a..b") == -EINVAL &&
	      sock_rules_line("tls-ca", "rel") == -EINVAL &&
	      sock_rules_line("sock-other", "x") == -EINVAL);
	CHECK("rules: the first match decides (deny before allow)",
	      sock_connect_allowed(NULL, AF_INET, a, 80, &r) == 0 &&
	      !strcmp(r, "deny:10.0.0.0/8"));
	inet_pton(AF_INET, "192.0.2.1", a);
	CHECK("rules: a later allow", sock_connect_allowed(NULL, AF_INET, a,
	      80, &r) == 1 && !strcmp(r, "allow:*:80"));
	CHECK("rules: with lines, the unlisted is denied",
	      sock_connect_allowed(NULL, AF_INET, a, 81, &r) == 0 &&
	      !strcmp(r, "unlisted"));
	CHECK("rules: a name rule by the resolved name",
	      sock_connect_allowed("host.internal", AF_INET, lo4, 9, &r) == 1);
	CHECK("rules: listed listens replace the default",
	      sock_listen_allowed(AF_INET, lo4, 0) == 0 &&
	      sock_listen_allowed(AF_INET, a, 8001) == 0);
	memset(a, 0, 4);
	CHECK("rules: a port range does not allow port 0",
	      sock_listen_allowed(AF_INET, a, 8001) == 1 &&
	      sock_listen_allowed(AF_INET, a, 0) == 0);
	inet_pton(AF_INET, "198.51.100.7", a);
	CHECK("rules: force-tls by name and port",
	      sock_tls_wanted("secure.test", AF_INET, a, 443) == 1 &&
	      sock_tls_wanted("secure.test", AF_INET, a, 80) == 0 &&
	      sock_tls_wanted(NULL, AF_INET, a, 443) == 0 &&
	      !strcmp(sock_tls_ca(), "/tmp/ca.pem"));
	sock_rules_release();
	CHECK("rules: released: defaults again",
	      sock_connect_allowed(NULL, AF_INET, a, 1, &r) == 1 &&
	      sock_listen_allowed(AF_INET, lo4, 0) == 1 && !sock_tls_ca());
}

static void names(void)
{
	uint8_t a[16], b[16];
	char buf[256];
	int i;

	inet_pton(AF_INET, "192.0.2.5", a);
	inet_pton(AF_INET6, "2001:db8::5", b);
	CHECK("names: unknown", !sock_names_lookup(AF_INET, a, buf, sizeof(buf)));
	sock_names_remember("www.example.com", AF_INET, a);
	sock_names_remember("v6.example.com", AF_INET6, b);
	CHECK("names: remembered per family",
	      sock_names_lookup(AF_INET, a, buf, sizeof(buf)) &&
	      !strcmp(buf, "www.example.com") &&
	      sock_names_lookup(AF_INET6, b, buf, sizeof(buf)) &&
	      !strcmp(buf, "v6.example.com"));
	sock_names_remember("other.example.com", AF_INET, a);
	CHECK("names: the latest name of an address wins",
	      sock_names_lookup(AF_INET, a, buf, sizeof(buf)) &&
	      !strcmp(buf, "other.example.com"));
	sock_names_remember("bad name", AF_INET, b);
	CHECK("names: a name that is not one is not kept",
	      !sock_names_lookup(AF_INET, b, buf, sizeof(buf)));
	for (i = 0; i < 300; i++) {
		uint8_t c[4] = { 198, 18, (uint8_t)(i >> 8), (uint8_t)i };

		sock_names_remember("filler.test", AF_INET, c);
	}
	CHECK("names: bounded, the oldest go",
	      !sock_names_lookup(AF_INET, a, buf, sizeof(buf)));
}

static void addrs(void)
{
	struct sockaddr_in in = { .sin_family = AF_INET, .sin_port = htons(80) };
	struct sockaddr_in6 in6 = { .sin6_family = AF_INET6 };
	static const uint8_t hi6[16] = HC_SOCK_HOST_INTERNAL6;
	struct sockaddr_storage ss;
	unsigned char out[64];
	char text[64];
	socklen_t sl;
	uint8_t k[16];
	uint16_t port;

	in.sin_addr.s_addr = htonl(HC_SOCK_HOST_INTERNAL4);
	CHECK("addr: host.internal is the host's 127.0.0.1",
	      sock_addr_in(&in, sizeof(in), AF_INET, &ss, &sl) == 0 &&
	      sl == sizeof(in) &&
	      ((struct sockaddr_in *)&ss)->sin_addr.s_addr ==
		      htonl(INADDR_LOOPBACK));
	CHECK("addr: and back again",
	      sock_addr_out(&ss, sl, out, sizeof(out)) == sizeof(in) &&
	      !memcmp(out, &in, sizeof(in)));
	CHECK("addr: a short buffer is cut, the full length answered",
	      sock_addr_out(&ss, sl, out, 4) == sizeof(in));
	CHECK("addr: wrong lengths",
	      sock_addr_in(&in, sizeof(in) - 1, AF_INET, &ss, &sl) == -EINVAL &&
	      sock_addr_in(&in, sizeof(in) + 1, AF_INET, &ss, &sl) == -EINVAL &&
	      sock_addr_in(&in, 1, AF_INET, &ss, &sl) == -EINVAL);
	CHECK("addr: a family that is not the socket's",
	      sock_addr_in(&in, sizeof(in), AF_INET6, &ss, &sl) == -EAFNOSUPPORT);
	in.sin_family = AF_UNIX;
	CHECK("addr: AF_UNIX is not for the host",
	      sock_addr_in(&in, sizeof(in), AF_INET, &ss, &sl) == -EAFNOSUPPORT);
	memcpy(in6.sin6_addr.s6_addr, hi6, 16);
	in6.sin6_port = htons(443);
	CHECK("addr: v6 host.internal is ::1",
	      sock_addr_in(&in6, sizeof(in6), AF_INET6, &ss, &sl) == 0 &&
	      IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)&ss)->sin6_addr));
	CHECK("addr: v6 key and text",
	      sock_addr_key(&ss, k, &port) == AF_INET6 && port == 443 &&
	      (sock_addr_text(&ss, text, sizeof(text)), !strcmp(text, "[::1]:443")));
	in6.sin6_scope_id = 2;
	CHECK("addr: no scope ids from the guest",
	      sock_addr_in(&in6, sizeof(in6), AF_INET6, &ss, &sl) == -EINVAL);
	in6.sin6_scope_id = 0;
	inet_pton(AF_INET6, "::ffff:10.1.2.3", &in6.sin6_addr);
	CHECK("addr: a v4-mapped address is v4 to the rules",
	      sock_addr_in(&in6, sizeof(in6), AF_INET6, &ss, &sl) == 0 &&
	      sock_addr_key(&ss, k, &port) == AF_INET && k[0] == 10 && k[3] == 3);
}

/* Several names for one address: an explicit deny by any wins. */
static void aliases(void)
{
	uint8_t a[16];
	const char *r;
	char name[256];

	inet_pton(AF_INET, "203.0.113.9", a);
	sock_names_remember("evil.test", AF_INET, a);
	sock_names_remember("good.test", AF_INET, a);
	sock_rules_line("sock-connect", "deny evil.test");
	sock_rules_line("sock-connect", "allow *");
	CHECK("aliases: a second name does not lift a name's deny",
	      sock_dest_allowed(AF_INET, a, 443, &r, name, sizeof(name)) == 0 &&
	      !strcmp(r, "deny:evil.test") && !strcmp(name, "evil.test"));
	sock_rules_release();
	sock_rules_line("sock-connect", "allow good.test");
	CHECK("aliases: with an allow list, an allowed name of the address "
	      "allows it (the latest name reported)",
	      sock_dest_allowed(AF_INET, a, 443, &r, name, sizeof(name)) == 1 &&
	      !strcmp(r, "allow:good.test") && !strcmp(name, "good.test"));
	inet_pton(AF_INET, "203.0.113.10", a);
	CHECK("aliases: an address nobody resolved: address rules only",
	      sock_dest_allowed(AF_INET, a, 443, &r, name, sizeof(name)) == 0 &&
	      !strcmp(r, "unlisted") && !name[0]);
	sock_rules_release();
}

int main(void)
{
	dests();
	rules();
	names();
	aliases();
	addrs();
	return DONE();
}
