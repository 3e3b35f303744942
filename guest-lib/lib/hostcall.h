/* SPDX-License-Identifier: MIT */
/*
 * libhostcall: C API for host-calls from a guest program.
 *
 *   #include <hostcall.h>          pkg-config --cflags --libs hostcall
 *
 * A session (hc_session) is one open /dev/hostcall: one shadow process on
 * the host, running as the host user this guest user maps to. Closing the
 * session ends the shadow and everything it started (host processes, open
 * host files).
 *
 * The data path. hc_open() maps queue pair 1 of the session's window (the
 * memory the session shares with its shadow, Documentation/window.md), and
 * each call is then an entry in it: no system call while the shadow polls,
 * its data copied once into the window (or not at all: hc_buf_alloc). Calls
 * go through the /dev/hostcall ioctl instead when the window is absent (a
 * driver without it, HOSTCALL_WINDOW=0 in the environment, a forked child)
 * or has no room (64 calls in flight, its 500 KiB of buffers taken); both
 * paths give the same results. hc_direct() says which one a session uses.
 *
 * Threads. A session may be used by many threads at once: each call is
 * answered to its own caller (completions are matched by tag), a call that
 * blocks on the host (a read of a silent pipe) holds up no other thread's,
 * and the calls of one thread happen in order. A fork()ed child keeps the
 * session (the same shadow) but not its window: its calls use the ioctl,
 * and the parent's window buffers are not mapped in it. Functions are not
 * async-signal-safe (a mutex guards the window): in a signal handler use
 * ioctl(hc_fd(), HOSTCALL_IOC_CALL, ...).
 *
 * Conventions
 *  - hc_open() returns NULL and sets errno on failure; it is the only
 *    function that uses errno.
 *  - Every other function returns >= 0 on success or a negative errno
 *    value (-ENOENT, -EINTR, ...). Errors from the host (the host system
 *    call failed) and local errors (ENODEV: the device went away; EIO:
 *    device error) come back the same way.
 *  - Signals: -EINTR means a signal (with a handler without SA_RESTART)
 *    came before the host did anything: nothing happened, retrying is
 *    safe. A signal while the host worked does not change the result: a
 *    read or write returns what moved (maybe a short count), a spawn or
 *    open its handle. Nothing is retried here, so callers see signals.
 *    Through the window: a call is on the host once submitted, so a signal
 *    that interrupts its wait sends the host a cancel for it and the wait
 *    goes on for its real answer (-EINTR only if that is "cancelled before
 *    it started"); SA_RESTART and ignored signals just go on waiting. A
 *    signal in the first microseconds, while the library polls for the
 *    answer instead of sleeping, runs its handler without interrupting.
 *  - Pointers are used as memcpy(3) uses them: a bad one faults in the
 *    caller (the ioctl path answered -EFAULT); NULL with a length > 0 is
 *    -EFAULT.
 *  - Reads and writes longer than HC_MAX_DATA (128 KiB) are clamped: they
 *    transfer at most HC_MAX_DATA bytes and return the short count, as
 *    write(2) may. Loop for more.
 *  - Strings passed to the host are NUL-terminated C strings.
 *  - errno values, open(2) flags, modes, signal numbers and wait statuses
 *    are Linux x86-64 values on both sides, so <fcntl.h>, <signal.h> and
 *    <sys/wait.h> macros apply to them directly.
 */
#ifndef HOSTCALL_H
#define HOSTCALL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "hostcall_abi.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) && __GNUC__ >= 4
#define HC_API __attribute__((visibility("default")))
#else
#define HC_API
#endif

typedef struct hc_session hc_session;

/* ---- sessions ------------------------------------------------------------ */

/*
 * Open a session on $HOSTCALL_DEVICE if set, else /dev/hostcall.
 * NULL with errno set on failure (ENOENT: no device node, EHOSTDOWN: the
 * host refused or could not start a shadow, EACCES, ...).
 */
HC_API hc_session *hc_open(void);
/* Open a session on a given device node (e.g. /dev/hostcall1). */
HC_API hc_session *hc_open_path(const char *path);
/* The device path hc_open() would use. */
HC_API const char *hc_default_device(void);
/* End the session; ends its shadow and what it started. NULL is a no-op. */
HC_API void hc_close(hc_session *hc);
/* The session's file descriptor (close-on-exec). */
HC_API int hc_fd(const hc_session *hc);

