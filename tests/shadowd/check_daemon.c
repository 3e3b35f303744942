/* SPDX-License-Identifier: MIT */
/*
 * shadowd serving several VMs (socket mode, a policy of the test's own):
 * one VM whose shadow cannot start (its user's home hangs) does not hold
 * up another's session open, and max-sessions holds per owner across VM
 * names and devices.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "checks.h"
#include "hang.h"


struct sockd {
	pid_t pid;
	char dir[32];
	char sock[64];
	char conf[64];
};

/* shadowd --socket with this policy text; 0 or -1. */
static int sockd_start(struct sockd *d, const char *policy)
{
	char path[4096];
	FILE *f;
	int i;

	snprintf(d->dir, sizeof(d->dir), "/tmp/hc-sd-XXXXXX");
	if (!mkdtemp(d->dir))
		return -1;
	snprintf(d->sock, sizeof(d->sock), "%s/sock", d->dir);
	snprintf(d->conf, sizeof(d->conf), "%s/policy", d->dir);
	f = fopen(d->conf, "w");
	if (!f)
		return -1;
	fputs(policy, f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/shadowd", build);
	d->pid = fork();
	if (d->pid == 0) {
		execl(path, "shadowd", "--socket", d->sock, "--config",
		      d->conf, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 250 && access(d->sock, F_OK) < 0; i++)
		msleep(20);
	return access(d->sock, F_OK);
}

static void sockd_stop(struct sockd *d)
{
	if (d->pid > 0) {
		kill(d->pid, SIGTERM);
		waitpid(d->pid, NULL, 0);
	}
	unlink(d->conf);
	unlink(d->sock);
	rmdir(d->dir);
}

/* A connection that said HELLO for vm, or -1. */
static int vm_conn(struct sockd *d, const char *vm)
{
	int fd = connect_to(d->sock);

	if (fd >= 0 && hello_vm(fd, HCP_VERSION, vm) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int64_t ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 +
	       (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/*
 * Before: shadowd's child ran chdir(home) while shadowd blocked in read()
 * on its status pipe, so one hung home stopped shadowd for every VM.
 */
static void check_hung_home(const char *me)
{
	const char *name = "shadowd: a hung home does not stop another VM's "
			   "session open";
	char policy[512], why[128], cmd[256], user[32];
	struct hc_session_info info;
	struct hcp_open o;
	struct hcp_opened r;
	struct sess s = { .fd = -1 }, hs = { .fd = -1 };
	struct timespec t0;
	struct sockd d = { 0 };
	struct hang h;
	int hung, ok, st, n = -1;
	int64_t ms = -1, pr = -1;

	if (hang_start(&h, why, sizeof(why)) < 0) {
		skip(name, why);
		return;
	}
	/* A user of this run alone: test runs may overlap. */
	snprintf(user, sizeof(user), "hc-hang-%d", (int)getpid());
	snprintf(cmd, sizeof(cmd), "useradd -M -d %s -s /bin/sh %s "
		 ">/dev/null 2>&1", h.path, user);
	if (system(cmd) != 0) {
		skip(name, "useradd failed");
		hang_release(&h);
		return;
	}
	snprintf(policy, sizeof(policy),
		 "[vm hung]\nowners = %s\nmap * = %s\n"
		 "[vm *]\nowners = %s\nmap * = %s\n", me, user, me, me);
	if (sockd_start(&d, policy) < 0) {
		fail(name, "shadowd --socket did not start");
		goto out;
	}
	hung = vm_conn(&d, "hung");
	ok = vm_conn(&d, "ok");
	memset(&o, 0, sizeof(o));
	hcp_init(&o.hdr, HCP_OPEN, sizeof(o), 1, 101);
	o.id.uid = 1000;
	strcpy(o.id.comm, "hung");
	if (hung < 0 || ok < 0 ||
	    send(hung, &o, sizeof(o), MSG_NOSIGNAL) != sizeof(o)) {
		fail(name, "setup");
		goto out_conns;
	}
	msleep(100);	/* its shadow is in chdir now */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	st = open_session(ok, 2, 1000, &info, &s.fd);
	ms = ms_since(&t0);
	s.id = 2;
	if (st == 0)
		pr = call(&s, T_SYS, HC_SYS_PING, 0, 0, 0, "a", 1, 1,
			  NULL, NULL);
	CHECK(name, st == 0 && pr == 1 && ms < 3000,
	      "open %d after %lld ms, ping %lld", st, (long long)ms,
	      (long long)pr);
	/* Released, the hung start goes on from "/" and is answered. */
	hang_release(&h);
	n = recv_timeout(hung, &r, sizeof(r), &hs.fd);
	hs.id = 1;
	pr = n == sizeof(r) && r.status == 0 ?
	     call(&hs, T_SYS, HC_SYS_PING, 0, 0, 0, "b", 1, 1, NULL,
		  NULL) : -1;
	CHECK("shadowd: the hung session opens once its home answers",
	      n == sizeof(r) && r.hdr.type == HCP_OPENED && r.status == 0 &&
	      pr == 1, "recv %d status %d ping %lld", n,
	      n == sizeof(r) ? r.status : 0, (long long)pr);
	sess_close(&s);
	sess_close(&hs);
out_conns:
	if (hung >= 0)
		close(hung);
	if (ok >= 0)
		close(ok);
out:
	sockd_stop(&d);
	hang_release(&h);
	reap_any();
	snprintf(cmd, sizeof(cmd), "userdel %s >/dev/null 2>&1", user);
	if (system(cmd) != 0)
		fprintf(stderr, "test: %s failed\n", cmd);
}

/*
 * Before: max-sessions counted per VM name, so an owner multiplied it by
 * choosing more names (or devices with other names) under [vm *].
 */
static void check_session_limit(const char *me)
{
	char policy[512];
	struct hc_session_info info;
	struct sess s[4];
	struct sockd d = { 0 };
	int a, b, other, st[4], i;

	memset(s, 0, sizeof(s));
	for (i = 0; i < 4; i++)
		s[i].fd = -1;
	snprintf(policy, sizeof(policy),
		 "[vm *]\nowners = %s\nmap * = %s\nmax-sessions = 2\n"
		 "[vm other]\nowners = %s\nmap * = %s\nmax-sessions = 1\n",
		 me, me, me, me);
	if (sockd_start(&d, policy) < 0) {
		fail("limits: max-sessions", "shadowd --socket did not start");
		sockd_stop(&d);
		return;
	}
	a = vm_conn(&d, "a");
	b = vm_conn(&d, "b");
	other = vm_conn(&d, "other");
	st[0] = open_session(a, 1, 1000, &info, &s[0].fd);
	st[1] = open_session(a, 2, 1000, &info, &s[1].fd);
	st[2] = open_session(b, 3, 1000, &info, &s[2].fd);
	CHECK("limits: max-sessions holds across VM names of one section",
	      st[0] == 0 && st[1] == 0 && st[2] == -EAGAIN,
	      "opens %d %d, on another name %d", st[0], st[1], st[2]);
	st[3] = open_session(other, 4, 1000, &info, &s[3].fd);
	CHECK("limits: a VM with its own section has its own budget",
	      st[3] == 0, "open %d", st[3]);
	sess_close(&s[0]);
	for (i = 0; i < 100 && (st[2] = open_session(b, 5, 1000, &info,
						      &s[2].fd)) == -EAGAIN;
	     i++)
		msleep(20);	/* until shadowd has reaped the first */
	CHECK("limits: a closed session frees its place for any name",
	      st[2] == 0, "open %d", st[2]);
	for (i = 0; i < 4; i++)
		sess_close(&s[i]);
	if (a >= 0)
		close(a);
	if (b >= 0)
		close(b);
	if (other >= 0)
		close(other);
	sockd_stop(&d);
	reap_any();
}

void check_daemon(void)
{
	struct passwd *pw = getpwuid(getuid());

	if (!pw) {
		fail("shadowd checks", "no passwd entry for uid %u",
		     (unsigned)getuid());
		return;
	}
	check_session_limit(pw->pw_name);
	check_hung_home(pw->pw_name);
}
