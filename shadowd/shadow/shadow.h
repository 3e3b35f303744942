/* SPDX-License-Identifier: MIT */
/*
 * hostcall-shadow internals. One shadow serves one guest session: its
 * calls arrive as entries in the session window (window.c), whose memfd
 * comes on fd 3 (winrecv.c); every call runs as its own asynchronous
 * operation on one io_uring, so a call that blocks (a pipe read, a wait)
 * never delays the others.
 */
#ifndef HC_SHADOW_H
#define HC_SHADOW_H

#include <fcntl.h>
#include <stdint.h>
#include <sys/types.h>
#include <liburing.h>
#include <linux/openat2.h>
#include "hostcall_proto.h"
#include "hostcall_module.h"

#define SESSION_FD	3
#define MAX_CALLS	1024	/* calls in flight; more get -EBUSY */
#define MAX_PROCS	256	/* process handles */
#define MAX_FILES	1024	/* file handles */
#define MAX_SOCKETS	1024	/* sock module handles */
#define MAX_SPAWN_STRS	4096	/* argc and envc limits */

/* A handler's result when the call went asynchronous. */
#define ASYNC		INT64_MIN

struct proc;
struct call;
struct binding;

/* The built-in modules' numbers inside the shadow (the guest names them
 * only by binding "sys", "proc", "fs", "sock": registry.c). */
enum { MOD_NONE = 0, MOD_SYS = 1, MOD_PROC = 2, MOD_FS = 3, MOD_SOCK = 4 };
#define MOD_BIT(m)	(1u << (m))

/* Continues an asynchronous call with the CQE result: returns the call's
 * result, or ASYNC when it queued another operation. */
typedef int64_t (*call_done_fn)(struct call *c, int res);

struct call {
	struct call *next, *prev;	/* in-flight list */
	uint64_t tag;
	int qp;			/* the queue pair it came from */
	uint16_t module, op;	/* module: the guest's handle */
	int builtin;		/* MOD_* of the bound module, MOD_NONE else */
	struct binding *bind;	/* the module's binding (NULL: session op) */
	void (*on_cancel)(struct hcm_call *c);	/* hcm_on_cancel() */
	int undo;		/* HC_CANCEL_F_UNDO: release what it created */
	int internal;		/* made by the shadow itself: no answer */
	uint32_t out_max;
	int64_t args[4];
	/* Input: a private copy when a handler parses it, else (write data)
	 * the window itself; output: always the window. */
	unsigned char *in, *out;
	unsigned char *in_copy;	/* the private copy, freed with the call */
	uint32_t in_len;	/* input bytes at call_in() */
	uint32_t out_len;	/* output bytes at call_out() */
	int pending;		/* an io_uring operation is in flight */
	int cancelled;		/* a CANCEL entry asked for it */
	int fd;			/* fd the pending op uses, for cancel_fd */
	call_done_fn done;
	struct proc *proc;	/* holds a reference while pending */
	char *path;		/* an fs path resolved for a pending op */
	struct open_how how;	/* its open flags, read at submission */
	int nocancel;		/* its op's result must be read (SPAWN) */
	void *priv;		/* a module's state for the call, and */
	void (*cleanup)(struct call *c);	/* its release if the call
						 * ends without its done */
	/* offload.c: a job on a worker thread */
	int offloaded;		/* queued or running (pending is set) */
	int64_t (*job)(struct call *c);
	struct call *job_next;
	int64_t job_res;
	int job_fd;		/* a duplicate of the handle's fd, or -1 */
};

/* The module API's view of a call is the call itself. */
static inline struct call *call_of(const struct hcm_call *h)
{
	return (struct call *)h;
}

static inline struct hcm_call *hcm_of(struct call *c)
{
	return (struct hcm_call *)c;
}

static inline unsigned char *call_in(struct call *c)
{
	return c->in;
}

static inline unsigned char *call_out(struct call *c)
{
	return c->out;
}

/* main.c: the ring and the pieces handlers use */
extern struct io_uring ring;
/* An SQE for call c (user_data = c, pending set); never NULL. */
struct io_uring_sqe *call_sqe(struct call *c, int fd, call_done_fn done);
/* A read (into out) or write (from in) of a call's window buffer. */
void call_prep_rw(struct io_uring_sqe *sqe, struct call *c, int fd,
		  uint64_t off, int write);
/* Submit now: needed before close() of an fd a just-prepared op uses. */
void ring_flush(void);
/* Ask every pending call on fd to end with -ECANCELED. */
void cancel_calls_fd(int fd);
/* Input as one NUL-terminated string filling it exactly; NULL if not. */
const char *call_str(struct call *c);

/* offload.c: blocking calls on worker threads (see there) */
int offload_init(void);			/* before the filter */
int offload_fd(void);			/* readable: jobs have finished */
/* Run job(c) on a worker; returns ASYNC. */
int64_t offload(struct call *c, int64_t (*job)(struct call *c));
/* The same for a job on the file of handle args[0] (c->job_fd, a
 * duplicate the job closes): ASYNC or -EBADF. */
