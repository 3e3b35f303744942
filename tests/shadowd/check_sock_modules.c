/* SPDX-License-Identifier: MIT */
/*
 * The sock module under policies whose modules line leaves fs or sock
 * out (Documentation/sock.md, "Confinement").
 *
 * modules = sys sock: the confined shadow may not open /etc/hosts,
 * resolv.conf or nsswitch.conf, so GETADDRINFO must reach the resolver
 * helper forked before confinement. Runs in a child in a mount namespace
 * of its own whose /etc/hosts is a private file naming a test host (else
 * that check SKIPs): localhost, host.internal, the private name, and a
 * DNS name if the host itself resolves one (else SKIP).
 *
 * modules = sys: no network. Binding sock is refused, and the shadow's
 * own seccomp filter (read back with PTRACE_SECCOMP_GET_FILTER and loaded
 * into a child) refuses an inet socket, where the sock shadow's allows it.
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
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <dirent.h>
#include <sys/wait.h>
#include <unistd.h>
#include "checks.h"

#define PRIVATE_NAME	"hc-nofs-test.internal"
#define PRIVATE_ADDR	"192.0.2.55"
#define DNS_NAME	"example.com"

static struct sess S;
static int64_t H;

static void stop(pid_t d, int ctl, const char *policy);

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

/* A new file from the mkstemp template tmpl, its name in path (n
 * bytes), open for writing; NULL if not. */
static FILE *temp_file(const char *tmpl, char *path, size_t n)
{
	int fd;

	snprintf(path, n, "%s", tmpl);
	fd = mkstemp(path);
	return fd >= 0 ? fdopen(fd, "w") : NULL;
}

/* /etc/hosts replaced, for this process and its children only: NULL or
 * why not. */
