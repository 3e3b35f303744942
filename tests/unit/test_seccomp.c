/* SPDX-License-Identifier: MIT */
/*
 * Unit test of the shadow's seccomp filter (shadowd/shadow/seccomp.c):
 * each probe runs in a child that installs the filter and makes one
 * call; the child must be killed by SIGSYS, see EPERM, or succeed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <linux/keyctl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "shadow.h"
#include "unit.h"

#define ALL (MOD_BIT(MOD_SYS) | MOD_BIT(MOD_PROC) | MOD_BIT(MOD_FS))
#define RESOLVER	0xffffffffu	/* seccomp_resolver()'s filter */
#define SOCK (ALL | MOD_BIT(MOD_SOCK))

static int gfd = -1;	/* an inet socket made before the filter */

/* The sock module's calls on the host's loopback: a listener, a
 * non-blocking connect to it, accept4, data both ways by sendmsg and
 * recvmsg, options, names, shutdown. 0 or the first errno. */
static int sock_calls(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t l = sizeof(a);
	struct msghdr mh;
	struct iovec iov;
	char buf[4] = "abc";
	int s, c, d, one = 1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s < 0 || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one,
				sizeof(one)) < 0 ||
	    bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(s, 4) < 0 ||
	    getsockname(s, (struct sockaddr *)&a, &l) < 0)
		return errno;
	c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (c < 0)
		return errno;
	if (connect(c, (struct sockaddr *)&a, sizeof(a)) < 0 &&
	    errno != EINPROGRESS)
		return errno;
	while ((d = accept4(s, NULL, NULL, SOCK_NONBLOCK)) < 0)
		if (errno != EAGAIN)
			return errno;
	memset(&mh, 0, sizeof(mh));
	iov.iov_base = buf;
	iov.iov_len = 3;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (sendmsg(c, &mh, MSG_NOSIGNAL) != 3)
		return errno;
	while (recvmsg(d, &mh, 0) < 0)
		if (errno != EAGAIN)
			return errno;
	l = sizeof(one);
	if (getsockopt(d, SOL_SOCKET, SO_ERROR, &one, &l) < 0 ||
	    getpeername(d, (struct sockaddr *)&a, &(socklen_t){ sizeof(a) }) < 0 ||
	    shutdown(d, SHUT_WR) < 0)
		return errno;
	return 0;
}

enum { KILLED, DENIED, WORKS };

/* Child: 0 if the call worked, its errno otherwise. */
static int probe(int what)
{
	struct rlimit rl;
	char c = 'x';
	long r = 0;
	int fd;

	switch (what) {
	case 0: r = ptrace(PTRACE_TRACEME, 0, NULL, NULL); break;
	case 1: r = unshare(CLONE_NEWUSER); break;
	case 2: r = mount("none", "/mnt", "tmpfs", 0, NULL); break;
	case 3: r = setuid(getuid()); break;
	case 4: r = syscall(SYS_bpf, 0, NULL, 0); break;
	case 5: r = syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, 0, 0); break;
	case 6: r = syscall(SYS_init_module, NULL, 0, ""); break;
	case 7: r = syscall(SYS_kexec_load, 0, 0, NULL, 0); break;
	case 8: r = syscall(SYS_io_uring_setup, 8, NULL); break;
	case 9: r = setns(0, 0); break;
	case 10: r = setgroups(0, NULL); break;
	case 11: {
		/* The 32-bit entry: a foreign architecture. */
		long ret;

		__asm__ volatile("int $0x80" : "=a"(ret) : "a"(20L) :
				 "memory");
		r = ret < 0 ? (errno = -ret, -1) : 0;
		break;
	}
	case 20: {
		char *argv[] = { "/bin/true", NULL };

		r = execve("/bin/true", argv, NULL);
		break;
	}
	case 21: r = fork(); if (r == 0) _exit(0); break;
	case 22: r = socket(AF_INET, SOCK_STREAM, 0); break;
	case 23: r = ioctl(0, TIOCSTI, &c); break;
	case 24: rl.rlim_cur = rl.rlim_max = 1; r = setrlimit(RLIMIT_CORE, &rl);
		break;
	case 25: r = chmod("/tmp", 0777); break;
	case 26: r = kill(getppid(), 0); break;	/* proc module left out */
	case 40:
		fd = open("/dev/null", O_RDWR);
		r = fd < 0 || write(fd, "x", 1) != 1 || close(fd) < 0 ? -1 : 0;
		break;
	case 41: r = getrlimit(RLIMIT_NOFILE, &rl); break;
	case 42: r = kill(getppid(), 0); break;	/* proc module allowed */
	case 27: {
		int sv[2];

		/* Not needed after startup either. */
		r = socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
		break;
	}
	case 44: {
		char buf[64];

		r = getcwd(buf, sizeof(buf)) ? 0 : -1;
		break;
	}
	/* paths: only the fs module's (50..), with narrow exceptions */
	case 50: r = open("/etc/passwd", O_RDONLY | O_CLOEXEC); break;
	case 51: {
		struct open_how how = { .flags = O_RDONLY };

		r = syscall(SYS_openat2, AT_FDCWD, "/etc/passwd", &how,
			    sizeof(how));
		break;
	}
	case 52: r = chdir("/"); break;
	case 53: {
		char buf[64];

		r = readlink("/proc/self/exe", buf, sizeof(buf));
		break;
	}
	case 54: {
		struct stat st;

		r = stat("/etc/passwd", &st);
		break;
	}
	case 55: r = access("/etc/passwd", R_OK); break;
	case 56: r = open("/", SHADOW_DIR_OPEN); break;	/* proc's cwd */
	case 57: {
		struct stat st;

		r = fstat(1, &st);
		break;
	}
	/* sock module (60..) */
	case 60: r = socket(AF_INET, SOCK_STREAM, 0); break;
	case 61: r = socket(AF_INET6, SOCK_DGRAM, 0); break;
	case 62: r = socket(AF_UNIX, SOCK_STREAM, 0); break;
	case 63: r = socket(AF_NETLINK, SOCK_RAW, 0); break;
	case 64: r = socket(AF_PACKET, SOCK_RAW, 0); break;
	case 65: return sock_calls();
	case 66: {
		struct sockaddr_in a = { .sin_family = AF_INET };

		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		r = bind(gfd, (struct sockaddr *)&a, sizeof(a));
		break;
	}
	case 67: r = listen(gfd, 1); break;
	/* the resolver helper (70..) */
	case 70: r = open("/tmp", O_WRONLY | O_TMPFILE, 0600); break;
	case 71: r = open("/etc/passwd", O_RDWR | O_CLOEXEC); break;
	case 72: r = listen(socket(AF_INET, SOCK_STREAM, 0), 1); break;
	}
	return r < 0 ? errno : 0;
}

