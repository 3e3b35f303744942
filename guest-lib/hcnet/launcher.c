// SPDX-License-Identifier: MIT
/*
 * hcnet [-d] CMD [ARGS...]: run CMD with its AF_INET and AF_INET6 sockets
 * served by the host (Documentation/hcnet.md): LD_PRELOAD=libhcnet.so,
 * then exec. A statically linked CMD has no dynamic loader to preload
 * into: that is said, and it runs with guest sockets.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef HCNET_LIB
#define HCNET_LIB "/usr/lib/hostcall/libhcnet.so"
#endif

static void usage(void)
{
	fprintf(stderr,
		"usage: hcnet [-d] CMD [ARGS...]\n"
		"  Runs CMD with its internet sockets served by the host (hostcall's\n"
		"  sock module); guest loopback and AF_UNIX stay in the guest.\n"
		"  -d  say on stderr where each socket goes (HCNET_DEBUG=1)\n"
		"  The shim: $HCNET_LIB, else %s\n", HCNET_LIB);
	exit(2);
}

/* CMD as execvp would find it, into path */
static int find(const char *cmd, char *path, size_t size)
{
	const char *p = getenv("PATH"), *e;

	if (strchr(cmd, '/'))
		return snprintf(path, size, "%s", cmd) < (int)size ? 0 : -1;
	for (p = p ? p : "/usr/bin:/bin"; *p; p = *e ? e + 1 : e) {
		e = strchrnul(p, ':');
		if (snprintf(path, size, "%.*s/%s", (int)(e - p), e > p ? p : ".",
			     cmd) < (int)size && access(path, X_OK) == 0)
			return 0;
	}
	return -1;
}

/* 1: an ELF executable without an interpreter (LD_PRELOAD cannot work) */
static int is_static(const char *path)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	int fd = open(path, O_RDONLY | O_CLOEXEC), i, st = 0;

	if (fd < 0)
		return 0;
	if (pread(fd, &eh, sizeof(eh), 0) == sizeof(eh) &&
	    !memcmp(eh.e_ident, ELFMAG, SELFMAG) &&
	    eh.e_ident[EI_CLASS] == ELFCLASS64 && eh.e_phentsize == sizeof(ph)) {
		st = 1;
		for (i = 0; i < eh.e_phnum; i++) {
			if (pread(fd, &ph, sizeof(ph),
				  (off_t)(eh.e_phoff + (Elf64_Off)i * sizeof(ph))) != sizeof(ph))
				break;
			if (ph.p_type == PT_INTERP)
				st = 0;
		}
	}
	close(fd);
	return st;
}

int main(int argc, char **argv)
{
	const char *lib = getenv("HCNET_LIB"), *old = getenv("LD_PRELOAD");
	char path[PATH_MAX], *pre;
	int i = 1;

	if (i < argc && !strcmp(argv[i], "-d")) {
		setenv("HCNET_DEBUG", "1", 1);
		i++;
	}
	if (i < argc && !strcmp(argv[i], "--"))
		i++;
	if (i >= argc || argv[i][0] == '-')
		usage();
	if (!lib || !*lib)
		lib = HCNET_LIB;
	if (access(lib, R_OK) != 0) {
		fprintf(stderr, "hcnet: %s: %s\n", lib, strerror(errno));
		return 127;
	}
	if (find(argv[i], path, sizeof(path)) == 0 && is_static(path))
		fprintf(stderr, "hcnet: %s is statically linked: no shim can reach it, "
			"its sockets stay in the guest (a static program uses "
			"libhostcall's hc_socket)\n", path);
	if (old && *old) {
		if (asprintf(&pre, "%s:%s", lib, old) < 0)
			return 127;
	} else {
		pre = (char *)lib;
	}
	setenv("LD_PRELOAD", pre, 1);
	execvp(argv[i], argv + i);
	fprintf(stderr, "hcnet: %s: %s\n", argv[i], strerror(errno));
	return errno == ENOENT ? 127 : 126;
}
