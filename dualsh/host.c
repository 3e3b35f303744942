// SPDX-License-Identifier: MIT
/*
 * dualsh host stages, through libhostcall. A run of adjacent host stages
 * (!a | !b | !c) is spawned here, stage by stage, each later one reading
 * the one before it on the host (HC_SPAWN_F_STDIN_PROC). The guest stages
 * next to the run get stream fds of its stdin and stdout from the driver
 * and move their bytes themselves; one pump process (pump.c) relays the
 * rest (the terminal, files, stderr) and waits for the run. Redirections of a
 * host stage are resolved here: '<' '>' '>>' name guest files (opened by
 * the shell), '!<' '!>' '!>>' host files (opened through host-calls).
 *
 * The shell keeps its own idea of the host cwd and passes it with every
 * spawn, so '!cd' in a subshell stays in that subshell, as 'cd' does.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "pump.h"
#include "shell.h"

static hc_session *hc;
static bool hc_reported;
static char *hcwd, *hhome, *holdcwd, *hpath;
static char huser[33];

hc_session *host_session(bool quiet)
{
	struct hc_info info;
	char buf[4096];
	int r;

	if (hc)
		return hc;
	hc = hc_open();
	if (!hc) {
		int e = errno;

		if (!hc_reported && !quiet) {
			const char *why = e == ENOENT ? "no such device (is the hostcall driver loaded?)" :
					  e == EHOSTDOWN ? "the host did not start a shadow (is shadowd running?)" :
					  strerror(e);

			errmsg("host commands are unavailable: %s: %s; guest commands still work",
			       hc_default_device(), why);
			hc_reported = true;
		}
		return NULL;
	}
	if (!hcwd) {
		r = hc_getcwd(hc, buf, sizeof(buf));
		hcwd = xstrdup(r >= 0 ? buf : "/");
		hhome = xstrdup(hcwd);
	}
	if (!huser[0] && hc_info(hc, &info) == 0)
		memcpy(huser, info.sys.host_user, sizeof(huser) - 1);
	return hc;
}

const char *host_cwd(void)
{
	return hcwd;
}

const char *host_home(void)
{
	if (!hhome)
		host_session(true);
	return hhome;
}

const char *host_user(void)
{
	return huser[0] ? huser : NULL;
}

char *host_abspath(const char *p)
{
	if (p[0] == '/' || !hcwd)
		return xstrdup(p);
	if (!strcmp(hcwd, "/"))
		return xasprintf("/%s", p);
	return xasprintf("%s/%s", hcwd, p);
}

/* args[3] carries the stdin process or the pty size; the library packs
 * argv, env and cwd (hc_proc_spawn_ex sets HC_SPAWN_F_CWD itself) */
static int spawn(char **argv, char **env, const char *cwd, unsigned flags,
		 int64_t a3)
{
	return hc_proc_spawn_ex(hc, argv, env, cwd, flags, a3, NULL);
}

/* ---- !cd, host paths ----------------------------------------------------------- */

int host_cd(int argc, char **argv)
{
	char buf[4096];
	const char *dir;
	int r;

	if (!host_session(false))
		return 1;
	dir = argc > 1 ? argv[1] : hhome;
	if (!strcmp(dir, "-")) {
		if (!holdcwd) {
			errmsg("!cd: no previous host directory");
			return 1;
		}
		dir = holdcwd;
	}
	r = hc_chdir(hc, hcwd);
	if (r == 0)
		r = hc_chdir(hc, dir);
	if (r == 0)
		r = hc_getcwd(hc, buf, sizeof(buf));
	if (r < 0) {
		errmsg("!cd: %s: %s", dir, strerror(-r));
		return 1;
	}
	if (argc > 1 && !strcmp(argv[1], "-"))
		printf("%s\n", buf);
	free(holdcwd);
	holdcwd = hcwd;
	hcwd = xstrdup(buf);
	return 0;
}

