/* SPDX-License-Identifier: MIT */
/* shadowd --check-config: every error with its line; bad files refused. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "sec.h"

/* Run shadowd with args; its exit status, stdout and stderr (malloc'd). */
static int shadowd_run(const char *const args[], char **out, char **err)
{
	char path[4096], tmpl_o[] = "/tmp/hcsec-out-XXXXXX",
	     tmpl_e[] = "/tmp/hcsec-err-XXXXXX";
	const char *argv[12] = { "shadowd" };
	int fo = mkstemp(tmpl_o), fe = mkstemp(tmpl_e), st = -1, n;
	pid_t pid;
	FILE *f;

	for (n = 1; args[n - 1] && n < 11; n++)
		argv[n] = args[n - 1];
	argv[n] = NULL;
	snprintf(path, sizeof(path), "%s/shadowd", build);
	pid = fork();
	if (pid == 0) {
		dup2(fo, 1);
		dup2(fe, 2);
		execv(path, (char **)argv);
		_exit(127);
	}
	waitpid(pid, &st, 0);
	*out = calloc(1, 65536);
	*err = calloc(1, 65536);
	f = fdopen(fo, "r");
	rewind(f);
	n = fread(*out, 1, 65535, f);
	fclose(f);
	f = fdopen(fe, "r");
	rewind(f);
	n = fread(*err, 1, 65535, f);
	(void)n;
	fclose(f);
	unlink(tmpl_o);
	unlink(tmpl_e);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void check_good(void)
{
	const char *args[] = { "--check-config", "--config", S.policy, NULL };
	char *out, *err, want[256];
	int st = shadowd_run(args, &out, &err);

	/* [vm plug] names three plugins that must not load: each is an
	 * error of --check-config (the daemon starts: the shadow refuses
	 * them, audited, and their binds answer ENOENT). */
	snprintf(want, sizeof(want), "%s: 3 errors\n", S.policy);
	CHECK("config: --check-config reports unsafe and missing plugins",
	      st == 1 && !out[0] && strstr(err, want) &&
	      strstr(err, "module badperm: module ") &&
	      strstr(err, "writable by group or others") &&
	      strstr(err, "module notroot: module ") &&
	      strstr(err, "not root") && strstr(err, "module nosuch: ") &&
	      strstr(err, "No such file"),
	      "status %d out '%s' err '%s'", st, out, err);
	free(out);
	free(err);
}

/* Without those plugins the test policy passes, with a note. */
static void check_good_plain(void)
{
	const char *args[] = { "--check-config", "--config", NULL, NULL };
	char *out, *err, want[512], path[160], cmd[512];
	int st;

	snprintf(path, sizeof(path), "%s/plain.conf", S.dir);
	snprintf(cmd, sizeof(cmd), "sed 's/ badperm notroot nosuch//' %s > %s",
		 S.policy, path);
	if (system(cmd) != 0) {
		fail("config: plain policy", "sed");
		return;
	}
	args[2] = path;
	st = shadowd_run(args, &out, &err);
	/* The policy has no [vm *]: --check-config says what that means. */
	snprintf(want, sizeof(want), "note: VM names without a section are "
		 "refused in system and socket mode (add [vm *] to serve "
		 "them)\n%s: OK\n", path);
	CHECK("config: the test policy passes --check-config, with a note "
	      "on unknown VM names",
	      st == 0 && !strcmp(out, want) && !err[0],
	      "status %d out '%s' err '%s'", st, out, err);
	free(out);
	free(err);
	unlink(path);
}

/* One error on each line named in `bad_lines`, none elsewhere. */
static void check_bad(void)
{
	static const int bad_lines[] = { 3, 4, 5, 9, 10, 11, 12, 13, 14, 15,
					 16, 18, 19, 20, 21, 22, 23 };
	const char *args[] = { "--check-config", "--config", NULL, NULL };
	char path[160], *out, *err, tag[200];
	unsigned i, missing = 0, extra = 0;
	int st, line;
	FILE *f;

	snprintf(path, sizeof(path), "%s/bad.conf", S.dir);
	f = fopen(path, "w");
	fprintf(f,
		"# a bad policy: an error on each line listed in the test\n"
		"[global]\n"
		"owners = hct-no-such-user\n"			/* 3 */
		"colour = blue\n"				/* 4 */
		"audit = carrier-pigeon\n"			/* 5 */
		"[vm ok]\n"
		"owners = %s\n"
		"map 1000 = %s\n"
		"map 900-1100 = %s\n"				/* 9 */
		"map 1001 = hct-no-such-user\n"			/* 10 */
		"modules = sys NFS\n"				/* 11 */
		"max-procs = 9999\n"				/* 12 */
		"fs-roots = relative/dir\n"			/* 13 */
		"commands = ../bin/sh\n"			/* 14 */
		"[vm bad name!]\n"				/* 15 */
		"[vm named]\n"					/* 16 */
		"map * = %s\n"
		"just some words\n"				/* 18 */
		"cpu-seconds = ten\n"				/* 19 */
		"max-tasks = 3\n"				/* 20 */
		"max-memory = 12Q\n"				/* 21 */
		"helpers = relative/gzip\n"			/* 22 */
		"max-cpu = 0\n",				/* 23 */
		S.user[UO], S.user[UA], S.user[UB], S.user[UA]);
	fclose(f);
	args[2] = path;
	st = shadowd_run(args, &out, &err);
	for (i = 0; i < sizeof(bad_lines) / sizeof(bad_lines[0]); i++) {
		snprintf(tag, sizeof(tag), "%s:%d: ", path, bad_lines[i]);
		if (!strstr(err, tag))
			missing++;
	}
	for (line = 1; line <= 23; line++) {
		int listed = 0;

		for (i = 0; i < sizeof(bad_lines) / sizeof(bad_lines[0]); i++)
			listed |= bad_lines[i] == line;
		snprintf(tag, sizeof(tag), "%s:%d: ", path, line);
		if (!listed && strstr(err, tag))
			extra++;
	}
	CHECK("config: every bad line reported with its number",
	      st == 1 && missing == 0 && extra == 0 &&
	      strstr(err, "17 errors") && !out[0],
	      "status %d, %u missing, %u extra:\n%s", st, missing, extra, err);
	free(out);
	free(err);

	/* The daemon refuses to start on it, naming the errors. */
	{
		const char *sargs[] = { "--system", "--socket", "/tmp/hcsec-x",
					"--config", path, NULL };

		st = shadowd_run(sargs, &out, &err);
		snprintf(tag, sizeof(tag), "%s:3: ", path);
		CHECK("config: --system will not start on a bad policy",
		      st == 1 && strstr(err, tag) && strstr(err, "not starting")
		      && access("/tmp/hcsec-x", F_OK) < 0, "status %d: %s", st,
		      err);
		free(out);
		free(err);
	}
}

static void check_missing(void)
{
	const char *args[] = { "--check-config", "--config",
			       "/nonexistent/hc.conf", NULL };
	char *out, *err;
	int st = shadowd_run(args, &out, &err);

	CHECK("config: a missing file is an error",
	      st == 1 && strstr(err, "/nonexistent/hc.conf: cannot open"),
	      "status %d: %s", st, err);
	free(out);
	free(err);
}

/* Named host users without an owners line: an error of its own. */
static void check_owners_needed(void)
{
	const char *args[] = { "--check-config", "--config", NULL, NULL };
	char path[160], *out, *err, tag[400];
	FILE *f;
	int st;

	snprintf(path, sizeof(path), "%s/owners.conf", S.dir);
	f = fopen(path, "w");
	fprintf(f, "[global]\nowners = %s\n\n[vm x]\nmap 1000 = %s\n",
		S.user[UO], S.user[UA]);
	fclose(f);
	args[2] = path;
	st = shadowd_run(args, &out, &err);
	snprintf(tag, sizeof(tag), "%s:4: [vm x] maps guest users to named "
		 "host users but has no owners line", path);
	CHECK("config: mapping to named users needs an owners line",
	      st == 1 && strstr(err, tag), "status %d: %s", st, err);
	free(out);
	free(err);
}

/* --system wants a policy only root can change. */
static void check_writable(void)
{
	const char *args[] = { "--system", "--socket", "/tmp/hcsec-y",
			       "--config", NULL, NULL };
	char path[160], cmd[600], *out, *err;
	int st;

	snprintf(path, sizeof(path), "%s/writable.conf", S.dir);
	snprintf(cmd, sizeof(cmd), "cp %s %s && chmod 0666 %s", S.policy, path,
		 path);
	if (system(cmd) != 0) {
		fail("config: a policy others can write is refused", "cp");
		return;
	}
	args[4] = path;
	st = shadowd_run(args, &out, &err);
	CHECK("config: a policy others can write is refused",
	      st == 1 && strstr(err, "writable by root alone") &&
	      access("/tmp/hcsec-y", F_OK) < 0, "status %d: %s", st, err);
	free(out);
	free(err);
}

void sec_config(void)
{
	check_writable();
	check_good();
	check_good_plain();
	check_bad();
	check_missing();
	check_owners_needed();
}