int64_t offload_file(struct call *c, int64_t (*job)(struct call *c));
void offload_cancel(struct call *c);	/* only one not yet started */
struct call *offload_next(int64_t *res);	/* a finished one, or NULL */
int offload_stop(void);			/* session end; -EBUSY if stuck */

/* winrecv.c: the window QEMU sends first on fd 3 (HCP_WINDOW): 0 with
 * the mapping and the kick and interrupt eventfds, or -errno, logged. */
int window_receive(int sock, void **mem, int *kick_fd, int *irq_fd);

/* sys.c: what INFO reports that needs a lookup, before confinement */
void sys_init(void);
const char *sys_user_name(void);

/* main.c: a call that returned ASYNC without an io_uring operation (a
 * module's hcm_complete) ends with result; a cancel may reach it */
void call_finish(struct call *c, int64_t result);
/* undo.c: HC_CANCEL_F_UNDO, what a call created released for a caller
 * that is gone: the kind of thing call c made (UNDO_NONE: nothing), its
 * release, the record of answered creating calls per queue pair, and the
 * undo of one of them by tag (nothing if unknown). */
enum { UNDO_NONE, UNDO_RELEASE, UNDO_CLOSE, UNDO_UNBIND, UNDO_SOCKET };
int undo_kind(const struct call *c);
void undo(int kind, int64_t result);
void undo_record(int qp, uint64_t tag, int kind, int64_t result);
void undo_answered(int qp, uint64_t tag);

/* The last unbind: cancel the binding's calls still pending. */
void call_cancel_binding(struct binding *b);
/* An internal call of a built-in (an undo: CLOSE, RELEASE); no answer. */
void call_internal(int builtin, uint16_t op, int64_t arg);

/* modules: each returns the result, or ASYNC */
int64_t sys_call(struct call *c);
int64_t proc_call(struct call *c);
int64_t fs_call(struct call *c);

/* proc.c */
void proc_kill_all(void);		/* session end: kill and reap all */
int proc_exited(struct proc *p);	/* status read; the leader stays a zombie */
int proc_try_reap(struct proc *p);	/* 1 reaped (now or before), 0 not yet */
void proc_sigchld(void);		/* reap orphans (or after SPAWNs) */
/* main.c: poll p's pidfd and reap it then (holds a reference) */
void proc_reap_later(struct proc *p);

/* handles.c */
struct proc {
	struct proc *all_next, *all_prev;	/* every unreaped or held proc */
	int refs;
	pid_t pid;		/* also its process group id */
	int pidfd;
	int fds[3];		/* stdin (ours to write), stdout, stderr */
	int exited;		/* status read (WNOWAIT); a zombie until reaped */
	int reaped;		/* only at RELEASE or session end */
	int status;		/* waitpid status once exited */
	int pty;		/* fds[0] and fds[1] are one pty master */
	int starting;		/* SPAWN not answered yet: no handle yet */
	int released;		/* RELEASE: its pending calls are cancelled */
};

int proc_table_add(struct proc *p);	/* handle or -EAGAIN when full */
struct proc *proc_lookup(int64_t h);	/* NULL: -EBADF */
struct proc *proc_table_remove(int64_t h);
struct proc *proc_ref(struct proc *p);
void proc_unref(struct proc *p);
extern struct proc *all_procs;

int file_table_add(int fd);		/* handle or -EMFILE when full */
int file_lookup(int64_t h);		/* fd, or -1: -EBADF */
int file_table_remove(int64_t h);	/* the fd, or -1 */
int file_table_full(void);

/* policy.c: this session's rules, from shadowd on fd 5 */
struct mod_allow {
	char name[HC_MODULE_NAME_MAX + 1];
	uint32_t lo, hi;	/* versions (major << 16 | minor) allowed */
};

struct shadow_policy {
	char vm[64];
	unsigned modules;	/* MOD_BIT(MOD_*): built-ins it may bind */
	struct mod_allow *mods;	/* what this guest user may bind */
	int nmods;
	char module_dir[256];	/* plugins: NAME.so there */
	uint32_t guest_uid, guest_gid, guest_pid;	/* the session's opener */
	char guest_comm[16];
	int root_allowed;	/* a rule named root: uid 0 is intended */
	unsigned max_procs, max_files, max_bytes, cpu;
	unsigned max_sockets;	/* sock module handles */
	int commands_listed;	/* only the listed commands may run */
	char **commands;
	int ncommands;
	int env_listed;		/* only these guest env names pass */
	char **env;
	int nenv;
	char **roots;		/* fs module confined beneath these */
	int nroots;
	char **helpers;		/* listed programs may execute these too */
	int nhelpers;
};
extern struct shadow_policy pol;
/* Read the rules from fd (then closed); defaults if fd is not open. */
int policy_read(int fd);
/* May this session bind name at version (major << 16 | minor)? */
int policy_module_allowed(const char *name, uint32_t version);
/* Is name in the list at all (a plugin to load)? */
int policy_module_named(const char *name);
void policy_release(void);

