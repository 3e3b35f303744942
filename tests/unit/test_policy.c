/* SPDX-License-Identifier: MIT */
/*
 * Unit test of the policy parser and the user mapping (shadowd/policy.c,
 * shadowd/user.c): good and bad files, VM sections, owners, map rules,
 * and guest root never becoming host root unless a rule names it. Uses
 * the host users root and nobody only.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "policy.h"
#include "unit.h"
#include "user.h"

static char errs[8192];

static void collect(const char *file, int line, const char *msg)
{
	size_t n = strlen(errs);

	(void)file;
	snprintf(errs + n, sizeof(errs) - n, "%d: %s\n", line, msg);
}

/* Parse text as a policy file: the error count; errs lists them. */
static int parse(const char *text, struct policy *p)
{
	char path[] = "/tmp/hc-unit-policy-XXXXXX";
	int fd = mkstemp(path), n;

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		return -1;
	close(fd);
	errs[0] = 0;
	n = policy_load(path, p, collect);
	unlink(path);
	return n;
}

static int map(const struct vm_policy *vm, uid_t owner, uint32_t guest,
	       struct host_user *u)
{
	struct hc_identity id = { .uid = guest };
	struct map_request rq = { .owner_uid = owner, .vm_name = "x",
				  .id = &id, .vm = vm,
				  .fallback_user = POLICY_FALLBACK_USER };

	return user_map(&rq, u);
}

static void builtin(void)
{
	struct policy p;
	struct host_user u;
	const struct vm_policy *vm;

	policy_builtin(&p);
	vm = policy_vm(&p, "anything");
	CHECK("builtin: any peer may attach", policy_may_attach(&p, vm, 4321));
	CHECK("builtin: every built-in module", !vm->mods.set &&
	      policy_modules(vm, 1000) == &vm->mods);
	CHECK("builtin: unprivileged owner maps to itself",
	      map(vm, 65534, 0, &u) == 0 && u.uid == 65534 && !u.fallback);
	CHECK("builtin: root owner maps guest root to nobody",
	      map(vm, 0, 0, &u) == 0 && u.uid == 65534 && u.fallback &&
	      !u.root_named);
	CHECK("builtin: root owner maps any guest user to nobody",
	      map(vm, 0, 1000, &u) == 0 && u.uid == 65534);
	policy_free(&p);
}

static void good(void)
{
	struct policy p;
	struct host_user u;
	const struct vm_policy *a, *star, *other;
	int n;

	n = parse("# comment\n"
		  "[global]\n"
		  "owners = nobody @0   # trailing comment\n"
		  "audit = file /var/log/hc.log\n"
		  "fallback-user = nobody\n"
		  "\n"
		  "[vm alpha]\n"
		  "owners = nobody\n"
		  "map * = refuse\n"
		  "map 0 = root\n"
		  "map 1000-1999 = nobody\n"
		  "map 5000 = owner\n"
		  "modules = sys fs example@1.2-1.9 other@2 third@3.1\n"
		  "modules 1000-1999 = sys\n"
		  "modules 7 = none\n"
		  "commands = id\n"
		  "commands = /usr/bin/sort\n"
		  "env = LANG LC_*\n"
		  "fs-roots = /tmp /\n"
		  "max-sessions = 2\n"
		  "cpu-seconds = 0\n"
		  "[vm *]\n"
		  "modules = none\n", &p);
	CHECK("good: no errors", n == 0);
	if (n) {
		fputs(errs, stdout);
		policy_free(&p);
		return;
	}
	a = policy_vm(&p, "alpha");
	star = policy_vm(&p, "beta");
	other = policy_vm(&p, "ALPHA");
	CHECK("good: section by name", !strcmp(a->name, "alpha"));
	CHECK("good: [vm *] for other names, case matters",
	      !strcmp(star->name, "*") && other == star);
	CHECK("good: audit file", p.audit == AUDIT_FILE &&
	      !strcmp(p.audit_file, "/var/log/hc.log"));
	CHECK("good: lists append", a->ncommands == 2 && a->has_commands &&
	      !strcmp(a->commands[1], "/usr/bin/sort"));
	CHECK("good: env names and prefixes", a->has_env && a->nenv == 2 &&
	      !strcmp(a->env[1], "LC_*"));
	CHECK("good: roots canonical", a->nroots == 2 &&
	      !strcmp(a->roots[1], "/"));
	{
		const struct mod_list *l = policy_modules(a, 42);
		const struct mod_rule *m = l->mods;

		CHECK("good: modules", l == &a->mods && l->set &&
		      l->nmods == 5 && !strcmp(m[0].name, "sys") &&
		      m[0].lo == 0 && m[0].hi == UINT32_MAX &&
		      !strcmp(m[1].name, "fs"));
		CHECK("good: modules NAME@MAJOR.MINOR-MAJOR.MINOR",
		      !strcmp(m[2].name, "example") &&
		      m[2].lo == (1u << 16 | 2) && m[2].hi == (1u << 16 | 9));
		CHECK("good: modules NAME@MAJOR: every minor of it",
		      m[3].lo == 2u << 16 && m[3].hi == (2u << 16 | 0xffff));
		CHECK("good: modules NAME@MAJOR.MINOR: that minor or later",
		      m[4].lo == (3u << 16 | 1) && m[4].hi == (3u << 16 | 0xffff));
		l = policy_modules(a, 1500);
		CHECK("good: modules for guest users override the VM's",
		      l != &a->mods && l->nmods == 1 &&
		      !strcmp(l->mods[0].name, "sys") &&
		      policy_modules(a, 2000) == &a->mods);
		l = policy_modules(a, 7);
		CHECK("good: modules UID = none", l->set && l->nmods == 0);
		CHECK("good: modules = none",
		      star->mods.set && star->mods.nmods == 0);
	}
	CHECK("good: limits", a->lim.sessions == 2 && a->lim.procs == 256 &&
	      a->lim.bytes == HC_MAX_DATA);
	CHECK("good: owner may attach", policy_may_attach(&p, a, 65534));
	CHECK("good: root may always attach", policy_may_attach(&p, a, 0));
	CHECK("good: others may not", !policy_may_attach(&p, a, 4321));
	CHECK("good: [vm *] without owners takes [global]'s (user, @group)",
	      policy_may_attach(&p, star, 65534) &&
	      !policy_may_attach(&p, star, 4321));
	CHECK("good: map * = refuse", map(a, 65534, 7, &u) == -EPERM);
	CHECK("good: a rule naming root gives root",
	      map(a, 65534, 0, &u) == 0 && u.uid == 0 && u.root_named);
	CHECK("good: a range", map(a, 4321, 1500, &u) == 0 &&
	      u.uid == 65534 && !u.root_named);
	CHECK("good: owner rule, unprivileged owner",
	      map(a, 65534, 5000, &u) == 0 && u.uid == 65534);
	CHECK("good: owner rule never gives root",
	      map(a, 0, 5000, &u) == 0 && u.uid == 65534 && u.fallback);
	CHECK("good: [vm *] default is the owner",
	      map(star, 65534, 3, &u) == 0 && u.uid == 65534);
	policy_free(&p);
}

