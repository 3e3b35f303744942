/* SPDX-License-Identifier: MIT */
/*
 * dualsh: the syntax tree and the parser's interface. The parser (lexer.c,
 * parser.c) builds this tree into an arena; the executor (exec.c, host.c)
 * walks it. Nothing here knows how commands run.
 */
#ifndef DUALSH_AST_H
#define DUALSH_AST_H

#include <stdbool.h>
#include <stddef.h>

/* ---- arena: every node of one parse lives here, freed at once ---------- */
struct arena;
struct arena *arena_new(void);
void arena_free(struct arena *a);
void *arena_alloc(struct arena *a, size_t n);		/* zeroed */
char *arena_strndup(struct arena *a, const char *s, size_t n);

/* ---- words ----------------------------------------------------------- */
enum wpart_kind {
	WP_LIT,		/* text */
	WP_PARAM,	/* $name ${name} ${name:-word} ... */
	WP_CMDSUB,	/* $(...) or `...` */
	WP_TILDE,	/* ~ or ~user at the start of a word (text: user) */
	WP_ARITH,	/* $((...)): arg is the expression, expanded first */
};

enum param_op {
	PO_NONE,
	PO_DEFAULT,	/* ${v:-w} / ${v-w} */
	PO_ASSIGN,	/* ${v:=w} / ${v=w} */
	PO_ALT,		/* ${v:+w} / ${v+w} */
	PO_LENGTH,	/* ${#v} */
	PO_ERROR,	/* ${v:?w} / ${v?w} */
	PO_TRIM_SS,	/* ${v%p}: shortest suffix */
	PO_TRIM_LS,	/* ${v%%p}: longest suffix */
	PO_TRIM_SP,	/* ${v#p}: shortest prefix */
	PO_TRIM_LP,	/* ${v##p}: longest prefix */
};

struct word;
struct node;

struct wpart {
	enum wpart_kind kind;
	bool quoted;		/* inside '' "" or after \ */
	char *text;		/* WP_LIT text, WP_PARAM name, WP_TILDE user */
	enum param_op op;	/* WP_PARAM */
	bool colon;		/* WP_PARAM: ':' form (empty counts as unset) */
	struct word *arg;	/* WP_PARAM operand */
	struct node *sub;	/* WP_CMDSUB */
	struct wpart *next;
};

struct word {
	struct wpart *parts;
	int line, col;
};

/* ---- redirections ---------------------------------------------------- */
enum redir_kind {
	R_IN,		/* <  */
	R_OUT,		/* >  >| */
	R_APPEND,	/* >> */
	R_RDWR,		/* <> */
	R_DUPIN,	/* <& */
	R_DUPOUT,	/* >& */
	R_HEREDOC,	/* << <<- */
};

struct redir {
	enum redir_kind kind;
	int fd;			/* the redirected descriptor */
	bool host;		/* !< !> !>>: the file is a host file */
	bool clobber;		/* >|: overwrites even under set -C */
	struct word *target;	/* file, fd number, or heredoc body */
	bool heredoc_expand;	/* delimiter was unquoted */
	bool heredoc_strip;	/* <<- */
	char *delim;		/* heredoc delimiter (quotes removed) */
	int line, col;
	struct redir *next;
};

/* ---- nodes ------------------------------------------------------------ */
enum node_kind {
	N_CMD,		/* simple command, guest or host */
	N_PIPE,		/* a | b | ... */
	N_AND,		/* a && b */
	N_OR,		/* a || b */
	N_SEQ,		/* a ; b */
	N_BG,		/* a & */
	N_SUBSHELL,	/* ( list ) */
	N_NOT,		/* ! pipeline (left) */
	N_GROUP,	/* { list; } (left) */
	N_IF,		/* if left then right [else els] */
	N_WHILE,	/* while left do right done */
	N_UNTIL,	/* until left do right done */
	N_FOR,		/* for name [in list] do right done */
	N_CASE,		/* case word in items esac */
	N_FUNC,		/* name() body (left) */
};

struct case_item {
	struct word **pats;
	int npats;
	struct node *body;	/* NULL: empty */
	struct case_item *next;
};

struct node {
	enum node_kind kind;
	int line, col;
	/* N_CMD */
	bool host;		/* !cmd: runs on the host */
	struct word **words;	/* NULL-terminated */
	int nwords;
	struct word **assigns;	/* NAME=value words, NULL-terminated */
	int nassigns;
	struct redir *redirs;	/* N_CMD and compound commands */
	/* N_PIPE */
	struct node **stages;
	int nstages;
	/* N_AND N_OR N_SEQ N_BG N_SUBSHELL(left = body) and compounds */
	struct node *left, *right;
	struct node *els;	/* N_IF */
	char *name;		/* N_FOR variable, N_FUNC name */
	struct word **list;	/* N_FOR words (NULL: "$@"), N_CASE: list[0] */
	int nlist;
	struct case_item *items;	/* N_CASE */
	/* source text of this command, for `jobs` and xtrace */
	char *text;
};

/* ---- the parser ------------------------------------------------------- */
enum parse_status {
	PARSE_OK,		/* *out is a command (or NULL at end of input) */
	PARSE_INCOMPLETE,	/* input ended inside a construct */
	PARSE_ERROR,		/* message in the parser's err */
};

struct parser;
/*
 * A parser over src (not copied; must outlive the parser). first_line
 * numbers the first line of src for messages. Each parse_next() returns one
 * complete command (up to a newline or the end) or NULL at the end.
 * With final=false, running out of input inside a construct gives
 * PARSE_INCOMPLETE (the caller reads another line and parses again).
 */
struct parser *parser_new(const char *src, size_t len, int first_line,
			  bool final);
void parser_free(struct parser *p);	/* keeps the arena: see below */
enum parse_status parse_next(struct parser *p, struct arena *a,
			     struct node **out);
const char *parser_error(const struct parser *p);
/* offset into src just after the last command returned */
size_t parser_offset(const struct parser *p);
int parser_line(const struct parser *p);

/* the function's tree outlives its parse: the arena of a command that
 * defined a function is kept (parse_next sets this; the caller checks) */
extern bool arena_keep;

/* "name" when w is one unquoted literal NAME=... word; else NULL (arena) */
bool word_is_assignment(const struct word *w);
/* literal text of w when it is all literal, else NULL (malloc'd) */
char *word_literal(const struct word *w);
/* render a tree back to shell text (for tests and `jobs`); malloc'd */
char *node_dump(const struct node *n);

#endif