/* audit.c: one line to shadowd's audit trail (fields: " key=value"...) */
void shadow_audit_init(void);		/* first thing: is fd 6 the socket? */
void shadow_audit(const char *event, const char *fields);
/* The launcher: audit on fd instead, and wait rather than drop. */
void shadow_audit_move(int fd);
/* A limit refused something (or stopped pid): audit it, return err. */
int shadow_audit_limit(const char *limit, pid_t pid, int err);

/* cmdpolicy.c: may argv[0] run, and as which program? 0 with path ""
 * (search PATH as usual) or the program to execute; -EPERM when the
 * policy's command list does not name it; -ENOENT when it names it but
 * it is not installed. */
int cmd_resolve(const struct shadow_policy *p, const char *argv0,
		char *path, size_t n);
/* The program a command list entry names: 0 or -ENOENT. */
int cmd_program(const char *entry, char *path, size_t n);
/* May the guest set this environment entry ("NAME=value") for a host
 * command? The policy's env list; without one, everything, unless a
 * command list is in force: then only a few harmless names (locale,
 * terminal, time zone), so that LD_PRELOAD and friends cannot turn a
 * listed program into another one. */
int env_allowed(const struct shadow_policy *p, const char *entry);

/* fsroot.c: the fs module beneath the policy's roots */
int fsroot_init(void);			/* open the roots, chdir to the first */
int fsroot_on(void);			/* is the fs module confined? */
/* Where path lies: a root's fd and the path relative to it (rel has
 * PATH_MAX bytes). -EPERM outside every root. */
int fsroot_locate(const char *path, int *dfd, char *rel);
/* openat2 beneath the roots: an fd, or -EPERM (audited as op) for a
 * path outside them or an escape by ".." or a symlink, or -errno. */
int fsroot_open(const char *op, const char *path, int flags, mode_t mode);
/* The parent directory (an O_PATH fd the caller closes) and the last
 * component of path (last has NAME_MAX + 1 bytes): 0 or as above. */
int fsroot_parent(const char *op, const char *path, int *pfd, char *last);
/* A refused path: audit it; returns -EPERM. */
int fsroot_refused(const char *op, const char *path);
#define RESOLVE_SHADOW	(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS)

/* launcher.c: the unconfined same-user helper that starts commands */
struct launch_result {
	int err;		/* 0 or a positive errno */
	pid_t pid;		/* the command (our child), or 0 */
	int fds[3];		/* stdin, stdout, stderr (or the pty master) */
};
int launcher_start(void);		/* before the filter; 0 or -errno */
void launcher_stop(void);
pid_t launcher_pid(void);		/* 0 when not running */

/* orphans.c: the shadow as subreaper of everything its commands start */
int orphans_init(void);			/* before the launcher; 0 or -errno */
void orphans_reap(void);		/* SIGCHLD: reap exited orphans */
void orphans_kill_all(void);		/* session end: no descendant left */
/* Ask for a command: the flags and size of HC_PROC_SPAWN, argv and the
 * complete environment, stdin_fd for HC_SPAWN_F_STDIN_PROC (else -1).
 * 0, or -errno of the channel. The replies come in the order asked, each
 * when launcher_fd() is readable (the launcher waits for the command's
 * execve, which a hung cwd can delay): launcher_recv() reads the next,
 * 0 with *res filled (res->err may be set), or -errno of the channel. */
int launcher_send(unsigned flags, uint16_t rows, uint16_t cols,
		  const char *cwd, char *const argv[], char *const envp[],
		  int stdin_fd);
int launcher_recv(struct launch_result *res);
int launcher_fd(void);			/* -1 when not running */

/* landlock.c: with a command list, execution confined to it */
/* The ruleset (an fd) for p, or -EOPNOTSUPP without Landlock, -errno. */
int exec_ruleset(const struct shadow_policy *p);
/* Enforce it on the calling process and all it starts: 0 or -errno. */
int exec_confine(int ruleset);

/* execwatch.c: the launcher audits every execve of what it started */
void execwatch_allow(const char *path);	/* landlock.c's rules, again */
/* Notifications for execve, answered by a thread; launching: where
 * clone puts the pid of the launcher's newest child. 0 or -errno. */
int execwatch_start(const volatile pid_t *launching);

/* confine.c */
/* only the io_uring ops the shadow uses (opens with the fs module) */
int ring_restrict(struct io_uring *r, unsigned modules);
int confine(void);
/* seccomp.c: the shadow's syscall filter (also used by a unit test).
 * Without the fs module, opens are allowed only with exactly these
 * flags (a directory as O_PATH), and only with the proc module. */
#define SHADOW_DIR_OPEN	(O_PATH | O_DIRECTORY | O_CLOEXEC)
int seccomp_apply(unsigned modules);
/* The resolver helper's (sock_resolver.c): everything but what a name
 * lookup never needs (exec, serving, signalling others, changing files,
 * the shadow's deadly list). 0 or -errno. */
int seccomp_resolver(void);

#endif
