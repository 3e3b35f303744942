/* SPDX-License-Identifier: MIT */
/*
 * With a command list, every execve of the launcher's descendants is
 * audited: pid, path, argv, and whether the Landlock ruleset (landlock.c)
 * allows it. The launcher installs a seccomp filter that turns execve
 * and execveat into user notifications and answers them from a thread
 * of its own: it reads the call's strings from the caller's memory,
 * writes the audit line, and lets the call go on (CONTINUE). The kernel,
 * not this file, decides: Landlock refuses what is not allowed, so a
 * race on the caller's memory can at worst make a line wrong, never let
 * a program run. Calls for paths that do not exist (execvp trying each
 * PATH directory) are not audited.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "auditfmt.h"
#include "log.h"
#include "shadow.h"

#define MAX_ARGS	64
#define ARGS_LEN	600

/* What the ruleset allows: files by inode, directories by path. */
struct allowed {
	dev_t dev;
	ino_t ino;
	int dir;
	char path[PATH_MAX];
};

static struct allowed *allow_list;
static int nallow;
static int listener = -1;
/* The launcher's newest child (clone writes it before the child runs):
 * before its first execve it is not dumpable (the shadow is not), so its
 * memory cannot be read; the shadow's own exec line covers that one. */
static const volatile pid_t *launched;

void execwatch_allow(const char *path)
{
	struct allowed *a;
	struct stat st;

	if (stat(path, &st) < 0)
		return;
	a = realloc(allow_list, (nallow + 1) * sizeof(*a));
	if (!a)
		return;
	allow_list = a;
	a += nallow;
	a->dev = st.st_dev;
	a->ino = st.st_ino;
	a->dir = S_ISDIR(st.st_mode);
	if (!realpath(path, a->path))
		return;
	nallow++;
}

/* The ruleset's answer for the file real (canonical) with st. */
static int allowed(const char *real, const struct stat *st)
{
	size_t k;
	int i;

	for (i = 0; i < nallow; i++) {
		if (!allow_list[i].dir) {
			if (allow_list[i].dev == st->st_dev &&
			    allow_list[i].ino == st->st_ino)
				return 1;
			continue;
		}
		k = strlen(allow_list[i].path);
		if (!strncmp(real, allow_list[i].path, k) &&
		    (real[k] == '/' || k == 1))
			return 1;
	}
	return 0;
}

/* A NUL-terminated string at addr in the caller: 0 or -1. */
static int peek_str(int mem, uint64_t addr, char *out, size_t n)
{
	ssize_t r = pread(mem, out, n - 1, (off_t)addr);

	if (r <= 0)
		return -1;
	out[r] = 0;
	return 0;
}

static void peek_args(int mem, uint64_t argv, char *out, size_t n)
{
	uint64_t ptr;
	char s[256];
	size_t len = 0;
	int i;

	out[0] = 0;
	/* argv[0] is the name; the audit's args are the rest, as for
	 * the shadow's exec lines. */
	for (i = 1; argv && i < MAX_ARGS && len < n - 1; i++) {
		if (pread(mem, &ptr, sizeof(ptr), (off_t)(argv + 8 * i)) !=
		    sizeof(ptr) || !ptr || peek_str(mem, ptr, s, sizeof(s)))
			break;
		len += snprintf(out + len, n - len, "%s%s", i > 1 ? " " : "",
				s);
	}
}

static void audit_one(const struct seccomp_notif *rq)
{
	char mpath[64], path[PATH_MAX], full[PATH_MAX + 64], real[PATH_MAX];
	char args[ARGS_LEN], f[1024], num[16];
	int execveat = rq->data.nr == __NR_execveat, mem;
	uint64_t pathp = rq->data.args[execveat ? 1 : 0];
	uint64_t argvp = rq->data.args[execveat ? 2 : 1];
	size_t len = 0;
	struct stat st;

	snprintf(mpath, sizeof(mpath), "/proc/%u/mem", rq->pid);
	mem = open(mpath, O_RDONLY | O_CLOEXEC);
	if (mem < 0) {
		if ((pid_t)rq->pid == *launched)
			return;
		path[0] = 0;	/* made itself unreadable: say so */
		args[0] = 0;
	} else {
		if (peek_str(mem, pathp, path, sizeof(path)) < 0)
			path[0] = 0;
		peek_args(mem, argvp, args, sizeof(args));
		close(mem);
	}
	if (path[0] == '/')
		snprintf(full, sizeof(full), "%s", path);
	else if (!execveat || (int)rq->data.args[0] == AT_FDCWD)
		snprintf(full, sizeof(full), "/proc/%u/cwd/%s", rq->pid, path);
	else	/* relative to a directory fd, or the fd itself (fexecve) */
		snprintf(full, sizeof(full), "/proc/%u/fd/%d%s%s", rq->pid,
			 (int)rq->data.args[0], path[0] ? "/" : "", path);
	/* execvp's misses are not attempts to run anything. */
	if (mem >= 0 && stat(full, &st) < 0 && errno == ENOENT)
		return;
	f[0] = 0;
	snprintf(num, sizeof(num), "%u", rq->pid);
	audit_kv(f, sizeof(f), &len, "pid", num);
	audit_kv(f, sizeof(f), &len, "path", path[0] ? path : "?");
	audit_kv(f, sizeof(f), &len, "args", args);
	audit_kv(f, sizeof(f), &len, "result", mem < 0 ? "unreadable" :
		 realpath(full, real) && stat(real, &st) == 0 &&
		 allowed(real, &st) ? "allowed" : "denied");
	shadow_audit("execve", f);
}

static void *serve(void *arg)
{
	struct seccomp_notif_sizes sz;
	struct seccomp_notif *rq;
	struct seccomp_notif_resp *rp;

	(void)arg;
	if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sz) < 0)
		return NULL;
	rq = calloc(1, sz.seccomp_notif > sizeof(*rq) ? sz.seccomp_notif :
		    sizeof(*rq));
	rp = calloc(1, sz.seccomp_notif_resp > sizeof(*rp) ?
		    sz.seccomp_notif_resp : sizeof(*rp));
	if (!rq || !rp)
		_exit(1);	/* execs would hang: end the launcher */
	for (;;) {
		memset(rq, 0, sz.seccomp_notif);
		if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, rq) < 0) {
			if (errno == EINTR || errno == ENOENT)
				continue;
			_exit(1);
		}
		audit_one(rq);
		memset(rp, 0, sz.seccomp_notif_resp);
		rp->id = rq->id;
		rp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		/* ENOENT: the caller died meanwhile. */
		ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, rp);
	}
	return NULL;
}

int execwatch_start(const volatile pid_t *launching)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		/* Another ABI (none on most kernels): Landlock still
		 * decides; the audit cannot read its arguments. */
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_execve, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_execveat, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
	};
	struct sock_fprog prog = { sizeof(f) / sizeof(f[0]), f };
	pthread_t t;
	int e;

	launched = launching;
	listener = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
			   SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
	if (listener < 0)
		return -errno;
	fcntl(listener, F_SETFD, FD_CLOEXEC);
	e = pthread_create(&t, NULL, serve, NULL);
	if (e)
		return -e;
	pthread_detach(t);
	return 0;
}
