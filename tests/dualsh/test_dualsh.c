// SPDX-License-Identifier: MIT
/*
 * dualsh host-run checks. test-dualsh BUILD_DIR
 *   parser: through its API (ast.h): trees rendered back to text, errors
 *           with line:column, incomplete input
 *   exec:   BUILD_DIR/dualsh -c ... for guest-only commands on this machine
 *   host:   host stages against BUILD_DIR/fakeshadow (host = this machine,
 *           the host cwd a separate directory)
 * Prints "PASS: name" / "FAIL: name: reason"; exits 1 if any failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ast.h"

static int failures;
static char dualsh[4096], fakeshadow[4096], tmp[256], hostdir[512],
	    guestdir[512], sock[512];

static void check(bool ok, const char *name, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		printf("PASS: %s\n", name);
	} else {
		printf("FAIL: %s: ", name);
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		printf("\n");
		failures++;
	}
	fflush(stdout);
}

/* ---- parser ------------------------------------------------------------------ */

static void parse_ok(const char *name, const char *src, const char *want)
{
	struct parser *p = parser_new(src, strlen(src), 1, true);
	struct arena *a = arena_new();
	char *got = NULL;
	size_t glen = 0;
	FILE *f = open_memstream(&got, &glen);

	for (;;) {
		struct node *n;
		enum parse_status st = parse_next(p, a, &n);
		char *d;

		if (st != PARSE_OK) {
			fprintf(f, "<error: %s>", parser_error(p));
			break;
		}
		if (!n)
			break;
		d = node_dump(n);
		fprintf(f, "%s%s", glen || ftell(f) ? "\n" : "", d);
		free(d);
	}
	fclose(f);
	check(!strcmp(got, want), name, "parsed %s as [%s], want [%s]", src, got, want);
	free(got);
	arena_free(a);
	parser_free(p);
}

static void parse_err(const char *name, const char *src, const char *want)
{
	struct parser *p = parser_new(src, strlen(src), 1, true);
	struct arena *a = arena_new();
	struct node *n;
	enum parse_status st;

	do
		st = parse_next(p, a, &n);
	while (st == PARSE_OK && n);
	check(st == PARSE_ERROR && !strcmp(parser_error(p), want), name,
	      "%s: got status %d [%s], want [%s]", src, st, parser_error(p), want);
	arena_free(a);
	parser_free(p);
}

static void parse_incomplete(const char *name, const char *src)
{
	struct parser *p = parser_new(src, strlen(src), 1, false);
	struct arena *a = arena_new();
	struct node *n;
	enum parse_status st;

	do
		st = parse_next(p, a, &n);
	while (st == PARSE_OK && n);
	check(st == PARSE_INCOMPLETE, name, "%s: got status %d (%s)", src, st,
	      parser_error(p));
	arena_free(a);
	parser_free(p);
}