struct dirent64_hdr {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

int host_list_dir(const char *dir,
		  void (*fn)(const char *name, bool is_dir, void *ctx), void *ctx)
{
	char *abs, *buf;
	int fh;
	ssize_t r;

	if (!host_session(true))
		return -1;
	abs = host_abspath(*dir ? dir : ".");
	fh = hc_fs_open(hc, abs, O_RDONLY | O_DIRECTORY, 0);
	free(abs);
	if (fh < 0)
		return -1;
	buf = xmalloc(65536);
	while ((r = hc_fs_readdir(hc, fh, buf, 65536)) > 0) {
		ssize_t off = 0;

		while (off + (ssize_t)sizeof(struct dirent64_hdr) <= r) {
			struct dirent64_hdr *d = (void *)(buf + off);

			if (d->d_reclen == 0 || off + d->d_reclen > r)
				break;
			if (strcmp(d->d_name, ".") && strcmp(d->d_name, ".."))
				fn(d->d_name, d->d_type == DT_DIR, ctx);
			off += d->d_reclen;
		}
	}
	free(buf);
	hc_fs_close(hc, fh);
	return 0;
}

struct globctx {
	const char *pat;
	char **names;
	size_t n, cap;
	bool want_dir;
};

static void glob_collect(const char *name, bool is_dir, void *arg)
{
	struct globctx *g = arg;

	if (g->want_dir && !is_dir)
		return;
	if (fnmatch(g->pat, name, FNM_PERIOD))
		return;
	if (g->n + 2 > g->cap) {
		g->cap = g->cap ? g->cap * 2 : 32;
		g->names = xrealloc(g->names, g->cap * sizeof(char *));
	}
	g->names[g->n++] = xstrdup(name);
	g->names[g->n] = NULL;
}

static int cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (*s == '\\' && s[1])
			s++;
		*o++ = *s;
	}
	*o = 0;
}

/* prefix: what is matched so far ("" or ending in '/'), rest: the pattern */
static void glob_rec(const char *prefix, const char *rest, char ***out,
		     size_t *n, size_t *cap)
{
	const char *slash = strchr(rest, '/');
	char *comp = slash ? strndup(rest, slash - rest) : xstrdup(rest);
	const char *after = slash ? slash + 1 : NULL;

	if (!comp)
		abort();
	if (!has_glob(comp)) {
		char *p;

		unescape(comp);
		p = xasprintf("%s%s%s", prefix, comp, after ? "/" : "");
		if (after && *after)
			glob_rec(p, after, out, n, cap);
		else {
			if (*n + 2 > *cap) {
				*cap = *cap ? *cap * 2 : 32;
				*out = xrealloc(*out, *cap * sizeof(char *));
			}
			(*out)[(*n)++] = xstrdup(p);
			(*out)[*n] = NULL;
		}
		free(p);
	} else {
		struct globctx g = { .pat = comp, .want_dir = after != NULL };
		size_t i;

		host_list_dir(*prefix ? prefix : ".", glob_collect, &g);
		if (g.n)
			qsort(g.names, g.n, sizeof(char *), cmpstr);
		for (i = 0; i < g.n; i++) {
			char *p = xasprintf("%s%s%s", prefix, g.names[i], after ? "/" : "");

			if (after && *after) {
				glob_rec(p, after, out, n, cap);
			} else {
				if (*n + 2 > *cap) {
					*cap = *cap ? *cap * 2 : 32;
					*out = xrealloc(*out, *cap * sizeof(char *));
				}
				(*out)[(*n)++] = xstrdup(p);
				(*out)[*n] = NULL;
			}
			free(p);
		}
		free_strv(g.names);
	}
	free(comp);
}

int host_glob(const char *pattern, char ***out)
{
	char **v = NULL;
	size_t n = 0, cap = 0;

	if (!host_session(true))
		return -1;
	if (pattern[0] == '/')
		glob_rec("/", pattern + 1, &v, &n, &cap);
	else
		glob_rec("", pattern, &v, &n, &cap);
	if (!n) {
		free(v);
		return -1;
	}
	/* a pattern whose last part had no glob chars can name nothing:
	 * those entries were added without a check; keep them (as glob(3)
	 * with a literal tail would need a stat) */
	*out = v;
	return 0;
}

