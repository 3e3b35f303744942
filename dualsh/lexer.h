/* SPDX-License-Identifier: MIT */
/* dualsh: the lexer, shared by parser.c only. */
#ifndef DUALSH_LEXER_H
#define DUALSH_LEXER_H

#include <setjmp.h>
#include "ast.h"

enum tok {
	T_EOF, T_NL, T_WORD, T_SEMI, T_AMP, T_AND, T_PIPE, T_OR, T_LP, T_RP,
	T_REDIR, T_DSEMI,
};

struct token {
	enum tok t;
	int line, col;
	size_t start, end;	/* offsets in the source */
	struct word *w;		/* T_WORD */
	enum redir_kind rk;	/* T_REDIR */
	int fd;			/* T_REDIR: -1 when not given */
	bool host;		/* T_REDIR: !< !> !>> */
	bool strip;		/* T_REDIR: <<- */
	bool clobber;		/* T_REDIR: >| */
};

#define MAX_HEREDOCS 64

struct lexer {
	const char *s;
	size_t len, pos;
	int line;
	size_t lstart;		/* offset of the current line's start */
	bool final;		/* no more input will come */
	struct arena *a;
	struct redir *hd[MAX_HEREDOCS];	/* heredocs waiting for their body */
	int nhd;
	jmp_buf *jb;		/* where errors go */
	enum parse_status *status;
	char *err;		/* message buffer (ERRLEN) */
};

#define ERRLEN 256

void lex_init(struct lexer *L, const char *s, size_t len, int line,
	      bool final, struct arena *a);
void lex_token(struct lexer *L, struct token *t);
/* reports and jumps out: PARSE_ERROR at line:col */
_Noreturn void lex_error(struct lexer *L, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* input ended inside a construct: PARSE_INCOMPLETE, or an error if final */
_Noreturn void lex_incomplete(struct lexer *L, const char *what);
void lex_add_heredoc(struct lexer *L, struct redir *r);

/* parser.c: parse the inside of $( ... ) from L, up to and including ')' */
struct node *parse_cmdsub(struct lexer *L);
/* parser.c: parse a whole string (backquotes) */
struct node *parse_string(struct lexer *outer, const char *s, size_t len,
			  int line);

#endif