static void parser_tests(void)
{
	parse_ok("parser: simple command", "echo hello   world", "echo hello world");
	parse_ok("parser: quoting", "echo 'a b' \"c $x\" \\$y",
		 "echo 'a b' 'c '\"${x}\" '$'y");
	parse_ok("parser: empty quotes make a word", "echo '' \"\"", "echo '' ''");
	parse_ok("parser: double quote escapes", "echo \"a\\\"b\\$c\\d\"",
		 "echo 'a\"b$c\\d'");
	parse_ok("parser: mixed pipeline", "a | !b | c", "a | !b | c");
	parse_ok("parser: '! ' negates, '!cmd' is a host stage", "! ls -l | !wc", "! ls -l | !wc");
	parse_ok("parser: compound commands",
		 "if a; then b; elif c; then d; else e; fi; while a; do b; done; until a; do :; done",
		 "if a; then b; else if c; then d; else e; fi; fi; while a; do b; done; until a; do :; done");
	parse_ok("parser: for, case, group, function",
		 "for i in a b; do echo $i; done; case $x in a|b) x;; (*) ;; esac; { a; b; } > f; f() { !ls; }",
		 "for i in a b; do echo ${i}; done; case ${x} in a|b) x;; *) ;; esac; { a; b; } 1>f; f() { !ls; }");
	parse_ok("parser: arithmetic and trims", "echo $((1 + $x)) ${v%%.*} ${v#?}",
		 "echo $(('1 + '\"${x}\")) ${v%%.*} ${v#?}");
	parse_err("parser: '! cmd' after a pipe is refused", "a | ! wc",
		  "syntax error at 1:5: '! cmd' negates a whole pipeline; a host stage is '!cmd' (no blank)");
	parse_err("parser: fi without if", "fi", "syntax error at 1:1: unexpected 'fi'");
	parse_err("parser: missing then", "if a; b; fi", "syntax error at 1:10: unexpected 'fi' (expecting 'then')");
	parse_incomplete("parser: incomplete if", "if a; then\n");
	parse_incomplete("parser: incomplete function", "f() {\n");
	parse_ok("parser: lone ! is the host shell", "!", "!");
	parse_ok("parser: ! is literal after the command word", "echo !x a!b",
		 "echo !x a!b");
	parse_ok("parser: lists", "a && b || c; d &", "a && b || c; d &");
	parse_ok("parser: no spaces", "a;b&&c|d", "a; b && c | d");
	parse_ok("parser: subshell with redirections", "(a; b) > out 2>&1",
		 "( a; b ) 1>out 2>&1");
	parse_ok("parser: nested subshells", "((a) | b)", "( ( a ) | b )");
	parse_ok("parser: redirections", "cmd <in >out 2>err >>app 3<>rw 0<&3 >&-",
		 "cmd 0<in 1>out 2>err 1>>app 3<>rw 0<&3 1>&-");
	parse_ok("parser: host file redirections", "!cmd !> f 2!>> g !< h < i",
		 "!cmd 1!>f 2!>>g 0!<h 0<i");
	parse_ok("parser: command substitution", "echo $(echo $(ls) | !tac) `date`",
		 "echo $(echo $(ls) | !tac) $(date)");
	parse_ok("parser: substitution in quotes", "echo \"$(echo \")\")\"",
		 "echo \"$(echo ')')\"");
	parse_ok("parser: empty substitution", "echo $()", "echo $()");
	parse_ok("parser: parameters", "echo $a ${b} $? $$ $# $1 ${#c} ${d:-x y} ${e=z} ${f:+w}",
		 "echo ${a} ${b} ${?} ${$} ${#} ${1} ${#c} ${d:-x y} ${e=z} ${f:+w}");
	parse_ok("parser: lone dollar", "echo $ a$", "echo $ a$");
	parse_ok("parser: assignments", "A=1 B=\"2 3\" cmd C=4", "A=1 B='2 3' cmd C=4");
	parse_ok("parser: host env prefix", "!LANG=C sort", "!LANG=C sort");
	parse_ok("parser: comments", "echo a # comment\n# whole line\necho b#c",
		 "echo a\necho b#c");
	parse_ok("parser: line continuation", "echo a \\\n b", "echo a b");
	parse_ok("parser: tilde", "cd ~/x ~user a~", "cd ~/x ~user a~");
	parse_ok("parser: heredoc", "cat <<EOF\nhi $x\nEOF\necho after",
		 "cat 0<<EOF['hi '\"${x}\"'\n']\necho after");
	parse_ok("parser: quoted heredoc", "cat <<'E F'\n$x\nE F\n",
		 "cat 0<<E F['$x\n']");
	parse_ok("parser: heredoc strips tabs", "cat <<-X\n\t\tin\n\tX\n",
		 "cat 0<<-X['in\n']");
	parse_ok("parser: two heredocs", "cat <<A; cat <<B\na\nA\nb\nB\n",
		 "cat 0<<A['a\n']; cat 0<<B['b\n']");
	parse_ok("parser: heredoc in a pipeline", "cat <<A | !tr a b\naaa\nA\n",
		 "cat 0<<A['aaa\n'] | !tr a b");
	parse_ok("parser: newlines in subshells", "(\na\nb\n)", "( a; b )");
	parse_ok("parser: pipe continues on next line", "a |\n b &&\n c", "a | b && c");

	parse_err("parser: error column for |", "echo | | x",
		  "syntax error at 1:8: unexpected '|'");
	parse_err("parser: error on line 2", "echo ok\nfoo | ;",
		  "syntax error at 2:7: unexpected ';'");
	parse_err("parser: unexpected )", "echo hi )", "syntax error at 1:9: unexpected ')'");
	parse_err("parser: leading &&", "&& a", "syntax error at 1:1: unexpected '&&'");
	parse_err("parser: empty subshell", "( )", "syntax error at 1:3: unexpected ')'");
	parse_err("parser: unclosed quote", "echo 'abc",
		  "syntax error at 1:10: missing closing \"'\"");
	parse_err("parser: unclosed paren", "(echo",
		  "syntax error at 1:6: unexpected end of input");
	parse_err("parser: missing redirection target", "cat >",
		  "syntax error at 1:6: unexpected end of input");
	parse_err("parser: ! before (", "!(a)",
		  "syntax error at 1:2: '!' applies to a simple command, not to '('");
	parse_err("parser: ;;", "a ;; b", "syntax error at 1:3: unexpected ';;'");
	parse_err("parser: bad substitution", "echo ${a&b}",
		  "syntax error at 1:9: bad substitution");
	parse_err("parser: host dup is refused", "!a !>&2",
		  "syntax error at 1:4: '!' applies to <, > and >> only (host files)");

	parse_incomplete("parser: incomplete quote", "echo 'abc\n");
	parse_incomplete("parser: incomplete pipe", "a |\n");
	parse_incomplete("parser: incomplete &&", "a &&\n");
	parse_incomplete("parser: incomplete subshell", "(a\n");
	parse_incomplete("parser: incomplete heredoc", "cat <<EOF\nabc\n");
	parse_incomplete("parser: incomplete $(", "echo $(a\n");
	parse_incomplete("parser: incomplete continuation", "echo a \\\n");
}

/* ---- running dualsh --------------------------------------------------------------- */

struct result {
	char *out, *err;
	int status;		/* exit code, 128+sig, or -1 on timeout */
};

