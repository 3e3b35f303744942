// SPDX-License-Identifier: MIT
/*
 * dualsh parser: tokens to a tree (ast.h). Recursive descent over
 *
 *   complete : list (NEWLINE | EOF)
 *   list     : and_or ((';' | '&') and_or)* [';' | '&']
 *   and_or   : pipeline (('&&' | '||') linebreak pipeline)*
 *   pipeline : command ('|' linebreak command)*
 *   command  : '(' list ')' redir* | simple
 *   simple   : (assign | redir)* ['!'] (word | redir)*
 *
 * A leading unquoted '!' on the first word of a simple command marks it as
 * a host stage; '!' alone (no words) is the interactive host shell.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lexer.h"

struct parser {
	struct lexer own;
	struct lexer *L;
	struct token la;
	bool have_la;
	size_t prev_end;
	jmp_buf jb;
	enum parse_status status;
	char err[ERRLEN];
	bool started;
};

enum list_mode { LM_TOP, LM_SUB };

static struct node *parse_list(struct parser *p, enum list_mode mode);

static struct token *peek(struct parser *p)
{
	if (!p->have_la) {
		lex_token(p->L, &p->la);
		p->have_la = true;
	}
	return &p->la;
}

static struct token next(struct parser *p)
{
	struct token t = *peek(p);

	p->have_la = false;
	p->prev_end = t.end;
	return t;
}

static void skip_nl(struct parser *p)
{
	while (peek(p)->t == T_NL)
		next(p);
}

static const char *tokname(struct parser *p, const struct token *t, char *buf,
			   size_t size)
{
	switch (t->t) {
	case T_EOF: return "end of input";
	case T_NL: return "newline";
	case T_SEMI: return "';'";
	case T_AMP: return "'&'";
	case T_AND: return "'&&'";
	case T_PIPE: return "'|'";
	case T_OR: return "'||'";
	case T_LP: return "'('";
	case T_RP: return "')'";
	case T_DSEMI: return "';;'";
	case T_REDIR:
	case T_WORD:
		snprintf(buf, size, "'%.*s'", (int)(t->end - t->start),
			 p->L->s + t->start);
		return buf;
	}
	return "token";
}

static _Noreturn void unexpected(struct parser *p, const struct token *t)
{
	char buf[64];

	if (t->t == T_EOF)
		lex_incomplete(p->L, "unexpected end of input");
	lex_error(p->L, t->line, t->col, "unexpected %s",
		  tokname(p, t, buf, sizeof(buf)));
}

static struct node *mknode(struct parser *p, enum node_kind k, int line,
			   int col)
{
	struct node *n = arena_alloc(p->L->a, sizeof(*n));

	n->kind = k;
	n->line = line;
	n->col = col;
	return n;
}

static void set_text(struct parser *p, struct node *n, size_t start)
{
	size_t end = p->prev_end > start ? p->prev_end : start;

	n->text = arena_strndup(p->L->a, p->L->s + start, end - start);
}

/* growable vector of pointers in the arena */
struct vec {
	void **v;
	int n, cap;
};

static void vpush(struct parser *p, struct vec *v, void *x)
{
	if (v->n + 2 > v->cap) {
		int cap = v->cap ? v->cap * 2 : 8;
		void **nv = arena_alloc(p->L->a, cap * sizeof(void *));

		if (v->n)
			memcpy(nv, v->v, v->n * sizeof(void *));
		v->v = nv;
		v->cap = cap;
	}
	v->v[v->n++] = x;
	v->v[v->n] = NULL;
}

bool arena_keep;

/* an unquoted literal word equal to kw (a reserved word where one may be) */
static bool is_kw(const struct token *t, const char *kw)
{
	const struct wpart *wp;

	if (t->t != T_WORD)
		return false;
	wp = t->w->parts;
	return wp && !wp->next && wp->kind == WP_LIT && !wp->quoted &&
	       !strcmp(wp->text, kw);
}

/* words that end a compound list */
static bool is_terminator(const struct token *t)
{
	static const char *const kws[] = { "then", "elif", "else", "fi", "do",
					    "done", "esac", "}", NULL };
	const char *const *k;

	if (t->t == T_RP || t->t == T_DSEMI || t->t == T_EOF)
		return true;
	for (k = kws; *k; k++)
		if (is_kw(t, *k))
			return true;
	return false;
}

