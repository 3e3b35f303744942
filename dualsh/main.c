// SPDX-License-Identifier: MIT
/*
 * dualsh: options, and the read-parse-run loop shared by -c strings,
 * scripts, `source`, commands from a pipe and the interactive prompt.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shell.h"

extern char **environ;

/* ---- reading lines without reading past them ------------------------------------ */

struct lreader {
	int fd;
	bool shared;		/* others read this fd after us: don't over-read */
	bool seekable;
	char buf[4096];
	size_t n, pos;
};

/* next line with its newline (malloc'd), or NULL at end of input */
static char *lr_line(struct lreader *r)
{
	char *line = NULL;
	size_t len = 0, cap = 0;

	for (;;) {
		if (r->pos == r->n) {
			ssize_t got;
			size_t want = sizeof(r->buf);

			if (r->shared && !r->seekable)
				want = 1;
			do
				got = read(r->fd, r->buf, want);
			while (got < 0 && errno == EINTR);
			if (got <= 0)
				break;
			r->n = got;
			r->pos = 0;
		}
		{
			char *nl = memchr(r->buf + r->pos, '\n', r->n - r->pos);
			size_t take = nl ? (size_t)(nl - (r->buf + r->pos)) + 1 : r->n - r->pos;

			if (len + take + 1 > cap) {
				cap = (len + take + 1) * 2;
				line = xrealloc(line, cap);
			}
			memcpy(line + len, r->buf + r->pos, take);
			len += take;
			r->pos += take;
			if (nl)
				break;
		}
	}
	if (r->shared && r->seekable && r->pos < r->n) {
		/* give back what we read beyond this line */
		lseek(r->fd, -(off_t)(r->n - r->pos), SEEK_CUR);
		r->n = r->pos = 0;
	}
	if (!line)
		return NULL;
	line[len] = 0;
	return line;
}

/* ---- running text ------------------------------------------------------------------ */

static void syntax_error(const char *name, const char *msg)
{
	if (name)
		errmsg("%s: %s", name, msg);
	else
		errmsg("%s", msg);
}

int run_string(const char *s, size_t len, const char *name)
{
	struct parser *p = parser_new(s, len, 1, true);

	for (;;) {
		struct arena *a = arena_new();
		struct node *n;
		enum parse_status ps = parse_next(p, a, &n);

		if (ps != PARSE_OK) {
			syntax_error(name, parser_error(p));
			arena_free(a);
			sh.status = 2;
			break;
		}
		if (!n) {
			arena_free(a);
			break;
		}
		exec_tree(n, 0);
		if (arena_keep)
			arena_keep = false;	/* a function's tree lives in it */
		else
			arena_free(a);
		jobs_reap(false);
		if (sh.skip)
			break;
	}
	parser_free(p);
	return sh.status;
}

static int count_lines(const char *s, size_t n)
{
	int c = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] == '\n')
			c++;
	return c;
}

int run_fd(int fd, const char *name, bool interactive)
{
	struct lreader *r = xmalloc(sizeof(*r));
	char *buf = NULL;
	size_t len = 0;
	int line_no = 1;
	bool eof = false;

	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->shared = fd == 0;
	r->seekable = lseek(fd, 0, SEEK_CUR) >= 0;

	while (!eof) {
		char *line;
		struct parser *p;
		size_t done = 0;
		bool again = false;

		if (interactive) {
			jobs_reap(true);
			sh.got_sigint = 0;
			line = interactive_readline(len > 0);
			if (line) {
				char *l = xasprintf("%s\n", line);

				free(line);
				line = l;
			}
			if (sh.got_sigint && len) {
				/* Ctrl-C during a continuation drops it */
				free(buf);
				buf = NULL;
				len = 0;
			}
		} else {
			line = lr_line(r);
		}
		if (!line) {
			eof = true;
			if (!len)
				break;
		} else {
			size_t ll = strlen(line);

			buf = xrealloc(buf, len + ll + 1);
			memcpy(buf + len, line, ll + 1);
			len += ll;
			free(line);
		}

		p = parser_new(buf, len, line_no, eof);
		for (;;) {
			struct arena *a = arena_new();
			struct node *n;
			enum parse_status ps = parse_next(p, a, &n);

			if (ps == PARSE_INCOMPLETE) {
				arena_free(a);
				again = true;
				break;
			}
			if (ps == PARSE_ERROR) {
				arena_free(a);
				syntax_error(interactive ? NULL : name, parser_error(p));
				sh.status = 2;
				if (interactive)
					interactive_add_history(buf + done);
				done = len;
				if (!interactive && !sh.source_depth) {
					parser_free(p);
					free(buf);
					free(r);
					shell_exit(2);
				}
				if (!interactive) {
					eof = true;	/* `source`: stop this file */
				}
				break;
			}
			if (!n) {
				arena_free(a);
				done = parser_offset(p);
				break;
			}
			if (interactive) {
				size_t end = parser_offset(p);
				char *cmd = strndup(buf + done, end - done);

				if (!cmd)
					abort();
				interactive_add_history(cmd);
				free(cmd);
			}
			done = parser_offset(p);
			if (interactive && n->kind == N_NOT) {
				/* `! cmd` used to be a host stage: say so
				 * rather than negate by surprise */
				errmsg("'! cmd' negates cmd's status; to run cmd on the host write '!cmd'");
				sh.status = 2;
				arena_free(a);
				continue;
			}
			exec_tree(n, 0);
			if (arena_keep)
				arena_keep = false;	/* a function's tree lives in it */
			else
				arena_free(a);
			if (sh.skip == SKIP_RETURN && sh.source_depth && !interactive) {
				/* return from a dot script ends it */
				eof = true;
				break;
			}
			sh.skip = interactive ? SKIP_NONE : sh.skip;
			if (!interactive)
				jobs_reap(false);
		}
		parser_free(p);
		(void)again;
		line_no += count_lines(buf, done);
		memmove(buf, buf + done, len - done);
		len -= done;
		if (buf)
			buf[len] = 0;
	}
	free(buf);
	free(r);
	return sh.status;
}

