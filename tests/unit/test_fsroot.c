/* SPDX-License-Identifier: MIT */
/*
 * Unit test of the shadow's path and command policy
 * (shadowd/shadow/fsroot.c, shadowd/shadow/cmdpolicy.c) on a scratch
 * tree: inside works, every way out is -EPERM and audited.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "shadow.h"
#include "unit.h"

struct shadow_policy pol;
static int refusals;

/* The shadow's audit, counted instead of sent. */
void shadow_audit(const char *event, const char *fields)
{
	(void)fields;
	if (!strcmp(event, "fs-refused"))
		refusals++;
}

static char D[PATH_MAX], R[PATH_MAX + 8];

static const char *at(const char *fmt, const char *rel)
{
	static char buf[4][PATH_MAX * 2];
	static int k;
	char *b = buf[k++ & 3];

	snprintf(b, sizeof(buf[0]), fmt, D, rel);
	return b;
}

static int opens(const char *path)
{
	int fd = fsroot_open("open", path, O_RDONLY, 0);

	if (fd >= 0)
		close(fd);
	return fd >= 0 ? 0 : fd;
}

static void tree(void)
{
	char t[] = "/tmp/hc-unit-root-XXXXXX";
	int e = 0;

	if (!mkdtemp(t) || !realpath(t, D))
		exit(2);
	snprintf(R, sizeof(R), "%s/root", D);
	e |= mkdir(R, 0755);
	e |= mkdir(at("%s/root/sub", ""), 0755);
	e |= mkdir(at("%s/rootx", ""), 0755);
	e |= close(open(at("%s/root/in.txt", ""), O_CREAT | O_WRONLY, 0644));
	e |= close(open(at("%s/rootx/in.txt", ""), O_CREAT | O_WRONLY, 0644));
	e |= close(open(at("%s/out.txt", ""), O_CREAT | O_WRONLY, 0644));
	e |= symlink("../out.txt", at("%s/root/esc", ""));
	e |= symlink(at("%s/out.txt", ""), at("%s/root/abs", ""));
	e |= symlink("..", at("%s/root/up", ""));
	e |= symlink("../in.txt", at("%s/root/sub/in", ""));
	if (e)
		exit(2);
}

static void roots(void)
{
	char rel[PATH_MAX], last[NAME_MAX + 1];
	int pfd, dfd, r;

	pol.roots = (char *[]){ R };
	pol.nroots = 1;
	fsroot_init();
	CHECK("fsroot: starts in the root", getcwd(rel, sizeof(rel)) &&
	      !strcmp(rel, R));
	CHECK("fsroot: relative inside", opens("in.txt") == 0);
	CHECK("fsroot: absolute inside", opens(at("%s/root/in.txt", "")) == 0);
	CHECK("fsroot: . and // tidied", opens(at("%s/root/./sub//%s",
						  "../in.txt")) == 0);
	CHECK("fsroot: a link that stays inside", opens("sub/in") == 0);
	CHECK("fsroot: the root itself", opens(R) == 0);
	refusals = 0;
	CHECK("fsroot: .. out", opens("../out.txt") == -EPERM);
	CHECK("fsroot: .. out through a subdirectory",
	      opens("sub/../../out.txt") == -EPERM);
	CHECK("fsroot: relative link out", opens("esc") == -EPERM);
	CHECK("fsroot: absolute link out", opens("abs") == -EPERM);
	CHECK("fsroot: directory link out", opens("up/out.txt") == -EPERM);
	CHECK("fsroot: plain outside", opens(at("%s/out.txt", "")) == -EPERM);
	CHECK("fsroot: a sibling sharing the prefix",
	      opens(at("%s/rootx/in.txt", "")) == -EPERM);
	CHECK("fsroot: /", opens("/") == -EPERM);
	CHECK("fsroot: every refusal audited", refusals == 8);
	r = fsroot_parent("mkdir", at("%s/root/sub/new", ""), &pfd, last);
	CHECK("fsroot: parent and last component", r == 0 &&
	      !strcmp(last, "new"));
	if (r == 0)
		close(pfd);
	CHECK("fsroot: no parent for ..",
	      fsroot_parent("x", at("%s/root/..", ""), &pfd, last) == -EINVAL);
	CHECK("fsroot: a parent out through a link",
	      fsroot_parent("x", "up/x", &pfd, last) == -EPERM);
	CHECK("fsroot: locate outside", fsroot_locate("/etc", &dfd, rel) ==
	      -EPERM);
	CHECK("fsroot: locate gives the rest",
	      fsroot_locate(at("%s/root/a/b", ""), &dfd, rel) == 0 &&
	      !strcmp(rel, "a/b"));
}

static void commands(void)
{
	char path[PATH_MAX], sort[PATH_MAX];

	memset(&pol, 0, sizeof(pol));
	CHECK("cmd: no list, PATH search",
	      cmd_resolve(&pol, "anything", path, sizeof(path)) == 0 &&
	      !path[0]);
	pol.commands_listed = 1;
	pol.commands = (char *[]){ "sort", "/usr/bin/printf",
				   "hc-not-installed-xyz" };
	pol.ncommands = 3;
	CHECK("cmd: a listed name, from the system PATH",
	      cmd_resolve(&pol, "sort", path, sizeof(path)) == 0 &&
	      strstr(path, "bin/sort") && path[0] == '/');
	snprintf(sort, sizeof(sort), "%s", path);
	CHECK("cmd: a listed name by its path",
	      cmd_resolve(&pol, sort, path, sizeof(path)) == 0 &&
	      !strcmp(path, sort));
	CHECK("cmd: a listed path by its name",
	      cmd_resolve(&pol, "printf", path, sizeof(path)) == 0 &&
	      !strcmp(path, "/usr/bin/printf"));
	CHECK("cmd: unlisted", cmd_resolve(&pol, "cat", path, sizeof(path))
	      == -EPERM);
	CHECK("cmd: unlisted path", cmd_resolve(&pol, "/bin/cat", path,
						sizeof(path)) == -EPERM);
	CHECK("cmd: .. in a path", cmd_resolve(&pol, "/usr/bin/../bin/sort",
					       path, sizeof(path)) == -EPERM);
	CHECK("cmd: listed but not installed",
	      cmd_resolve(&pol, "hc-not-installed-xyz", path, sizeof(path))
	      == -ENOENT);
	pol.ncommands = 0;
	CHECK("cmd: an empty list allows nothing",
	      cmd_resolve(&pol, "sort", path, sizeof(path)) == -EPERM);

	/* The guest's environment for host commands. */
	CHECK("env: with a command list, no LD_PRELOAD",
	      !env_allowed(&pol, "LD_PRELOAD=/x.so") &&
	      !env_allowed(&pol, "PATH=/tmp") &&
	      env_allowed(&pol, "LANG=C") && env_allowed(&pol, "LC_ALL=C") &&
	      !env_allowed(&pol, "LANGX=1"));
	pol.commands_listed = 0;
	CHECK("env: without one, anything",
	      env_allowed(&pol, "LD_PRELOAD=/x.so"));
	pol.env_listed = 1;
	pol.env = (char *[]){ "FOO", "BAR_*" };
	pol.nenv = 2;
	CHECK("env: the policy's list, names and prefixes",
	      env_allowed(&pol, "FOO=1") && !env_allowed(&pol, "FOOD=1") &&
	      env_allowed(&pol, "BAR_X=1") && !env_allowed(&pol, "LANG=C"));
}

int main(void)
{
	char cmd[PATH_MAX + 16];
	int r;

	tree();
	roots();
	commands();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", D);
	r = system(cmd);
	(void)r;
	return DONE();
}