/* Each snippet has exactly one error, on the given line. */
static void bad(void)
{
	static const struct { const char *text; int line; const char *why; }
	t[] = {
		{ "owners = root\n", 1, "outside a section" },
		{ "[global]\nowners = hc-no-such-user-x\n", 2, "no host user" },
		{ "[global]\naudit = file rel/path\n", 2, "plain absolute" },
		{ "[global]\naudit = syslog\naudit = stderr\n", 3, "twice" },
		{ "[global]\nfallback-user = root\n", 2, "must not be root" },
		{ "[vm a]\nmap 5 = nobody\n", 1, "no owners line" },
		{ "[vm a]\nowners = nobody\nmap 5-3 = nobody\n", 3, "empty" },
		{ "[vm a]\nmap x = owner\n", 2, "not *, N or N-M" },
		{ "[vm a]\nmap = owner\n", 2, "needs a guest uid" },
		{ "[vm a]\nmap * = owner\nmap * = refuse\n", 3, "twice" },
		{ "[vm a]\nmap 1 = owner\nmap 0-9 = owner\n", 3, "overlaps" },
		{ "[vm a]\nmap 1 = owner nobody\n", 2, "one value" },
		{ "[vm a]\nmodules = sys Net\n", 2, "bad module name" },
		{ "[vm a]\nmodules = sys@1.x\n", 2, "NAME@MAJOR" },
		{ "[vm a]\nmodules = ex@2.0-1.0\n", 2, "empty version range" },
		{ "[vm a]\nmodules = sys sys@1\n", 2, "listed twice" },
		{ "[vm a]\nmodules = sys\nmodules = fs\n", 3, "twice" },
		{ "[vm a]\nmodules 5 = sys\nmodules 1-9 = fs\n", 3,
		  "overlaps" },
		{ "[vm a]\nmodules x = sys\n", 2, "not *, N or N-M" },
		{ "[global]\nmodule-dir = rel\n", 2, "plain absolute" },
		{ "[vm a]\nmodules =\n", 2, "say none" },
		{ "[vm a]\ncommands = bin/sh\n", 2, "plain name" },
		{ "[vm a]\ncommands = /usr/bin/../bin/sh\n", 2, "plain name" },
		{ "[vm a]\nenv = LD-X\n", 2, "not a variable name" },
		{ "[vm a]\nenv = *\n", 2, "not a variable name" },
		{ "[vm a]\nfs-roots = /no/such/dir/hc\n", 2, "No such file" },
		{ "[vm a]\nfs-roots = /etc/passwd\n", 2, "not a directory" },
		{ "[vm a]\nmax-bytes = 100\n", 2, "from 4096" },
		{ "[vm a]\nmax-procs = -1\n", 2, "want a number" },
		{ "[vm a]\ncpu-seconds = 1 2\n", 2, "one value" },
		{ "[vm a]\ncolour = red\n", 2, "unknown key" },
		{ "[vm a]\nowners x = root\n", 2, "no argument" },
		{ "[vm a/b]\n", 1, "bad VM name" },
		{ "[vm a]\n[vm a]\n", 2, "again" },
		{ "[vm]\n", 1, "unknown section" },
		{ "[global\n", 1, "without ']'" },
		{ "[global]\njust words\n", 2, "KEY = VALUE" },
		{ "[oops]\nnot = checked\n", 1, "unknown section" },
		{ "[vm a]\nsock-connect = 10.0.0.0/8\n", 2, "allow or deny" },
		{ "[vm a]\nsock-connect = allow\n", 2, "at least one" },
		{ "[vm a]\nsock-connect = deny 10.0.0.0/33\n", 2,
		  "prefix length" },
		{ "[vm a]\nsock-connect = allow a..b\n", 2, "neither" },
		{ "[vm a]\nsock-connect = allow x.org:70000\n", 2,
		  "not a port" },
		{ "[vm a]\nsock-connect = allow x.org:9-3\n", 2, "not a port" },
		{ "[vm a]\nsock-connect = allow [10.0.0.1]:80\n", 2,
		  "IPv6" },
		{ "[vm a]\nsock-listen = example.com:80\n", 2, "not a name" },
		{ "[vm a]\nforce-tls = *:\n", 2, "WHAT[:PORTS]" },
		{ "[vm a]\ntls-ca = rel.pem\n", 2, "plain absolute" },
		{ "[vm a]\ntls-ca = /no/such/ca.pem\n", 2, "readable file" },
		{ "[vm a]\nmax-sockets = 2000\n", 2, "from 1 to 1024" },
	};
	struct policy p;
	char name[128], want[64];
	unsigned i;
	int n;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		n = parse(t[i].text, &p);
		snprintf(want, sizeof(want), "%d: ", t[i].line);
		snprintf(name, sizeof(name), "bad: line %d: %s", t[i].line,
			 t[i].why);
		CHECK(name, n == 1 && !strncmp(errs, want, strlen(want)) &&
		      strstr(errs, t[i].why));
		if (n != 1 || strncmp(errs, want, strlen(want)))
			printf("  got %d: %s", n, errs);
		policy_free(&p);
	}
	n = parse("[vm a]\nmap 5 = hc-no-such-user-x\nmodules = X\n"
		  "max-files = 0\n", &p);
	CHECK("bad: every error is reported, not just the first", n == 3);
	CHECK("bad: a policy with errors is left empty", p.nvms == 0);
	policy_free(&p);
}