/*
 * Generic call: fills call->result (the host's answer: >= 0 or -errno) and
 * call->out_used. Returns 0 when the call completed (whatever its result),
 * or a negative errno for a local failure (-EINTR: nothing happened,
 * -E2BIG, -EINVAL, -EFAULT, -ENODEV, -EIO). module is a handle from
 * hc_bind(), or HC_MOD_SESSION for HC_SESSION_BIND, UNBIND and MODULES
 * only. flags: HOSTCALL_CALL_F_SHORT for a call whose answer may be a
 * short count.
 */
HC_API int hc_call(hc_session *hc, struct hostcall_ioc_call *call);

/*
 * Convenience: one call with scalar args and optional buffers. Returns the
 * host's result (>= 0 or -errno) or a local -errno. *out_used, if not NULL,
 * receives the bytes the host wrote to out.
 */
HC_API int64_t hc_call4(hc_session *hc, unsigned module, unsigned op,
			int64_t a0, int64_t a1, int64_t a2, int64_t a3,
			const void *in, size_t in_len, void *out, size_t out_len,
			uint32_t *out_used);

/* ---- host modules by name and version -------------------------------------- */

/*
 * Bind the host module name (1..HC_MODULE_NAME_MAX bytes of [a-z0-9_-]) as
 * built for version major.minor: a handle > 0 to call it with hc_rpc(),
 * valid in this session (and its forked children) until hc_unbind().
 * Errors: -ENOENT no such module on the host (or not loaded for this
 * session), -EPROTO the host's major differs or its minor is lower,
 * -EPERM the host's policy refuses this guest user (audited), -EMFILE the
 * session's HC_MAX_BINDINGS are used, -EINVAL a bad name. Binding a bound
 * module again returns the same handle and counts a reference.
 * hc_bind_info() also returns the host's version and function count.
 */
HC_API int hc_bind(hc_session *hc, const char *name, unsigned major,
		   unsigned minor);
HC_API int hc_bind_info(hc_session *hc, const char *name, unsigned major,
			unsigned minor, struct hc_bind_info *info);
/* Drop one reference: 0, or -EBADF if handle is not bound. The last one
 * ends the module's state for this session. */
HC_API int hc_unbind(hc_session *hc, int handle);
/*
 * Call function fn (1..nfuncs) of a bound module with args (NULL: all 0),
 * in_len bytes of in and up to out_len bytes of output into out; through
 * the window when mapped, else the ioctl, with the semantics of every
 * call (a signal: -EINTR only if nothing happened). Returns the
 * function's result (>= 0 or -errno) or a local -errno; -EBADF for a
 * handle not bound, -ENOSYS for a function the module does not have.
 * *out_used (NULL ok) gets the output bytes.
 */
HC_API int64_t hc_rpc(hc_session *hc, int handle, unsigned fn,
		      const int64_t args[4], const void *in, size_t in_len,
		      void *out, size_t out_len, size_t *out_used);
/* What this session may bind, as the host lists it (HC_SESSION_MODULES):
 * per module "NAME MAJOR.MINOR\n", then "\tN FUNCTION\n" per function; into
 * buf, NUL-terminated. Returns its length, -ERANGE if it does not fit. */
HC_API ssize_t hc_modules(hc_session *hc, char *buf, size_t size);

/* The kick's name, as hc_transport_str(): "hypercall-eventfd (kvm)",
 * "doorbell-ioeventfd (kvm)", "hypercall (tcg)", ... or "none". */
HC_API const char *hc_transport_name(unsigned transport);

/* 1 if this session's calls go through its mapped window (no system call
 * while the shadow polls), 0 if through the ioctl. */
HC_API int hc_direct(const hc_session *hc);

/* ---- zero copy: buffers in the window --------------------------------------- */

/*
 * A buffer of len bytes (at most HC_MAX_DATA) in the session's window. Any
 * call given a window buffer as its input or output (hc_proc_write,
 * hc_fs_read, hc_call ...) moves the data there and back with no copy in
 * the guest: the shadow reads and writes it in place. Keep it untouched
 * while a call uses it. Without a window (or without room in its 500 KiB
 * data area, which ordinary calls need too: hold little) this is malloc()
 * memory and the calls copy as usual, so a program need not care. NULL
 * only when malloc() fails. Not inherited by a forked child.
 */