const char *host_path(void)
{
	char *argv[] = { "printenv", "PATH", NULL };
	char buf[4096];
	int h, ws;
	ssize_t r, n = 0;

	if (hpath)
		return hpath;
	if (!host_session(true))
		return NULL;
	h = spawn(argv, NULL, hcwd, 0, 0);
	if (h < 0)
		return NULL;
	hc_proc_close(hc, h, HC_STDIN);
	while (n < (ssize_t)sizeof(buf) - 1 &&
	       ((r = hc_proc_read(hc, h, HC_STDOUT, buf + n, sizeof(buf) - 1 - n)) > 0 ||
		r == -EINTR))
		if (r > 0)
			n += r;
	hc_proc_wait(hc, h, &ws);
	hc_proc_release(hc, h);
	while (n && buf[n - 1] == '\n')
		n--;
	buf[n] = 0;
	hpath = xstrdup(n ? buf : "/usr/local/bin:/usr/bin:/bin");
	return hpath;
}

void host_release_all(struct job *j)
{
	int i;

	if (!hc)
		return;
	for (i = 0; i < j->nhh; i++)
		hc_proc_release(hc, j->hhandles[i]);
	j->nhh = 0;
}

void host_signal_all(struct job *j, int sig)
{
	int i;

	if (!hc)
		return;
	for (i = 0; i < j->nhh; i++)
		hc_proc_signal(hc, j->hhandles[i], sig);
}

/* ---- a run of host stages -------------------------------------------------------- */

struct hstage {
	char **argv;
	char **env;
	struct ep in, out, err;
	bool out_next;		/* stdout goes to the next stage */
	bool in_prev;		/* stdin is the previous stage */
	bool merge;		/* stderr is stdout */
	bool bad;		/* redirection or expansion failed */
};

static bool ep_same(const struct ep *a, const struct ep *b)
{
	return a->kind == b->kind && a->fd == b->fd && a->h == b->h;
}

/* the host environment of a stage: TERM, names in $DUALSH_HOSTENV, and
 * NAME=value prefixes of the stage */
static char **host_env(struct node *n)
{
	char **env = xmalloc((n->nassigns + 34) * sizeof(char *));
	int k = 0, i;
	const char *term = var_get("TERM");
	const char *list = var_get("DUALSH_HOSTENV");

	if (term)
		env[k++] = xasprintf("TERM=%s", term);
	if (list) {
		char *copy = xstrdup(list), *save = NULL, *name;

		for (name = strtok_r(copy, " :,", &save); name && k < 32;
		     name = strtok_r(NULL, " :,", &save)) {
			const char *v = var_get(name);

			if (v)
				env[k++] = xasprintf("%s=%s", name, v);
		}
		free(copy);
	}
	for (i = 0; i < n->nassigns; i++) {
		char *s = expand_str(n->assigns[i], EXP_HOST);

		if (s)
			env[k++] = s;
	}
	env[k] = NULL;
	return env;
}

/*
 * Redirections of one run of host stages, together: the guest fds and host
 * files they open are held until the pump owns them, in arrays of this size.
 */
#define HOST_MAX_REDIRS	64

static int open_guest(struct redir *r, const char *t)
{
	int flags = O_CLOEXEC;

	switch (r->kind) {
	case R_IN: flags |= O_RDONLY; break;
	case R_OUT: flags |= O_WRONLY | O_CREAT | O_TRUNC; break;
	case R_APPEND: flags |= O_WRONLY | O_CREAT | O_APPEND; break;
	case R_RDWR: flags |= O_RDWR | O_CREAT; break;
	default: return -1;
	}
	return open(t, flags, 0666);
}

/* apply a stage's redirections to its endpoints; fds and host files
 * opened here are recorded for closing */
