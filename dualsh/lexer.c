// SPDX-License-Identifier: MIT
/*
 * dualsh lexer: source text to tokens. Words keep their structure (literal
 * parts, quoted or not, parameter expansions, command substitutions) so the
 * executor expands them without re-scanning text. Heredoc bodies are read
 * when the newline that ends their command is lexed.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lexer.h"

void lex_init(struct lexer *L, const char *s, size_t len, int line,
	      bool final, struct arena *a)
{
	memset(L, 0, sizeof(*L));
	L->s = s;
	L->len = len;
	L->line = line;
	L->final = final;
	L->a = a;
}

void lex_error(struct lexer *L, int line, int col, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(L->err, ERRLEN, "syntax error at %d:%d: ", line, col);
	va_start(ap, fmt);
	vsnprintf(L->err + n, ERRLEN - n, fmt, ap);
	va_end(ap);
	*L->status = PARSE_ERROR;
	longjmp(*L->jb, 1);
}

void lex_incomplete(struct lexer *L, const char *what)
{
	if (L->final)
		lex_error(L, L->line, (int)(L->pos - L->lstart) + 1, "%s", what);
	snprintf(L->err, ERRLEN, "incomplete input: %s", what);
	*L->status = PARSE_INCOMPLETE;
	longjmp(*L->jb, 1);
}

void lex_add_heredoc(struct lexer *L, struct redir *r)
{
	if (L->nhd == MAX_HEREDOCS)
		lex_error(L, r->line, r->col, "too many here-documents");
	L->hd[L->nhd++] = r;
}

static int peekc(struct lexer *L, size_t ahead)
{
	return L->pos + ahead < L->len ? (unsigned char)L->s[L->pos + ahead] : -1;
}

static int col(struct lexer *L)
{
	return (int)(L->pos - L->lstart) + 1;
}

static void adv(struct lexer *L)
{
	if (L->pos < L->len && L->s[L->pos] == '\n') {
		L->line++;
		L->lstart = L->pos + 1;
	}
	L->pos++;
}

/* ---- building words ------------------------------------------------------ */

struct wb {
	struct lexer *L;
	struct word *w;
	struct wpart **tail;
	char *buf;
	size_t n, cap;
	bool bq;		/* quotedness of buf */
	bool force_quoted;	/* everything added is quoted (inside "") */
};

static void wb_init(struct wb *b, struct lexer *L, int line, int c)
{
	memset(b, 0, sizeof(*b));
	b->L = L;
	b->w = arena_alloc(L->a, sizeof(*b->w));
	b->w->line = line;
	b->w->col = c;
	b->tail = &b->w->parts;
}

static void wb_link(struct wb *b, struct wpart *p)
{
	*b->tail = p;
	b->tail = &p->next;
}

static void wb_flush(struct wb *b)
{
	struct wpart *p;

	if (!b->n)
		return;
	p = arena_alloc(b->L->a, sizeof(*p));
	p->kind = WP_LIT;
	p->quoted = b->bq;
	p->text = arena_strndup(b->L->a, b->buf, b->n);
	wb_link(b, p);
	b->n = 0;
}

static void wb_addc(struct wb *b, char c, bool quoted)
{
	quoted = quoted || b->force_quoted;
	if (b->n && b->bq != quoted)
		wb_flush(b);
	b->bq = quoted;
	if (b->n + 1 >= b->cap) {
		/* in the arena, so an error jumping out leaks nothing */
		size_t cap = b->cap ? b->cap * 2 : 64;
		char *nb = arena_alloc(b->L->a, cap);

		if (b->n)
			memcpy(nb, b->buf, b->n);
		b->buf = nb;
		b->cap = cap;
	}
	b->buf[b->n++] = c;
}

static struct wpart *wb_part(struct wb *b, enum wpart_kind k, bool quoted)
{
	struct wpart *p;

	wb_flush(b);
	p = arena_alloc(b->L->a, sizeof(*p));
	p->kind = k;
	p->quoted = quoted || b->force_quoted;
	wb_link(b, p);
	return p;
}

static struct word *wb_done(struct wb *b)
{
	wb_flush(b);
	b->buf = NULL;
	return b->w;
}

static bool is_meta(int c)
{
	return c == -1 || c == ' ' || c == '\t' || c == '\n' || c == ';' ||
	       c == '&' || c == '|' || c == '(' || c == ')' || c == '<' ||
	       c == '>';
}

