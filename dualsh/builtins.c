// SPDX-License-Identifier: MIT
/* dualsh builtins: the commands the shell runs itself. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shell.h"

static int b_cd(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : var_get("HOME");
	char buf[PATH_MAX];
	bool dash = false;

	if (!dir) {
		errmsg("cd: HOME not set");
		return 1;
	}
	if (!strcmp(dir, "-")) {
		dir = var_get("OLDPWD");
		dash = true;
		if (!dir) {
			errmsg("cd: OLDPWD not set");
			return 1;
		}
	}
	if (chdir(dir) < 0) {
		errmsg("cd: %s: %s", dir, strerror(errno));
		return 1;
	}
	if (var_get("PWD"))
		var_set("OLDPWD", var_get("PWD"), 0);
	if (getcwd(buf, sizeof(buf))) {
		var_set("PWD", buf, 0);
		if (dash)
			printf("%s\n", buf);
	}
	return 0;
}

static int b_pwd(int argc, char **argv)
{
	char buf[PATH_MAX];

	(void)argc;
	(void)argv;
	if (!getcwd(buf, sizeof(buf))) {
		errmsg("pwd: %s", strerror(errno));
		return 1;
	}
	printf("%s\n", buf);
	return 0;
}

static int b_hcd(int argc, char **argv)
{
	return host_cd(argc, argv);
}

static int b_hpwd(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	if (!host_session(false) || !host_cwd())
		return 1;
	printf("%s\n", host_cwd());
	return 0;
}

char *assign_split(const char *cmd, const char *arg, const char **val)
{
	const char *eq = strchr(arg, '=');
	size_t n = eq ? (size_t)(eq - arg) : strlen(arg);
	char *name;

	if (!valid_name(arg, n)) {
		errmsg("%s: %s: bad variable name", cmd, arg);
		return NULL;
	}
	name = strndup(arg, n);
	if (!name)
		abort();
	*val = eq ? eq + 1 : NULL;
	return name;
}

static int b_export(int argc, char **argv)
{
	int i, st = 0;

	if (argc == 1 || (argc == 2 && !strcmp(argv[1], "-p"))) {
		var_list(true);
		return 0;
	}
	for (i = 1; i < argc; i++) {
		const char *val;
		char *name = assign_split("export", argv[i], &val);

		if (!name) {
			st = 1;
			continue;
		}
		var_set(name, val, 1);
		free(name);
	}
	return st;
}

static int b_unset(int argc, char **argv)
{
	int i = 1, st = 0;
	bool fn = false;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-f"))
			fn = true;
		else if (strcmp(argv[i], "-v"))
			break;
	}
	for (; i < argc; i++) {
		if (fn)
			func_unset(argv[i]);
		else if (var_unset(argv[i]) < 0)
			st = 1;
	}
	return st;
}

static int b_exit(int argc, char **argv)
{
	int st = argc > 1 ? atoi(argv[1]) : sh.status;

	if (sh.interactive && !sh.subshell)
		fprintf(stderr, "exit\n");
	shell_exit(st);
}

static int b_true(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static int b_false(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return 1;
}

static int set_option(const char *name, bool on)
{
	if (!strcmp(name, "errexit"))
		sh.errexit = on;
	else if (!strcmp(name, "pipefail"))
		sh.pipefail = on;
	else if (!strcmp(name, "xtrace"))
		sh.xtrace = on;
	else if (!strcmp(name, "noglob"))
		sh.noglob = on;
	else if (!strcmp(name, "nounset"))
		sh.nounset = on;
	else if (!strcmp(name, "noclobber"))
		sh.noclobber = on;
	else if (!strcmp(name, "allexport"))
		sh.allexport = on;
	else if (!strcmp(name, "noexec"))
		sh.noexec = on && !sh.interactive;
	else if (!strcmp(name, "verbose"))
		sh.verbose = on;
	else {
		errmsg("set: %s: unknown option", name);
		return 1;
	}
	return 0;
}

static void set_positional(int argc, char **argv)
{
	int i;

	for (i = 0; i < sh.argc; i++)
		free(sh.argv[i]);
	free(sh.argv);
	sh.argv = xmalloc((argc + 1) * sizeof(char *));
	for (i = 0; i < argc; i++)
		sh.argv[i] = xstrdup(argv[i]);
	sh.argv[argc] = NULL;
	sh.argc = argc;
}

static int b_set(int argc, char **argv)
{
	int i;

	if (argc == 1) {
		var_list(false);
		return 0;
	}
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool on = a[0] == '-';

		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if ((a[0] != '-' && a[0] != '+') || !a[1])
			break;
		if (!strcmp(a + 1, "o")) {
			if (i + 1 >= argc) {
				printf("errexit\t%s\npipefail\t%s\nxtrace\t%s\nnoglob\t%s\n",
				       sh.errexit ? "on" : "off", sh.pipefail ? "on" : "off",
				       sh.xtrace ? "on" : "off", sh.noglob ? "on" : "off");
				return 0;
			}
			if (set_option(argv[++i], on))
				return 1;
			continue;
		}
		for (a++; *a; a++) {
			int r = 0;

			switch (*a) {
			case 'e': r = set_option("errexit", on); break;
			case 'x': r = set_option("xtrace", on); break;
			case 'f': r = set_option("noglob", on); break;
			case 'u': r = set_option("nounset", on); break;
			case 'C': r = set_option("noclobber", on); break;
			case 'a': r = set_option("allexport", on); break;
			case 'n': r = set_option("noexec", on); break;
			case 'v': r = set_option("verbose", on); break;
			default:
				errmsg("set: -%c: unknown option", *a);
				r = 1;
			}
			if (r)
				return 1;
		}
	}
	if (i < argc || (argc > 1 && !strcmp(argv[argc - 1], "--")))
		set_positional(argc - i, argv + i);
	return 0;
}

static int b_shift(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1, i;

	if (n < 0 || n > sh.argc) {
		errmsg("shift: can't shift that many");
		if (!sh.interactive)
			shell_exit(2);	/* a special builtin's error ends a script */
		return 1;
	}
	for (i = 0; i < n; i++)
		free(sh.argv[i]);
	memmove(sh.argv, sh.argv + n, (sh.argc - n + 1) * sizeof(char *));
	sh.argc -= n;
	return 0;
}