static int host_redirs(struct node *n, struct hstage *s, struct pump_plan *p,
		       int *fds, int *nfds)
{
	struct redir *r;

	for (r = n->redirs; r; r = r->next) {
		struct ep *e, ne = { .kind = EP_NONE };
		char *t = NULL;

		if (*nfds + p->nhfile >= HOST_MAX_REDIRS) {
			errmsg("%d:%d: host: more than %d redirections in one run of host stages",
			       r->line, r->col, HOST_MAX_REDIRS);
			return -1;
		}
		if (r->fd > 2) {
			errmsg("%d:%d: host stages redirect 0, 1 and 2 only",
			       r->line, r->col);
			return -1;
		}
		e = r->fd == 0 ? &s->in : r->fd == 1 ? &s->out : &s->err;
		if (r->kind == R_HEREDOC) {
			ne.kind = EP_FD;
			ne.fd = heredoc_fd(r);
			if (ne.fd < 0)
				return -1;
			fds[(*nfds)++] = ne.fd;
		} else {
			t = expand_str(r->target, r->host ? EXP_HOST : 0);
			if (!t)
				return -1;
		}
		if (r->kind == R_DUPIN || r->kind == R_DUPOUT) {
			if (!strcmp(t, "-"))
				ne.kind = EP_NONE;
			else if (!strcmp(t, "0"))
				ne = s->in;
			else if (!strcmp(t, "1"))
				ne = s->out;
			else if (!strcmp(t, "2"))
				ne = s->err;
			else {
				errmsg("%s: host stages duplicate 0, 1 and 2 only", t);
				free(t);
				return -1;
			}
			if (r->fd == 1 && !strcmp(t, "2"))
				s->out_next = false;
			if (r->fd == 2 && !strcmp(t, "1") && s->out_next) {
				/* 2>&1 before the pipe: stderr joins the
				 * stdout that goes to the next stage */
				s->merge = true;
				free(t);
				continue;
			}
		} else if (r->kind == R_HEREDOC) {
			/* done above */
		} else if (r->host) {
			char *abs = host_abspath(t);
			int fl = r->kind == R_IN ? O_RDONLY :
				 r->kind == R_OUT ? O_WRONLY | O_CREAT | O_TRUNC :
				 O_WRONLY | O_CREAT | O_APPEND;
			int fh = hc_fs_open(hc, abs, fl | O_CLOEXEC, 0666);

			free(abs);
			if (fh < 0) {
				errmsg("host: %s: %s", t, strerror(-fh));
				free(t);
				return -1;
			}
			ne.kind = EP_HFILE;
			ne.h = fh;
			p->hfile[p->nhfile++] = fh;
		} else {
			ne.kind = EP_FD;
			ne.fd = open_guest(r, t);
			if (ne.fd < 0) {
				errmsg("%s: %s", t, strerror(errno));
				free(t);
				return -1;
			}
			fds[(*nfds)++] = ne.fd;
		}
		free(t);
		if (r->fd == 1)
			s->out_next = false;
		if (r->fd == 0)
			s->in_prev = false;
		if (r->fd == 2)
			s->merge = false;
		*e = ne;
	}
	if (!s->out_next && s->out.kind != EP_NONE && ep_same(&s->err, &s->out))
		s->merge = true;
	return 0;
}

static bool is_tty_ep(const struct ep *e)
{
	return e->kind == EP_FD && isatty(e->fd);
}

/* does any endpoint of t other than the one at skip use guest fd fd? */
static bool fd_shared(const struct hstage *t, const struct ep *skip, int fd)
{
	const struct ep *e[3] = { &t->in, &t->out, &t->err };
	int i;

	for (i = 0; i < 3; i++)
		if (e[i] != skip && e[i]->kind == EP_FD && e[i]->fd == fd &&
		    !(e[i] == &t->err && t->merge))
			return true;
	return false;
}

/*
 * A stream fd for endpoint e (the run's guest-side stdin or stdout, fd
 * want) when the caller asked for one and nothing else uses that fd;
 * -1 otherwise (the pump relays it then).
 */
static int stream_for(const struct hstage *t, const struct ep *e, int want,
		      int h, int stream, int *slot)
{
	int fd;

	if (!slot || want < 0 || e->kind != EP_FD || e->fd != want ||
	    fd_shared(t, e, want) || var_get("DUALSH_NOSTREAM"))
		return -1;
	fd = hc_proc_stream_fd(hc, h, stream, HC_STREAM_F_CLOEXEC);
	if (fd < 0)
		return -1;	/* an older driver: -ENOTTY */
	*slot = fd;
	return fd;
}

/* the guest terminal's size; a serial console may have none (0 0): then
 * $LINES and $COLUMNS, else 24x80, rather than a 0x0 host pty */
static void term_size(int fd, struct winsize *ws)
{
	const char *l = var_get("LINES"), *c = var_get("COLUMNS");

	if (ioctl(fd, TIOCGWINSZ, ws) == 0 && ws->ws_row && ws->ws_col)
		return;
	ws->ws_row = l && atoi(l) > 0 ? atoi(l) : 24;
	ws->ws_col = c && atoi(c) > 0 ? atoi(c) : 80;
}

