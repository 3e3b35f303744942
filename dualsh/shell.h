/* SPDX-License-Identifier: MIT */
/*
 * dualsh: the shell's state and the interfaces between its parts.
 *   vars.c      variables and the environment
 *   expand.c    words to fields ($VAR, $(...), splitting, globbing)
 *   exec.c      running trees: pipelines, lists, subshells, redirections
 *   host.c      host stages through libhostcall (spawn, !cd, host globs)
 *   pump.c      the relay between guest pipes and host streams
 *   jobs.c      jobs, waiting, job control
 *   builtins.c  cd, !cd, pwd, export, set, jobs, fg, ...
 *   interactive.c  readline, prompt, completion, history
 *   main.c      options and the read-parse-run loop
 */
#ifndef DUALSH_SHELL_H
#define DUALSH_SHELL_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>
#include <termios.h>

#include "ast.h"

#define PROG "dualsh"

struct shell {
	bool interactive;	/* prompts, readline, job control */
	bool jobctl;		/* this process does job control */
	bool errexit;		/* set -e */
	bool pipefail;		/* set -o pipefail */
	bool xtrace;		/* set -x */
	bool noglob;		/* set -f */
	bool nounset;		/* set -u */
	bool noclobber;		/* set -C */
	bool allexport;		/* set -a */
	bool noexec;		/* set -n */
	bool verbose;		/* set -v (accepted) */
	/* break, continue, return: how far the walk unwinds (SKIP_*) */
	int skip, skipcount;
	int loopnest;		/* loops around the command running now */
	int funcnest;		/* function calls (and dot scripts) */
	int cond;		/* > 0: in a condition, set -e is off */
	bool subshell;		/* a forked child of the shell */
	int status;		/* $? */
	pid_t toppid;		/* $$ */
	pid_t lastbg;		/* $! */
	char *arg0;		/* $0 */
	int argc;		/* $# */
	char **argv;		/* $1 ... */
	int ttyfd;		/* the controlling terminal, or -1 */
	pid_t pgid;		/* the shell's process group */
	struct termios tmodes;	/* terminal modes at the prompt */
	bool have_tmodes;
	volatile sig_atomic_t got_sigint;
	int source_depth;
	bool exiting;
};

enum { SKIP_NONE, SKIP_BREAK, SKIP_CONT, SKIP_RETURN };

extern struct shell sh;