static void expect_kw(struct parser *p, const char *kw)
{
	struct token *t = peek(p);

	if (!is_kw(t, kw)) {
		char buf[64];

		if (t->t == T_EOF)
			lex_incomplete(p->L, "unexpected end of input");
		lex_error(p->L, t->line, t->col, "unexpected %s (expecting '%s')",
			  tokname(p, t, buf, sizeof(buf)), kw);
	}
	next(p);
}

bool word_is_assignment(const struct word *w)
{
	const struct wpart *p = w->parts;
	const char *s;

	if (!p || p->kind != WP_LIT || p->quoted)
		return false;
	s = p->text;
	if (!(*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
		return false;
	while (*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
	       (*s >= '0' && *s <= '9'))
		s++;
	return *s == '=';
}

char *word_literal(const struct word *w)
{
	size_t n = 0;
	const struct wpart *p;
	char *s;

	for (p = w->parts; p; p = p->next) {
		if (p->kind != WP_LIT)
			return NULL;
		n += strlen(p->text);
	}
	s = malloc(n + 1);
	if (!s)
		abort();
	*s = 0;
	for (p = w->parts; p; p = p->next)
		strcat(s, p->text);
	return s;
}

static void parse_redir(struct parser *p, struct redir ***tail)
{
	struct token t = next(p);
	struct redir *r = arena_alloc(p->L->a, sizeof(*r));
	struct token *wt;

	r->kind = t.rk;
	r->host = t.host;
	r->clobber = t.clobber;
	r->line = t.line;
	r->col = t.col;
	r->fd = t.fd;
	if (r->fd < 0)
		r->fd = (t.rk == R_IN || t.rk == R_DUPIN || t.rk == R_HEREDOC ||
			 t.rk == R_RDWR) ? 0 : 1;
	wt = peek(p);
	if (wt->t != T_WORD)
		unexpected(p, wt);
	if (t.rk == R_HEREDOC) {
		const struct wpart *wp;
		size_t n = 0;
		char *d;

		r->heredoc_expand = true;
		r->heredoc_strip = t.strip;
		for (wp = wt->w->parts; wp; wp = wp->next)
			n += strlen(wp->text ? wp->text : "") + 1;
		d = arena_alloc(p->L->a, n + 1);
		for (wp = wt->w->parts; wp; wp = wp->next) {
			if (wp->quoted)
				r->heredoc_expand = false;
			if (wp->kind == WP_PARAM)
				strcat(d, "$");
			else if (wp->kind == WP_TILDE)
				strcat(d, "~");
			if (wp->text)
				strcat(d, wp->text);
		}
		r->delim = d;
		next(p);
		lex_add_heredoc(p->L, r);
	} else {
		r->target = next(p).w;
	}
	**tail = r;
	*tail = &r->next;
}

static bool strip_bang(struct word *w)
{
	struct wpart *p = w->parts;

	if (!p || p->kind != WP_LIT || p->quoted || p->text[0] != '!')
		return false;
	p->text++;
	if (!p->text[0])
		w->parts = p->next;
	return true;
}

static struct node *parse_compound(struct parser *p);
static bool name_w(const struct word *w);

/* name ( ) linebreak compound-command [redirections] */
static struct node *parse_funcdef(struct parser *p, struct node *n,
				  struct word *w, size_t start)
{
	struct token *t;

	next(p);			/* ( */
	t = peek(p);
	if (t->t != T_RP)
		unexpected(p, t);
	next(p);
	skip_nl(p);
	n->kind = N_FUNC;
	n->name = w->parts->text;
	n->left = parse_compound(p);
	if (!n->left) {
		t = peek(p);
		if (t->t == T_EOF)
			lex_incomplete(p->L, "unexpected end of input");
		lex_error(p->L, t->line, t->col, "a function body must be a compound command");
	}
	n->words = arena_alloc(p->L->a, sizeof(void *));
	n->assigns = n->words;
	set_text(p, n, start);
	return n;
}

static struct node *parse_simple(struct parser *p)
{
	struct token *t = peek(p);
	struct node *n = mknode(p, N_CMD, t->line, t->col);
	size_t start = t->start;
	struct redir **rtail = &n->redirs;
	struct vec words = { 0 }, assigns = { 0 };

	for (;;) {
		t = peek(p);
		if (t->t == T_REDIR) {
			parse_redir(p, &rtail);
			continue;
		}
		if (t->t == T_WORD) {
			struct word *w = t->w;

			if (!words.n) {
				if (!n->host && strip_bang(w)) {
					n->host = true;
					if (!w->parts) {
						next(p);
						continue;
					}
				}
				if (word_is_assignment(w)) {
					next(p);
					vpush(p, &assigns, w);
					continue;
				}
			}
			next(p);
			vpush(p, &words, w);
			if (words.n == 1 && !assigns.n && !n->redirs && !n->host &&
			    peek(p)->t == T_LP && name_w(w))
				return parse_funcdef(p, n, w, start);
			continue;
		}
		if (t->t == T_LP && n->host && !words.n)
			lex_error(p->L, t->line, t->col,
				  "'!' applies to a simple command, not to '('");
		break;
	}
	if (!words.n && !assigns.n && !n->redirs && !n->host)
		unexpected(p, t);
	n->words = (struct word **)words.v;
	n->nwords = words.n;
	n->assigns = (struct word **)assigns.v;
	n->nassigns = assigns.n;
	if (!n->words) {
		n->words = arena_alloc(p->L->a, sizeof(void *));
	}
	if (!n->assigns)
		n->assigns = arena_alloc(p->L->a, sizeof(void *));
	set_text(p, n, start);
	return n;
}

/* a list inside a compound command: newlines separate, a reserved word
 * (then, do, fi, ...) or ')' ends it; must not be empty */
static struct node *compound_list(struct parser *p)
{
	struct node *n;

	skip_nl(p);
	if (is_terminator(peek(p)))
		unexpected(p, peek(p));
	n = parse_list(p, LM_SUB);
	return n;
}

static void parse_redirs_after(struct parser *p, struct node *n)
{
	struct redir **rtail = &n->redirs;

	while (*rtail)
		rtail = &(*rtail)->next;
	while (peek(p)->t == T_REDIR)
		parse_redir(p, &rtail);
}

static struct node *parse_if(struct parser *p, struct token *t)
{
	struct node *n = mknode(p, N_IF, t->line, t->col);

	next(p);			/* if / elif */
	n->left = compound_list(p);
	expect_kw(p, "then");
	n->right = compound_list(p);
	t = peek(p);
	if (is_kw(t, "elif")) {
		size_t start = t->start;

		n->els = parse_if(p, t);
		set_text(p, n->els, start);
		return n;
	}
	if (is_kw(t, "else")) {
		next(p);
		n->els = compound_list(p);
	}
	expect_kw(p, "fi");
	return n;
}

static struct node *parse_loop(struct parser *p, struct token *t,
			       enum node_kind k)
{
	struct node *n = mknode(p, k, t->line, t->col);

	next(p);
	n->left = compound_list(p);
	expect_kw(p, "do");
	n->right = compound_list(p);
	expect_kw(p, "done");
	return n;
}

static bool name_w(const struct word *w)
{
	const struct wpart *wp = w->parts;
	const char *c;

	if (!wp || wp->next || wp->kind != WP_LIT || wp->quoted ||
	    !(wp->text[0] == '_' || isalpha((unsigned char)wp->text[0])))
		return false;
	for (c = wp->text; *c; c++)
		if (!(*c == '_' || isalnum((unsigned char)*c)))
			return false;
	return true;
}

static bool name_word(const struct token *t)
{
	return t->t == T_WORD && name_w(t->w);
}

static struct node *parse_for(struct parser *p, struct token *t)
{
	struct node *n = mknode(p, N_FOR, t->line, t->col);
	struct vec words = { 0 };

	next(p);
	t = peek(p);
	if (!name_word(t))
		lex_error(p->L, t->line, t->col, "bad for loop variable");
	n->name = t->w->parts->text;
	next(p);
	skip_nl(p);
	if (is_kw(peek(p), "in")) {
		next(p);
		while (peek(p)->t == T_WORD) {
			vpush(p, &words, next(p).w);
		}
		n->list = words.v ? (struct word **)words.v :
				    arena_alloc(p->L->a, sizeof(void *));
		n->nlist = words.n;
		t = peek(p);
		if (t->t != T_SEMI && t->t != T_NL)
			unexpected(p, t);
		next(p);
	} else if (peek(p)->t == T_SEMI) {
		next(p);
	}
	skip_nl(p);
	expect_kw(p, "do");
	n->right = compound_list(p);
	expect_kw(p, "done");
	return n;
}

static struct node *parse_case(struct parser *p, struct token *t)
{
	struct node *n = mknode(p, N_CASE, t->line, t->col);
	struct case_item **tail = &n->items;

	next(p);
	t = peek(p);
	if (t->t != T_WORD)
		unexpected(p, t);
	n->list = arena_alloc(p->L->a, 2 * sizeof(void *));
	n->list[0] = next(p).w;
	n->nlist = 1;
	skip_nl(p);
	expect_kw(p, "in");
	skip_nl(p);
	for (;;) {
		struct case_item *ci;
		struct vec pats = { 0 };

		t = peek(p);
		if (is_kw(t, "esac"))
			break;
		if (t->t == T_LP)
			next(p);
		for (;;) {
			t = peek(p);
			if (t->t != T_WORD)
				unexpected(p, t);
			vpush(p, &pats, next(p).w);
			if (peek(p)->t != T_PIPE)
				break;
			next(p);
		}
		t = peek(p);
		if (t->t != T_RP)
			unexpected(p, t);
		next(p);
		ci = arena_alloc(p->L->a, sizeof(*ci));
		ci->pats = (struct word **)pats.v;
		ci->npats = pats.n;
		skip_nl(p);
		t = peek(p);
		if (t->t != T_DSEMI && !is_kw(t, "esac"))
			ci->body = parse_list(p, LM_SUB);
		*tail = ci;
		tail = &ci->next;
		t = peek(p);
		if (t->t == T_DSEMI) {
			next(p);
			skip_nl(p);
			continue;
		}
		if (!is_kw(t, "esac"))
			unexpected(p, t);
	}
	next(p);			/* esac */
	return n;
}

static struct node *parse_compound(struct parser *p)
{
	struct token *t = peek(p);
	size_t start = t->start;
	struct node *n = NULL;

	if (t->t == T_LP) {
		n = mknode(p, N_SUBSHELL, t->line, t->col);
		next(p);
		n->left = compound_list(p);
		t = peek(p);
		if (t->t != T_RP)
			unexpected(p, t);
		next(p);
	} else if (is_kw(t, "{")) {
		n = mknode(p, N_GROUP, t->line, t->col);
		next(p);
		n->left = compound_list(p);
		expect_kw(p, "}");
	} else if (is_kw(t, "if")) {
		n = parse_if(p, t);
	} else if (is_kw(t, "while")) {
		n = parse_loop(p, t, N_WHILE);
	} else if (is_kw(t, "until")) {
		n = parse_loop(p, t, N_UNTIL);
	} else if (is_kw(t, "for")) {
		n = parse_for(p, t);
	} else if (is_kw(t, "case")) {
		n = parse_case(p, t);
	} else {
		return NULL;
	}
	parse_redirs_after(p, n);
	set_text(p, n, start);
	return n;
}

static struct node *parse_command(struct parser *p)
{
	struct node *n = parse_compound(p);
	struct token *t;

	if (n)
		return n;
	t = peek(p);
	if (is_terminator(t))
		unexpected(p, t);
	return parse_simple(p);
}

/*
 * '!' then a blank: negation of the pipeline (POSIX). '!' glued to a word
 * ('!ls') is a host stage, and '!' alone before the end of the command is
 * the interactive host shell; parse_simple handles both.
 */
static bool bang_negates(struct parser *p)
{
	struct token *t = peek(p);
	size_t e;

	if (!is_kw(t, "!"))
		return false;
	e = t->end;
	if (e >= p->L->len || (p->L->s[e] != ' ' && p->L->s[e] != '\t'))
		return false;
	/* what follows the '!' on its line: nothing means the host shell */
	while (e < p->L->len && (p->L->s[e] == ' ' || p->L->s[e] == '\t'))
		e++;
	return e < p->L->len && p->L->s[e] != '\n' && p->L->s[e] != ';' &&
	       p->L->s[e] != '&' && p->L->s[e] != '|' && p->L->s[e] != ')' &&
	       p->L->s[e] != '#';
}

static struct node *parse_pipeline(struct parser *p)
{
	struct token *t = peek(p);
	size_t start = t->start;
	int line = t->line, col = t->col;
	struct node *first, *n;
	struct vec st = { 0 };

	if (bang_negates(p)) {
		next(p);
		n = mknode(p, N_NOT, line, col);
		n->left = parse_pipeline(p);
		if (n->left->kind == N_NOT)
			lex_error(p->L, line, col, "'! !' : a host stage is '!cmd', no blank");
		set_text(p, n, start);
		return n;
	}
	first = parse_command(p);
	if (peek(p)->t != T_PIPE)
		return first;
	vpush(p, &st, first);
	while (peek(p)->t == T_PIPE) {
		next(p);
		skip_nl(p);
		if (bang_negates(p)) {
			t = peek(p);
			lex_error(p->L, t->line, t->col,
				  "'! cmd' negates a whole pipeline; a host stage is '!cmd' (no blank)");
		}
		vpush(p, &st, parse_command(p));
	}
	n = mknode(p, N_PIPE, line, col);
	n->stages = (struct node **)st.v;
	n->nstages = st.n;
	set_text(p, n, start);
	return n;
}

static struct node *parse_andor(struct parser *p)
{
	struct token *t = peek(p);
	size_t start = t->start;
	struct node *n = parse_pipeline(p);

	for (;;) {
		enum tok k = peek(p)->t;
		struct node *m;

		if (k != T_AND && k != T_OR)
			break;
		t = peek(p);
		m = mknode(p, k == T_AND ? N_AND : N_OR, t->line, t->col);
		next(p);
		skip_nl(p);
		m->left = n;
		m->right = parse_pipeline(p);
		set_text(p, m, start);
		n = m;
	}
	return n;
}

static struct node *parse_list(struct parser *p, enum list_mode mode)
{
	size_t start = peek(p)->start;
	struct node *n = NULL, *m;

	for (;;) {
		struct token *t = peek(p);
		size_t istart = t->start;
		int line = t->line, col = t->col;
		struct node *item = parse_andor(p);
		enum tok k;

		t = peek(p);
		k = t->t;
		if (k == T_AMP) {
			/* '&' puts only the and-or list before it in the background */
			m = mknode(p, N_BG, t->line, t->col);
			next(p);
			m->left = item;
			set_text(p, m, istart);
			item = m;
		} else if (k == T_SEMI) {
			next(p);
		}
		if (!n) {
			n = item;
		} else {
			m = mknode(p, N_SEQ, line, col);
			m->left = n;
			m->right = item;
			set_text(p, m, start);
			n = m;
		}
		if (k != T_SEMI && k != T_AMP && !(k == T_NL && mode == LM_SUB))
			break;
		if (mode == LM_SUB)
			skip_nl(p);
		k = peek(p)->t;
		if (k == T_NL || k == T_EOF || k == T_RP || k == T_DSEMI)
			break;
		if (mode == LM_SUB && is_terminator(peek(p)))
			break;
	}
	return n;
}

struct node *parse_cmdsub(struct lexer *L)
{
	struct parser sub;
	struct node *n;
	struct token *t;

	memset(&sub, 0, sizeof(sub));
	sub.L = L;
	skip_nl(&sub);
	if (peek(&sub)->t == T_RP) {
		next(&sub);
		return NULL;
	}
	n = parse_list(&sub, LM_SUB);
	t = peek(&sub);
	if (t->t != T_RP) {
		if (t->t == T_EOF)
			lex_incomplete(L, "missing ')'");
		unexpected(&sub, t);
	}
	next(&sub);
	return n;
}

struct node *parse_string(struct lexer *outer, const char *s, size_t len,
			  int line)
{
	struct parser sub;
	struct lexer L;
	struct node *n;
	struct token *t;

	lex_init(&L, s, len, line, true, outer->a);
	L.jb = outer->jb;
	L.status = outer->status;
	L.err = outer->err;
	memset(&sub, 0, sizeof(sub));
	sub.L = &L;
	skip_nl(&sub);
	if (peek(&sub)->t == T_EOF)
		return NULL;
	n = parse_list(&sub, LM_SUB);
	t = peek(&sub);
	if (t->t != T_EOF)
		unexpected(&sub, t);
	return n;
}

/* ---- the public interface ----------------------------------------------- */

struct parser *parser_new(const char *src, size_t len, int first_line,
			  bool final)
{
	struct parser *p = calloc(1, sizeof(*p));

	if (!p)
		abort();
	lex_init(&p->own, src, len, first_line, final, NULL);
	p->L = &p->own;
	return p;
}

void parser_free(struct parser *p)
{
	free(p);
}

const char *parser_error(const struct parser *p)
{
	return p->err;
}

size_t parser_offset(const struct parser *p)
{
	return p->L->pos;
}

int parser_line(const struct parser *p)
{
	return p->L->line;
}

enum parse_status parse_next(struct parser *p, struct arena *a,
			     struct node **out)
{
	struct node *n;
	struct token *t;

	*out = NULL;
	p->L->a = a;
	p->L->jb = &p->jb;
	p->L->status = &p->status;
	p->L->err = p->err;
	p->status = PARSE_OK;
	p->err[0] = 0;
	if (setjmp(p->jb)) {
		p->have_la = false;
		p->L->nhd = 0;
		return p->status;
	}
	skip_nl(p);
	if (peek(p)->t == T_EOF)
		return PARSE_OK;
	n = parse_list(p, LM_TOP);
	t = peek(p);
	if (t->t != T_NL && t->t != T_EOF)
		unexpected(p, t);
	next(p);
	*out = n;
	return PARSE_OK;
}

/* ---- rendering, for tests and job listings ------------------------------- */

struct sbuf {
	char *s;
	size_t n, cap;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		b->cap = (b->n + n + 1) * 2;
		b->s = realloc(b->s, b->cap);
		if (!b->s)
			abort();
	}
	memcpy(b->s + b->n, s, n);
	b->n += n;
	b->s[b->n] = 0;
}

static void sb_str(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static void dump_node(struct sbuf *b, const struct node *n);

static void dump_word(struct sbuf *b, const struct word *w)
{
	const struct wpart *p;
	static const char *ops[] = { "", "-", "=", "+", "", "?", "%", "%%", "#", "##" };

	for (p = w->parts; p; p = p->next) {
		switch (p->kind) {
		case WP_LIT:
			if (p->quoted) {
				const char *s;

				sb_str(b, "'");
				for (s = p->text; *s; s++) {
					if (*s == '\'')
						sb_str(b, "'\\''");
					else
						sb_add(b, s, 1);
				}
				sb_str(b, "'");
			} else {
				sb_str(b, p->text);
			}
			break;
		case WP_PARAM:
			sb_str(b, p->quoted ? "\"${" : "${");
			if (p->op == PO_LENGTH)
				sb_str(b, "#");
			sb_str(b, p->text);
			if (p->op != PO_NONE && p->op != PO_LENGTH) {
				if (p->colon && p->op < PO_TRIM_SS)
					sb_str(b, ":");
				sb_str(b, ops[p->op]);
				dump_word(b, p->arg);
			}
			sb_str(b, p->quoted ? "}\"" : "}");
			break;
		case WP_CMDSUB:
			sb_str(b, p->quoted ? "\"$(" : "$(");
			if (p->sub)
				dump_node(b, p->sub);
			sb_str(b, p->quoted ? ")\"" : ")");
			break;
		case WP_TILDE:
			sb_str(b, "~");
			sb_str(b, p->text);
			break;
		case WP_ARITH:
			sb_str(b, "$((");
			dump_word(b, p->arg);
			sb_str(b, "))");
			break;
		}
	}
}

static void dump_redirs(struct sbuf *b, const struct redir *r)
{
	static const char *ops[] = { "<", ">", ">>", "<>", "<&", ">&", "<<" };
	char num[16];

	for (; r; r = r->next) {
		snprintf(num, sizeof(num), " %d", r->fd);
		sb_str(b, num);
		if (r->host)
			sb_str(b, "!");
		sb_str(b, ops[r->kind]);
		if (r->kind == R_HEREDOC) {
			sb_str(b, r->heredoc_strip ? "-" : "");
			sb_str(b, r->delim);
			sb_str(b, "[");
			if (r->target)
				dump_word(b, r->target);
			sb_str(b, "]");
		} else {
			dump_word(b, r->target);
		}
	}
}

static void dump_node(struct sbuf *b, const struct node *n)
{
	int i;

	switch (n->kind) {
	case N_CMD:
		if (n->host)
			sb_str(b, "!");
		for (i = 0; i < n->nassigns; i++) {
			if (i)
				sb_str(b, " ");
			dump_word(b, n->assigns[i]);
		}
		for (i = 0; i < n->nwords; i++) {
			if (i || n->nassigns)
				sb_str(b, " ");
			dump_word(b, n->words[i]);
		}
		dump_redirs(b, n->redirs);
		break;
	case N_PIPE:
		for (i = 0; i < n->nstages; i++) {
			if (i)
				sb_str(b, " | ");
			dump_node(b, n->stages[i]);
		}
		break;
	case N_AND:
	case N_OR:
		dump_node(b, n->left);
		sb_str(b, n->kind == N_AND ? " && " : " || ");
		dump_node(b, n->right);
		break;
	case N_SEQ:
		dump_node(b, n->left);
		sb_str(b, "; ");
		dump_node(b, n->right);
		break;
	case N_BG:
		dump_node(b, n->left);
		sb_str(b, " &");
		break;
	case N_SUBSHELL:
		sb_str(b, "( ");
		dump_node(b, n->left);
		sb_str(b, " )");
		dump_redirs(b, n->redirs);
		break;
	case N_NOT:
		sb_str(b, "! ");
		dump_node(b, n->left);
		break;
	case N_GROUP:
		sb_str(b, "{ ");
		dump_node(b, n->left);
		sb_str(b, "; }");
		dump_redirs(b, n->redirs);
		break;
	case N_IF:
		sb_str(b, "if ");
		dump_node(b, n->left);
		sb_str(b, "; then ");
		dump_node(b, n->right);
		if (n->els) {
			sb_str(b, "; else ");
			dump_node(b, n->els);
		}
		sb_str(b, "; fi");
		dump_redirs(b, n->redirs);
		break;
	case N_WHILE:
	case N_UNTIL:
		sb_str(b, n->kind == N_WHILE ? "while " : "until ");
		dump_node(b, n->left);
		sb_str(b, "; do ");
		dump_node(b, n->right);
		sb_str(b, "; done");
		dump_redirs(b, n->redirs);
		break;
	case N_FOR:
		sb_str(b, "for ");
		sb_str(b, n->name);
		if (n->list) {
			sb_str(b, " in");
			for (i = 0; i < n->nlist; i++) {
				sb_str(b, " ");
				dump_word(b, n->list[i]);
			}
		}
		sb_str(b, "; do ");
		dump_node(b, n->right);
		sb_str(b, "; done");
		dump_redirs(b, n->redirs);
		break;
	case N_CASE: {
		const struct case_item *ci;

		sb_str(b, "case ");
		dump_word(b, n->list[0]);
		sb_str(b, " in");
		for (ci = n->items; ci; ci = ci->next) {
			sb_str(b, " ");
			for (i = 0; i < ci->npats; i++) {
				if (i)
					sb_str(b, "|");
				dump_word(b, ci->pats[i]);
			}
			sb_str(b, ") ");
			if (ci->body)
				dump_node(b, ci->body);
			sb_str(b, ";;");
		}
		sb_str(b, " esac");
		dump_redirs(b, n->redirs);
		break;
	}
	case N_FUNC:
		sb_str(b, n->name);
		sb_str(b, "() ");
		dump_node(b, n->left);
		break;
	}
}

char *node_dump(const struct node *n)
{
	struct sbuf b = { 0 };

	sb_str(&b, "");
	if (n)
		dump_node(&b, n);
	return b.s;
}
