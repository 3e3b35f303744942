/* SPDX-License-Identifier: MIT */
/*
 * The sock module's name lookups in a session whose policy binds sock
 * but not fs (Documentation/sock.md, "Confinement"): the confined shadow
 * may not open /etc/hosts, resolv.conf or nsswitch.conf, so GETADDRINFO
 * must reach the resolver helper forked before confinement. Runs in a
 * child in a mount namespace of its own whose /etc/hosts is a private
 * file naming a test host (root; else that check SKIPs): localhost,
 * host.internal, the private name, and a DNS name if the host itself
 * resolves one (else SKIP).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <dirent.h>
#include <sys/wait.h>
#include <unistd.h>
#include "checks.h"

#define PRIVATE_NAME	"hc-nofs-test.internal"
#define PRIVATE_ADDR	"192.0.2.55"
#define DNS_NAME	"example.com"

static struct sess S;
static int64_t H;

/* GETADDRINFO of name (IPv4, TCP, port 80): the count or the error, the
 * first address in *a. */
static int64_t lookup(const char *name, struct in_addr *a)
{
	char in[128];
	unsigned char *out = NULL;
	struct hc_sock_ai ai;
	struct sockaddr_in sa;
	uint32_t len = 0;
	size_t n = snprintf(in, sizeof(in), "%s%c80", name, 0) + 1;
	int64_t r;

	r = call(&S, (uint16_t)H, HC_SOCK_GETADDRINFO, AF_INET, SOCK_STREAM,
		 0, in, n, 8 * sizeof(ai), &out, &len);
	memset(a, 0, sizeof(*a));
	if (r > 0 && out && len >= sizeof(ai)) {
		memcpy(&ai, out, sizeof(ai));
		memcpy(&sa, ai.addr, sizeof(sa));
		*a = sa.sin_addr;
	}
	free(out);
	return r;
}

/* /etc/hosts replaced, for this process and its children only: NULL or
 * why not. */
static const char *private_hosts(char *path, size_t n)
{
	FILE *f;
	int fd;

	snprintf(path, n, "/tmp/hc-nofs-hosts-XXXXXX");
	fd = mkstemp(path);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f)
		return "cannot write a hosts file";
	fprintf(f, "127.0.0.1 localhost\n::1 localhost\n%s %s\n",
		PRIVATE_ADDR, PRIVATE_NAME);
	fclose(f);
	if (unshare(CLONE_NEWNS) < 0)
		return "no mount namespace (unshare)";
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount(path, "/etc/hosts", NULL, MS_BIND, NULL) < 0)
		return "cannot bind-mount a private /etc/hosts";
	return NULL;
}

/* The shadow's child named hc-resolver: its pid, or 0. */
static pid_t resolver_of(pid_t shadow)
{
	char path[300], buf[256], comm[32];
	struct dirent *e;
	pid_t found = 0;
	int ppid;
	DIR *d = opendir("/proc");
	FILE *f;

	while (d && !found && (e = readdir(d))) {
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(buf, sizeof(buf), f) &&
		    sscanf(buf, "%*d (%31[^)]) %*c %d", comm, &ppid) == 2 &&
		    ppid == shadow && !strcmp(comm, "hc-resolver"))
			found = atoi(e->d_name);
		fclose(f);
	}
	if (d)
		closedir(d);
	return found;
}

/* The helper holds its channels and stdio only, with no_new_privs. */
static void resolver_bare(pid_t shadow)
{
	char path[64], line[128];
	struct dirent *e;
	pid_t r = resolver_of(shadow);
	int nfds = 0, maxfd = -1, nnp = 0;
	DIR *d;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/fd", r);
	d = r ? opendir(path) : NULL;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		nfds++;
		if (atoi(e->d_name) > maxfd)
			maxfd = atoi(e->d_name);
	}
	if (d)
		closedir(d);
	snprintf(path, sizeof(path), "/proc/%d/status", r);
	f = r ? fopen(path, "r") : NULL;
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "NoNewPrivs:", 11))
			nnp = atoi(line + 11);
	if (f)
		fclose(f);
	CHECK("sock without fs: the resolver helper holds only its 4 channels "
	      "and stdio, with no_new_privs", r > 0 && nfds <= 7 && maxfd <= 6 &&
	      nnp == 1, "pid %d, %d fds up to %d, NoNewPrivs %d", r, nfds,
	      maxfd, nnp);
}