/*
 * Whether the kernel has a 32-bit syscall entry at all: without the
 * filter, getpid() through int $0x80 returns; on a kernel built without
 * IA32 emulation (or booted with ia32_emulation=0) it raises SIGSEGV,
 * so a SIGSYS test under the filter would prove nothing.
 */
static int have_int80(void)
{
	int st;
	pid_t pid = fork();

	if (pid == 0)
		_exit(probe(11) == 0 ? 0 : 1);
	waitpid(pid, &st, 0);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* A thread started before the filter (as the shadow's offload workers
 * are) makes the call once the filter is loaded. */
static int go[2];

static void *late(void *arg)
{
	char c;

	if (read(go[0], &c, 1) != 1)
		return NULL;
	*(int *)arg = probe(c);
	return NULL;
}

static int in_thread(int what, unsigned modules)
{
	pthread_t t;
	int res = -1;
	char c = (char)what;

	if (pipe(go) < 0 || pthread_create(&t, NULL, late, &res))
		return 201;
	if (seccomp_apply(modules) < 0)
		return 200;
	if (write(go[1], &c, 1) != 1)
		return 202;
	pthread_join(t, NULL);
	return res;
}

static void check(const char *name, int what, unsigned modules, int want)
{
	int st, got;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		if (what >= 100)
			_exit(in_thread(what - 100, modules));
		if ((modules == RESOLVER ? seccomp_resolver() :
		     seccomp_apply(modules)) < 0)
			_exit(200);
		_exit(probe(what));	/* _exit: no exit handlers, no LSan */
	}
	waitpid(pid, &st, 0);
	if (WIFSIGNALED(st))
		got = WTERMSIG(st) == SIGSYS ? KILLED : -1;
	else if (WEXITSTATUS(st) == EPERM)
		got = DENIED;
	else if (WEXITSTATUS(st) == 0)
		got = WORKS;
	else
		got = -1;
	CHECK(name, got == want);
	if (got != want)
		printf("  status 0x%x\n", st);
}