HC_API void *hc_buf_alloc(hc_session *hc, size_t len);
/* Free what hc_buf_alloc() gave (NULL is a no-op). */
HC_API void hc_buf_free(hc_session *hc, void *buf);
/* 1 if [buf, buf + len) lies in the session's window (calls on it are
 * zero copy), 0 otherwise. */
HC_API int hc_buf_in_window(const hc_session *hc, const void *buf,
			    size_t len);

/* ---- "sys" (bound at the first use) ---------------------------------------- */

/* Echo len bytes of in through the host into out (may be NULL). Returns
 * the bytes echoed. len is clamped to HC_MAX_DATA. */
HC_API int hc_ping(hc_session *hc, const void *in, void *out, size_t len);

struct hc_info {
	struct hostcall_ioc_info dev;	/* driver's view: transport, session */
	struct hc_sys_info sys;		/* host's view: user, hostname, cwd */
};
/* Both views at once; 0 or -errno. */
HC_API int hc_info(hc_session *hc, struct hc_info *info);
/* Only the driver's view (no host round trip). */
HC_API int hc_dev_info(hc_session *hc, struct hostcall_ioc_info *info);
/* Host CLOCK_REALTIME. */
HC_API int hc_time(hc_session *hc, struct hc_timespec *ts);
/* Change the shadow's host working directory. */
HC_API int hc_chdir(hc_session *hc, const char *path);
/* Host cwd into buf, NUL-terminated; returns its length, -ERANGE when it
 * does not fit in size bytes (NUL included). */
HC_API int hc_getcwd(hc_session *hc, char *buf, size_t size);

/* ---- "proc": host processes (bound at the first use) ----------------------- */

#define HC_STDIN	0
#define HC_STDOUT	1
#define HC_STDERR	2

/*
 * Start argv[0] (looked up in the host PATH, no shell) with argv as given.
 * envp (NULL ok): "NAME=value" entries added to the shadow's environment.
 * cwd (NULL ok): host directory to start in. flags: HC_SPAWN_F_MERGE_ERR
 * (HC_SPAWN_F_CWD is set for you when cwd is given). *pid (NULL ok) gets
 * the host pid, for display. Returns a process handle >= 0, or -ENOENT
 * (command not found), -EACCES (not executable), -E2BIG (argv and env
 * over HC_MAX_DATA), ...
 */
HC_API int hc_proc_spawn(hc_session *hc, char *const argv[],
			 char *const envp[], const char *cwd, unsigned flags,
			 int *pid);
/*
 * As hc_proc_spawn, with the spawn's args[3]: for HC_SPAWN_F_STDIN_PROC the
 * handle whose stdout becomes this process's stdin (connected on the host,
 * as in `!a | !b`); for HC_SPAWN_F_PTY the terminal size, see
 * hc_pty_size(). stdin, stdout and stderr of a pty process are one stream:
 * read it as HC_STDOUT, write it with hc_proc_write().
 */
HC_API int hc_proc_spawn_ex(hc_session *hc, char *const argv[],
			    char *const envp[], const char *cwd, unsigned flags,
			    int64_t arg3, int *pid);
/* The args[3] encoding of a terminal size. */
static inline int64_t hc_pty_size(unsigned rows, unsigned cols)
{
	return ((int64_t)(rows & 0xffff) << 16) | (cols & 0xffff);
}
/* Tell a pty process its terminal size changed. */
HC_API int hc_proc_resize(hc_session *hc, int h, unsigned rows,
			  unsigned cols);
/* Read the process's stdout (HC_STDOUT) or stderr (HC_STDERR): bytes read,
 * 0 at end of stream. Blocks until data arrives. */
HC_API ssize_t hc_proc_read(hc_session *hc, int h, int stream, void *buf,
			    size_t len);
/* Write to its stdin: bytes written (may be short), -EPIPE when the
 * process stopped reading. */
HC_API ssize_t hc_proc_write(hc_session *hc, int h, const void *buf,
			     size_t len);