static bool is_name_start(int c)
{
	return c == '_' || (c >= 0 && c < 128 && isalpha(c));
}

static bool is_name_char(int c)
{
	return c == '_' || (c >= 0 && c < 128 && isalnum(c));
}

static void lex_dollar(struct lexer *L, struct wb *b, bool quoted);
static void lex_backquote(struct lexer *L, struct wb *b, bool quoted);

/* the body of "..." (after the opening quote); heredoc: no closing quote,
 * runs to the end of the text and '"' is an ordinary character */
static void lex_dq(struct lexer *L, struct wb *b, bool heredoc)
{
	int sl = L->line, sc = col(L) - 1;
	bool any = false;
	struct wpart **before = b->tail;
	size_t before_n = b->n;

	for (;;) {
		int c = peekc(L, 0);

		if (c == -1) {
			if (heredoc)
				break;
			(void)sl; (void)sc;
			lex_incomplete(L, "missing closing '\"'");
		}
		if (c == '"' && !heredoc) {
			adv(L);
			break;
		}
		if (c == '\\') {
			int d = peekc(L, 1);

			if (d == '\n') {
				adv(L);
				adv(L);
				continue;
			}
			if (d == '$' || d == '`' || d == '\\' || (d == '"' && !heredoc)) {
				adv(L);
				adv(L);
				wb_addc(b, (char)d, true);
				any = true;
				continue;
			}
			adv(L);
			wb_addc(b, '\\', true);
			any = true;
			continue;
		}
		if (c == '$') {
			lex_dollar(L, b, true);
			any = true;
			continue;
		}
		if (c == '`') {
			lex_backquote(L, b, true);
			any = true;
			continue;
		}
		adv(L);
		wb_addc(b, (char)c, true);
		any = true;
	}
	/* "" alone still makes a (empty) word: an empty quoted literal */
	if (!any && before == b->tail && before_n == b->n)
		wb_part(b, WP_LIT, true)->text = arena_strndup(L->a, "", 0);
}

/* a word up to an unquoted `term` (for ${v:-word}); quotes allowed */
static struct word *lex_word_until(struct lexer *L, int term, bool quoted);

static void lex_param_brace(struct lexer *L, struct wb *b, bool quoted)
{
	int sl = L->line, sc = col(L) - 1;	/* at '{' ; '$' is one before */
	struct wpart *p;
	size_t s;
	int c;

	adv(L);			/* { */
	p = wb_part(b, WP_PARAM, quoted);
	if (peekc(L, 0) == '#' && peekc(L, 1) != '}') {
		adv(L);
		p->op = PO_LENGTH;
	}
	s = L->pos;
	c = peekc(L, 0);
	if (is_name_start(c)) {
		while (is_name_char(peekc(L, 0)))
			adv(L);
	} else if (c >= '0' && c <= '9') {
		while (peekc(L, 0) >= '0' && peekc(L, 0) <= '9')
			adv(L);
	} else if (c != -1 && strchr("@*#?$!-", c)) {
		adv(L);
	} else if (c == -1) {
		lex_incomplete(L, "missing '}'");
	} else {
		lex_error(L, L->line, col(L), "bad substitution");
	}
	p->text = arena_strndup(L->a, L->s + s, L->pos - s);
	c = peekc(L, 0);
	if (c == '}') {
		adv(L);
		return;
	}
	if (p->op == PO_LENGTH)
		lex_error(L, sl, sc, "bad substitution");
	if (c == '%' || c == '#') {
		bool twice = peekc(L, 1) == c;

		p->op = c == '%' ? (twice ? PO_TRIM_LS : PO_TRIM_SS) :
				   (twice ? PO_TRIM_LP : PO_TRIM_SP);
		adv(L);
		if (twice)
			adv(L);
		/* the pattern: quotes in it are its own, even inside "" */
		p->arg = lex_word_until(L, '}', false);
		adv(L);
		return;
	}
	if (c == ':') {
		p->colon = true;
		adv(L);
		c = peekc(L, 0);
	}
	switch (c) {
	case '-': p->op = PO_DEFAULT; break;
	case '=': p->op = PO_ASSIGN; break;
	case '+': p->op = PO_ALT; break;
	case '?': p->op = PO_ERROR; break;
	case -1: lex_incomplete(L, "missing '}'");
	default: lex_error(L, L->line, col(L), "bad substitution");
	}
	adv(L);
	p->arg = lex_word_until(L, '}', quoted || b->force_quoted);
	adv(L);			/* } */
}

