/* SPDX-License-Identifier: MIT */
/*
 * The shadow's syscall filter (libseccomp). An allow list: what the event
 * loop, the allowed modules, libc's allocator and the sanitizers use.
 * Everything else fails with EPERM, except calls that only serve to gain
 * or use privilege, change identity or reach rarely needed kernel
 * surface (ptrace, mount, bpf, kexec, module loading, keyctl, namespaces,
 * uid and gid changes, ...), which kill the shadow at once: a shadow
 * making them is not the program we wrote. A foreign syscall ABI (32-bit
 * or x32 entry) kills too.
 *
 * After this the shadow never forks or executes (fork, clone and execve
 * get EPERM); host commands come from the launcher, forked before.
 * io_uring operations are not syscalls and are fixed by ring_restrict().
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/ioctl.h>
#include <termios.h>
#include "log.h"
#include "shadow.h"

/* The event loop, the allocator, signals, time, logging, sys module.
 * Nothing here takes a path: those are the fs module's (below). */
static const char *const base[] = {
	"read", "write", "readv", "writev", "pread64", "pwrite64", "close",
	"close_range", "fstat", "lseek", "fcntl", "dup", "dup2", "dup3",
	"getcwd", "fchdir", "mmap", "munmap", "mprotect", "mremap", "madvise", "brk",
	"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "sigaltstack",
	"tgkill", "exit", "exit_group", "restart_syscall",
	"getpid", "gettid", "getppid", "getuid", "geteuid", "getgid",
	"getegid", "getresuid", "getresgid", "getgroups",
	"clock_gettime", "clock_getres", "gettimeofday", "time", "nanosleep",
	"clock_nanosleep", "futex", "sched_yield", "getrandom", "uname",
	"getrlimit", "getrusage", "sysinfo", "sched_getaffinity",
	"set_robust_list", "rseq", "io_uring_enter", "sendto", "send",
	"recvfrom", "poll", "ppoll", "munlock", "mlock",
};

/* fs module: every call that takes a path (its worker threads make
 * them), and getdents64. */
static const char *const fs[] = {
	"openat", "openat2", "newfstatat", "statx", "readlink", "readlinkat",
	"access", "faccessat", "faccessat2", "chdir", "mkdir", "mkdirat",
	"unlink", "unlinkat", "rmdir", "rename", "renameat", "renameat2",
	"getdents64",
};

/*
 * Without the fs module, the two uses of a path the other modules have,
 * each an exact argument match: fstat() (glibc: newfstatat(fd, "",
 * AT_EMPTY_PATH)), and, with proc, an O_PATH directory open (the cwd the
 * launcher gets, sys chdir): no file's contents or names are reachable.
 */
static int add_narrow(scmp_filter_ctx ctx, unsigned modules)
{
	int e = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(newfstatat), 1,
				 SCMP_A3(SCMP_CMP_EQ, AT_EMPTY_PATH));

	if (!e && (modules & MOD_BIT(MOD_PROC)))
		e = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(openat), 1,
				     SCMP_A2(SCMP_CMP_EQ, SHADOW_DIR_OPEN));
	return e;
}

/* proc module: the launcher channel, signals, reaping. */
static const char *const proc[] = {
	"sendmsg", "recvmsg", "kill", "wait4", "waitid", "pidfd_open",
	"pidfd_send_signal",
};

/* sock module: its sockets (socket() itself below, by family) and the
 * host resolver's DNS queries (sendmmsg). sendto and recvfrom are in the
 * base set; sendmsg and recvmsg are proc's too. */
static const char *const sock[] = {
	"bind", "listen", "connect", "accept4", "shutdown", "getsockname",
	"getpeername", "getsockopt", "setsockopt", "sendmsg", "recvmsg",
	"sendmmsg",
};

/* socket() for AF_INET and AF_INET6 only: no AF_UNIX (nscd, other
 * processes' sockets), AF_NETLINK, AF_PACKET, ... (EPERM). */
static int add_socket(scmp_filter_ctx ctx)
{
	int e = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
				 SCMP_A0(SCMP_CMP_EQ, AF_INET));

	if (!e)
		e = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
				     SCMP_A0(SCMP_CMP_EQ, AF_INET6));
	return e;
}

/* Privilege, identity, namespaces, kernel surface: kill. */
static const char *const deadly[] = {
	"ptrace", "process_vm_readv", "process_vm_writev", "mount",
	"umount2", "pivot_root", "chroot", "bpf", "kexec_load",
	"kexec_file_load", "init_module", "finit_module", "delete_module",
	"keyctl", "add_key", "request_key", "unshare", "setns", "setuid",
	"setgid", "setreuid", "setregid", "setresuid", "setresgid",
	"setgroups", "setfsuid", "setfsgid", "capset", "reboot", "swapon",
	"swapoff", "perf_event_open", "userfaultfd", "open_by_handle_at",
	"name_to_handle_at", "acct", "quotactl", "settimeofday",
	"clock_settime", "clock_adjtime", "adjtimex", "sethostname",
	"setdomainname", "iopl", "ioperm", "vhangup", "mount_setattr",
	"fsopen", "fsconfig", "fsmount", "fspick", "move_mount", "open_tree",
	"io_uring_setup", "io_uring_register", "personality", "syslog",
	"uselib", "kcmp", "lookup_dcookie", "fanotify_init",
};