static int b_source(int argc, char **argv)
{
	int fd, st, oargc = sh.argc;
	char **oargv = sh.argv;

	if (argc < 2) {
		errmsg("%s: filename argument required", argv[0]);
		return 2;
	}
	fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		errmsg("%s: %s: %s", argv[0], argv[1], strerror(errno));
		return 1;
	}
	if (argc > 2) {
		sh.argv = NULL;
		sh.argc = 0;
		set_positional(argc - 2, argv + 2);
	}
	sh.source_depth++;
	st = run_fd(fd, argv[1], false);
	sh.source_depth--;
	if (sh.skip == SKIP_RETURN) {
		sh.skip = SKIP_NONE;
		st = sh.status;
	}
	close(fd);
	if (argc > 2) {
		set_positional(0, NULL);
		free(sh.argv);
		sh.argv = oargv;
		sh.argc = oargc;
	}
	return st;
}

static int b_jobs(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	jobs_print();
	return 0;
}

static struct job *find_or_complain(const char *cmd, const char *spec)
{
	const char *why;
	struct job *j = job_find(spec, &why);

	if (!j)
		errmsg("%s: %s: %s", cmd, spec ? spec : "current", why);
	return j;
}

static int b_fg(int argc, char **argv)
{
	struct job *j = find_or_complain("fg", argc > 1 ? argv[1] : NULL);

	return j ? job_fg(j, true) : 1;
}