/*
 * $(( expr )): the text up to the matching '))' is lexed as the inside of
 * a here-document ($x, $(...), `...` and \ work; no field splitting) and
 * evaluated after expansion.
 */
static void lex_arith(struct lexer *L, struct wb *b, bool quoted)
{
	size_t s, e;
	int depth = 0, line = L->line;
	struct wpart *p;
	struct lexer sub;
	struct wb ib;

	adv(L);			/* $ */
	adv(L);			/* ( */
	adv(L);			/* ( */
	s = L->pos;
	for (;;) {
		int c = peekc(L, 0);

		if (c == -1)
			lex_incomplete(L, "missing '))'");
		if (c == '(')
			depth++;
		else if (c == ')') {
			if (depth == 0 && peekc(L, 1) == ')')
				break;
			if (depth == 0)
				lex_error(L, L->line, col(L), "missing '))'");
			depth--;
		}
		adv(L);
	}
	e = L->pos;
	adv(L);
	adv(L);
	p = wb_part(b, WP_ARITH, quoted);
	lex_init(&sub, L->s + s, e - s, line, true, L->a);
	sub.jb = L->jb;
	sub.status = L->status;
	sub.err = L->err;
	wb_init(&ib, &sub, line, 1);
	lex_dq(&sub, &ib, true);
	p->arg = wb_done(&ib);
}

static void lex_dollar(struct lexer *L, struct wb *b, bool quoted)
{
	int c = peekc(L, 1);
	struct wpart *p;
	size_t s;

	if (c == '{') {
		adv(L);
		lex_param_brace(L, b, quoted);
		return;
	}
	if (c == '(' && peekc(L, 2) == '(') {
		lex_arith(L, b, quoted);
		return;
	}
	if (c == '(') {
		adv(L);
		adv(L);
		p = wb_part(b, WP_CMDSUB, quoted);
		p->sub = parse_cmdsub(L);
		return;
	}
	if (is_name_start(c)) {
		adv(L);
		s = L->pos;
		while (is_name_char(peekc(L, 0)))
			adv(L);
		p = wb_part(b, WP_PARAM, quoted);
		p->text = arena_strndup(L->a, L->s + s, L->pos - s);
		return;
	}
	if ((c >= '0' && c <= '9') || (c != -1 && strchr("@*#?$!-", c))) {
		adv(L);
		p = wb_part(b, WP_PARAM, quoted);
		p->text = arena_strndup(L->a, L->s + L->pos, 1);
		adv(L);
		return;
	}
	adv(L);
	wb_addc(b, '$', quoted);
}

static void lex_backquote(struct lexer *L, struct wb *b, bool quoted)
{
	int line = L->line;
	char *buf = arena_alloc(L->a, L->len - L->pos + 1);
	size_t n = 0;
	struct wpart *p;

	adv(L);			/* ` */
	for (;;) {
		int c = peekc(L, 0);

		if (c == -1)
			lex_incomplete(L, "missing closing '`'");
		adv(L);
		if (c == '`')
			break;
		if (c == '\\') {
			int d = peekc(L, 0);

			if (d == '`' || d == '$' || d == '\\') {
				adv(L);
				buf[n++] = (char)d;
				continue;
			}
		}
		buf[n++] = (char)c;
	}
	p = wb_part(b, WP_CMDSUB, quoted);
	buf[n] = 0;
	p->sub = parse_string(L, buf, n, line);
}

/* '~' right after the '=' of NAME= at the start of a word (an assignment) */
static bool assign_tilde(struct lexer *L, size_t start)
{
	size_t i = start;

	if (L->pos == start || L->s[L->pos - 1] != '=' || !is_name_start(L->s[i]))
		return false;
	while (i < L->pos - 1 && is_name_char(L->s[i]))
		i++;
	return i == L->pos - 1;
}