/* ---- signals ---------------------------------------------------------------------- */

static void on_sigint(int sig)
{
	(void)sig;
	sh.got_sigint = 1;
	if (trap_set(SIGINT)) {
		/* the trap runs between commands; the job got it too */
		trap_note(SIGINT);
		return;
	}
	if (sh.interactive) {
		interactive_sigint();
		return;
	}
	jobs_forward_signal(SIGINT);
}

void shell_signals_default(int sig)
{
	struct sigaction sa;

	(void)sig;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigint;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
}

static void setup_signals(void)
{
	shell_signals_default(SIGINT);
	if (sh.interactive) {
		signal(SIGQUIT, SIG_IGN);
		signal(SIGTERM, SIG_IGN);
	}
}

static void setup_jobctl(void)
{
	int fd = isatty(0) ? 0 : open("/dev/tty", O_RDWR);
	pid_t pg;

	if (fd < 0)
		return;
	sh.ttyfd = fcntl(fd, F_DUPFD_CLOEXEC, 10);
	if (fd != 0)
		close(fd);
	if (sh.ttyfd < 0)
		return;
	/* wait until we are in the foreground */
	while (tcgetpgrp(sh.ttyfd) != (pg = getpgrp()))
		kill(-pg, SIGTTIN);
	signal(SIGTSTP, SIG_IGN);
	signal(SIGTTIN, SIG_IGN);
	signal(SIGTTOU, SIG_IGN);
	if (getpgrp() != getpid())
		setpgid(0, 0);
	sh.pgid = getpgrp();
	tcsetpgrp(sh.ttyfd, sh.pgid);
	sh.have_tmodes = tcgetattr(sh.ttyfd, &sh.tmodes) == 0;
	sh.jobctl = true;
}

static void usage(int st)
{
	fputs("usage: dualsh [-eilx] [-o option] [-c command [name [arg...]] | script [arg...]]\n"
	      "  -c CMD   run CMD      -i  interactive     -l  login shell (accepted)\n"
	      "  -e       set -e       -x  set -x          -o pipefail|errexit|xtrace|noglob\n"
	      "  !cmd runs cmd on the host; see 'help' inside the shell and dualsh(1)\n",
	      st ? stderr : stdout);
	exit(st);
}

static void set_args(int argc, char **argv)
{
	int i;

	sh.argc = argc;
	sh.argv = xmalloc((argc + 1) * sizeof(char *));
	for (i = 0; i < argc; i++)
		sh.argv[i] = xstrdup(argv[i]);
	sh.argv[argc] = NULL;
}

int main(int argc, char **argv)
{
	const char *cmd = NULL;
	bool force_i = false;
	int i;

	sh.toppid = getpid();
	sh.arg0 = argv[0];
	vars_init(environ);
	{
		char pp[16];

		snprintf(pp, sizeof(pp), "%d", (int)getppid());
		var_set("PPID", pp, 0);
	}
	{
		char buf[4096];

		if (getcwd(buf, sizeof(buf)))
			var_set("PWD", buf, 1);
	}
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (a[0] != '-' || !a[1])
			break;
		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (!strcmp(a, "--help"))
			usage(0);
		if (!strcmp(a, "--version")) {
			puts("dualsh 0.1.0");
			return 0;
		}
		for (a++; *a; a++) {
			switch (*a) {
			case 'c':
				if (i + 1 >= argc)
					usage(2);
				cmd = argv[++i];
				break;
			case 'i': force_i = true; break;
			case 'l': break;
			case 's': break;
			case 'e': sh.errexit = true; break;
			case 'x': sh.xtrace = true; break;
			case 'o':
				if (i + 1 >= argc)
					usage(2);
				i++;
				if (!strcmp(argv[i], "pipefail"))
					sh.pipefail = true;
				else if (!strcmp(argv[i], "errexit"))
					sh.errexit = true;
				else if (!strcmp(argv[i], "xtrace"))
					sh.xtrace = true;
				else if (!strcmp(argv[i], "noglob"))
					sh.noglob = true;
				else
					usage(2);
				break;
			default:
				usage(2);
			}
		}
	}

	if (cmd) {
		if (i < argc)
			sh.arg0 = argv[i++];
		set_args(argc - i, argv + i);
		setup_signals();
		run_string(cmd, strlen(cmd), NULL);
		shell_exit(sh.status);
	}
	if (i < argc) {
		int fd = open(argv[i], O_RDONLY | O_CLOEXEC);

		if (fd < 0) {
			errmsg("%s: %s", argv[i], strerror(errno));
			return errno == ENOENT ? 127 : 126;
		}
		sh.arg0 = argv[i];
		set_args(argc - i - 1, argv + i + 1);
		setup_signals();
		run_fd(fd, argv[i], false);
		close(fd);
		shell_exit(sh.status);
	}
	set_args(0, NULL);
	sh.interactive = force_i || (isatty(0) && isatty(2));
	if (sh.interactive) {
		setup_jobctl();
		setup_signals();
		interactive_init();
		run_fd(0, NULL, true);
		if (!sh.exiting)
			fputs("exit\n", stderr);
	} else {
		setup_signals();
		run_fd(0, NULL, false);
	}
	shell_exit(sh.status);
}