/* Close the shadow's end of a stream (HC_STDIN: the process sees EOF). */
HC_API int hc_proc_close(hc_session *hc, int h, int stream);
/* Send a signal to the process group. */
HC_API int hc_proc_signal(hc_session *hc, int h, int sig);
/* Wait for exit; *status (NULL ok) gets the waitpid(2) status. */
HC_API int hc_proc_wait(hc_session *hc, int h, int *status);
/* Kill the process group if still running and free the handle. */
HC_API int hc_proc_release(hc_session *hc, int h);
/*
 * A file descriptor bound to one stream of the process (HOSTCALL_IOC_STREAM):
 * HC_STDIN gives a write-only fd, HC_STDOUT/HC_STDERR read-only ones, to
 * hand to a guest program as its stdin or stdout; closing the last copy
 * closes the host end. flags: HC_STREAM_F_CLOEXEC. Returns the fd, or
 * -errno (-ENOTTY: the driver has no stream fds). Release the handle only
 * once the fd is closed: release ends the host side of the stream.
 */
HC_API int hc_proc_stream_fd(hc_session *hc, int h, int stream,
			     unsigned flags);

/* ---- "fs": host files (paths relative to the host cwd) -------------------- */

/* flags: O_* (Linux values); returns a file handle >= 0. */
HC_API int hc_fs_open(hc_session *hc, const char *path, int flags,
		      mode_t mode);
HC_API ssize_t hc_fs_read(hc_session *hc, int fh, void *buf, size_t len);
HC_API ssize_t hc_fs_write(hc_session *hc, int fh, const void *buf,
			   size_t len);
HC_API ssize_t hc_fs_pread(hc_session *hc, int fh, void *buf, size_t len,
			   off_t off);
HC_API ssize_t hc_fs_pwrite(hc_session *hc, int fh, const void *buf,
			    size_t len, off_t off);
HC_API int hc_fs_close(hc_session *hc, int fh);
/* flags: HC_STAT_F_NOFOLLOW (lstat). */
HC_API int hc_fs_stat(hc_session *hc, const char *path, struct hc_stat *st,
		      unsigned flags);
HC_API int hc_fs_fstat(hc_session *hc, int fh, struct hc_stat *st);
/* struct linux_dirent64 records into buf (as getdents64(2)); bytes, 0 at
 * the end. */
HC_API ssize_t hc_fs_readdir(hc_session *hc, int fh, void *buf, size_t len);
HC_API int hc_fs_mkdir(hc_session *hc, const char *path, mode_t mode);
/* flags: HC_UNLINK_F_DIR (rmdir). */
HC_API int hc_fs_unlink(hc_session *hc, const char *path, unsigned flags);
HC_API int hc_fs_rename(hc_session *hc, const char *oldpath,
			const char *newpath);
/* Like readlink(2): target without NUL; returns its length (truncated to
 * size). */
HC_API ssize_t hc_fs_readlink(hc_session *hc, const char *path, char *buf,
			      size_t size);

/* ---- event queues (Documentation/evq.md) ----------------------------------- */

/*
 * A ring of `entries` (a power of 2, 2..65536) events of entry_size bytes
 * (a multiple of 8, 8..4096; header and ring at most HC_EVQ_MAX_BYTES =
 * 128 KiB) in the session's window, shared with a host module: puts and
 * gets are plain memory accesses, with no system call while the other
 * side polls. direction: HC_EVQ_TO_HOST (this program puts, a host module
 * gets) or HC_EVQ_TO_GUEST. A host module reaches the queue by
 * hc_evq_id(), passed to one of its functions. NULL with errno on failure:
 * EINVAL (sizes, direction), EOPNOTSUPP (the session has no window:
 * HOSTCALL_WINDOW=0, a forked child, an old driver), ENOSPC (no room in
 * the window's data area), or what binding "evq" gave (ENOENT, EPERM).
 *
 * Threads: any number may put and get at once. Each successful put is
 * got exactly once (no loss, no duplicate); the events of one producing
 * thread are got in the order it put them; the queue is FIFO in the order
 * puts succeeded. Between several consuming threads, which thread gets
 * which event is not defined. Not async-signal-safe. A fork()ed child
 * cannot use its parent's queues (-ENODEV). No thread may use a queue
 * while or after it is destroyed.
 */
typedef struct hc_evq hc_evq;