/* the unquoted word machine; stops at a metacharacter (or term) */
static void lex_word_body(struct lexer *L, struct wb *b, int term)
{
	size_t start = L->pos;

	for (;;) {
		int c = peekc(L, 0);

		if (term >= 0 ? c == term : is_meta(c))
			break;
		if (term >= 0 && c == -1)
			lex_incomplete(L, "missing '}'");
		if (term < 0 && c == '!' && (peekc(L, 1) == '<' || peekc(L, 1) == '>') &&
		    L->pos > start)
			break;
		switch (c) {
		case '\'': {
			bool any = false;

			adv(L);
			for (;;) {
				c = peekc(L, 0);
				if (c == -1)
					lex_incomplete(L, "missing closing \"'\"");
				adv(L);
				if (c == '\'')
					break;
				wb_addc(b, (char)c, true);
				any = true;
			}
			if (!any)
				wb_part(b, WP_LIT, true)->text = arena_strndup(L->a, "", 0);
			break;
		}
		case '"':
			adv(L);
			lex_dq(L, b, false);
			break;
		case '\\':
			if (peekc(L, 1) == '\n') {
				adv(L);
				adv(L);
				if (peekc(L, 0) == -1 && !L->final)
					lex_incomplete(L, "line continues");
				break;
			}
			adv(L);
			if (peekc(L, 0) == -1) {
				wb_addc(b, '\\', false);
				break;
			}
			wb_addc(b, (char)peekc(L, 0), true);
			adv(L);
			break;
		case '$':
			lex_dollar(L, b, false);
			break;
		case '`':
			lex_backquote(L, b, false);
			break;
		case '~':
			if ((L->pos == start || assign_tilde(L, start)) && term < 0 &&
			    !b->force_quoted) {
				size_t s;
				struct wpart *p;

				adv(L);
				s = L->pos;
				while (is_name_char(peekc(L, 0)) || peekc(L, 0) == '-' ||
				       peekc(L, 0) == '.')
					adv(L);
				c = peekc(L, 0);
				if (c == '/' || is_meta(c) ||
				    (c == '!' && (peekc(L, 1) == '<' || peekc(L, 1) == '>'))) {
					p = wb_part(b, WP_TILDE, false);
					p->text = arena_strndup(L->a, L->s + s, L->pos - s);
				} else {
					wb_addc(b, '~', false);
					while (s < L->pos)
						wb_addc(b, L->s[s++], false);
				}
				break;
			}
			/* fall through */
		default:
			adv(L);
			wb_addc(b, (char)c, false);
		}
	}
}

static struct word *lex_word_until(struct lexer *L, int term, bool quoted)
{
	struct wb b;

	wb_init(&b, L, L->line, col(L));
	b.force_quoted = quoted;
	lex_word_body(L, &b, term);
	return wb_done(&b);
}

/* ---- heredocs ------------------------------------------------------------ */

static void read_heredocs(struct lexer *L)
{
	int i;

	for (i = 0; i < L->nhd; i++) {
		struct redir *r = L->hd[i];
		size_t dl = strlen(r->delim);
		char *body = arena_alloc(L->a, L->len - L->pos + 1);
		size_t n = 0;
		int body_line = L->line;
		bool found = false;

		while (L->pos < L->len) {
			size_t ls = L->pos, le = ls, ts;

			while (le < L->len && L->s[le] != '\n')
				le++;
			ts = ls;
			if (r->heredoc_strip)
				while (ts < le && L->s[ts] == '\t')
					ts++;
			/* move past the line */
			while (L->pos < le)
				adv(L);
			if (L->pos < L->len)
				adv(L);
			if (le - ts == dl && !memcmp(L->s + ts, r->delim, dl)) {
				found = true;
				break;
			}
			if (le == L->len && !L->final) {
				/* a last line without newline may still grow */
				break;
			}
			memcpy(body + n, L->s + ts, le - ts);
			n += le - ts;
			if (le < L->len)
				body[n++] = '\n';
		}
		if (!found && !L->final)
			lex_incomplete(L, "here-document not ended");
		{
			char *text = body;

			body[n] = 0;
			if (r->heredoc_expand) {
				struct lexer sub;
				struct wb b;

				lex_init(&sub, text, n, body_line, true, L->a);
				sub.jb = L->jb;
				sub.status = L->status;
				sub.err = L->err;
				wb_init(&b, &sub, body_line, 1);
				lex_dq(&sub, &b, true);
				r->target = wb_done(&b);
			} else {
				struct wpart *p = arena_alloc(L->a, sizeof(*p));

				r->target = arena_alloc(L->a, sizeof(*r->target));
				p->kind = WP_LIT;
				p->quoted = true;
				p->text = text;
				r->target->parts = p;
				r->target->line = body_line;
				r->target->col = 1;
			}
		}
	}
	L->nhd = 0;
}

