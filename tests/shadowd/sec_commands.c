/* SPDX-License-Identifier: MIT */
/*
 * [vm cmds] lists `id sort /usr/bin/printf printenv` and the helper
 * gzip: those run, nothing else does (-EPERM, audited), the guest's PATH
 * cannot swap in another sort, and (with Landlock) a listed program
 * cannot execute an unlisted one: sort --compress-program=sh fails.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "landlock_abi.h"
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "sec.h"

/*
 * The attack: sort runs its --compress-program through a shell
 * of its own once its buffer (-S 1k) spills to temporary files; "sh"
 * then reads the sorted input as a script. Its first line is sorted
 * first: it writes DIR/x/NAME. 0 when sort exited 0 and the output had
 * every line.
 */
static int sort_compress(struct sess *s, const char *prog, const char *name)
{
	static char in[40000];
	char tmp[160], opt[64], *out = NULL;
	size_t n, off;
	char *argv[] = { "sort", "-S", "1k", "-T", tmp, opt, NULL };
	int64_t h, st, w;
	int i, lines = 0;
	char *p;

	snprintf(tmp, sizeof(tmp), "%s/x", S.dir);
	snprintf(opt, sizeof(opt), "--compress-program=%s", prog);
	h = spawn(s, NULL, argv, NULL, 0, NULL);
	if (h < 0)
		return (int)h;
	/* All of it in one write: about 30 KB. */
	n = snprintf(in, sizeof(in), "id > %s/x/%s\n", S.dir, name);
	for (i = 0; i < 3000; i++)
		n += snprintf(in + n, sizeof(in) - n, "# %d\n", i);
	for (off = 0; off < n; off += w)
		if ((w = call0(s, T_PROC, HC_PROC_WRITE, h, 0, in + off,
			       n - off)) <= 0)
			break;
	call0(s, T_PROC, HC_PROC_CLOSE, h, 0, NULL, 0);
	read_all(s, h, 1, &out);
	st = call0(s, T_PROC, HC_PROC_WAIT, h, 0, NULL, 0);
	call0(s, T_PROC, HC_PROC_RELEASE, h, 0, NULL, 0);
	for (p = out; p && (p = strchr(p, '\n')); p++)
		lines++;
	free(out);
	return st == 0 && lines == 3001 ? 0 : 1;
}

static void executes(struct sess *s)
{
	char pwn[200];
	int r;

	if (landlock_abi() < 1) {
		skip("commands: a listed program cannot execute an unlisted "
		     "one", "this kernel has no Landlock");
		return;
	}
	r = sort_compress(s, "sh", "pwn");
	snprintf(pwn, sizeof(pwn), "%s/x/pwn", S.dir);
	CHECK("commands: a listed program cannot execute an unlisted one "
	      "(sort --compress-program=sh)", r != 0 && access(pwn, F_OK) < 0,
	      "sort %s, %s %s", r ? "failed" : "worked", pwn,
	      access(pwn, F_OK) == 0 ? "written" : "absent");
	r = sort_compress(s, "gzip", "gz");
	CHECK("commands: ... but may execute a declared helper "
	      "(--compress-program=gzip)", r == 0, "sort failed");
}

