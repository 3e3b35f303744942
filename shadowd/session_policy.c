/* SPDX-License-Identifier: MIT */
/* Serialise one VM's rules for a shadow (see session_policy.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "session_policy.h"

static int put(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int put(int fd, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n, r;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	r = write(fd, s, n) == n ? 0 : -EIO;
	free(s);
	return r;
}

int session_policy_fd(const struct policy *p, const struct vm_policy *vm,
		      const struct host_user *u, const struct hc_identity *id)
{
	const struct mod_list *ml = policy_modules(vm, id->uid);
	char comm[17];
	int fd, e = 0, i;

	fd = memfd_create("hostcall-policy", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	e |= put(fd, "vm %s\n", vm->name);
	/* Without a modules line the shadow allows every built-in. */
	if (ml->set)
		e |= put(fd, "modules-listed 1\n");
	for (i = 0; i < ml->nmods; i++)
		e |= put(fd, "module %s %u %u\n", ml->mods[i].name,
			 ml->mods[i].lo, ml->mods[i].hi);
	e |= put(fd, "module-dir %s\n", p->module_dir);
	/* hcm_identity(): the caller as the guest kernel named it */
	e |= put(fd, "guest-uid %u\n", id->uid);
	e |= put(fd, "guest-gid %u\n", id->gid);
	e |= put(fd, "guest-pid %u\n", id->pid);
	for (i = 0; i < 16 && id->comm[i]; i++)
		comm[i] = id->comm[i] > ' ' && id->comm[i] < 127 ?
			  id->comm[i] : '?';
	comm[i] = 0;
	if (i)
		e |= put(fd, "guest-comm %s\n", comm);
	/* The shadow refuses to run as root unless a rule named root. */
	e |= put(fd, "root-allowed %d\n", u->root_named);
	e |= put(fd, "max-procs %u\n", vm->lim.procs);
	e |= put(fd, "max-files %u\n", vm->lim.files);
	e |= put(fd, "max-bytes %u\n", vm->lim.bytes);
	e |= put(fd, "cpu-seconds %u\n", vm->lim.cpu);
	if (vm->has_commands)
		e |= put(fd, "commands-listed 1\n");
	for (i = 0; i < vm->ncommands; i++)
		e |= put(fd, "command %s\n", vm->commands[i]);
	for (i = 0; i < vm->nhelpers; i++)
		e |= put(fd, "helper %s\n", vm->helpers[i]);
	if (vm->has_env)
		e |= put(fd, "env-listed 1\n");
	for (i = 0; i < vm->nenv; i++)
		e |= put(fd, "env %s\n", vm->env[i]);
	for (i = 0; i < vm->nroots; i++)
		e |= put(fd, "fs-root %s\n", vm->roots[i]);
	/* sock: the shadow parses the same words again (sockrule.c) */
	e |= put(fd, "max-sockets %u\n", vm->lim.sockets);
	for (i = 0; i < vm->nsock_connect; i++)
		e |= put(fd, "sock-connect %s\n", vm->sock_connect[i]);
	if (vm->has_sock_listen)
		e |= put(fd, "sock-listen-listed 1\n");
	for (i = 0; i < vm->nsock_listen; i++)
		e |= put(fd, "sock-listen %s\n", vm->sock_listen[i]);
	for (i = 0; i < vm->nforce_tls; i++)
		e |= put(fd, "force-tls %s\n", vm->force_tls[i]);
	if (vm->tls_ca[0])
		e |= put(fd, "tls-ca %s\n", vm->tls_ca);
	if (e) {
		close(fd);
		return -EIO;
	}
	/* Sealed: nothing can change it between here and the shadow. */
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW |
		  F_SEAL_SHRINK | F_SEAL_SEAL) < 0 ||
	    lseek(fd, 0, SEEK_SET) < 0) {
		e = -errno;
		close(fd);
		return e;
	}
	return fd;
}