static char *slurp(int fd)
{
	char *buf = NULL;
	size_t n = 0, cap = 0;

	for (;;) {
		ssize_t r;

		if (n + 65536 > cap) {
			cap = cap ? cap * 2 : 65536;
			buf = realloc(buf, cap + 1);
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += r;
	}
	if (!buf)
		buf = malloc(1);
	buf[n] = 0;
	return buf;
}

/* run dualsh -c script in dir; stdin from /dev/null (or in) */
static struct result run(const char *dir, const char *script, const char *in,
			 bool host)
{
	struct result r = { 0 };
	int po[2], pe[2], pi[2];
	pid_t pid;
	int ws;

	if (pipe(po) || pipe(pe) || pipe(pi))
		abort();
	pid = fork();
	if (pid == 0) {
		dup2(pi[0], 0);
		dup2(po[1], 1);
		dup2(pe[1], 2);
		close(po[0]);
		close(pe[0]);
		close(pi[1]);
		if (chdir(dir) < 0)
			_exit(99);
		setenv("HOSTCALL_DEVICE", host ? sock : "/nonexistent/hostcall", 1);
		setenv("ASAN_OPTIONS", "detect_leaks=0", 1);
		alarm(60);
		execl(dualsh, "dualsh", "-c", script, (char *)NULL);
		_exit(98);
	}
	close(po[1]);
	close(pe[1]);
	close(pi[0]);
	if (in) {
		/* writer child, so big inputs do not block us */
		if (fork() == 0) {
			size_t len = strlen(in);

			close(po[0]);
			close(pe[0]);
			if (write(pi[1], in, len) < 0)
				_exit(1);
			_exit(0);
		}
	}
	close(pi[1]);
	{
		/* read both without deadlock: stderr is small, read it after */
		r.out = slurp(po[0]);
		r.err = slurp(pe[0]);
	}
	close(po[0]);
	close(pe[0]);
	waitpid(pid, &ws, 0);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	r.status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
	return r;
}

static void free_result(struct result *r)
{
	free(r->out);
	free(r->err);
}

/* expect stdout exactly and the status; err: a substring of stderr (or NULL:
 * stderr must be empty) */
static void expect_in(const char *dir, bool host, const char *name,
		      const char *script, const char *want_out, int want_st,
		      const char *want_err)
{
	struct result r = run(dir, script, NULL, host);
	bool ok = !strcmp(r.out, want_out) && r.status == want_st &&
		  (want_err ? strstr(r.err, want_err) != NULL : !*r.err);

	check(ok, name, "script [%s]: out [%s] status %d err [%s]; want out [%s] status %d err [%s]",
	      script, r.out, r.status, r.err, want_out, want_st,
	      want_err ? want_err : "");
	free_result(&r);
}

static void expect(const char *name, const char *script, const char *out,
		   int st, const char *err)
{
	expect_in(guestdir, false, name, script, out, st, err);
}

static void expect_host(const char *name, const char *script, const char *out,
			int st, const char *err)
{
	expect_in(guestdir, true, name, script, out, st, err);
}

static void exec_tests(void)
{
	char buf[8192];

	expect("kill: %1 of a guest job", "sleep 300 & kill %1; wait $!; echo $?", "143\n", 0, NULL);
	expect("kill: job specs", "sleep 301 & sleep 302 & kill %-; wait %1; echo $?; kill -s KILL %sleep; "
	       "wait; echo $?; sleep 303 & kill -9 %?303; wait $!; echo $?", "143\n137\n137\n", 0, NULL);
	expect("kill: -l", "kill -l 143 9 TERM", "TERM\nKILL\n15\n", 0, NULL);
	expect("kill: no such job", "kill %3; echo $?", "1\n", 0, "kill: %3: no such job");
	expect("kill: a bad signal", "kill -FOO 1; echo $?", "1\n", 0, "invalid signal");
	expect("lang: '! cmd' negates, set -o pipefail (dash has none)",
	       "! false; echo $?; set -o pipefail; false | true; echo $?; set +o pipefail; false | true; echo $?",
	       "0\n1\n0\n", 0, NULL);
	expect("exec: & backgrounds only its own and-or list", "x=1; x=2 & wait; echo $x",
	       "1\n", 0, NULL);

	expect("exec: simple", "echo hello", "hello\n", 0, NULL);
	expect("exec: pipeline", "seq 1 5 | tr -d 3 | grep . | wc -l", "4\n", 0, NULL);
	expect("exec: long pipeline", "echo x | cat | cat | cat | cat | cat | cat | cat | cat | tr x y",
	       "y\n", 0, NULL);
	expect("exec: exit status", "false; echo $?; sh -c 'exit 7'; echo $?", "1\n7\n", 0, NULL);
	expect("exec: pipeline status is the last stage's", "false | true; echo $?; true | false; echo $?",
	       "0\n1\n", 0, NULL);
	expect("exec: set -o pipefail", "set -o pipefail; false | true; echo $?; sh -c 'exit 3' | true | true; echo $?",
	       "1\n3\n", 0, NULL);
	expect("exec: -o pipefail option", "false | true", "", 0, NULL);
	expect("exec: && and ||", "false && echo no || echo yes; true && echo and; true || echo no",
	       "yes\nand\n", 0, NULL);
	expect("exec: subshell keeps variables and cwd", "x=1; (x=2; cd /; echo $x; pwd); echo $x; pwd | sed 's|.*/||'",
	       "2\n/\n1\nguest\n", 0, NULL);
	expect("exec: subshell status", "(exit 4); echo $?", "4\n", 0, NULL);
	expect("exec: subshell in a pipeline", "(echo a; echo b) | tr a-z A-Z", "A\nB\n", 0, NULL);
	expect("exec: redirections", "echo hi > f; cat < f; echo more >> f; cat f; rm f",
	       "hi\nhi\nmore\n", 0, NULL);
	expect("exec: 2> and 2>&1", "ls /nonexistent-xyz 2>/dev/null || echo err; "
	       "sh -c 'echo e >&2' 2>&1 | tr e E", "err\nE\n", 0, NULL);
	expect("exec: >&2 and 2>&1 order", "sh -c 'echo o; echo e >&2' 2>&1 >/dev/null | tr e E",
	       "E\n", 0, NULL);
	expect("exec: builtin redirection is restored", "echo a > f; echo b; cat f; rm f",
	       "b\na\n", 0, NULL);
	expect("exec: heredoc", "x=world; cat <<EOF\nhello $x\n$(echo sub)\nEOF\ncat <<'Q'\n$x\nQ",
	       "hello world\nsub\n$x\n", 0, NULL);
	expect("exec: heredoc to a pipeline", "cat <<E | tr a b\naaa\nE", "bbb\n", 0, NULL);
	expect("exec: set -e stops", "set -e; echo a; false; echo no", "a\n", 1, NULL);
	expect("exec: set -e spares conditions", "set -e; false || echo yes; false && echo no; echo end",
	       "yes\nend\n", 0, NULL);
	expect("exec: set -e in a subshell", "set -e; (false; echo no); echo no2", "", 1, NULL);
	expect("exec: command substitution", "echo $(echo a; echo b) \"$(printf 'c\\n\\n')\"",
	       "a b c\n", 0, NULL);
	expect("exec: nested substitution", "echo $(echo $(echo deep))", "deep\n", 0, NULL);
	expect("exec: backquotes", "echo `echo bq`", "bq\n", 0, NULL);
	expect("exec: substitution status", "x=$(exit 3); echo $?", "3\n", 0, NULL);
	expect("exec: field splitting", "x='a  b'; printf '[%s]' $x \"$x\"; echo",
	       "[a][b][a  b]\n", 0, NULL);
	expect("exec: $$ in a subshell", "test $$ = $(echo $$) && echo same", "same\n", 0, NULL);
	expect("exec: parameter forms", "unset u; x=abc; echo ${u:-d} ${x:-d} ${#x} ${x:+alt} ${u=set} $u",
	       "d abc 3 alt set set\n", 0, NULL);
	expect("exec: export", "export FOO=bar; sh -c 'echo $FOO'; BAZ=1 sh -c 'echo $BAZ'; echo \"[$BAZ]\"",
	       "bar\n1\n[]\n", 0, NULL);
	expect("exec: unset", "x=1; unset x; echo \"[$x]\"", "[]\n", 0, NULL);
	expect("exec: background and wait", "sleep 0.1 & wait; echo done; (exit 5) & wait $!; echo $?",
	       "done\n5\n", 0, NULL);
	expect("exec: missing command", "nosuchcmd-xyz; echo $?", "127\n", 0,
	       "dualsh: nosuchcmd-xyz: command not found");
	expect("exec: syntax error", "echo | | x", "", 2,
	       "dualsh: syntax error at 1:8: unexpected '|'");
	expect("exec: exit", "exit 3; echo no", "", 3, NULL);
	expect("exec: globbing", "touch a1 a2 b1; echo a*; echo 'a*' \"a*\"; echo zz*; rm a1 a2 b1",
	       "a1 a2\na* a*\nzz*\n", 0, NULL);
	expect("exec: set -f", "touch a1; set -f; echo a*; rm a1", "a*\n", 0, NULL);
	expect("exec: positional parameters", "set -- a 'b c'; echo $#; for_=\"$@\"; printf '[%s]' \"$@\"; echo; shift; echo $1",
	       "2\n[a][b c]\nb c\n", 0, NULL);
	expect("exec: source", "echo 'echo sourced $1' > s.dsh; . ./s.dsh arg; source s.dsh; rm s.dsh",
	       "sourced arg\nsourced\n", 0, NULL);
	expect("exec: exec redirection", "exec > f; echo into; exec >&2; cat f >&2; rm f", "", 0, "into");
	expect("exec: tilde", "HOME=/h; echo ~ ~/x '~'", "/h /h/x ~\n", 0, NULL);
	expect("exec: !pwd without host", "!pwd; echo $?", "1\n", 0,
	       "host commands are unavailable");

	/* script file with #!, arguments, commands from a pipe */
	snprintf(buf, sizeof(buf), "%s/script.dsh", guestdir);
	{
		FILE *f = fopen(buf, "w");

		fprintf(f, "#!%s\n# a comment\necho \"$0 $1 $#\" | sed 's|.*/||'\nexit 6\n", dualsh);
		fclose(f);
		chmod(buf, 0755);
	}
	expect("exec: #! script with arguments", "./script.dsh one two", "script.dsh one 2\n", 6, NULL);
	expect("exec: script by name", "dualsh_=1; ./script.dsh x; echo $?", "script.dsh x 1\n6\n", 0, NULL);
	{
		struct result r;
		char cmd[8192];

		snprintf(cmd, sizeof(cmd), "printf 'echo a\\necho \"b\\nc\"\\nexit 4\\necho no\\n' | %s", dualsh);
		r = run(guestdir, cmd, NULL, false);
		check(!strcmp(r.out, "a\nb\nc\n") && r.status == 4, "exec: commands from a pipe",
		      "out [%s] status %d err [%s]", r.out, r.status, r.err);
		free_result(&r);
		snprintf(cmd, sizeof(cmd), "printf 'echo ok\\necho | |\\necho no\\n' | %s", dualsh);
		r = run(guestdir, cmd, NULL, false);
		check(!strcmp(r.out, "ok\n") && r.status == 2 &&
		      strstr(r.err, "syntax error at 2:8"), "exec: syntax error in a script stops it",
		      "out [%s] status %d err [%s]", r.out, r.status, r.err);
		free_result(&r);
	}
}

/* ---- host stages ----------------------------------------------------------------------- */

static pid_t shadow_pid;

static void start_shadow(void)
{
	int i;

	snprintf(sock, sizeof(sock), "%s/hostcall.sock", tmp);
	shadow_pid = fork();
	if (shadow_pid == 0) {
		execl(fakeshadow, "fakeshadow", sock, hostdir, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 100 && access(sock, F_OK); i++)
		usleep(20000);
}

/* pattern is anchored by callers: the dualsh command line names the
 * host command too */
static bool host_proc_running(const char *pattern)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "pgrep -f '%s' >/dev/null", pattern);
	return system(cmd) == 0;
}

