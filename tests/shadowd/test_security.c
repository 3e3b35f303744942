/* SPDX-License-Identifier: MIT */
/*
 * test_security BUILD_DIR: the security model of shadowd and the shadow,
 * without a VM (see sec.h). Needs root to create its host users; without
 * it every check prints SKIP. The users (prefix "hct" and this pid, GECOS
 * "hostcall-test") and the scratch directory are removed at the end, also
 * after a timeout.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "sec.h"

struct sec S = { .next_session = 1 };
static int users_made;

/* ---- helpers for the groups ------------------------------------------- */

void run_as(int u, void (*fn)(void *), void *arg)
{
	pid_t pid;
	int st;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		if (setgroups(0, NULL) < 0 || setgid(S.gid[u]) < 0 ||
		    setuid(S.uid[u]) < 0) {
			printf("FAIL: run as %s: cannot switch\n", S.user[u]);
			_exit(1);
		}
		failures = 0;
		fn(arg);
		fflush(stdout);
		_exit(failures > 100 ? 100 : failures);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid) {
		fail("run as", "fork/wait");
		return;
	}
	if (WIFEXITED(st))
		failures += WEXITSTATUS(st);
	else
		fail("run as", "child died by signal %d", WTERMSIG(st));
}

int attach(const char *vm)
{
	int ctl = connect_to(S.sock), st;

	if (ctl < 0)
		return -errno;
	st = hello_vm(ctl, HCP_VERSION, vm);
	if (st != 0) {
		close(ctl);
		return st < 0 ? st : -EPROTO;
	}
	return ctl;
}

int session(int ctl, uint32_t guest_uid, struct sess *s,
	    struct hc_session_info *info)
{
	int st;

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	st = open_session(ctl, S.next_session, guest_uid, info, &s->fd);
	s->id = S.next_session++;
	return st;
}

int64_t fs_read_file(struct sess *s, const char *path, char *buf, size_t n)
{
	unsigned char *out = NULL;
	uint32_t olen = 0;
	int64_t h, r;

	h = path_call(s, T_FS, HC_FS_OPEN, O_RDONLY, 0, path);
	if (h < 0)
		return h;
	r = call(s, T_FS, HC_FS_READ, h, 0, 0, NULL, 0, n - 1, &out,
		 &olen);
	if (r >= 0) {
		memcpy(buf, out, olen);
		buf[olen] = 0;
	}
	free(out);
	call0(s, T_FS, HC_FS_CLOSE, h, 0, NULL, 0);
	return r;
}

int64_t run_cmd(struct sess *s, char *const argv[], char *const env[],
		char **out)
{
	char *data = NULL;
	int64_t h, st;

	if (out)
		*out = NULL;
	h = spawn(s, NULL, argv, env, 0, NULL);
	if (h < 0)
		return h;
	read_all(s, h, 1, &data);
	st = call0(s, T_PROC, HC_PROC_WAIT, h, 0, NULL, 0);
	call0(s, T_PROC, HC_PROC_RELEASE, h, 0, NULL, 0);
	if (out)
		*out = data;
	else
		free(data);
	return st;
}

int audit_has(const char *first, ...)
{
	char line[4096];
	const char *want[16];
	int n = 0, i, found = 0;
	va_list ap;
	FILE *f;

	va_start(ap, first);
	for (want[n++] = first; n < 16 && (want[n] = va_arg(ap, const char *));
	     n++)
		;
	va_end(ap);
	f = fopen(S.audit, "r");
	while (f && !found && fgets(line, sizeof(line), f)) {
		for (i = 0; i < n && strstr(line, want[i]); i++)
			;
		found = i == n;
	}
	if (f)
		fclose(f);
	return found;
}

