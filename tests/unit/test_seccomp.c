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
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "shadow.h"
#include "unit.h"

#define ALL (MOD_BIT(MOD_SYS) | MOD_BIT(MOD_PROC) | MOD_BIT(MOD_FS))

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
		if (seccomp_apply(modules) < 0)
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
	/* Threads that existed before the filter get it too (TSYNC). */
	check("seccomp: a thread started before the filter: socketpair denied",
	      100 + 27, ALL, DENIED);
	check("seccomp: a thread started before the filter: bpf kills",
	      100 + 4, ALL, KILLED);
	check("seccomp: a thread started before the filter: getcwd works",
	      100 + 44, ALL, WORKS);
	return DONE();
}