/* ---- tokens --------------------------------------------------------------- */

static bool lex_redir_op(struct lexer *L, struct token *t, int fd)
{
	int c = peekc(L, 0), d;
	bool host = false;

	if (c == '!') {
		if (peekc(L, 1) != '<' && peekc(L, 1) != '>')
			return false;
		host = true;
		adv(L);
		c = peekc(L, 0);
	}
	if (c != '<' && c != '>')
		return false;
	t->t = T_REDIR;
	t->fd = fd;
	t->host = host;
	adv(L);
	d = peekc(L, 0);
	if (c == '<') {
		t->rk = R_IN;
		if (d == '<') {
			adv(L);
			t->rk = R_HEREDOC;
			if (peekc(L, 0) == '-') {
				adv(L);
				t->strip = true;
			}
		} else if (d == '&') {
			adv(L);
			t->rk = R_DUPIN;
		} else if (d == '>') {
			adv(L);
			t->rk = R_RDWR;
		}
	} else {
		t->rk = R_OUT;
		if (d == '>') {
			adv(L);
			t->rk = R_APPEND;
		} else if (d == '&') {
			adv(L);
			t->rk = R_DUPOUT;
		} else if (d == '|') {
			adv(L);
			t->clobber = true;
		}
	}
	if (host && t->rk != R_IN && t->rk != R_OUT && t->rk != R_APPEND)
		lex_error(L, t->line, t->col,
			  "'!' applies to <, > and >> only (host files)");
	return true;
}

void lex_token(struct lexer *L, struct token *t)
{
	int c;

	memset(t, 0, sizeof(*t));
	for (;;) {
		c = peekc(L, 0);
		if (c == ' ' || c == '\t') {
			adv(L);
		} else if (c == '\\' && peekc(L, 1) == '\n') {
			adv(L);
			adv(L);
			if (peekc(L, 0) == -1 && !L->final)
				lex_incomplete(L, "line continues");
		} else if (c == '#') {
			while (peekc(L, 0) != -1 && peekc(L, 0) != '\n')
				adv(L);
		} else {
			break;
		}
	}
	t->line = L->line;
	t->col = col(L);
	t->start = L->pos;
	switch (c) {
	case -1:
		t->t = T_EOF;
		if (L->nhd && !L->final)
			lex_incomplete(L, "here-document not ended");
		if (L->nhd)
			read_heredocs(L);
		break;
	case '\n':
		adv(L);
		t->t = T_NL;
		if (L->nhd)
			read_heredocs(L);
		break;
	case ';':
		adv(L);
		t->t = T_SEMI;
		if (peekc(L, 0) == ';') {
			adv(L);
			t->t = T_DSEMI;
		}
		break;
	case '&':
		adv(L);
		t->t = T_AMP;
		if (peekc(L, 0) == '&') {
			adv(L);
			t->t = T_AND;
		}
		break;
	case '|':
		adv(L);
		t->t = T_PIPE;
		if (peekc(L, 0) == '|') {
			adv(L);
			t->t = T_OR;
		}
		break;
	case '(':
		adv(L);
		t->t = T_LP;
		break;
	case ')':
		adv(L);
		t->t = T_RP;
		break;
	default: {
		size_t i = L->pos;
		int fd = 0;

		/* IO number: digits right before a redirection operator */
		while (i < L->len && L->s[i] >= '0' && L->s[i] <= '9' && fd < 10000)
			fd = fd * 10 + (L->s[i++] - '0');
		if (i > L->pos && i < L->len &&
		    (L->s[i] == '<' || L->s[i] == '>' ||
		     (L->s[i] == '!' && i + 1 < L->len &&
		      (L->s[i + 1] == '<' || L->s[i + 1] == '>')))) {
			L->pos = i;
			lex_redir_op(L, t, fd);
			break;
		}
		if (lex_redir_op(L, t, -1))
			break;
		{
			struct wb b;

			wb_init(&b, L, t->line, t->col);
			lex_word_body(L, &b, -1);
			t->t = T_WORD;
			t->w = wb_done(&b);
			if (!t->w->parts) {
				/* only a line continuation or a lone '!' */
				t->w = NULL;
				if (L->pos == t->start)
					lex_error(L, t->line, t->col,
						  "unexpected character '%c'", c);
				lex_token(L, t);
				return;
			}
		}
	}
	}
	t->end = L->pos;
}
