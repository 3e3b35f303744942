// SPDX-License-Identifier: MIT
/*
 * dualsh executor: walks the tree. Lists and && || run in the shell;
 * pipelines fork one child per guest stage and hand each run of adjacent
 * host stages to host.c; builtins alone run in the shell itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shell.h"

struct shell sh = { .ttyfd = -1 };

int wait_to_status(int ws)
{
	if (WIFEXITED(ws))
		return WEXITSTATUS(ws);
	if (WIFSIGNALED(ws))
		return 128 + WTERMSIG(ws);
	if (WIFSTOPPED(ws))
		return 128 + WSTOPSIG(ws);
	return 1;
}

void shell_exit(int status)
{
	sh.status = status;
	trap_run_exit();
	fflush(stdout);
	fflush(stderr);
	if (sh.subshell)
		_exit(status & 0xff);
	sh.exiting = true;
	interactive_save_history();
	jobs_hangup();
	exit(status & 0xff);
}

void reset_signals_child(void)
{
	static const int sigs[] = { SIGINT, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU,
				    SIGCHLD, SIGPIPE, SIGTERM, SIGHUP, SIGWINCH };
	sigset_t none;
	size_t i;

	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	trap_reset_child();
}

/* ---- redirections ---------------------------------------------------------- */

int heredoc_fd(const struct redir *r)
{
	char *body = expand_str(r->target, 0);
	int fd;

	if (!body)
		return -1;
	fd = memfd_create("dualsh-heredoc", MFD_CLOEXEC);
	if (fd < 0) {
		char tmpl[] = "/tmp/dualsh-hdXXXXXX";

		fd = mkostemp(tmpl, O_CLOEXEC);
		if (fd >= 0)
			unlink(tmpl);
	}
	if (fd < 0 || write_all(fd, body, strlen(body)) < 0 ||
	    lseek(fd, 0, SEEK_SET) < 0) {
		errmsg("here-document: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		free(body);
		return -1;
	}
	free(body);
	return fd;
}

static bool parse_fdnum(const char *s, int *fd)
{
	char *end;
	long v;

	if (!*s)
		return false;
	errno = 0;
	v = strtol(s, &end, 10);
	if (*end || errno || v < 0 || v > INT_MAX)
		return false;
	*fd = (int)v;
	return true;
}

static void save_fd(int fd, struct saved_fd *saved, int *nsaved, int max)
{
	int i;

	if (!saved)
		return;
	for (i = 0; i < *nsaved; i++)
		if (saved[i].fd == fd)
			return;
	if (*nsaved == max)
		return;
	saved[*nsaved].fd = fd;
	saved[*nsaved].copy = fd_save(fd);
	(*nsaved)++;
}

void redir_restore(struct saved_fd *saved, int nsaved)
{
	int i;

	for (i = nsaved - 1; i >= 0; i--) {
		if (saved[i].copy >= 0) {
			dup2(saved[i].copy, saved[i].fd);
			close(saved[i].copy);
		} else {
			close(saved[i].fd);
		}
	}
}

int redir_apply(struct redir *r, struct saved_fd *saved, int *nsaved,
		int maxsaved)
{
	for (; r; r = r->next) {
		char *t;
		int fd = -1, src;

		if (r->host) {
			errmsg("%d:%d: host files (!< !> !>>) redirect host stages "
			       "(!cmd) only", r->line, r->col);
			return -1;
		}
		if (r->kind == R_HEREDOC) {
			fd = heredoc_fd(r);
			if (fd < 0)
				return -1;
			save_fd(r->fd, saved, nsaved, maxsaved);
			if (dup2(fd, r->fd) < 0) {
				errmsg("%d: %s", r->fd, strerror(errno));
				close(fd);
				return -1;
			}
			close(fd);
			continue;
		}
		t = expand_str(r->target, 0);
		if (!t)
			return -1;
		switch (r->kind) {
		case R_DUPIN:
		case R_DUPOUT:
			if (!strcmp(t, "-")) {
				save_fd(r->fd, saved, nsaved, maxsaved);
				close(r->fd);
				free(t);
				continue;
			}
			if (!parse_fdnum(t, &src) || fcntl(src, F_GETFD) < 0) {
				errmsg("%s: bad file descriptor", t);
				free(t);
				return -1;
			}
			free(t);
			if (src == r->fd)
				continue;
			save_fd(r->fd, saved, nsaved, maxsaved);
			if (dup2(src, r->fd) < 0) {
				errmsg("%d: %s", r->fd, strerror(errno));
				return -1;
			}
			continue;
		case R_IN:
			fd = open(t, O_RDONLY | O_CLOEXEC);
			break;
		case R_OUT:
			/* set -C: '>' does not overwrite a regular file ('>|' does) */
			if (sh.noclobber && !r->clobber) {
				struct stat st;

				if (stat(t, &st) == 0 && S_ISREG(st.st_mode)) {
					errmsg("%s: file exists", t);
					free(t);
					return -1;
				}
				fd = open(t, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
				break;
			}
			fd = open(t, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
			break;
		case R_APPEND:
			fd = open(t, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
			break;
		case R_RDWR:
			fd = open(t, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
			break;
		case R_HEREDOC:
			break;
		}
		if (fd < 0) {
			errmsg("%s: %s", t, strerror(errno));
			free(t);
			return -1;
		}
		free(t);
		save_fd(r->fd, saved, nsaved, maxsaved);
		if (fd != r->fd) {
			if (dup2(fd, r->fd) < 0) {
				errmsg("%d: %s", r->fd, strerror(errno));
				close(fd);
				return -1;
			}
			close(fd);
		} else {
			fcntl(fd, F_SETFD, 0);
		}
	}
	return 0;
}

/* ---- simple commands --------------------------------------------------------- */

static void xtrace(char **argv, bool host)
{
	char *line;
	size_t len = 3;
	char **a;

	if (!sh.xtrace)
		return;
	for (a = argv; *a; a++)
		len += strlen(*a) + 1;
	line = xmalloc(len + 2);
	strcpy(line, host ? "+ !" : "+ ");
	for (a = argv; *a; a++) {
		strcat(line, *a);
		if (a[1])
			strcat(line, " ");
	}
	strcat(line, "\n");
	write_all(2, line, strlen(line));
	free(line);
}

static int do_assignments(struct node *n, bool exp)
{
	int i;

	for (i = 0; i < n->nassigns; i++) {
		struct word *w = n->assigns[i];
		/* the first literal part holds NAME= */
		char *eq = strchr(w->parts->text, '=');
		char *name = strndup(w->parts->text, eq - w->parts->text);
		struct wpart first = *w->parts;
		struct word rest = *w;
		char *val;

		if (!name)
			abort();
		first.text = eq + 1;
		rest.parts = &first;
		val = expand_str(&rest, 0);
		if (!val) {
			free(name);
			return -1;
		}
		if (var_set(name, val, exp ? 1 : 0) < 0 && !sh.interactive)
			shell_exit(2);	/* assigning a read-only variable */
		free(name);
		free(val);
	}
	return 0;
}

static _Noreturn void exec_external(char **argv)
{
	char **env = var_environ();
	const char *path = var_get("PATH");
	int err = ENOENT;
	char buf[PATH_MAX];

	if (strchr(argv[0], '/')) {
		execve(argv[0], argv, env);
		err = errno;
		snprintf(buf, sizeof(buf), "%s", argv[0]);
	} else {
		const char *p = path ? path : "";

		for (;;) {
			const char *c = strchr(p, ':');
			size_t dl = c ? (size_t)(c - p) : strlen(p);

			if (dl == 0)
				snprintf(buf, sizeof(buf), "%s", argv[0]);
			else
				snprintf(buf, sizeof(buf), "%.*s/%s", (int)dl, p, argv[0]);
			execve(buf, argv, env);
			if (errno == ENOEXEC)
				break;
			if (errno != ENOENT && errno != ENOTDIR)
				err = errno;
			if (!c)
				break;
			p = c + 1;
		}
		if (errno == ENOEXEC)
			err = ENOEXEC;
	}
	if (err == ENOEXEC) {
		/* a script without #!: run it with this shell */
		size_t n = strv_len(argv);
		char **nargv = xmalloc((n + 2) * sizeof(char *));

		nargv[0] = PROG;
		memcpy(nargv + 1, argv, (n + 1) * sizeof(char *));
		nargv[1] = buf;
		execve("/proc/self/exe", nargv, env);
		err = errno;
	}
	if (err == ENOENT && !strchr(argv[0], '/')) {
		errmsg("%s: command not found", argv[0]);
		_exit(127);
	}
	errmsg("%s: %s", argv[0], strerror(err));
	_exit(err == ENOENT ? 127 : 126);
}

static int count_redirs(const struct redir *r)
{
	int n = 0;

	for (; r; r = r->next)
		n++;
	return n;
}

/* NAME=value prefixes of a regular builtin or a function: for its
 * duration only (saved here, put back by restore_assignments) */
static struct varsave *temp_assignments(struct node *n, int *count)
{
	struct varsave *sv;
	int i;

	*count = 0;
	if (!n->nassigns)
		return NULL;
	sv = xmalloc(n->nassigns * sizeof(*sv));
	for (i = 0; i < n->nassigns; i++) {
		const char *t = n->assigns[i]->parts->text;
		char *name = strndup(t, strchr(t, '=') - t);

		if (!name)
			abort();
		var_save(name, &sv[i]);
		free(name);
	}
	*count = n->nassigns;
	return sv;
}

static void restore_assignments(struct varsave *sv, int count)
{
	int i;

	for (i = count - 1; i >= 0; i--)
		var_restore(&sv[i]);
	free(sv);
}

/*
 * An alias runs as its text with the arguments appended, when the command
 * runs (not when it is parsed, as in other shells): `alias ll='ls -l'`
 * works; an alias that changes the syntax (a keyword, an open quote) does
 * not. An alias inside its own text is the command of that name.
 */
static int alias_depth;

static int run_alias(int argc, char **argv)
{
	const char *v = alias_value(argv[0]);
	size_t len = strlen(v) + 1;
	char *s, *o;
	int i, st;

	for (i = 1; i < argc; i++)
		len += 4 * strlen(argv[i]) + 3;
	s = o = xmalloc(len + 1);
	memcpy(o, v, strlen(v));
	o += strlen(v);
	for (i = 1; i < argc; i++) {
		const char *c;

		*o++ = ' ';
		*o++ = '\'';
		for (c = argv[i]; *c; c++) {
			if (*c == '\'') {
				memcpy(o, "'\\''", 4);
				o += 4;
			} else {
				*o++ = *c;
			}
		}
		*o++ = '\'';
	}
	*o = 0;
	alias_depth++;
	st = run_string(s, strlen(s), NULL);
	alias_depth--;
	free(s);
	return st;
}

/* run a simple command in this process. child: we are a forked child and
 * may exec; else only builtins, functions and assignments come here. */
static int run_simple(struct node *n, bool child)
{
	char **argv;
	struct saved_fd *saved;
	int nsaved = 0, st, nr = count_redirs(n->redirs), nsv = 0;
	builtin_fn fn;
	struct node *func = NULL;
	struct varsave *sv = NULL;
	bool keep, special;

	if (sh.noexec)
		return 0;
	argv = expand_words(n->words, n->nwords, n->host ? EXP_HOST : 0);
	if (!argv)
		return 1;
	saved = nr ? xmalloc(nr * sizeof(*saved)) : NULL;
	if (!argv[0] && !n->host) {
		/* assignments and redirections only */
		int last = sh.status;

		sh.status = 0;
		if (do_assignments(n, false) < 0) {
			free_strv(argv);
			free(saved);
			return 1;
		}
		st = sh.status;
		sh.status = last;
		if (n->redirs) {
			/* a failed redirection is status 2, as in dash */
			if (redir_apply(n->redirs, child ? NULL : saved, &nsaved, nr) < 0)
				st = 2;
			if (!child)
				redir_restore(saved, nsaved);
		}
		free_strv(argv);
		free(saved);
		return st;
	}
	special = argv[0] && !n->host && builtin_special(argv[0]);
	if (argv[0] && !n->host && !special)
		func = func_find(argv[0]);
	fn = argv[0] && !func ? builtin_find(argv[0], n->host) : NULL;
	if (argv[0] && !n->host && !alias_depth && alias_value(argv[0]) &&
	    n->words[0]->parts->kind == WP_LIT && !n->words[0]->parts->quoted) {
		func = NULL;
		fn = run_alias;
	}
	if (fn || func) {
		xtrace(argv, n->host);
		if (!special)
			sv = temp_assignments(n, &nsv);
		if (do_assignments(n, false) < 0) {
			if (sv)
				restore_assignments(sv, nsv);
			free_strv(argv);
			free(saved);
			return 1;
		}
		/* 'exec' without a command keeps its redirections */
		keep = !strcmp(argv[0], "exec") && !argv[1] && !n->host;
		if (redir_apply(n->redirs, child || keep ? NULL : saved, &nsaved,
				nr) < 0) {
			if (!child)
				redir_restore(saved, nsaved);
			if (sv)
				restore_assignments(sv, nsv);
			free_strv(argv);
			free(saved);
			if (special && !sh.interactive)
				shell_exit(2);	/* a special builtin's error */
			return 2;
		}
		st = func ? func_call(func, argv) : fn((int)strv_len(argv), argv);
		fflush(stdout);
		fflush(stderr);
		if (!child)
			redir_restore(saved, nsaved);
		if (sv)
			restore_assignments(sv, nsv);
		free_strv(argv);
		free(saved);
		return st;
	}
	free(saved);
	if (!child) {
		/* not reached: the caller forks for external commands */
		free_strv(argv);
		return 1;
	}
	xtrace(argv, false);
	if (do_assignments(n, true) < 0 ||
	    redir_apply(n->redirs, NULL, NULL, 0) < 0)
		_exit(2);
	exec_external(argv);
}

int run_external(char **argv)
{
	pid_t pid;
	int ws = 0;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		errmsg("fork: %s", strerror(errno));
		return 1;
	}
	if (pid == 0) {
		sh.subshell = true;
		reset_signals_child();
		exec_external(argv);
	}
	while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
		;
	return wait_to_status(ws);
}

/* in a forked child: run one pipeline stage; never returns */
static _Noreturn void exec_stage(struct node *n)
{
	int st;

	if (n->kind == N_SUBSHELL) {
		if (redir_apply(n->redirs, NULL, NULL, 0) < 0)
			shell_exit(2);
		st = exec_tree(n->left, EF_NOFORK);
		shell_exit(st);
	}
	if (n->kind == N_CMD) {
		st = run_simple(n, true);
		shell_exit(st);
	}
	st = exec_tree(n, EF_NOFORK);
	shell_exit(st);
}

static bool first_word_is(struct node *n, const char *const *names)
{
	char *w;
	bool r = false;

	if (n->kind != N_CMD || !n->nwords)
		return false;
	w = word_literal(n->words[0]);
	if (!w)
		return false;
	for (; *names; names++)
		if (!strcmp(w, *names))
			r = true;
	free(w);
	return r;
}

/* a host stage that needs the host (not !cd / !pwd) */
static bool host_spawn_stage(struct node *n)
{
	static const char *const hb[] = { "cd", "pwd", NULL };

	return n->kind == N_CMD && n->host && !first_word_is(n, hb);
}

/* builtins that run in the shell when alone in a pipeline */
static bool runs_in_shell(struct node *n)
{
	char **argv;
	bool r;

	if (n->kind != N_CMD)
		return n->kind != N_SUBSHELL && n->kind != N_PIPE;
	if (n->host)
		return !host_spawn_stage(n);
	if (!n->nwords)
		return true;
	/* expansion of the first word alone would run $(...) twice: only
	 * literal command names select builtins here */
	{
		char *w = word_literal(n->words[0]);

		if (!w)
			return false;
		argv = (char *[]){ w, NULL };
		r = func_find(w) != NULL || builtin_find(argv[0], false) != NULL ||
		    alias_value(w) != NULL;
		free(w);
	}
	return r;
}

static pid_t fork_stage(struct job *j)
{
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		errmsg("fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		sh.subshell = true;
		job_child_setup(j, !j->bg);
		sh.jobctl = false;
		sh.interactive = false;
		reset_signals_child();
		return 0;
	}
	job_parent_setup(j, pid);
	return pid;
}

/* the last stage of the run of host stages that starts at i */
static int host_run_end(struct node **stages, int count, int i)
{
	while (i + 1 < count && host_spawn_stage(stages[i + 1]))
		i++;
	return i;
}

/*
 * Start the host run stages[i..k]. in: the guest fd its first stage
 * reads; *in_stream (if not NULL): where the stage before writes instead,
 * when the driver hands out a stream fd. Returns the fd the stage after
 * reads (a stream fd, or the read end of a new pipe), or -1 if k is last.
 */
static int start_host_run(struct job *j, struct node **stages, int count,
			  int i, int k, int in, int *in_stream, bool bg)
{
	int p[2] = { -1, -1 }, out_stream = -1;

	if (k < count - 1 && pipe2(p, O_CLOEXEC) < 0) {
		errmsg("pipe: %s", strerror(errno));
		p[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	}
	host_run(j, stages + i, k - i + 1, i, in, p[1], bg, in_stream,
		 p[1] >= 0 ? &out_stream : NULL);
	if (p[1] >= 0)
		close(p[1]);
	if (out_stream >= 0) {
		close(p[0]);
		return out_stream;
	}
	return p[0];
}

/* the process that stands for the last stage ($! of a background job) */
static pid_t last_stage_pid(struct job *j)
{
	int i;

	for (i = 0; i < j->nprocs; i++) {
		struct proc *p = &j->procs[i];

		if (p->pid > 0 && p->first + p->nst == j->nst)
			return p->pid;
	}
	return 0;
}

/*
 * A host run is started before the guest stage in front of it is forked,
 * so that stage can be handed the run's stdin as a stream fd: its bytes
 * then go straight to the host, with no pump in between. Likewise the
 * guest stage after a run reads the run's stdout stream fd.
 */
static int run_pipeline(struct node *n, unsigned flags, bool bg)
{
	struct node **stages = n->kind == N_PIPE ? n->stages : &n;
	int count = n->kind == N_PIPE ? n->nstages : 1;
	struct job *j;
	int infd = -1, i;

	if (count == 1 && !bg && runs_in_shell(n))
		return n->kind == N_CMD ? run_simple(n, false) : exec_compound(n, flags);
	if (count == 1 && (flags & EF_NOFORK) && !bg && n->kind == N_CMD &&
	    !n->host && !trap_set(0)) {
		/* last command of a child shell: no need to fork again */
		int st = run_simple(n, true);

		shell_exit(st);
	}
	j = job_new(n->text, count);
	j->bg = bg;
	if (bg && !sh.jobctl) {
		infd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	}
	for (i = 0; i < count; i++) {
		struct node *st = stages[i];
		int outfd = -1, nextin = -1, k = i, in_stream = -1;
		int p[2];
		pid_t pid;

		if (host_spawn_stage(st)) {
			k = host_run_end(stages, count, i);
			nextin = start_host_run(j, stages, count, i, k, infd,
						NULL, bg);
			goto next;
		}
		if (i < count - 1) {
			if (pipe2(p, O_CLOEXEC) < 0) {
				errmsg("pipe: %s", strerror(errno));
				break;
			}
			outfd = p[1];
			nextin = p[0];
		}
		if (i + 1 < count && host_spawn_stage(stages[i + 1])) {
			int run_in = nextin;

			k = host_run_end(stages, count, i + 1);
			nextin = start_host_run(j, stages, count, i + 1, k,
						run_in, &in_stream, bg);
			close(run_in);
			if (in_stream >= 0) {
				close(outfd);
				outfd = in_stream;
			}
		}
		pid = fork_stage(j);
		if (pid == 0) {
			if (nextin >= 0)
				close(nextin);
			if (infd >= 0 && infd != 0) {
				dup2(infd, 0);
				close(infd);
			}
			if (outfd >= 0 && outfd != 1) {
				dup2(outfd, 1);
				close(outfd);
			}
			exec_stage(st);
		}
		if (pid > 0)
			job_add(j, pid, i, 1, -1);
		else
			job_set_stage(j, i, 1);
next:
		if (infd >= 0)
			close(infd);
		if (outfd >= 0)
			close(outfd);
		infd = nextin;
		i = k;
	}
	if (infd >= 0)
		close(infd);
	if (bg) {
		sh.lastbg = last_stage_pid(j);
		job_background(j);
		return 0;
	}
	return job_wait_fg(j);
}

static int run_bg_list(struct node *n)
{
	struct job *j;
	pid_t pid;

	if (n->kind == N_CMD || n->kind == N_PIPE || n->kind == N_SUBSHELL ||
	    n->kind == N_GROUP || n->kind == N_IF || n->kind == N_WHILE ||
	    n->kind == N_UNTIL || n->kind == N_FOR || n->kind == N_CASE)
		return run_pipeline(n, 0, true);
	j = job_new(n->text, 1);
	j->bg = true;
	pid = fork_stage(j);
	if (pid == 0) {
		if (!sh.jobctl) {
			int fd = open("/dev/null", O_RDONLY);

			if (fd > 0) {
				dup2(fd, 0);
				close(fd);
			}
		}
		shell_exit(exec_tree(n, 0));
	}
	if (pid > 0) {
		job_add(j, pid, 0, 1, -1);
		sh.lastbg = pid;
	}
	job_background(j);
	return 0;
}

int exec_tree(struct node *n, unsigned flags)
{
	int st = 0;

	if (!n)
		return 0;
	switch (n->kind) {
	case N_SEQ:
		exec_tree(n->left, flags & ~EF_NOFORK);
		if (sh.skip)
			return sh.status;
		return exec_tree(n->right, flags);
	case N_AND:
	case N_OR:
		sh.cond++;
		st = exec_tree(n->left, (flags | EF_COND) & ~EF_NOFORK);
		sh.cond--;
		if (sh.skip)
			return st;
		if ((st == 0) == (n->kind == N_AND))
			st = exec_tree(n->right, flags);
		sh.status = st;
		return st;
	case N_NOT:
		sh.cond++;
		st = exec_tree(n->left, (flags | EF_COND) & ~EF_NOFORK);
		sh.cond--;
		st = !st;
		sh.status = st;
		return st;
	case N_BG:
		st = run_bg_list(n->left);
		sh.status = st;
		return st;
	case N_FUNC:
		if (!sh.noexec)
			func_define(n);
		sh.status = 0;
		return 0;
	case N_CMD:
	case N_PIPE:
	case N_SUBSHELL:
	case N_GROUP:
	case N_IF:
	case N_WHILE:
	case N_UNTIL:
	case N_FOR:
	case N_CASE:
		st = run_pipeline(n, flags, false);
		sh.status = st;
		if (trap_pending)
			trap_run_pending();
		if (sh.errexit && st != 0 && !(flags & EF_COND) && !sh.cond &&
		    !sh.skip && (n->kind == N_CMD || n->kind == N_PIPE ||
				 n->kind == N_SUBSHELL))
			shell_exit(st);
		return st;
	}
	return 0;
}

char *command_output(struct node *n, int *status)
{
	int p[2];
	pid_t pid;
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int ws = 0;

	*status = 0;
	if (!n)
		return xstrdup("");
	if (pipe2(p, O_CLOEXEC) < 0) {
		errmsg("pipe: %s", strerror(errno));
		*status = 1;
		return xstrdup("");
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		errmsg("fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		*status = 1;
		return xstrdup("");
	}
	if (pid == 0) {
		sh.subshell = true;
		sh.jobctl = false;
		sh.interactive = false;
		reset_signals_child();
		close(p[0]);
		if (p[1] != 1) {
			dup2(p[1], 1);
			close(p[1]);
		}
		shell_exit(exec_tree(n, EF_NOFORK));
	}
	close(p[1]);
	for (;;) {
		ssize_t r;

		if (len + 4096 > cap) {
			cap = cap ? cap * 2 : 8192;
			buf = xrealloc(buf, cap);
		}
		r = read(p[0], buf + len, cap - len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += r;
	}
	close(p[0]);
	while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
		;
	*status = wait_to_status(ws);
	if (!buf)
		buf = xmalloc(1);
	while (len && buf[len - 1] == '\n')
		len--;
	buf[len] = 0;
	return buf;
}