static int write_policy(char *path, size_t n)
{
	FILE *f;
	int fd;

	snprintf(path, n, "/tmp/hc-nofs-policy-XXXXXX");
	fd = mkstemp(path);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f)
		return -1;
	fprintf(f, "[vm *]\nowners = root\nmap * = root\nmodules = sys sock\n");
	fclose(f);
	return 0;
}

static void run(void)
{
	const char *extra[] = { "--config", NULL, NULL };
	char policy[64], hosts[64];
	struct hc_session_info info;
	struct hc_bind_info bi;
	struct addrinfo hints = { .ai_family = AF_INET }, *res = NULL;
	struct in_addr a;
	const char *why;
	int64_t r;
	pid_t d;
	int ctl;

	why = private_hosts(hosts, sizeof(hosts));
	if (write_policy(policy, sizeof(policy)) < 0) {
		fail("sock without fs: policy", "cannot write it");
		return;
	}
	extra[1] = policy;
	d = start_shadowd(extra, &ctl);
	memset(&S, 0, sizeof(S));
	if (hello(ctl, HCP_VERSION) || open_session(ctl, 1, 1000, &info, &S.fd) ||
	    sess_attach(&S)) {
		fail("sock without fs: session", "no session");
		goto out;
	}
	S.id = 1;
	H = sess_bind(&S, HC_SOCK_MODULE, HC_SOCK_MAJOR, HC_SOCK_MINOR, &bi);
	CHECK("sock without fs: the policy lets it bind sock", H > 0,
	      "%lld", (long long)H);
	CHECK("sock without fs: ... but not fs",
	      sess_bind(&S, "fs", 1, 0, NULL) == -EPERM, "fs bound");
	resolver_bare(info.shadow_pid);
	r = lookup("localhost", &a);
	CHECK("sock without fs: getaddrinfo of localhost (the hosts file)",
	      r >= 1 && ntohl(a.s_addr) == HC_SOCK_HOST_INTERNAL4, "%lld",
	      (long long)r);
	r = lookup(HC_SOCK_HOST_NAME, &a);
	CHECK("sock without fs: getaddrinfo of host.internal",
	      r >= 1 && ntohl(a.s_addr) == HC_SOCK_HOST_INTERNAL4, "%lld",
	      (long long)r);
	if (why) {
		skip("sock without fs: a name only a private hosts file has",
		     why);
	} else {
		r = lookup(PRIVATE_NAME, &a);
		CHECK("sock without fs: a name only a private hosts file has",
		      r >= 1 && a.s_addr == inet_addr(PRIVATE_ADDR), "%lld",
		      (long long)r);
	}
	/* DNS only if the host (this test, unconfined) gets an answer. */
	if (getaddrinfo(DNS_NAME, "80", &hints, &res) != 0) {
		skip("sock without fs: a name through DNS",
		     "the host resolves no " DNS_NAME);
	} else {
		freeaddrinfo(res);
		r = lookup(DNS_NAME, &a);
		CHECK("sock without fs: a name through DNS", r >= 1, "%lld",
		      (long long)r);
	}
	sess_close(&S);
out:
	close(ctl);
	kill(d, SIGTERM);
	waitpid(d, NULL, 0);
	unlink(policy);
	unlink(hosts);
}

void check_sock_nofs(void)
{
	int st = 0;
	pid_t pid;

	if (geteuid() != 0) {
		skip("sock without fs: name lookups",
		     "needs root (its policy maps to root)");
		return;
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		failures = 0;
		run();
		fflush(stdout);
		_exit(failures > 100 ? 100 : failures);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st)) {
		fail("sock without fs: name lookups", "the child died");
		return;
	}
	failures += WEXITSTATUS(st);
}
