/* SPDX-License-Identifier: MIT */
/* A new host command's own last steps before execve (exec.c). */
#ifndef HC_EXEC_H
#define HC_EXEC_H

#include <sys/types.h>

struct exec_plan {
	int cwd_fd;		/* the shadow's cwd (O_PATH), or -1 */
	const char *cwd;	/* the request's, relative to cwd_fd */
	char *const *argv;
	char *const *envp;	/* complete; its PATH is searched */
	const char *prog;	/* the policy's program, or NULL: search */
	int pty;		/* out is a pty slave for all three */
	int merge_err;		/* stderr to out */
	pid_t parent;		/* the shadow: our parent (CLONE_PARENT) */
};

/* Set up stdio from in/out/err and execve; errno on st if it fails. */
void __attribute__((noreturn)) exec_child(const struct exec_plan *x, int in,
					  int out, int err, int st);

#endif