int host_run(struct job *j, struct node **stages, int n, int first, int infd,
	     int outfd, bool bg, int *in_stream, int *out_stream)
{
	struct pump_plan *p;
	struct hstage *s;
	int fds[HOST_MAX_REDIRS], nfds = 0, i, sp[2];
	int handles[PUMP_MAX_STAGES], nh = 0;
	bool any = false;
	pid_t pid;

	if (n > PUMP_MAX_STAGES) {
		errmsg("host: more than %d host stages in a row", PUMP_MAX_STAGES);
		for (i = 0; i < n; i++)
			job_set_stage(j, first + i, 1);
		return -1;
	}
	if (!host_session(false)) {
		for (i = 0; i < n; i++)
			job_set_stage(j, first + i, 127);
		job_add(j, 0, first, n, -1);
		return -1;
	}
	p = xmalloc(sizeof(*p));
	memset(p, 0, sizeof(*p));
	p->hc = hc;
	p->n = n;
	p->ttyfd = -1;
	s = xmalloc(n * sizeof(*s));
	memset(s, 0, n * sizeof(*s));

	for (i = 0; i < n; i++) {
		struct node *st = stages[i];

		p->h[i] = -1;
		s[i].in = (struct ep){ .kind = EP_FD, .fd = infd >= 0 ? infd : 0 };
		if (bg && infd < 0 && sh.jobctl && isatty(0))
			s[i].in.kind = EP_NONE;	/* a background job has no terminal input */
		s[i].in_prev = i > 0;
		s[i].out = (struct ep){ .kind = EP_FD, .fd = outfd >= 0 ? outfd : 1 };
		s[i].out_next = i < n - 1;
		s[i].err = (struct ep){ .kind = EP_FD, .fd = 2 };
		s[i].argv = expand_words(st->words, st->nwords, EXP_HOST);
		if (!s[i].argv) {
			s[i].bad = true;
			continue;
		}
		if (host_redirs(st, &s[i], p, fds, &nfds) < 0) {
			s[i].bad = true;
			continue;
		}
		s[i].env = host_env(st);
	}

	for (i = 0; i < n; i++) {
		struct hstage *t = &s[i];
		unsigned flags = 0;
		int64_t a3 = 0;
		int h = -ENOENT;
		char *shell_argv[3] = { NULL, NULL, NULL };
		char **argv = t->argv;

		if (t->bad) {
			p->st[i] = 1;
			continue;
		}
		if (!argv[0]) {
			/* '!' alone: an interactive host shell */
			const char *hs = var_get("HOSTSHELL");

			shell_argv[0] = (char *)(hs && *hs ? hs : "bash");
			argv = shell_argv;
		}
		if (sh.xtrace) {
			char **a;

			fputs("+ !", stderr);
			for (a = argv; *a; a++)
				fprintf(stderr, "%s%s", *a, a[1] ? " " : "\n");
		}
		if (t->in_prev && i > 0 && s[i - 1].out_next && p->h[i - 1] >= 0) {
			flags |= HC_SPAWN_F_STDIN_PROC;
			a3 = p->h[i - 1];
		}
		if (t->merge)
			flags |= HC_SPAWN_F_MERGE_ERR;
		if (n == 1 && !bg && is_tty_ep(&t->in) && is_tty_ep(&t->out) &&
		    (t->merge || is_tty_ep(&t->err)) && !var_get("DUALSH_NOPTY")) {
			struct winsize ws;

			term_size(t->out.fd, &ws);
			h = spawn(argv, t->env, hcwd, HC_SPAWN_F_PTY,
				  hc_pty_size(ws.ws_row, ws.ws_col));
			if (h >= 0) {
				p->pty = true;
				p->ttyfd = t->out.fd;
			} else if (h != -EINVAL && h != -EOPNOTSUPP && h != -ENOSYS) {
				goto spawned;
			}
		}
		if (!p->pty)
			h = spawn(argv, t->env, hcwd, flags, a3);
		if (h == -ENOENT && argv == shell_argv) {
			shell_argv[0] = "sh";
			h = spawn(argv, t->env, hcwd, flags, a3);
		}
spawned:
		if (h < 0) {
			if (h == -ENOENT) {
				errmsg("host: %s: command not found", argv[0]);
				p->st[i] = 127;
			} else {
				errmsg("host: %s: %s", argv[0], strerror(-h));
				p->st[i] = 126;
			}
			continue;
		}
		p->h[i] = h;
		handles[nh++] = h;
		any = true;
	}

	/* what the pump copies, and which host streams close at once */
	for (i = 0; i < n; i++) {
		struct hstage *t = &s[i];
		int h = p->h[i];
		struct pump_copy *c;

		if (h < 0) {
			if (i > 0 && s[i - 1].out_next && p->h[i - 1] >= 0)
				p->close[p->nclose++] = (struct ep){ .kind = EP_PROC, .h = p->h[i - 1], .stream = 1 };
			continue;
		}
		/* stdin */
		if (p->pty) {
			c = &p->copy[p->ncopy++];
			c->src = t->in;
			c->dst = (struct ep){ .kind = EP_PROC, .h = h, .stream = 0 };
			c->input = true;
			c = &p->copy[p->ncopy++];
			c->src = (struct ep){ .kind = EP_PROC, .h = h, .stream = 1 };
			c->dst = t->out;
			continue;
		}
		if (t->in_prev && i > 0 && s[i - 1].out_next && p->h[i - 1] >= 0) {
			/* connected on the host */
		} else if (t->in_prev || t->in.kind == EP_NONE) {
			/* no input: the previous stage failed, or its stdout
			 * went elsewhere, or there is none */
			p->close[p->nclose++] = (struct ep){ .kind = EP_PROC, .h = h, .stream = 0 };
		} else if (i == 0 &&
			   stream_for(t, &t->in, infd, h, HC_STDIN, in_stream) >= 0) {
			/* the guest stage before writes to it directly */
		} else {
			c = &p->copy[p->ncopy++];
			c->src = t->in;
			c->dst = (struct ep){ .kind = EP_PROC, .h = h, .stream = 0 };
			c->input = true;
		}
		/* stdout */
		if (t->out_next) {
			if (i + 1 < n && !(s[i + 1].in_prev && p->h[i + 1] >= 0))
				p->close[p->nclose++] = (struct ep){ .kind = EP_PROC, .h = h, .stream = 1 };
		} else if (t->out.kind == EP_NONE) {
			p->close[p->nclose++] = (struct ep){ .kind = EP_PROC, .h = h, .stream = 1 };
		} else if (i == n - 1 &&
			   stream_for(t, &t->out, outfd, h, HC_STDOUT, out_stream) >= 0) {
			/* the guest stage after reads it directly */
		} else {
			c = &p->copy[p->ncopy++];
			c->src = (struct ep){ .kind = EP_PROC, .h = h, .stream = 1 };
			c->dst = t->out;
		}
		/* stderr */
		if (t->merge) {
			/* comes with stdout */
		} else if (t->err.kind == EP_NONE) {
			p->close[p->nclose++] = (struct ep){ .kind = EP_PROC, .h = h, .stream = 2 };
		} else {
			c = &p->copy[p->ncopy++];
			c->src = (struct ep){ .kind = EP_PROC, .h = h, .stream = 2 };
			c->dst = t->err;
		}
	}

	/* released when the job is over (job_free), however it ends */
	job_add_handles(j, handles, nh);
	pid = 0;
	if (any && pipe2(sp, O_CLOEXEC) == 0) {
		p->statfd = sp[1];
		fflush(stdout);
		fflush(stderr);
		pid = fork();
		if (pid == 0) {
			sh.subshell = true;
			job_child_setup(j, !bg);
			reset_signals_child();
			close(sp[0]);
			pump_main(p);
		}
		close(sp[1]);
		if (pid < 0) {
			errmsg("fork: %s", strerror(errno));
			close(sp[0]);
			for (i = 0; i < n; i++)
				if (p->h[i] >= 0)
					p->st[i] = 1;
			pid = 0;
		} else {
			job_parent_setup(j, pid);
			job_add(j, pid, first, n, sp[0]);
		}
	}
	if (!pid) {
		for (i = 0; i < n; i++)
			job_set_stage(j, first + i, p->st[i]);
		job_add(j, 0, first, n, -1);
		for (i = 0; i < p->nhfile; i++)
			hc_fs_close(hc, p->hfile[i]);
	}
	for (i = 0; i < nfds; i++)
		close(fds[i]);
	for (i = 0; i < n; i++) {
		free_strv(s[i].argv);
		free_strv(s[i].env);
	}
	free(s);
	free(p);
	return 0;
}