static int b_bg(int argc, char **argv)
{
	struct job *j = find_or_complain("bg", argc > 1 ? argv[1] : NULL);

	return j ? job_bg(j) : 1;
}

static int b_wait(int argc, char **argv)
{
	int i, st = 0;

	if (argc == 1)
		return jobs_wait_all();
	for (i = 1; i < argc; i++) {
		const char *why;
		struct job *j = job_find(argv[i], &why);

		if (!j) {
			st = 127;
			continue;
		}
		st = job_wait_one(j);
	}
	return st;
}

static int kill_usage(void)
{
	errmsg("kill: usage: kill [-s sigspec | -signum | -sigspec] [pid | %%job]... or kill -l [exitstatus]");
	return 2;
}

/* kill: job specs (guest and host jobs, see job_kill) and process ids */
static int b_kill(int argc, char **argv)
{
	int sig = SIGTERM, i = 1, st = 0;

	if (argc > 1 && !strcmp(argv[1], "-l")) {
		if (argc == 2) {
			for (sig = 1; sig < 32; sig++)
				printf("%s\n", sig_name(sig));
			return 0;
		}
		for (i = 2; i < argc; i++) {
			int n = atoi(argv[i]) > 128 ? atoi(argv[i]) - 128 :
				sig_number(argv[i]);

			if (n <= 0 || !sig_name(n)) {
				errmsg("kill: %s: invalid signal number or name", argv[i]);
				return 1;
			}
			if (argv[i][0] >= '0' && argv[i][0] <= '9')
				printf("%s\n", sig_name(n));
			else
				printf("%d\n", n);
		}
		return 0;
	}
	if (argc > 2 && !strcmp(argv[1], "-s")) {
		sig = sig_number(argv[2]);
		i = 3;
	} else if (argc > 1 && argv[1][0] == '-' && argv[1][1] && strcmp(argv[1], "--")) {
		sig = sig_number(argv[1] + 1);
		i = 2;
	}
	if (sig < 0) {
		errmsg("kill: %s: invalid signal number or name", argv[i - 1]);
		return 1;
	}
	if (i < argc && !strcmp(argv[i], "--"))
		i++;
	if (i >= argc)
		return kill_usage();
	for (; i < argc; i++) {
		const char *why;
		struct job *j = argv[i][0] == '%' ? job_find(argv[i], &why) : NULL;
		char *end;
		long pid;

		if (argv[i][0] == '%') {
			if (!j || job_kill(j, sig) < 0) {
				errmsg("kill: %s: %s", argv[i], j ? strerror(errno) : why);
				st = 1;
			}
			continue;
		}
		pid = strtol(argv[i], &end, 10);
		if (*end || end == argv[i]) {
			errmsg("kill: %s: not a job spec or process id", argv[i]);
			st = 1;
			continue;
		}
		if (pid_kill((pid_t)pid, sig) < 0) {
			errmsg("kill: %s: %s", argv[i], strerror(errno));
			st = 1;
		}
	}
	return st;
}

static int b_exec(int argc, char **argv)
{
	char **env;

	if (argc < 2)
		return 0;	/* redirections were applied (and kept: see exec.c) */
	env = var_environ();
	if (sh.interactive)
		interactive_save_history();
	if (strchr(argv[1], '/')) {
		execve(argv[1], argv + 1, env);
	} else {
		const char *path = var_get("PATH");
		char *copy = xstrdup(path ? path : ""), *save = NULL, *d;

		for (d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
			char *f = xasprintf("%s/%s", d, argv[1]);

			execve(f, argv + 1, env);
			free(f);
		}
		free(copy);
	}
	errmsg("exec: %s: %s", argv[1], errno == ENOENT ? "not found" : strerror(errno));
	free_strv(env);
	return 127;
}

