// SPDX-License-Identifier: MIT
/*
 * dualsh compound commands and functions: { } if while until for case,
 * function definitions and calls with their local variables, and the
 * unwinding that break, continue and return ask for (sh.skip).
 */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "shell.h"

/* ---- functions ------------------------------------------------------------ */

struct func {
	char *name;
	struct node *def;	/* N_FUNC; its arena is kept (arena_keep) */
	struct func *next;
};

static struct func *funcs;

struct frame {
	struct varsave *v;
	int n, cap;
	struct frame *up;
};

static struct frame *frames;

struct node *func_find(const char *name)
{
	struct func *f;

	for (f = funcs; f; f = f->next)
		if (!strcmp(f->name, name))
			return f->def;
	return NULL;
}

void func_define(struct node *n)
{
	struct func *f;

	arena_keep = true;
	for (f = funcs; f; f = f->next)
		if (!strcmp(f->name, n->name)) {
			f->def = n;
			return;
		}
	f = xmalloc(sizeof(*f));
	f->name = xstrdup(n->name);
	f->def = n;
	f->next = funcs;
	funcs = f;
}

int func_unset(const char *name)
{
	struct func **pp, *f;

	for (pp = &funcs; (f = *pp); pp = &f->next)
		if (!strcmp(f->name, name)) {
			*pp = f->next;
			free(f->name);
			free(f);
			return 0;
		}
	return 0;
}

int local_var(const char *arg)
{
	const char *eq = strchr(arg, '=');
	size_t n = eq ? (size_t)(eq - arg) : strlen(arg);
	struct frame *fr = frames;
	char *name;
	int i;

	if (!fr) {
		errmsg("local: not in a function");
		return 1;
	}
	if (!valid_name(arg, n)) {
		errmsg("local: %s: bad variable name", arg);
		return 1;
	}
	name = strndup(arg, n);
	if (!name)
		abort();
	for (i = 0; i < fr->n; i++)
		if (!strcmp(fr->v[i].name, name))
			break;
	if (i == fr->n) {
		if (fr->n == fr->cap) {
			fr->cap = fr->cap ? fr->cap * 2 : 8;
			fr->v = xrealloc(fr->v, fr->cap * sizeof(*fr->v));
		}
		var_save(name, &fr->v[fr->n++]);
	}
	if (eq && var_set(name, eq + 1, 0) < 0) {
		free(name);
		return 1;
	}
	free(name);
	return 0;
}

int func_call(struct node *fn, char **argv)
{
	int oargc = sh.argc, st, i;
	char **oargv = sh.argv;
	struct frame fr = { .up = frames };

	sh.argc = (int)strv_len(argv + 1);
	sh.argv = xmalloc((sh.argc + 1) * sizeof(char *));
	for (i = 0; i <= sh.argc; i++)
		sh.argv[i] = argv[i + 1] ? xstrdup(argv[i + 1]) : NULL;
	frames = &fr;
	sh.funcnest++;
	st = exec_tree(fn->left, 0);
	if (sh.skip == SKIP_RETURN) {
		sh.skip = SKIP_NONE;
		st = sh.status;
	}
	sh.funcnest--;
	frames = fr.up;
	for (i = fr.n - 1; i >= 0; i--)
		var_restore(&fr.v[i]);
	free(fr.v);
	free_strv(sh.argv);
	sh.argv = oargv;
	sh.argc = oargc;
	sh.status = st;
	return st;
}

/* ---- loops ----------------------------------------------------------------- */

/* after a loop's condition or body: true to stop the loop */
static bool loop_unwind(bool *again)
{
	*again = false;
	if (!sh.skip)
		return false;
	if (sh.skip == SKIP_CONT && --sh.skipcount <= 0) {
		sh.skip = SKIP_NONE;
		*again = true;
		return false;
	}
	if (sh.skip == SKIP_BREAK && --sh.skipcount <= 0)
		sh.skip = SKIP_NONE;
	return true;
}

static int run_while(struct node *n, unsigned flags)
{
	int st = 0;
	bool again;

	sh.loopnest++;
	for (;;) {
		int c;

		sh.cond++;
		c = exec_tree(n->left, flags | EF_COND);
		sh.cond--;
		if (loop_unwind(&again))
			break;
		if (again)
			continue;
		if ((n->kind == N_WHILE) != (c == 0))
			break;
		st = exec_tree(n->right, flags);
		if (loop_unwind(&again))
			break;
	}
	sh.loopnest--;
	return st;
}

static int run_for(struct node *n, unsigned flags)
{
	char **v;
	int st = 0, i;
	bool again;

	if (n->list) {
		v = expand_words(n->list, n->nlist, 0);
		if (!v)
			return 1;
	} else {
		v = xmalloc((sh.argc + 1) * sizeof(char *));
		for (i = 0; i <= sh.argc; i++)
			v[i] = sh.argv[i] ? xstrdup(sh.argv[i]) : NULL;
	}
	sh.loopnest++;
	for (i = 0; v[i]; i++) {
		if (var_set(n->name, v[i], 0) < 0) {
			st = 1;
			break;
		}
		st = exec_tree(n->right, flags);
		if (loop_unwind(&again))
			break;
	}
	sh.loopnest--;
	free_strv(v);
	return st;
}

static int run_case(struct node *n, unsigned flags)
{
	char *w = expand_str(n->list[0], 0);
	struct case_item *ci;
	int i, st = 0;

	if (!w)
		return 1;
	for (ci = n->items; ci; ci = ci->next) {
		for (i = 0; i < ci->npats; i++) {
			char *pat = expand_pattern(ci->pats[i]);
			bool hit = pat && fnmatch(pat, w, 0) == 0;

			free(pat);
			if (hit) {
				free(w);
				return ci->body ? exec_tree(ci->body, flags) : 0;
			}
		}
	}
	free(w);
	return st;
}

/* a compound command in this shell, with its redirections */
int exec_compound(struct node *n, unsigned flags)
{
	struct saved_fd *saved = NULL;
	int nsaved = 0, st = 0, nr = 0;
	struct redir *r;

	for (r = n->redirs; r; r = r->next)
		nr++;
	if (nr) {
		saved = xmalloc(nr * sizeof(*saved));
		if (redir_apply(n->redirs, saved, &nsaved, nr) < 0) {
			redir_restore(saved, nsaved);
			free(saved);
			return 2;
		}
		flags &= ~EF_NOFORK;
	}
	switch (n->kind) {
	case N_GROUP:
		st = exec_tree(n->left, flags);
		break;
	case N_IF:
		sh.cond++;
		st = exec_tree(n->left, (flags | EF_COND) & ~EF_NOFORK);
		sh.cond--;
		if (sh.skip)
			break;
		if (st == 0)
			st = exec_tree(n->right, flags);
		else if (n->els)
			st = exec_tree(n->els, flags);
		else
			st = 0;
		break;
	case N_WHILE:
	case N_UNTIL:
		st = run_while(n, flags & ~EF_NOFORK);
		break;
	case N_FOR:
		st = run_for(n, flags & ~EF_NOFORK);
		break;
	case N_CASE:
		st = run_case(n, flags & ~EF_NOFORK);
		break;
	default:
		break;
	}
	if (nr) {
		fflush(stdout);
		redir_restore(saved, nsaved);
		free(saved);
	}
	sh.status = st;
	return st;
}