static void interrupt_test(void)
{
	pid_t pid;
	int ws, i;
	struct timespec t0, t1;
	bool gone = false;

	pid = fork();
	if (pid == 0) {
		int fd = open("/dev/null", O_RDWR);

		dup2(fd, 0);
		dup2(fd, 1);
		if (chdir(guestdir) < 0)
			_exit(99);
		setenv("HOSTCALL_DEVICE", sock, 1);
		setenv("ASAN_OPTIONS", "detect_leaks=0", 1);
		execl(dualsh, "dualsh", "-c",
		      "yes | !cat | !sleep 301.5 | cat; echo after", (char *)NULL);
		_exit(98);
	}
	for (i = 0; i < 100 && !host_proc_running("^slee[p] 301.5"); i++)
		usleep(50000);
	check(host_proc_running("^slee[p] 301.5"), "host: the mixed pipeline runs", "no host sleep");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	kill(pid, SIGINT);
	for (i = 0; i < 100; i++) {
		if (waitpid(pid, &ws, WNOHANG) == pid)
			break;
		usleep(50000);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (i == 100) {
		kill(pid, SIGKILL);
		waitpid(pid, &ws, 0);
	}
	check(i < 100 && WIFEXITED(ws) && WEXITSTATUS(ws) == 130,
	      "host: SIGINT stops the foreground pipeline, status 130",
	      "waited %ld ms, status %#x", (long)((t1.tv_sec - t0.tv_sec) * 1000 +
						  (t1.tv_nsec - t0.tv_nsec) / 1000000), ws);
	for (i = 0; i < 50; i++) {
		if (!host_proc_running("^slee[p] 301.5")) {
			gone = true;
			break;
		}
		usleep(100000);
	}
	check(gone, "host: SIGINT stops the host stages", "sleep 301.5 still runs");
	if (!gone)
		system("pkill -f 'sleep 301.5'");
}

static void pty_test(void)
{
	int master, ws;
	pid_t pid;
	struct winsize w = { .ws_row = 33, .ws_col = 97 };
	char *out;

	pid = forkpty(&master, NULL, NULL, &w);
	if (pid == 0) {
		if (chdir(guestdir) < 0)
			_exit(99);
		setenv("HOSTCALL_DEVICE", sock, 1);
		setenv("ASAN_OPTIONS", "detect_leaks=0", 1);
		execl(dualsh, "dualsh", "-c", "!sh -c 'tty; stty size'", (char *)NULL);
		_exit(98);
	}
	{
		/* read until the child is gone (EIO on the master) */
		char *buf = malloc(65536);
		size_t n = 0;

		for (;;) {
			ssize_t r = read(master, buf + n, 65535 - n);

			if (r <= 0)
				break;
			n += r;
		}
		buf[n] = 0;
		out = buf;
	}
	waitpid(pid, &ws, 0);
	close(master);
	check(strstr(out, "/dev/pts/") && strstr(out, "33 97") && WIFEXITED(ws) &&
	      WEXITSTATUS(ws) == 0, "host: a terminal gets a host pty with its size",
	      "out [%s] status %#x", out, ws);
	free(out);
}

/* ---- the interactive shell on a pty ---------------------------------------------------- */

struct term {
	int master;
	pid_t pid;
	char buf[1 << 16];
	size_t n, seen;		/* seen: output before this was matched */
};

static void term_start(struct term *t, bool host)
{
	struct winsize w = { .ws_row = 33, .ws_col = 97 };

	memset(t, 0, sizeof(*t));
	t->pid = forkpty(&t->master, NULL, NULL, &w);
	if (t->pid == 0) {
		if (chdir(guestdir) < 0)
			_exit(99);
		setenv("HOSTCALL_DEVICE", host ? sock : "/nonexistent/hostcall", 1);
		setenv("ASAN_OPTIONS", "detect_leaks=0", 1);
		setenv("HOME", guestdir, 1);
		setenv("PS1", "PROMPT> ", 1);
		setenv("TERM", "dumb", 1);
		execl(dualsh, "dualsh", (char *)NULL);
		_exit(98);
	}
}

/* wait (up to secs) for text in the output after what was matched last */
static bool term_wait(struct term *t, const char *text, int secs)
{
	struct pollfd pfd = { .fd = t->master, .events = POLLIN };
	int i;

	for (i = 0; i < secs * 20; i++) {
		char *hit;

		t->buf[t->n] = 0;
		hit = strstr(t->buf + t->seen, text);
		if (hit) {
			t->seen = hit - t->buf + strlen(text);
			return true;
		}
		if (poll(&pfd, 1, 50) > 0) {
			ssize_t r = read(t->master, t->buf + t->n, sizeof(t->buf) - 1 - t->n);

			if (r <= 0)
				return false;
			t->n += r;
		}
	}
	return false;
}

static void term_send(struct term *t, const char *s)
{
	if (write(t->master, s, strlen(s)) < 0)
		perror("write to pty");
}

static void term_end(struct term *t)
{
	int ws, i;

	term_send(t, "exit\r");
	for (i = 0; i < 100 && waitpid(t->pid, &ws, WNOHANG) == 0; i++)
		usleep(50000);
	if (i == 100) {
		kill(t->pid, SIGKILL);
		waitpid(t->pid, &ws, 0);
	}
	close(t->master);
}

/* the state letter of the (first) process whose command line matches */
static char proc_state(const char *pattern)
{
	char cmd[512], line[512];
	FILE *f;
	char st = 0;

	snprintf(cmd, sizeof(cmd),
		 "for p in $(pgrep -f '%s'); do sed 's/.*) //' /proc/$p/stat | cut -c1; break; done",
		 pattern);
	f = popen(cmd, "r");
	if (f && fgets(line, sizeof(line), f))
		st = line[0];
	if (f)
		pclose(f);
	return st;
}

static char wait_state(const char *pattern, const char *want, int secs)
{
	int i;
	char st = 0;

	for (i = 0; i < secs * 20; i++) {
		st = proc_state(pattern);
		if (st && strchr(want, st))
			break;
		usleep(50000);
	}
	return st;
}

#define TAIL(t) ((t)->buf + ((t)->n > 300 ? (t)->n - 300 : 0))

/*
 * Ctrl-Z on a host command on a host pty: the terminal is raw then, so
 * the key comes as a byte; the job must stop on the host and in the
 * shell, `fg` must continue it with the terminal's new size, `bg` must
 * continue it, and `kill %1` must end it.
 */
static void jobctl_test(void)
{
	struct term t;
	struct winsize w = { .ws_row = 40, .ws_col = 120 };
	const char *pat = "^sh -c echo host-ready-307";
	char st;
	int i;

	term_start(&t, true);
	check(term_wait(&t, "PROMPT> ", 20), "jobctl: the interactive prompt", "out [%s]", TAIL(&t));
	term_send(&t, "!sh -c 'echo host-ready-307; while read l; do stty size; done'\r");
	check(term_wait(&t, "host-ready-307\r\n", 20), "jobctl: a host command on a host pty",
	      "out [%s]", TAIL(&t));
	term_send(&t, "\r");
	check(term_wait(&t, "33 97", 10), "jobctl: the host pty has the terminal's size",
	      "out [%s]", TAIL(&t));
	term_send(&t, "\x1a");
	check(term_wait(&t, "Stopped", 10) && term_wait(&t, "PROMPT> ", 10),
	      "jobctl: Ctrl-Z on a host command gives the prompt back", "out [%s]", TAIL(&t));
	st = wait_state(pat, "T", 5);
	check(st == 'T', "jobctl: Ctrl-Z stops the host process", "state %c", st ? st : '?');
	term_send(&t, "jobs\r");
	check(term_wait(&t, "[1]+  Stopped", 10) && term_wait(&t, "PROMPT> ", 10),
	      "jobctl: jobs lists the host job as Stopped", "out [%s]", TAIL(&t));
	/* resized while stopped: the SIGWINCH goes to the shell, not the job */
	ioctl(t.master, TIOCSWINSZ, &w);
	usleep(200000);
	term_send(&t, "fg\r");
	st = wait_state(pat, "SR", 5);
	check(st == 'S' || st == 'R', "jobctl: fg continues the host process", "state %c",
	      st ? st : '?');
	usleep(300000);
	term_send(&t, "\r");
	check(term_wait(&t, "40 120", 10), "jobctl: after fg the host pty has the new size",
	      "out [%s]", TAIL(&t));
	term_send(&t, "\x1a");
	check(term_wait(&t, "Stopped", 10) && term_wait(&t, "PROMPT> ", 10) &&
	      wait_state(pat, "T", 5) == 'T', "jobctl: Ctrl-Z again", "out [%s]", TAIL(&t));
	term_send(&t, "bg\r");
	st = wait_state(pat, "SR", 5);
	check(term_wait(&t, "PROMPT> ", 10) && (st == 'S' || st == 'R'),
	      "jobctl: bg continues the host process", "state %c out [%s]", st ? st : '?',
	      TAIL(&t));
	term_send(&t, "kill %1; wait; echo killed-$?\r");
	check(term_wait(&t, "killed-143", 10), "jobctl: kill %1 ends the host job (status 143)",
	      "out [%s]", TAIL(&t));
	for (i = 0; i < 50 && proc_state(pat); i++)
		usleep(100000);
	check(!proc_state(pat), "jobctl: kill %1 leaves no host process", "still there");
	term_end(&t);
}

/* SIGINT at the prompt: the handler only sets a flag; readline's signal
 * hook gives a fresh line. A storm of them must leave a working prompt. */
static void prompt_sigint_test(void)
{
	struct term t;
	int i;

	term_start(&t, false);
	term_wait(&t, "PROMPT> ", 20);
	term_send(&t, "echo abc-not-run");
	usleep(200000);
	term_send(&t, "\x03");
	check(term_wait(&t, "PROMPT> ", 10), "prompt: Ctrl-C gives a fresh prompt", "out [%s]",
	      TAIL(&t));
	for (i = 0; i < 300; i++) {
		kill(t.pid, SIGINT);
		if (i % 50 == 0) {
			term_send(&t, "x");
			usleep(2000);
		}
	}
	usleep(300000);
	term_send(&t, "\x15" "echo alive-1\r");
	check(term_wait(&t, "alive-1", 10) && !strstr(t.buf, "abc-not-run\r\nabc"),
	      "prompt: a SIGINT storm leaves a working prompt", "out [%s]", TAIL(&t));
	/* an unfinished compound command continues with PS2 and is one
	 * history entry */
	term_send(&t, "for i in 1 2\r");
	check(term_wait(&t, "> ", 10), "prompt: an unfinished for loop asks for more with PS2",
	      "out [%s]", TAIL(&t));
	term_send(&t, "do echo it$i; done\r");
	check(term_wait(&t, "it2", 10), "prompt: the continued loop runs", "out [%s]", TAIL(&t));
	term_send(&t, "history\r");
	check(term_wait(&t, "for i in 1 2\r\ndo echo it$i; done", 10),
	      "prompt: a multi-line command is one history entry", "out [%s]", TAIL(&t));
	term_send(&t, "! echo should-not-run\r");
	check(term_wait(&t, "to run cmd on the host write '!cmd'", 10) &&
	      !strstr(t.buf, "\nshould-not-run"),
	      "prompt: a command line of '! cmd' is refused with a message", "out [%s]", TAIL(&t));
	/* completion after a reserved word: a command position */
	term_send(&t, "if ech\t");
	check(term_wait(&t, "if echo ", 10), "prompt: Tab completes a command after 'if'",
	      "out [%s]", TAIL(&t));
	term_send(&t, "\x15");
	term_end(&t);
}

static void host_tests(void)
{
	char script[8192];

	start_shadow();
	expect_host("host: seq 1 3 | !tac | tr -d 3", "seq 1 3 | !tac | tr -d 3", "\n2\n1\n", 0, NULL);
	expect_host("host: a host command", "!echo hi", "hi\n", 0, NULL);
	expect_host("host: host first", "!seq 1 3 | tr 2 x", "1\nx\n3\n", 0, NULL);
	expect_host("host: host middle", "seq 1 3 | !sort -r | tr 2 x", "3\nx\n1\n", 0, NULL);
	expect_host("host: host last", "seq 1 3 | !wc -l", "3\n", 0, NULL);
	expect_host("host: several runs", "!seq 1 6 | grep -v 2 | !sort -rn | head -n 3 | !tr '\\n' ,",
		    "6,5,4,", 0, NULL);
	expect_host("host: !a | !b on the host", "!seq 1 5 | !tail -n 2", "4\n5\n", 0, NULL);
	expect_host("host: three host stages", "!seq 1 5 | !tac | !head -n 1", "5\n", 0, NULL);
	expect_host("host: exit status of a host stage", "!false; echo $?; !sh -c 'exit 9'; echo $?",
		    "1\n9\n", 0, NULL);
	expect_host("host: status of a pipeline ending on the host", "true | !false; echo $?; !false | true; echo $?",
		    "1\n0\n", 0, NULL);
	expect_host("host: pipefail with a host stage", "set -o pipefail; !false | cat; echo $?", "1\n", 0, NULL);
	expect_host("host: set -e with a host stage", "set -e; !false; echo no", "", 1, NULL);
	expect_host("host: signal status", "!sh -c 'kill -TERM $$'; echo $?", "143\n", 0, NULL);
	expect_host("host: command not found", "!lpr-nosuch-xyz; echo $?", "127\n", 0,
		    "dualsh: host: lpr-nosuch-xyz: command not found");
	expect_host("host: command not found mid-run", "!seq 1 3 | !nosuch-xyz | !cat; echo $?", "0\n", 0,
		    "dualsh: host: nosuch-xyz: command not found");
	expect_host("host: guest file redirections", "!echo out > g1; cat g1; !cat < g1; !echo more >> g1; cat g1",
		    "out\nout\nout\nmore\n", 0, NULL);
	snprintf(script, sizeof(script),
		 "!echo hostfile !> h1; cat %s/h1; !cat !< h1; !echo more !>> h1; !cat h1; test -e h1 || echo not-in-guest",
		 hostdir);
	expect_host("host: host file redirections", script,
		    "hostfile\nhostfile\nhostfile\nmore\nnot-in-guest\n", 0, NULL);
	expect_host("host: stderr of a host stage", "!sh -c 'echo e >&2' 2>&1 | tr e E; !sh -c 'echo f >&2' 2> e1; cat e1",
		    "E\nf\n", 0, NULL);
	expect_host("host: stderr to the terminal", "!sh -c 'echo visible >&2'", "", 0, "visible");
	expect_host("host: heredoc into a host stage", "x=1; !cat <<EOF\nv=$x\nEOF", "v=1\n", 0, NULL);
	snprintf(script, sizeof(script), "!pwd; !cd /tmp; !pwd; !cd; !pwd; (!cd /; !pwd); !pwd");
	{
		char want[8192];

		snprintf(want, sizeof(want), "%s\n/tmp\n%s\n/\n%s\n", hostdir, hostdir, hostdir);
		expect_host("host: !cd and !pwd", script, want, 0, NULL);
	}
	expect_host("host: !cd; !pwd", "!cd /tmp; !pwd", "/tmp\n", 0, NULL);
	expect_host("host: !cd error", "!cd /nonexistent-xyz; echo $?", "1\n", 0, "!cd: /nonexistent-xyz");
	expect_host("host: host cwd reaches host commands", "!cd /; !pwd; !sh -c 'pwd'", "/\n/\n", 0, NULL);
	expect_host("host: $(!echo hi)", "echo \"[$(!echo hi)]\"", "[hi]\n", 0, NULL);
	expect_host("host: env prefix", "!HCX=42 sh -c 'echo $HCX'", "42\n", 0, NULL);
	expect_host("host: guest env stays in the guest", "export GUESTONLY=1; !sh -c 'echo \"[$GUESTONLY]\"'",
		    "[]\n", 0, NULL);
	expect_host("host: DUALSH_HOSTENV", "A1=x; DUALSH_HOSTENV=A1; !sh -c 'echo $A1'", "x\n", 0, NULL);
	snprintf(script, sizeof(script), "cd %s && touch g.txt h.txt && cd %s; !echo *.txt; echo *.txt; rm -f %s/g.txt %s/h.txt",
		 hostdir, guestdir, hostdir, hostdir);
	expect_host("host: globs match host files", script, "g.txt h.txt\n*.txt\n", 0, NULL);
	expect_host("host: ~ is the host home", "!echo ~ | sed 's|.*/||'", "host\n", 0, NULL);
	expect_host("host: background host job", "!sleep 0.2 & wait; echo done", "done\n", 0, NULL);
	expect_host("host: reader stops early", "!seq 1 1000000 | head -n 2; yes | !head -n 1", "1\n2\ny\n", 0, NULL);
	expect_host("host: 32 MiB through guest-host-guest, sha256",
		    "head -c 33554432 /dev/urandom > data; a=$(sha256sum < data); "
		    "b=$(cat data | !cat | cat | sha256sum); c=$(!cat < data | !cat | sha256sum); rm data; "
		    "test \"$a\" = \"$b\" && test \"$a\" = \"$c\" && echo same",
		    "same\n", 0, NULL);
	/* host stages wherever a command can stand */
	snprintf(script, sizeof(script), "mkdir -p %s/srv/data && touch %s/srv/f1 %s/srv/f2", hostdir,
		 hostdir, hostdir);
	if (system(script))
		fprintf(stderr, "could not make %s/srv\n", hostdir);
	expect_host("host: a host status drives if", "if !test -d srv/data; then echo yes; fi; "
		    "if !test -d srv/none; then echo no; else echo absent; fi", "yes\nabsent\n", 0, NULL);
	expect_host("host: for over $(!ls)", "for f in $(!ls srv); do echo \"[$f]\"; done",
		    "[data]\n[f1]\n[f2]\n", 0, NULL);
	expect_host("host: a function wraps a host command", "hls() { !ls \"$@\"; }; hls srv | wc -l; "
		    "hc() { !sh -c \"exit $1\"; }; hc 4; echo $?", "3\n4\n", 0, NULL);
	expect_host("host: host stages in loops and pipelines", "i=0; while !test $i -lt 2; do i=$((i+1)); done; "
		    "echo $i; for i in 1 2; do echo x$i | !cat; done; until !true; do :; done",
		    "2\nx1\nx2\n", 0, NULL);
	expect_host("host: !cd in a subshell or a subshell function stays there",
		    "(!cd srv; !pwd) | sed 's|.*/||'; !pwd | sed 's|.*/||'; "
		    "g() ( !cd srv/data; !pwd ); g | sed 's|.*/||'; !pwd | sed 's|.*/||'; "
		    "f() { !cd srv; }; f; !pwd | sed 's|.*/||'",
		    "srv\nhost\ndata\nhost\nsrv\n", 0, NULL);
	expect_host("host: negation of a host stage, case and groups", "! !false && echo negated; "
		    "case $(!echo b) in b) echo case;; esac; { !echo grp; } > g.out; cat g.out; "
		    "!true && ! !true || echo or", "negated\ncase\ngrp\nor\n", 0, NULL);
	expect_host("host: set -e and a failing host stage in a function",
		    "set -e; f() { !false; echo no; }; f; echo no2", "", 1, NULL);
	interrupt_test();
	pty_test();
	jobctl_test();
	expect_host("host: kill %1 of a background host job", "!sleep 308.5 & kill %1; wait $!; echo $?",
		    "143\n", 0, NULL);
	expect_host("host: kill -9 %1 reaches the host process", "!sleep 309.5 & kill -9 %1; wait $!; echo $?; "
		    "sleep 0.5; pgrep -f '^slee[p] 309.5' || echo gone", "137\ngone\n", 0, NULL);
	expect_host("host: kill -USR1 goes to the host process, not the pump",
		    "!sleep 310.5 & kill -USR1 %1; wait $!; echo $?", "138\n", 0, NULL);
	expect_host("host: kill by the pump's pid", "!sleep 311.5 & kill $!; wait $!; echo $?", "143\n", 0, NULL);
	{
		/* 200 redirections on one host stage: a bound and an error,
		 * not an overflow (ASan) */
		char *big = malloc(200 * 8 + 64);
		int i;

		strcpy(big, "!echo x");
		for (i = 0; i < 200; i++)
			strcat(big, " >r.out");
		strcat(big, "; echo $?");
		expect_host("host: 200 redirections on a host stage are refused", big, "1\n", 0,
			    "more than 64 redirections");
		free(big);
	}
	kill(shadow_pid, SIGTERM);
	waitpid(shadow_pid, NULL, 0);
}

static void nodevice_tests(void)
{
	expect("nodevice: one message, status 127, guest goes on",
	       "!ls; echo $?; !ls | !cat; echo $?; echo guest ok", "127\n127\nguest ok\n", 0,
	       "host commands are unavailable");
	{
		struct result r = run(guestdir, "!a; !b; !c", NULL, false);
		char *p = strstr(r.err, "unavailable");
		bool once = p && !strstr(p + 1, "unavailable");

		check(once, "nodevice: the message comes once", "stderr [%s]", r.err);
		free_result(&r);
	}
}

int main(int argc, char **argv)
{
	char cmd[8192];

	if (argc < 2) {
		fprintf(stderr, "usage: test-dualsh BUILD_DIR\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	snprintf(dualsh, sizeof(dualsh), "%s/dualsh", argv[1]);
	snprintf(fakeshadow, sizeof(fakeshadow), "%s/fakeshadow", argv[1]);
	snprintf(tmp, sizeof(tmp), "/tmp/dualsh-test.XXXXXX");
	if (!mkdtemp(tmp)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(hostdir, sizeof(hostdir), "%s/host", tmp);
	snprintf(guestdir, sizeof(guestdir), "%s/guest", tmp);
	mkdir(hostdir, 0755);
	mkdir(guestdir, 0755);

	parser_tests();
	exec_tests();
	nodevice_tests();
	prompt_sigint_test();
	host_tests();

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", tmp);
	return failures ? 1 : 0;
}