static int b_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs(
"dualsh: the dual-OS shell. Guest commands run in the guest; !cmd runs cmd on\n"
"the host (as your mapped host user). One pipeline mixes both:\n"
"    a2ps -o - test.c | !lpr        seq 1 3 | !tac | tr -d 3\n"
"\n"
"  !cmd args       a host stage (the ! applies to one pipeline stage)\n"
"  !               an interactive host shell ($HOSTSHELL, else bash, else sh)\n"
"  a | b ; && ||   pipelines and lists;  ( ... ) subshell;  cmd &  background\n"
"  < > >> 2> 2>&1 <<EOF   redirections; on a host stage they name guest files\n"
"  !< !> !>>       host files, on host stages:  !sort !< in.txt !> out.txt\n"
"  $VAR ${VAR} ${VAR:-x} $? $$ $! $(cmd) $(!cmd) `cmd`   'quotes' \"quotes\" \\\n"
"\n"
"The POSIX sh language: if/while/until/for/case, { }, ( ), f() { ...; },\n"
"! pipeline (a blank after '!': negation; '!cmd': a host stage), $((...)),\n"
"${v%%p} ${v#p} ${v:-w} ... Host stages work in all of them.\n"
"Builtins: cd !cd pwd !pwd export readonly unset set shift exit . source\n"
"  eval exec break continue return local trap read printf echo test [\n"
"  getopts type command umask alias unalias times ulimit kill jobs fg bg\n"
"  wait history help true false :\n"
"Host commands get TERM, the variables named in $DUALSH_HOSTENV, and\n"
"NAME=value prefixes (!LANG=C sort). See dualsh(1).\n", stdout);
	return 0;
}

struct bentry {
	const char *name;
	builtin_fn fn;
};

static const struct bentry guest[] = {
	/* the ones loops run most, first */
	{ "[", b_test }, { "test", b_test }, { "echo", b_echo }, { "printf", b_printf },
	{ "local", b_local }, { "return", b_return }, { "shift", b_shift },
	{ "cd", b_cd }, { "pwd", b_pwd }, { "export", b_export },
	{ "unset", b_unset }, { "exit", b_exit }, { "history", history_builtin },
	{ "help", b_help }, { "source", b_source }, { ".", b_source },
	{ "set", b_set }, { "jobs", b_jobs },
	{ "fg", b_fg }, { "bg", b_bg }, { "wait", b_wait }, { "exec", b_exec },
	{ "true", b_true }, { "false", b_false }, { ":", b_true },
	{ "kill", b_kill }, { "break", b_break },
	{ "continue", b_continue },
	{ "eval", b_eval }, { "read", b_read }, { "getopts", b_getopts },
	{ "type", b_type }, { "command", b_command }, { "umask", b_umask },
	{ "readonly", b_readonly }, { "alias", b_alias }, { "unalias", b_unalias },
	{ "times", b_times }, { "ulimit", b_ulimit }, { "trap", b_trap },
	{ NULL, NULL },
};

static const struct bentry host[] = {
	{ "cd", b_hcd }, { "pwd", b_hpwd }, { NULL, NULL },
};

const char *const builtin_names[] = {
	"cd", "pwd", "export", "unset", "exit", "history", "help", "source",
	"set", "shift", "jobs", "fg", "bg", "wait", "exec", "true", "false",
	"echo", "kill", "break", "continue", "return", "local", "eval", "test",
	"printf", "read", "getopts", "type", "command", "umask", "readonly",
	"alias", "unalias", "times", "ulimit", "trap", NULL,
};

bool builtin_special(const char *name)
{
	static const char *const sb[] = { "break", ":", "continue", ".", "eval",
		"exec", "exit", "export", "readonly", "return", "set", "shift",
		"times", "trap", "unset", NULL };
	const char *const *b;

	for (b = sb; *b; b++)
		if (!strcmp(*b, name))
			return true;
	return false;
}

builtin_fn builtin_find(const char *name, bool is_host)
{
	const struct bentry *b;

	for (b = is_host ? host : guest; b->name; b++)
		if (!strcmp(b->name, name))
			return b->fn;
	return NULL;
}