static void listed(void *arg)
{
	struct hc_session_info info;
	struct sess s;
	char evil_path[200], *out = NULL;
	char *id[] = { "id", "-u", NULL };
	char *cat[] = { "cat", "/etc/hostname", NULL };
	char *shc[] = { "sh", "-c", "id", NULL };
	char *pf_abs[] = { "/usr/bin/printf", "x%s", "1", NULL };
	char *pf[] = { "printf", "y%s", "2", NULL };
	char *dotdot[] = { "/usr/bin/../bin/sort", NULL };
	char *sort[] = { "sort", NULL };
	char *env[] = { evil_path, NULL };
	char want[32];
	int ctl = attach("cmds"), st;
	int64_t r, h;

	(void)arg;
	st = ctl >= 0 ? session(ctl, 7, &s, &info) : ctl;
	if (st != 0) {
		fail("commands: session", "open %d", st);
		goto out;
	}
	r = run_cmd(&s, id, NULL, &out);
	snprintf(want, sizeof(want), "%u\n", S.uid[UO]);
	CHECK("commands: a listed name runs", r == 0 && out &&
	      !strcmp(out, want), "status %lld out '%s'", (long long)r,
	      out ? out : "");
	free(out);
	r = run_cmd(&s, cat, NULL, NULL);
	CHECK("commands: an unlisted command is refused with -EPERM",
	      r == -EPERM, "result %lld", (long long)r);
	r = run_cmd(&s, shc, NULL, NULL);
	CHECK("commands: ... a shell too", r == -EPERM, "result %lld",
	      (long long)r);
	r = run_cmd(&s, pf_abs, NULL, &out);
	CHECK("commands: a listed path runs", r == 0 && out &&
	      !strcmp(out, "x1"), "status %lld out '%s'", (long long)r,
	      out ? out : "");
	free(out);
	r = run_cmd(&s, pf, NULL, &out);
	CHECK("commands: a listed path runs by its name", r == 0 && out &&
	      !strcmp(out, "y2"), "status %lld out '%s'", (long long)r,
	      out ? out : "");
	free(out);
	r = run_cmd(&s, dotdot, NULL, NULL);
	CHECK("commands: no way round the list with ..", r == -EPERM,
	      "result %lld", (long long)r);

	/* PATH points at a directory with a fake sort: still the real one. */
	snprintf(evil_path, sizeof(evil_path), "PATH=%s/evil", S.dir);
	h = spawn(&s, NULL, sort, env, 0, NULL);
	if (h >= 0) {
		call0(&s, T_PROC, HC_PROC_WRITE, h, 0, "b\na\n", 4);
		call0(&s, T_PROC, HC_PROC_CLOSE, h, 0, NULL, 0);
		read_all(&s, h, 1, &out);
		call0(&s, T_PROC, HC_PROC_RELEASE, h, 0, NULL, 0);
	}
	CHECK("commands: the guest's PATH cannot substitute a program",
	      h >= 0 && out && !strcmp(out, "a\nb\n"), "spawn %lld out '%s'",
	      (long long)h, out ? out : "");
	free(out);

	/* With a command list only harmless variables get through: no
	 * LD_PRELOAD turning a listed program into another. */
	{
		char *pe[] = { "printenv", NULL };
		char *e2[] = { "LD_PRELOAD=/nonexistent/hc.so", "LANG=C",
			       "LC_ALL=C", "HC_X=1", NULL };

		r = run_cmd(&s, pe, e2, &out);
		CHECK("commands: only harmless guest variables get through",
		      r == 0 && out && strstr(out, "LANG=C\n") &&
		      strstr(out, "LC_ALL=C\n") && !strstr(out, "LD_PRELOAD") &&
		      !strstr(out, "HC_X"), "status %lld out '%s'",
		      (long long)r, out ? out : "");
		free(out);
	}
	executes(&s);
	sess_close(&s);
out:
	if (ctl >= 0)
		close(ctl);
}

void sec_commands(void)
{
	char path[200];
	FILE *f;

	snprintf(path, sizeof(path), "%s/x", S.dir);
	mkdir(path, 0700);
	if (chown(path, S.uid[UO], S.gid[UO]) < 0)
		perror(path);
	snprintf(path, sizeof(path), "%s/evil", S.dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/evil/sort", S.dir);
	f = fopen(path, "w");
	fputs("#!/bin/sh\necho EVIL\n", f);
	fclose(f);
	chmod(path, 0755);
	run_as(UO, listed, NULL);
	CHECK("commands: the refusal is audited", audit_has("event=exec",
		"vm=cmds", "cmd=cat", "result=refused", NULL),
	      "no audit line");
	CHECK("commands: dropped variables are audited", audit_has(
		"event=exec", "cmd=printenv", "env_dropped=LD_PRELOAD,HC_X",
		NULL), "no audit line");
	if (landlock_abi() < 1)
		return;
	CHECK("commands: the denied execve is audited (pid, path, argv)",
	      audit_has("event=execve", "vm=cmds", "from=launcher", " pid=",
			"path=/usr/bin/sh", "args=", "result=denied", NULL),
	      "no audit line");
	CHECK("commands: ... and an allowed one", audit_has("event=execve",
		"vm=cmds", "path=/usr/bin/gzip", "result=allowed", NULL),
	      "no audit line");
}