int main(void)
{
	check("seccomp: ptrace kills", 0, ALL, KILLED);
	check("seccomp: unshare kills", 1, ALL, KILLED);
	check("seccomp: mount kills", 2, ALL, KILLED);
	check("seccomp: setuid kills", 3, ALL, KILLED);
	check("seccomp: bpf kills", 4, ALL, KILLED);
	check("seccomp: keyctl kills", 5, ALL, KILLED);
	check("seccomp: init_module kills", 6, ALL, KILLED);
	check("seccomp: kexec_load kills", 7, ALL, KILLED);
	check("seccomp: io_uring_setup kills", 8, ALL, KILLED);
	check("seccomp: setns kills", 9, ALL, KILLED);
	check("seccomp: setgroups kills", 10, ALL, KILLED);
	if (have_int80())
		check("seccomp: the 32-bit syscall entry kills", 11, ALL,
		      KILLED);
	else
		printf("SKIP: seccomp: the 32-bit syscall entry kills: this "
		       "kernel has no 32-bit syscall entry (int $0x80 raises "
		       "SIGSEGV without the filter)\n");
	check("seccomp: execve is denied", 20, ALL, DENIED);
	check("seccomp: fork is denied", 21, ALL, DENIED);
	check("seccomp: an inet socket is denied", 22, ALL, DENIED);
	check("seccomp: ioctl TIOCSTI is denied", 23, ALL, DENIED);
	check("seccomp: setting an rlimit is denied", 24, ALL, DENIED);
	check("seccomp: chmod is denied", 25, ALL, DENIED);
	check("seccomp: kill without the proc module is denied", 26,
	      MOD_BIT(MOD_SYS), DENIED);
	check("seccomp: open, write, close work", 40, ALL, WORKS);
	check("seccomp: reading an rlimit works", 41, ALL, WORKS);
	check("seccomp: kill with the proc module works", 42, ALL, WORKS);
	check("seccomp: socketpair is denied", 27, ALL, DENIED);
	check("seccomp: getcwd works", 44, ALL, WORKS);
	{
		static const struct { const char *name; int what; } paths[] = {
			{ "openat", 50 }, { "openat2", 51 }, { "chdir", 52 },
			{ "readlink", 53 }, { "stat of a path", 54 },
			{ "access", 55 },
		};
		unsigned i, sp = MOD_BIT(MOD_SYS) | MOD_BIT(MOD_PROC);
		char name[96];

		for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
			snprintf(name, sizeof(name), "seccomp: %s without the "
				 "fs module is denied", paths[i].name);
			check(name, paths[i].what, sp, DENIED);
			snprintf(name, sizeof(name), "seccomp: %s with the fs "
				 "module works", paths[i].name);
			check(name, paths[i].what, ALL, WORKS);
		}
	}
	check("seccomp: an O_PATH directory open works with proc alone", 56,
	      MOD_BIT(MOD_SYS) | MOD_BIT(MOD_PROC), WORKS);
	check("seccomp: an O_PATH directory open needs proc or fs", 56,
	      MOD_BIT(MOD_SYS), DENIED);
	check("seccomp: fstat works without the fs module", 57,
	      MOD_BIT(MOD_SYS), WORKS);

	/* sock: sockets of the inet families only, and only with it */
	gfd = socket(AF_INET, SOCK_STREAM, 0);
	check("seccomp: sock: an inet stream socket works", 60, SOCK, WORKS);
	check("seccomp: sock: an inet6 datagram socket works", 61, SOCK, WORKS);
	check("seccomp: sock: an AF_UNIX socket is denied", 62, SOCK, DENIED);
	check("seccomp: sock: a netlink socket is denied", 63, SOCK, DENIED);
	check("seccomp: sock: a packet socket is denied", 64, SOCK, DENIED);
	check("seccomp: sock: socketpair is still denied", 27, SOCK, DENIED);
	check("seccomp: sock: listen, connect, accept4, sendmsg, recvmsg, "
	      "options, names, shutdown work", 65, SOCK, WORKS);
	check("seccomp: sock: an inet socket without it is denied", 60, ALL,
	      DENIED);
	check("seccomp: sock: bind without it is denied", 66, ALL, DENIED);
	check("seccomp: sock: listen without it is denied", 67, ALL, DENIED);
	check("seccomp: sock: bind with it works", 66, SOCK, WORKS);
	/* The resolver helper's deny list: reads files, any socket, no exec,
	 * no listening, no file changes, the deadly calls still kill. */
	check("seccomp: resolver: open to read works", 50, RESOLVER, WORKS);
	check("seccomp: resolver: an AF_UNIX socket works", 62,
	      RESOLVER, WORKS);
	check("seccomp: resolver: an inet socket works", 60, RESOLVER, WORKS);
	check("seccomp: resolver: execve is denied", 20, RESOLVER, DENIED);
	check("seccomp: resolver: open to write is denied", 70, RESOLVER,
	      DENIED);
	check("seccomp: resolver: open read-write is denied", 71, RESOLVER,
	      DENIED);
	check("seccomp: resolver: openat2 is denied", 51, RESOLVER, DENIED);
	check("seccomp: resolver: listen is denied", 72, RESOLVER, DENIED);
	check("seccomp: resolver: chmod is denied", 25, RESOLVER, DENIED);
	check("seccomp: resolver: ptrace kills", 0, RESOLVER, KILLED);
	/* Threads that existed before the filter get it too (TSYNC). */
	check("seccomp: a thread started before the filter: socket denied",
	      100 + 60, ALL, DENIED);
	check("seccomp: a thread started before the filter: bpf kills",
	      100 + 4, ALL, KILLED);
	check("seccomp: a thread started before the filter: getcwd works",
	      100 + 44, ALL, WORKS);
	return DONE();
}
