// SPDX-License-Identifier: MIT
/*
 * dualsh at the prompt: readline line editing, the prompt (guest cwd and
 * host cwd), persistent history, and completion: guest paths and commands,
 * and after '!' host commands and host paths, listed through host-calls.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "shell.h"

static char *histfile;
static volatile sig_atomic_t in_readline;
/* Ctrl-C came at the prompt; readline's signal hook acts on it */
static volatile sig_atomic_t prompt_sigint;

/* ---- prompt ----------------------------------------------------------------------- */

static char *abbrev(const char *path, const char *home)
{
	size_t hl = home ? strlen(home) : 0;

	if (hl > 1 && !strncmp(path, home, hl) && (path[hl] == '/' || !path[hl]))
		return xasprintf("~%s", path + hl);
	return xstrdup(path);
}

static char *make_prompt(void)
{
	char cwd[4096];
	char *g, *h = NULL, *p;
	const char *ps1 = var_get("PS1");

	if (ps1 && *ps1 && strcmp(ps1, "$ ") && strcmp(ps1, "# ") &&
	    !strstr(ps1, "\\w") && !strstr(ps1, "\\u"))
		return xstrdup(ps1);
	if (!getcwd(cwd, sizeof(cwd)))
		strcpy(cwd, "?");
	g = abbrev(cwd, var_get("HOME"));
	if (host_cwd())
		h = abbrev(host_cwd(), host_home());
	if (h)
		p = xasprintf("%s !%s%s%s %s ", g, host_user() ? host_user() : "",
			      host_user() ? ":" : "", h, geteuid() ? "$" : "#");
	else
		p = xasprintf("%s !- %s ", g, geteuid() ? "$" : "#");
	free(g);
	free(h);
	return p;
}

/* ---- completion --------------------------------------------------------------------- */

struct list {
	char **v;
	size_t n, cap;
	const char *prefix;
	size_t plen;
	const char *dirpart;	/* prepended to each match */
};

static void list_add(struct list *l, const char *name, bool is_dir)
{
	size_t i;

	if (strncmp(name, l->prefix, l->plen))
		return;
	for (i = 0; i < l->n; i++)
		if (!strcmp(l->v[i] + strlen(l->dirpart), name))
			return;
	if (l->n + 2 > l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->v = xrealloc(l->v, l->cap * sizeof(char *));
	}
	l->v[l->n++] = xasprintf("%s%s%s", l->dirpart, name, is_dir ? "/" : "");
	l->v[l->n] = NULL;
}

static void host_entry(const char *name, bool is_dir, void *ctx)
{
	list_add(ctx, name, is_dir);
}

static void host_cmd_entry(const char *name, bool is_dir, void *ctx)
{
	if (!is_dir)
		list_add(ctx, name, false);
}

static struct list matches;
static size_t match_idx;

static char *gen(const char *text, int state)
{
	(void)text;
	if (!state)
		match_idx = 0;
	if (match_idx < matches.n)
		return xstrdup(matches.v[match_idx++]);
	return NULL;
}

static void matches_reset(const char *prefix, const char *dirpart)
{
	free_strv(matches.v);
	memset(&matches, 0, sizeof(matches));
	matches.prefix = prefix;
	matches.plen = strlen(prefix);
	matches.dirpart = dirpart;
}

static char **finish(const char *text)
{
	char **r;
	size_t i;
	bool all_dirs = matches.n > 0;

	rl_attempted_completion_over = 1;
	for (i = 0; i < matches.n; i++)
		if (matches.v[i][strlen(matches.v[i]) - 1] != '/')
			all_dirs = false;
	if (all_dirs)
		rl_completion_suppress_append = 1;
	r = rl_completion_matches(text, gen);
	free_strv(matches.v);
	memset(&matches, 0, sizeof(matches));
	return r;
}

static char **complete_host_path(const char *text)
{
	const char *slash = strrchr(text, '/');
	char *dir, *dirpart;
	char **r;

	if (slash) {
		dirpart = strndup(text, slash - text + 1);
		if (!dirpart)
			abort();
		if (dirpart[0] == '~' && host_home()) {
			dir = xasprintf("%s%s", host_home(), dirpart + 1);
		} else {
			dir = xstrdup(dirpart);
		}
	} else {
		dirpart = xstrdup("");
		dir = xstrdup(".");
	}
	matches_reset(slash ? slash + 1 : text, dirpart);
	host_list_dir(dir, host_entry, &matches);
	r = finish(text);
	free(dir);
	free(dirpart);
	return r;
}

static char **complete_host_cmd(const char *text)
{
	const char *path = host_path();
	char *copy, *save = NULL, *d;

	if (strchr(text, '/'))
		return complete_host_path(text);
	matches_reset(text, "");
	list_add(&matches, "cd", false);
	list_add(&matches, "pwd", false);
	if (path) {
		copy = xstrdup(path);
		for (d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save))
			host_list_dir(d, host_cmd_entry, &matches);
		free(copy);
	}
	return finish(text);
}

static char **complete_guest_cmd(const char *text)
{
	const char *path = var_get("PATH");
	char *copy, *save = NULL, *d;
	const char *const *b;

	if (strchr(text, '/'))
		return NULL;	/* readline's file names */
	matches_reset(text, "");
	for (b = builtin_names; *b; b++)
		list_add(&matches, *b, false);
	copy = xstrdup(path ? path : "");
	for (d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		DIR *dp = opendir(d);
		struct dirent *e;

		if (!dp)
			continue;
		while ((e = readdir(dp)))
			if (e->d_name[0] != '.')
				list_add(&matches, e->d_name, false);
		closedir(dp);
	}
	free(copy);
	return finish(text);
}