/* ---- setup and teardown -------------------------------------------------- */

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void cleanup(void)
{
	int i, st;

	if (S.shadowd > 0) {
		kill(S.shadowd, SIGTERM);
		waitpid(S.shadowd, &st, 0);
		S.shadowd = 0;
	}
	for (i = 0; i < users_made; i++)
		sh("userdel %s >/dev/null 2>&1; groupdel %s >/dev/null 2>&1",
		   S.user[i], S.user[i]);
	users_made = 0;
	if (S.dir[0])
		sh("rm -rf %s", S.dir);
	S.dir[0] = 0;
}

static void on_alarm(int sig)
{
	(void)sig;
	/* A hang is a failure; the users must go all the same. */
	printf("FAIL: test_security timed out\n");
	cleanup();
	_exit(1);
}

static int make_user(int u, const char *suffix)
{
	struct passwd *pw;

	snprintf(S.user[u], sizeof(S.user[u]), "hct%d%s", (int)getpid(),
		 suffix);
	if (sh("useradd -M -U -s /bin/sh -c hostcall-test %s", S.user[u]))
		return -1;
	users_made = u + 1;
	pw = getpwnam(S.user[u]);
	if (!pw)
		return -1;
	S.uid[u] = pw->pw_uid;
	S.gid[u] = pw->pw_gid;
	return 0;
}

static void put_file(const char *path, const char *text, int u, mode_t mode)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
	if (u >= 0 && chown(path, S.uid[u], S.gid[u]) < 0)
		perror(path);
	chmod(path, mode);
}

static void write_policy(void)
{
	FILE *f = fopen(S.policy, "w");
	const char *o = S.user[UO];

	fprintf(f,
		"# test_security's policy\n"
		"[global]\n"
		"owners = %s\n"
		"audit = file %s\n"
		"audit-rate = 50\n"
		"module-dir = %s/modules\n"
		"\n"
		"[vm plug]\n"
		"owners = %s\n"
		"modules = sys proc fs example badperm notroot nosuch\n"
		"modules 1001 = sys example@1.0-1.1\n"
		"\n"
		"[vm sec]\n"
		"owners = %s\n"
		"map * = owner\n"
		"map 1000 = %s\n"
		"map 1001 = %s\n"
		"map 2000 = refuse\n"
		"\n"
		"[vm cmds]\n"
		"owners = %s\n"
		"commands = id sort /usr/bin/printf printenv\n"
		"helpers = /usr/bin/gzip\n"
		"fs-roots = %s\n"
		"\n"
		"[vm cpu]\n"
		"owners = %s\n"
		"cpu-seconds = 1\n"
		"\n"
		"[vm nofs]\n"
		"owners = %s\n"
		"modules = sys proc\n"
		"\n"
		"[vm small]\n"
		"owners = @%s\n"
		"max-sessions = 3\n"
		"max-procs = 2\n"
		"max-files = 2\n"
		"max-bytes = 4096\n"
		"\n"
		"[vm box]\n"
		"owners = %s\n"
		"max-tasks = 16\n"
		"max-cpu = 50\n"
		"max-memory = 256M\n"
		"\n"
		"[vm flood]\n"
		"owners = %s\n"
		"commands = sh\n"
		"helpers = /usr/bin/true\n",
		o, S.audit, S.dir, o, o, S.user[UA], S.user[UB], o, S.share,
		o, o, o, o, o);
	fclose(f);
	chmod(S.policy, 0600);
}