/* ioctl only with these requests: never TIOCSTI (typing into a
 * terminal) and friends. */
static const unsigned long ioctls[] = {
	TCGETS, TIOCGWINSZ, TIOCSWINSZ, FIONBIO, FIOCLEX, FIONREAD,
};

static int add(scmp_filter_ctx ctx, uint32_t action, const char *const *names,
	       size_t n)
{
	size_t i;
	int nr, e;

	for (i = 0; i < n; i++) {
		/* Names this libseccomp or kernel does not know are not
		 * reachable anyway. */
		nr = seccomp_syscall_resolve_name(names[i]);
		if (nr == __NR_SCMP_ERROR)
			continue;
		e = seccomp_rule_add(ctx, action, nr, 0);
		if (e < 0 && e != -EEXIST) {
			log_msg("seccomp: %s: %s", names[i], strerror(-e));
			return e;
		}
	}
	return 0;
}

#define ADD(ctx, act, list) add(ctx, act, list, sizeof(list) / sizeof(list[0]))

/* A filter whose default is dflt, a foreign ABI killing, and the
 * deadly calls killing: 0 with *ctx, or -errno. */
static int filter_new(uint32_t dflt, scmp_filter_ctx *ctx)
{
	int e;

	*ctx = seccomp_init(dflt);
	if (!*ctx)
		return -ENOMEM;
	e = seccomp_attr_set(*ctx, SCMP_FLTATR_ACT_BADARCH,
			     SCMP_ACT_KILL_PROCESS);
	if (!e)
		e = ADD(*ctx, SCMP_ACT_KILL_PROCESS, deadly);
	if (e)
		seccomp_release(*ctx);
	return e;
}

int seccomp_apply(unsigned modules)
{
	scmp_filter_ctx ctx;
	size_t i;
	int e = filter_new(SCMP_ACT_ERRNO(EPERM), &ctx);

	if (e)
		return e;
	/* Every thread: the offload workers (offload.c) exist already, and
	 * a filter loaded by one thread binds only it (TSYNC also gives them
	 * the caller's no_new_privs). */
	if (!e)
		e = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	if (!e)
		e = ADD(ctx, SCMP_ACT_ALLOW, base);
	if (!e && (modules & MOD_BIT(MOD_FS)))
		e = ADD(ctx, SCMP_ACT_ALLOW, fs);
	else if (!e)
		e = add_narrow(ctx, modules);
	if (!e && (modules & MOD_BIT(MOD_PROC)))
		e = ADD(ctx, SCMP_ACT_ALLOW, proc);
	if (!e && (modules & MOD_BIT(MOD_SOCK)))
		e = ADD(ctx, SCMP_ACT_ALLOW, sock);
	if (!e && (modules & MOD_BIT(MOD_SOCK)))
		e = add_socket(ctx);
	for (i = 0; !e && i < sizeof(ioctls) / sizeof(ioctls[0]); i++)
		e = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
				     SCMP_A1(SCMP_CMP_EQ, ioctls[i]));
	/* Reading limits is fine; setting them is not (prlimit64 with a
	 * NULL new limit). */
	if (!e)
		e = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prlimit64),
				     1, SCMP_A2(SCMP_CMP_EQ, 0));
	if (!e)
		e = seccomp_load(ctx);
	seccomp_release(ctx);
	return e;
}

/* What the resolver helper (sock_resolver.c) never does: start programs,
 * serve, signal other processes, change files. */
static const char *const resolver_denied[] = {
	"execve", "execveat", "listen", "accept", "accept4", "kill",
	"open", "creat", "openat2", "unlink", "unlinkat", "rename",
	"renameat", "renameat2", "mkdir", "mkdirat", "rmdir", "link",
	"linkat", "symlink", "symlinkat", "chmod", "fchmod", "fchmodat",
	"chown", "fchown", "fchownat", "lchown", "truncate", "ftruncate",
	"mknod", "mknodat", "utimensat", "setxattr", "lsetxattr",
	"fsetxattr", "removexattr", "lremovexattr", "fremovexattr",
};

int seccomp_resolver(void)
{
	/* A deny list: glibc's resolver and NSS modules read files and
	 * use sockets of several families, an allow list would chase them. */
	static const int writes[] = { O_WRONLY, O_RDWR, O_CREAT, O_TRUNC,
				      O_APPEND };
	scmp_filter_ctx ctx;
	size_t i;
	int e = filter_new(SCMP_ACT_ALLOW, &ctx);

	if (e)
		return e;
	e = ADD(ctx, SCMP_ACT_ERRNO(EPERM), resolver_denied);
	/* openat to read only */
	for (i = 0; !e && i < sizeof(writes) / sizeof(writes[0]); i++)
		e = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(openat),
				     1, SCMP_A2(SCMP_CMP_MASKED_EQ, writes[i],
						writes[i]));
	if (!e)
		e = seccomp_load(ctx);
	seccomp_release(ctx);
	return e;
}