/*
 * Where is the cursor? Scan the line up to the word being completed: the
 * stage starts after the last unquoted | ; & ( or at the line's start; it is
 * a host stage if it starts with '!'. A '!<' '!>' '!>>' just before the
 * word names a host file.
 */
static char **complete(const char *text, int start, int end)
{
	const char *line = rl_line_buffer;
	int i, stage = 0;
	bool sq = false, dq = false, host = false, first = true;

	(void)end;
	for (i = 0; i < start; i++) {
		char c = line[i];

		if (c == '\\' && !sq) {
			i++;
			continue;
		}
		if (c == '\'' && !dq)
			sq = !sq;
		else if (c == '"' && !sq)
			dq = !dq;
		else if (!sq && !dq && strchr("|;&(", c))
			stage = i + 1;
	}
	i = stage;
	while (i < start && (line[i] == ' ' || line[i] == '\t'))
		i++;
	/* reserved words before a command (if, then, do, '! ', ...) */
	for (;;) {
		static const char *const kws[] = { "if", "then", "else", "elif", "do",
			"while", "until", "!", "{", NULL };
		const char *const *k;
		int len = 0;

		for (k = kws; *k; k++) {
			int l = (int)strlen(*k);

			if (i + l < start && !strncmp(line + i, *k, l) &&
			    (line[i + l] == ' ' || line[i + l] == '\t'))
				len = l;
		}
		if (!len)
			break;
		i += len;
		while (i < start && (line[i] == ' ' || line[i] == '\t'))
			i++;
	}
	if (i < start && line[i] == '!' && line[i + 1] != '>' && line[i + 1] != '<') {
		host = true;
		i++;
	}
	for (; i < start; i++)
		if (line[i] != ' ' && line[i] != '\t')
			first = false;
	/* a host file after !< !> !>> */
	for (i = start - 1; i >= 0 && (line[i] == ' ' || line[i] == '\t'); i--)
		;
	if (i >= 1 && (line[i] == '>' || line[i] == '<')) {
		while (i >= 1 && line[i] == '>')
			i--;
		if (line[i] == '<')
			i--;
		if (i >= 0 && line[i] == '!')
			return complete_host_path(text);
		return NULL;
	}
	if (host)
		return first ? complete_host_cmd(text) : complete_host_path(text);
	if (first)
		return complete_guest_cmd(text);
	return NULL;
}

static int signal_event(void);

/* ---- the public side ------------------------------------------------------------------ */

void interactive_init(void)
{
	const char *hf = var_get("HISTFILE");
	const char *home = var_get("HOME");

	rl_readline_name = "dualsh";
	rl_catch_signals = 0;
	rl_signal_event_hook = signal_event;
	rl_attempted_completion_function = complete;
	rl_completer_word_break_characters = " \t\n;&|()<>!";
	rl_completer_quote_characters = "'\"";
	using_history();
	stifle_history(2000);
	if (hf && *hf)
		histfile = xstrdup(hf);
	else if (home)
		histfile = xasprintf("%s/.dualsh_history", home);
	if (histfile)
		read_history(histfile);
	/* the host: one message now if it cannot be reached */
	host_session(false);
}

char *interactive_readline(bool prompt2)
{
	char *p, *line;
	const char *ps2 = var_get("PS2");

	p = prompt2 ? xstrdup(ps2 ? ps2 : "> ") : make_prompt();
	fflush(stdout);
	prompt_sigint = 0;
	in_readline = 1;
	line = readline(p);
	in_readline = 0;
	free(p);
	return line;
}

/* from the SIGINT handler: async-signal-safe, so only a flag */
void interactive_sigint(void)
{
	if (in_readline)
		prompt_sigint = 1;
}

/*
 * readline calls this from its read loop after a signal interrupted it
 * (the handler has no SA_RESTART): outside the handler, so readline's
 * functions may run. Ctrl-C at the prompt: a fresh, empty line.
 */
static int signal_event(void)
{
	if (!prompt_sigint)
		return 0;
	prompt_sigint = 0;
	if (write(1, "\n", 1) < 0)
		return 0;
	rl_on_new_line();
	rl_replace_line("", 0);
	rl_redisplay();
	sh.status = 130;
	return 0;
}

void interactive_add_history(const char *cmd)
{
	size_t n = strlen(cmd);
	char *c;

	while (n && (cmd[n - 1] == '\n' || cmd[n - 1] == ' '))
		n--;
	if (!n)
		return;
	c = strndup(cmd, n);
	if (!c)
		abort();
	if (!history_length || strcmp(history_get(history_base + history_length - 1)->line, c)) {
		add_history(c);
		if (histfile) {
			struct stat st;

			if (stat(histfile, &st) < 0) {
				FILE *f = fopen(histfile, "a");

				if (f)
					fclose(f);
			}
			append_history(1, histfile);
		}
	}
	free(c);
}

void interactive_save_history(void)
{
	if (histfile && !sh.subshell)
		history_truncate_file(histfile, 2000);
}

int history_builtin(int argc, char **argv)
{
	int i;

	if (argc > 1 && !strcmp(argv[1], "-c")) {
		clear_history();
		if (histfile) {
			FILE *f = fopen(histfile, "w");

			if (f)
				fclose(f);
		}
		return 0;
	}
	for (i = 0; i < history_length; i++) {
		HIST_ENTRY *e = history_get(history_base + i);

		if (e)
			printf("%5d  %s\n", history_base + i, e->line);
	}
	return 0;
}