static int setup(void)
{
	char p[256];
	int i;

	snprintf(S.dir, sizeof(S.dir), "/tmp/hcsec-XXXXXX");
	if (!mkdtemp(S.dir))
		return -1;
	chmod(S.dir, 0755);
	if (make_user(UA, "a") || make_user(UB, "b") || make_user(UO, "o"))
		return -1;
	snprintf(S.sock, sizeof(S.sock), "%s/shadowd.sock", S.dir);
	snprintf(S.policy, sizeof(S.policy), "%s/shadowd.conf", S.dir);
	snprintf(S.audit, sizeof(S.audit), "%s/audit.log", S.dir);
	snprintf(S.share, sizeof(S.share), "%s/share", S.dir);

	/* Each user's secret, readable by that user alone. */
	snprintf(p, sizeof(p), "%s/a.txt", S.dir);
	put_file(p, "secret-a\n", UA, 0600);
	snprintf(p, sizeof(p), "%s/b.txt", S.dir);
	put_file(p, "secret-b\n", UB, 0600);
	snprintf(p, sizeof(p), "%s/outside.txt", S.dir);
	put_file(p, "outside\n", -1, 0644);
	/* The fs-root, with ways out that must not work. */
	mkdir(S.share, 0755);
	snprintf(p, sizeof(p), "%s/sub", S.share);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/in.txt", S.share);
	put_file(p, "inside\n", -1, 0644);
	snprintf(p, sizeof(p), "%s/escape", S.share);
	i = symlink("../outside.txt", p);
	snprintf(p, sizeof(p), "%s/abs", S.share);
	{
		char t[256];

		snprintf(t, sizeof(t), "%s/outside.txt", S.dir);
		i |= symlink(t, p);
	}
	snprintf(p, sizeof(p), "%s/up", S.share);
	i |= symlink("..", p);
	snprintf(p, sizeof(p), "%s/sub/inner", S.share);
	i |= symlink("../in.txt", p);
	if (i)
		return -1;
	sh("chown -R %s:%s %s", S.user[UO], S.user[UO], S.share);
	/* A setuid-root program: no_new_privs must make it harmless. */
	sh("cp /usr/bin/id %s/suid-id && chmod 4755 %s/suid-id", S.dir,
	   S.dir);
	/* Plugins: the example, and copies that must not be loaded. */
	if (sh("d=%s/modules; mkdir -m 755 $d && "
	       "cp %s/modules/example.so $d/ && chmod 644 $d/example.so && "
	       "cp $d/example.so $d/badperm.so && chmod 664 $d/badperm.so && "
	       "cp $d/example.so $d/notroot.so && chown %s $d/notroot.so",
	       S.dir, build, S.user[UO]))
		return -1;
	write_policy();
	return 0;
}

static int start_system(void)
{
	char path[4096];
	int i;

	snprintf(path, sizeof(path), "%s/shadowd", build);
	S.shadowd = fork();
	if (S.shadowd == 0) {
		execl(path, "shadowd", "--system", "--socket", S.sock,
		      "--config", S.policy, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 250 && access(S.sock, F_OK) < 0; i++)
		msleep(20);
	return access(S.sock, F_OK);
}

static const char *const groups[] = {
	"config", "attach", "mapping", "root", "confine", "commands",
	"fsroots", "modules", "limits", "container", "audit",
};

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	unsigned i;

	if (argc != 2) {
		fprintf(stderr, "usage: %s BUILD_DIR\n", argv[0]);
		return 2;
	}
	build = argv[1];
	if (getuid() != 0 || access("/usr/sbin/useradd", X_OK) < 0) {
		for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
			printf("SKIP: security: %s: needs root and useradd "
			       "to create its host users\n", groups[i]);
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	sigaction(SIGALRM, &sa, NULL);
	alarm(600);
	if (setup() < 0) {
		printf("FAIL: security: setup (users, files)\n");
		cleanup();
		return 1;
	}
	sec_config();
	if (start_system() < 0) {
		printf("FAIL: security: shadowd --system did not start\n");
		cleanup();
		return 1;
	}
	sec_attach();
	sec_mapping();
	sec_root();
	sec_confine();
	sec_commands();
	sec_fsroots();
	sec_modules();
	sec_limits();
	sec_container();
	sec_audit();
	cleanup();
	reap_any();
	printf("%s: %d failure%s\n", failures ? "FAILED" : "OK", failures,
	       failures == 1 ? "" : "s");
	return failures ? 1 : 0;
}