#define HC_EVQ_NONBLOCK	0	/* timeout_ms: -EAGAIN at once */
#define HC_EVQ_FOREVER	(-1)

HC_API hc_evq *hc_evq_create(hc_session *hc, unsigned entries,
			     unsigned entry_size, int direction);
/* Tell the host it is gone, give its memory back. NULL is a no-op. */
HC_API int hc_evq_destroy(hc_evq *q);
/* The id to pass to a host module (> 0). */
HC_API int hc_evq_id(const hc_evq *q);
HC_API unsigned hc_evq_entry_size(const hc_evq *q);
/* The queue's header in the window (Documentation/evq.md), for tools and
 * tests: writing it only breaks the queue. */
HC_API struct hc_evq_hdr *hc_evq_header(hc_evq *q);
/*
 * Put one event of len bytes (<= the entry size; the rest of the entry is
 * zeroed) on a to-host queue. timeout_ms: 0 does not wait (-EAGAIN when
 * full), -1 waits for room as long as it takes, else at most that many
 * ms (-ETIMEDOUT). A waiting caller spins a few microseconds, then sleeps
 * until the host takes an entry (HOSTCALL_IOC_WAIT_WORD). 0, or -EINVAL
 * (direction, len), -EIO (the queue is broken: the host saw nonsense
 * indices), -EINTR (a signal; nothing was put), -ECONNRESET (the shadow
 * is gone), -ENODEV.
 */
HC_API int hc_evq_put(hc_evq *q, const void *ev, size_t len, int timeout_ms);
/* Take one event from a to-guest queue into ev (len >= the entry size):
 * the entry size, or -EAGAIN (empty), -ETIMEDOUT, and the rest as put. */
HC_API int hc_evq_get(hc_evq *q, void *ev, size_t len, int timeout_ms);

/* ---- sockets served by the host (Documentation/sock.md) -------------------- */

/*
 * A socket fd for a new host socket (HOSTCALL_IOC_SOCKET): family AF_INET
 * or AF_INET6, type SOCK_STREAM or SOCK_DGRAM with SOCK_NONBLOCK and
 * SOCK_CLOEXEC as socket(2). read, write, poll, select, epoll, fcntl, dup,
 * fork and close work on it natively; the other socket calls are
 * hc_sock_call(). It keeps the session alive: hc_close() may come first.
 * The fd, or -errno: the host's (-EAFNOSUPPORT, -EMFILE for max-sockets,
 * -EPERM/-ENOENT when "sock" may not be bound) or a local one.
 */
HC_API int hc_socket(hc_session *hc, int family, int type, int protocol);
/*
 * One "sock" function (enum hc_sock_fn, not SOCKET, CLOSE or GETADDRINFO)
 * on socket fd: a1..a3 are its args[1..3] (the handle is the fd's;
 * HC_SOCK_F_NONBLOCK is added for an O_NONBLOCK fd). flags: ACCEPT's
 * SOCK_NONBLOCK | SOCK_CLOEXEC. Returns the host's result (ACCEPT: the new
 * fd) or -errno, the host's or a local one (-ENOTTY: fd is not a socket
 * fd, -EINTR: interrupted before the host did anything). *out_used (NULL
 * ok) gets the output bytes.
 */
HC_API int64_t hc_sock_call(int fd, unsigned fn, int64_t a1, int64_t a2,
			    int64_t a3, unsigned flags, const void *in,
			    size_t in_len, void *out, size_t out_len,
			    size_t *out_used);
/* 0 and *info if fd is a socket fd, else -ENOTTY (or -EBADF). */
HC_API int hc_sock_info(int fd, struct hostcall_ioc_sock_info *info);
/*
 * The host resolver (GETADDRINFO): node and service as getaddrinfo(3)
 * (either NULL, not both), hints' family, socktype and flags; up to max
 * records into ai. Their count, or an EAI_* code (< 0, as getaddrinfo
 * returns: EAI_NONAME, EAI_AGAIN, ...; EAI_SYSTEM with errno set for a
 * local failure). "host.internal" is the host's loopback.
 */
HC_API int hc_getaddrinfo(hc_session *hc, const char *node,
			  const char *service, int family, int socktype,
			  int flags, struct hc_sock_ai *ai, unsigned max);

#ifdef __cplusplus
}
#endif

#endif /* HOSTCALL_H */