static const char *private_hosts(char *path, size_t n)
{
	FILE *f = temp_file("/tmp/hc-nofs-hosts-XXXXXX", path, n);

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

/* The helper holds its channels and stdio only, with no_new_privs and
 * its filter (seccomp mode 2). */
static void resolver_bare(pid_t shadow)
{
	char path[64], line[128];
	struct dirent *e;
	pid_t r = resolver_of(shadow);
	int nfds = 0, maxfd = -1, nnp = 0, sec = 0;
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
		else if (!strncmp(line, "Seccomp:", 8))
			sec = atoi(line + 8);
	if (f)
		fclose(f);
	CHECK("sock without fs: the resolver helper holds only its 4 channels "
	      "and stdio, with no_new_privs and a seccomp filter", r > 0 &&
	      nfds <= 7 && maxfd <= 6 && nnp == 1 && sec == 2,
	      "pid %d, %d fds up to %d, NoNewPrivs %d, Seccomp %d", r, nfds,
	      maxfd, nnp, sec);
}

/* Does the newest seccomp filter of pid let a process open an inet
 * socket? 1 or 0; -1 unknown (no ptrace, no seccomp). */
static int filter_allows_inet(pid_t pid)
{
	static struct sock_filter insns[BPF_MAXINSNS];
	int st, fds[2];
	char res = '?';
	long n;
	pid_t c;

	if (ptrace(PTRACE_SEIZE, pid, 0, 0) < 0)
		return -1;
	if (ptrace(PTRACE_INTERRUPT, pid, 0, 0) < 0 ||
	    waitpid(pid, &st, __WALL) != pid)
		n = -1;
	else	/* index 0: the newest, the shadow's own */
		n = ptrace(PTRACE_SECCOMP_GET_FILTER, pid, 0, insns);
	ptrace(PTRACE_DETACH, pid, 0, 0);
	if (n <= 0 || n > BPF_MAXINSNS || pipe(fds) < 0)
		return -1;
	c = fork();
	if (c == 0) {
		struct sock_fprog p = { .len = (unsigned short)n,
					.filter = insns };
		int fd = -2;

		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
		    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &p) == 0)
			fd = socket(AF_INET, SOCK_STREAM, 0);
		if (write(fds[1], fd >= 0 ? "y" : fd == -1 ? "n" : "?", 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	if (c < 0 || read(fds[0], &res, 1) != 1)
		res = '?';
	close(fds[0]);
	if (c > 0)
		waitpid(c, NULL, 0);
	return res == 'y' ? 1 : res == 'n' ? 0 : -1;
}

/* The check name: filter_allows_inet(shadow) is want (SKIP: unknown). */
static void filter_check(const char *name, pid_t shadow, int want)
{
	int f = filter_allows_inet(shadow);

	if (f < 0)
		skip(name, "cannot read the filter (ptrace)");
	else
		CHECK(name, f == want, "inet socket %s",
		      f ? "opened" : "refused");
}

static int write_policy(char *path, size_t n, const char *modules)
{
	FILE *f = temp_file("/tmp/hc-sockmod-policy-XXXXXX", path, n);

	if (!f)
		return -1;
	fprintf(f, "[vm *]\nowners = root\nmap * = root\nmodules = %s\n",
		modules);
	fclose(f);
	return 0;
}

/* A shadowd whose policy allows modules, and a session S on it: the
 * daemon's pid (its control socket in *ctl), or -1 (failed, said). */
static pid_t start(const char *modules, char *policy, size_t n, int *ctl,
		   struct hc_session_info *info)
{
	const char *extra[] = { "--config", policy, NULL };
	pid_t d;

	if (write_policy(policy, n, modules) < 0) {
		fail("sock modules: policy", "cannot write it");
		return -1;
	}
	d = start_shadowd(extra, ctl);
	memset(&S, 0, sizeof(S));
	if (hello(*ctl, HCP_VERSION) || open_session(*ctl, 1, 1000, info,
						     &S.fd) || sess_attach(&S)) {
		fail("sock modules: session", "no session for modules = %s",
		     modules);
		stop(d, *ctl, policy);
		return -1;
	}
	S.id = 1;
	return d;
}

static void stop(pid_t d, int ctl, const char *policy)
{
	close(ctl);
	kill(d, SIGTERM);
	waitpid(d, NULL, 0);
	unlink(policy);
}

/* modules = sys: sock refused, and no inet socket in the shadow. */
static void nonet(void)
{
	struct hc_session_info info;
	char policy[64];
	int64_t h;
	pid_t d;
	int ctl;

	d = start("sys", policy, sizeof(policy), &ctl, &info);
	if (d < 0)
		return;
	h = sess_bind(&S, HC_SOCK_MODULE, HC_SOCK_MAJOR, HC_SOCK_MINOR, NULL);
	CHECK("sock: a modules line without sock: binding sock is refused "
	      "(-EPERM)", h == -EPERM, "%lld", (long long)h);
	filter_check("sock: ... and its shadow's seccomp filter has no inet "
		     "socket", info.shadow_pid, 0);
	sess_close(&S);
	stop(d, ctl, policy);
}

static void run(void)
{
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
	d = start("sys sock", policy, sizeof(policy), &ctl, &info);
	if (d < 0)
		goto out;
	H = sess_bind(&S, HC_SOCK_MODULE, HC_SOCK_MAJOR, HC_SOCK_MINOR, &bi);
	CHECK("sock without fs: the policy lets it bind sock", H > 0,
	      "%lld", (long long)H);
	CHECK("sock without fs: ... but not fs",
	      sess_bind(&S, "fs", 1, 0, NULL) == -EPERM, "fs bound");
	resolver_bare(info.shadow_pid);
	filter_check("sock without fs: the shadow's seccomp filter allows an "
		     "inet socket", info.shadow_pid, 1);
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
	stop(d, ctl, policy);
out:
	unlink(hosts);
	nonet();
}

void check_sock_modules(void)
{
	int st = 0;
	pid_t pid;

	if (geteuid() != 0) {
		skip("sock modules: policies without fs, without sock",
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
		fail("sock modules", "the child died");
		return;
	}
	failures += WEXITSTATUS(st);
}