/* The sock module's keys: checked words, kept in order. */
static void sock_keys(void)
{
	struct policy p;
	const struct vm_policy *vm;
	int n;

	n = parse("[vm a]\nmodules = sys sock\n"
		  "sock-connect = deny 10.0.0.0/8 *:25\n"
		  "sock-connect = allow *.debian.org:80,443 [::1]:8000-8099 "
		  "host.internal\n"
		  "sock-listen = 127.0.0.1:8000-8999 [::1]:*\n"
		  "force-tls = example.com:443\n"
		  "tls-ca = /etc/passwd\nmax-sockets = 64\n", &p);
	if (n)
		fputs(errs, stdout);
	vm = n ? NULL : policy_vm(&p, "a");
	CHECK("sock: the keys parse", n == 0 && vm);
	CHECK("sock: sock-connect entries in order, with their action",
	      vm && vm->nsock_connect == 5 &&
	      !strcmp(vm->sock_connect[0], "deny 10.0.0.0/8") &&
	      !strcmp(vm->sock_connect[1], "deny *:25") &&
	      !strcmp(vm->sock_connect[2], "allow *.debian.org:80,443") &&
	      !strcmp(vm->sock_connect[4], "allow host.internal"));
	CHECK("sock: sock-listen, force-tls, tls-ca, max-sockets",
	      vm && vm->has_sock_listen && vm->nsock_listen == 2 &&
	      vm->nforce_tls == 1 && !strcmp(vm->tls_ca, "/etc/passwd") &&
	      vm->lim.sockets == 64);
	policy_free(&p);
	n = parse("[vm a]\nmodules = sock\n", &p);
	vm = n ? NULL : policy_vm(&p, "a");
	CHECK("sock: defaults: no rules, 256 sockets",
	      vm && !vm->nsock_connect && !vm->has_sock_listen &&
	      !vm->tls_ca[0] && vm->lim.sockets == 256);
	policy_free(&p);
}

int main(void)
{
	builtin();
	good();
	bad();
	sock_keys();
	return DONE();
}
