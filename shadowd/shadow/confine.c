/* SPDX-License-Identifier: MIT */
/*
 * Confinement of the shadow, once at startup, after the session window
 * is received and mapped (winrecv.c), the ring and the fs roots exist,
 * and before the first entry is taken:
 *
 *   1. identity: shadowd already set groups, gid and uid; check that all
 *      three uids and gids agree, that root is ours only when a rule
 *      named it, and that we cannot become root again;
 *   2. no_new_privs and not dumpable (other processes of this user, host
 *      commands included, cannot ptrace or read us);
 *   3. RLIMIT_CPU from the policy, inherited by the launcher and so by
 *      every host command, each with its own budget;
 *   4. the launcher (launcher.c), forked now, so it has none of what
 *      follows;
 *   5. RLIMIT_NOFILE for the shadow alone, sized for its tables;
 *   6. the seccomp filter (seccomp.c).
 * The ring's allowed operations are fixed by ring_restrict() at creation.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "log.h"
#include "shadow.h"

#ifdef HC_SANITIZE
/*
 * LeakSanitizer stops the process with ptrace at exit, which the filter
 * punishes with death. Sanitizer builds (the tests) keep ASan and UBSan
 * but not the leak check in the confined shadow; the filter stays the
 * one that ships.
 */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "detect_leaks=0";
}
#endif

/*
 * io_uring operations are not system calls: the seccomp filter never sees
 * them. The ring is therefore created disabled and limited here to the
 * operations the shadow issues (opens only with the fs module); no
 * register operations are allowed afterwards.
 */
int ring_restrict(struct io_uring *r, unsigned modules)
{
	static const unsigned char ops[] = {
		IORING_OP_NOP, IORING_OP_READ, IORING_OP_WRITE,
		IORING_OP_RECV, IORING_OP_POLL_ADD,
		IORING_OP_POLL_REMOVE, IORING_OP_ASYNC_CANCEL,
		/* fs module only, from here */
		IORING_OP_OPENAT, IORING_OP_OPENAT2,
	};
	struct io_uring_restriction res[sizeof(ops)];
	size_t i, n = sizeof(ops);
	int e;

	if (!(modules & MOD_BIT(MOD_FS)))
		n -= 2;
	memset(res, 0, sizeof(res));
	for (i = 0; i < n; i++) {
		res[i].opcode = IORING_RESTRICTION_SQE_OP;
		res[i].sqe_op = ops[i];
	}
	/* The raw calls: Debian's liburing 2.3 declares but does not export
	 * io_uring_register_restrictions() and io_uring_enable_rings(). */
	e = syscall(SYS_io_uring_register, r->ring_fd,
		    IORING_REGISTER_RESTRICTIONS, res, n);
	if (e < 0)
		return -errno;
	e = syscall(SYS_io_uring_register, r->ring_fd,
		    IORING_REGISTER_ENABLE_RINGS, NULL, 0);
	return e < 0 ? -errno : 0;
}

static int check_identity(void)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0)
		return -errno;
	if (ru != eu || eu != su || rg != eg || eg != sg) {
		log_msg("mixed credentials: uids %u/%u/%u gids %u/%u/%u",
			ru, eu, su, rg, eg, sg);
		return -EPERM;
	}
	if (ru == 0 && !pol.root_allowed) {
		log_msg("running as root, but no policy rule named root");
		return -EPERM;
	}
	if (ru != 0 && (setuid(0) == 0 || setgid(0) == 0)) {
		log_msg("could become root again");
		return -EPERM;
	}
	return 0;
}

static int limit(int res, rlim_t soft, rlim_t hard)
{
	struct rlimit cur, rl = { soft, hard };

	/* Never above what we were given. */
	if (getrlimit(res, &cur) == 0 && cur.rlim_max != RLIM_INFINITY) {
		if (rl.rlim_max > cur.rlim_max)
			rl.rlim_max = cur.rlim_max;
		if (rl.rlim_cur > rl.rlim_max)
			rl.rlim_cur = rl.rlim_max;
	}
	return setrlimit(res, &rl) < 0 ? -errno : 0;
}

int confine(void)
{
	rlim_t nofile;
	int e;

	e = check_identity();
	if (e < 0)
		return e;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
		log_err("prctl");
		return -errno;
	}
	/* SIGXCPU at the soft limit (the default action ends us), SIGKILL
	 * a second later for one that catches it. */
	if (pol.cpu && (e = limit(RLIMIT_CPU, pol.cpu, pol.cpu + 1)) < 0) {
		log_msg("RLIMIT_CPU: %s", strerror(-e));
		return e;
	}
	if ((pol.modules & MOD_BIT(MOD_PROC)) &&
	    ((e = orphans_init()) < 0 || (e = launcher_start()) < 0)) {
		log_msg("launcher: %s", strerror(-e));
		return e;
	}
	/* Files, three per process, the sock module's sockets, and room
	 * for the ring and the shadow's own sockets. */
	nofile = pol.max_files + 3 * pol.max_procs + 64;
	if (pol.modules & MOD_BIT(MOD_SOCK))
		nofile += pol.max_sockets;
	e = limit(RLIMIT_NOFILE, nofile, nofile);
	if (e < 0)
		log_msg("RLIMIT_NOFILE: %s", strerror(-e));
	e = seccomp_apply(pol.modules);
	if (e < 0) {
		log_msg("seccomp: %s", strerror(-e));
		return e;
	}
	return 0;
}