/* ---- util.c ---- */
void *xmalloc(size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void free_strv(char **v);
size_t strv_len(char *const *v);
void errmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* write all of buf to fd (EINTR/short writes handled); 0 or -errno */
int write_all(int fd, const void *buf, size_t n);
/* close-on-exec dup of fd at >= 10 */
int fd_save(int fd);

/* ---- vars.c ---- */
void vars_init(char **envp);
const char *var_get(const char *name);
/* exp: 1 export, 0 keep the flag as it is */
int var_set(const char *name, const char *val, int exp);
int var_unset(const char *name);		/* -1: read-only */
void var_export(const char *name);
char **var_environ(void);		/* "N=V" of exported, malloc'd */
void var_list(bool exported_only);
bool valid_name(const char *s, size_t n);
/* a variable's state, to put back later (local, prefix assignments) */
struct varsave {
	char *name, *val;	/* val NULL: was unset */
	bool exported;
};
void var_save(const char *name, struct varsave *s);
void var_restore(struct varsave *s);	/* and frees s's strings */
int var_readonly(const char *name, const char *val);	/* readonly NAME[=v] */
void var_list_readonly(void);
bool var_is_readonly(const char *name);

/* ---- expand.c ---- */
#define EXP_HOST	1u	/* a host stage: ~ and globs are host ones */
/* words to fields; NULL after an error (message printed) */
char **expand_words(struct word *const *w, int n, unsigned flags);
/* one word to one string: no splitting, no globbing */
char *expand_str(const struct word *w, unsigned flags);
/* a pattern for fnmatch (case, ${v#p}); NULL after an error */
char *expand_pattern(const struct word *w);
/* glob characters that are not quoted? (for host globbing) */
bool has_glob(const char *s);

/* ---- arith.c ---- */
#include <stdint.h>
bool arith_eval(const char *expr, intmax_t *out);
bool arith_number(const char *s, intmax_t *v);

/* ---- compound.c: compound commands and functions ---- */
int exec_compound(struct node *n, unsigned flags);
struct node *func_find(const char *name);
int func_call(struct node *fn, char **argv);
void func_define(struct node *n);
int func_unset(const char *name);
/* local NAME[=v]: saved in the innermost function's frame */
int local_var(const char *arg);

/* ---- exec.c ---- */
#define EF_COND		1u	/* a condition: set -e does not apply */
#define EF_NOFORK	2u	/* last command of a child: may exec in place */
int exec_tree(struct node *n, unsigned flags);
/* run n in a child, capture its output (trailing newlines dropped) */
char *command_output(struct node *n, int *status);
_Noreturn void shell_exit(int status);
/* apply guest redirections; on error prints and returns -1.
 * saved (if not NULL) records what to restore (see redir_restore) */
struct saved_fd {
	int fd, copy;
};
int redir_apply(struct redir *r, struct saved_fd *saved, int *nsaved,
		int maxsaved);
void redir_restore(struct saved_fd *saved, int nsaved);
/* heredoc body into a readable fd */
int heredoc_fd(const struct redir *r);
/* fork, exec argv from PATH, wait: its status (command, aliases) */
int run_external(char **argv);
/* run a file or string of commands in this shell (source, -c, scripts) */
int run_string(const char *s, size_t len, const char *name);
int run_fd(int fd, const char *name, bool interactive);
void reset_signals_child(void);
/* exit status in shell terms from a wait status */
int wait_to_status(int ws);

/* ---- jobs.c ---- */
struct proc {
	pid_t pid;		/* <= 0: nothing to wait for (already done) */
	int first, nst;		/* stages this process covers */
	int statfd;		/* pump: per-stage statuses come here, or -1 */
	int ws;			/* wait status */
	bool done, stopped;
	bool pump;		/* stands for host stages (host.c) */
};

struct job {
	int id;
	pid_t pgid;
	struct proc *procs;
	int nprocs;
	int *st;		/* per-stage exit status */
	int nst;
	char *text;
	bool bg;
	bool notified;
	struct termios tmodes;
	bool have_tmodes;
	int *hhandles;		/* host processes, released when it ends */
	int nhh;
	struct job *next;
};

struct job *job_new(const char *text, int nstages);
void job_free(struct job *j);
void job_add(struct job *j, pid_t pid, int first, int nst, int statfd);
void job_set_stage(struct job *j, int stage, int status);
void job_add_handles(struct job *j, const int *h, int n);
/* in the child: join the job's process group (and take the terminal) */
void job_child_setup(struct job *j, bool fg);
/* in the parent right after fork */
void job_parent_setup(struct job *j, pid_t pid);
/* wait for a foreground job; returns the pipeline's status */
int job_wait_fg(struct job *j);
/* register a background job */
void job_background(struct job *j);
void jobs_reap(bool notify);
int job_status(struct job *j);
bool job_done(const struct job *j);
struct job *job_find(const char *spec, const char **why);
/* send sig to a job's guest and host processes; 0 or -1 (errno) */
int job_kill(struct job *j, int sig);
int pid_kill(pid_t pid, int sig);
int job_fg(struct job *j, bool cont);
int job_bg(struct job *j);
void jobs_print(void);
int jobs_wait_all(void);
void jobs_hangup(void);
void jobs_forward_signal(int sig);
int job_wait_one(struct job *j);

/* ---- host.c ---- */
struct hc_session;
/* the session, opened on first use; NULL (message printed once) if the
 * host cannot be reached */
struct hc_session *host_session(bool quiet);
/* start a run of adjacent host stages; in/out are the guest fds for the
 * run's stdin and stdout (-1: the shell's own 0 and 1). in_stream and
 * out_stream (NULL: not wanted) get stream fds of the run's stdin and
 * stdout where the driver has them and in/out were to be relayed: the
 * caller then hands those to the neighbouring guest stages instead. */
int host_run(struct job *j, struct node **stages, int n, int first, int infd,
	     int outfd, bool bg, int *in_stream, int *out_stream);
/* release the host processes of a finished job */
void host_release_all(struct job *j);
/* signal the host processes of a job directly */
void host_signal_all(struct job *j, int sig);
const char *host_cwd(void);		/* NULL when unknown */
const char *host_home(void);
const char *host_user(void);
int host_cd(int argc, char **argv);
/* expand a host glob; 0 with *out set (malloc'd list) or -1 no match */
int host_glob(const char *pattern, char ***out);
/* list a host directory: calls fn(name, is_dir, ctx) per entry */
int host_list_dir(const char *dir,
		  void (*fn)(const char *name, bool is_dir, void *ctx),
		  void *ctx);
/* host PATH (cached); NULL if unknown */
const char *host_path(void);
/* absolute host path for p (relative to the session's host cwd) */
char *host_abspath(const char *p);

/* ---- trap.c ---- */
extern volatile sig_atomic_t trap_pending;
bool trap_set(int sig);
void trap_run_pending(void);
void trap_run_exit(void);
void trap_reset_child(void);
void trap_note(int sig);		/* async-signal-safe */
int b_trap(int argc, char **argv);
/* main.c: the shell's own handler back for sig (after `trap - INT`) */
void shell_signals_default(int sig);

/* ---- signames.c ---- */
const char *sig_name(int sig);		/* "TERM"; 0 is "EXIT"; NULL if none */
int sig_number(const char *s);		/* name or number; -1 if neither */

/* ---- builtins_*.c: one function per builtin, listed in builtins.c ---- */
int b_break(int argc, char **argv);
int b_continue(int argc, char **argv);
int b_return(int argc, char **argv);
int b_local(int argc, char **argv);
int b_eval(int argc, char **argv);
int b_test(int argc, char **argv);
int b_echo(int argc, char **argv);
int b_printf(int argc, char **argv);
int b_read(int argc, char **argv);
int b_getopts(int argc, char **argv);
int b_type(int argc, char **argv);
int b_command(int argc, char **argv);
int b_umask(int argc, char **argv);
int b_readonly(int argc, char **argv);
int b_alias(int argc, char **argv);
int b_unalias(int argc, char **argv);
int b_times(int argc, char **argv);
int b_ulimit(int argc, char **argv);
const char *alias_value(const char *name);	/* NULL: no such alias */

/* ---- builtins.c ---- */
typedef int (*builtin_fn)(int argc, char **argv);
builtin_fn builtin_find(const char *name, bool host);
bool builtin_special(const char *name);
/* NAME[=value] of export and readonly: the name (malloc'd) and *val (NULL
 * without '='); NULL after a message when NAME is not a name */
char *assign_split(const char *cmd, const char *arg, const char **val);
extern const char *const builtin_names[];

/* ---- interactive.c ---- */
void interactive_init(void);
/* a line from the user; NULL at end of input. prompt2: continuation */
char *interactive_readline(bool prompt2);
void interactive_add_history(const char *cmd);
void interactive_save_history(void);
void interactive_sigint(void);
int history_builtin(int argc, char **argv);

#endif
