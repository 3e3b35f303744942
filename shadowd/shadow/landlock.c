/* SPDX-License-Identifier: MIT */
/*
 * With a command list, the launcher and everything it starts may execute
 * only the listed programs, the policy's helpers, and the ELF
 * interpreters (ld.so) those need: a Landlock ruleset handling
 * LANDLOCK_ACCESS_FS_EXECUTE and nothing else. So `sort
 * --compress-program=sh` gets EACCES from the kernel, however sort came
 * to run sh. Reading and writing files are left to the host user's
 * permissions, as before.
 *
 * The shadow builds the ruleset before it forks the launcher (so it knows
 * and can audit whether this kernel confines), the launcher enforces it
 * on itself right after the fork.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "landlock_abi.h"
#include "log.h"
#include "shadow.h"

/* An allowed program or directory of them: 0, or -errno (absent files
 * are skipped: a helper not installed here allows nothing). */
static int allow(int rs, const char *path)
{
	struct landlock_path_beneath_attr pb = {
		.allowed_access = LANDLOCK_ACCESS_FS_EXECUTE,
	};
	int e = 0;

	pb.parent_fd = open(path, O_PATH | O_CLOEXEC);
	if (pb.parent_fd < 0)
		return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
	execwatch_allow(path);
	if (syscall(SYS_landlock_add_rule, rs, LANDLOCK_RULE_PATH_BENEATH,
		    &pb, 0) < 0)
		e = -errno;
	close(pb.parent_fd);
	return e;
}

/* The ELF interpreter a 64-bit dynamic program names (PT_INTERP), which
 * the kernel opens for execution too; "" for others. */
static void interp_of(const char *path, char *out, size_t n)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	int fd, i;
	ssize_t r;

	out[0] = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_phentsize != sizeof(ph))
		goto out;
	for (i = 0; i < eh.e_phnum && i < 64; i++) {
		if (pread(fd, &ph, sizeof(ph), eh.e_phoff + i * sizeof(ph)) !=
		    sizeof(ph))
			break;
		if (ph.p_type != PT_INTERP || ph.p_filesz >= n)
			continue;
		r = pread(fd, out, ph.p_filesz, ph.p_offset);
		out[r > 0 ? r : 0] = 0;
		if (r <= 0 || out[0] != '/' || strlen(out) + 1 != ph.p_filesz)
			out[0] = 0;
		break;
	}
out:
	close(fd);
}

static int allow_program(int rs, const char *path)
{
	char interp[PATH_MAX];
	int e = allow(rs, path);

	if (e == 0) {
		interp_of(path, interp, sizeof(interp));
		if (interp[0])
			e = allow(rs, interp);
	}
	return e;
}

int exec_ruleset(const struct shadow_policy *p)
{
	struct landlock_ruleset_attr ra = {
		.handled_access_fs = LANDLOCK_ACCESS_FS_EXECUTE,
	};
	char path[PATH_MAX];
	int rs, i, e = 0;

	if (landlock_abi() < 1)
		return -EOPNOTSUPP;
	rs = syscall(SYS_landlock_create_ruleset, &ra, sizeof(ra), 0);
	if (rs < 0)
		return -errno;
	for (i = 0; i < p->ncommands && !e; i++)
		if (cmd_program(p->commands[i], path, sizeof(path)) == 0)
			e = allow_program(rs, path);
	for (i = 0; i < p->nhelpers && !e; i++)
		e = allow_program(rs, p->helpers[i]);
	if (e) {
		log_msg("landlock rule: %s", strerror(-e));
		close(rs);
		return e;
	}
	return rs;
}

int exec_confine(int ruleset)
{
	if (syscall(SYS_landlock_restrict_self, ruleset, 0) < 0)
		return -errno;
	return 0;
}
