/* SPDX-License-Identifier: MIT */
/* The test client (client.c): QEMU's side of the host protocol, checks. */
#ifndef HC_TEST_CLIENT_H
#define HC_TEST_CLIENT_H

#include <stdint.h>
#include <sys/types.h>
#include "hostcall_proto.h"

#define TIMEOUT_MS	10000
#define NO_REPLY	INT64_MIN	/* timeout or EOF */

/* ---- reporting ---- */
extern const char *build;		/* BUILD dir with shadowd */
extern int failures;
void pass(const char *name);
void __attribute__((format(printf, 2, 3)))
fail(const char *name, const char *fmt, ...);
void skip(const char *name, const char *why);
#define CHECK(name, cond, ...) \
	do { if (cond) pass(name); else fail(name, __VA_ARGS__); } while (0)

/* ---- processes ---- */
void reap_any(void);			/* we are a subreaper */
void msleep(int ms);
int gone_within(pid_t pid, int ms);	/* 1 when pid is gone in time */

/* shadowd --private --fd 3 [extra...]; our end of the socketpair in *ctl */
pid_t start_shadowd(const char *const extra[], int *ctl);
/* The same with --config test_policy when write_test_policy() ran. */
pid_t start_private(int *ctl);
extern const char *test_policy;
/* A policy mapping everything to the test's own user, by name. */
void write_test_policy(void);
void remove_test_policy(void);
int connect_to(const char *path);	/* a SEQPACKET socket or -1 */

/* ---- control connection ---- */
extern uint64_t next_tag;
/* bytes, -ETIMEDOUT or -errno; *passed_fd gets an SCM_RIGHTS fd or -1 */
int recv_timeout(int fd, void *buf, size_t n, int *passed_fd);
int hello(int ctl, uint32_t version);	/* vm "testvm"; HELLO_OK status */
int hello_vm(int ctl, uint32_t version, const char *vm);
/* HCP_OPEN for guest uid (gid = uid, pid 4242, comm "tester"): status */
int open_session(int ctl, uint32_t session, uint32_t guest_uid,
		 struct hc_session_info *info, int *fd);
int open_session_id(int ctl, uint32_t session, const struct hc_identity *id,
		    struct hc_session_info *info, int *fd);

/* ---- session connection and window (qp.c) ---- */
struct reply {
	uint64_t tag;
	int64_t result;
	uint32_t len;
	unsigned char *data;
};

/* A call in a queue pair: its entry's tag and its data's place. */
struct slot {
	uint64_t tag;
	uint32_t off, len;	/* the region: input, then output */
	uint32_t out_off, out_len;
	int used;
	int internal;		/* a CANCEL entry: its completion is ours */
};

/* The guest's view of one queue pair. */
struct gqp {
	uint32_t prod, cons;	/* sq_prod, cq_cons: ours */
	struct slot slots[2 * HC_QP_ENTRIES];
};

struct sess {
	int fd;
	uint32_t id;
	struct reply stash[64];
	int nstash;
	int eof;
	/* The fake QEMU's window, sent at the first call (sess_attach):
	 * the test plays the guest on it. */
	unsigned char *win;
	int kick, irq;		/* eventfds: we write kicks, read irqs */
	int qp;			/* the queue pair calls go to */
	struct gqp q[2];
	unsigned kicks, irqs;	/* what we did and saw */
	int spin_us;		/* look this long before waiting (0) */
	int64_t handles[3];	/* T_SYS, T_PROC, T_FS once bound */
};

/* The built-in modules as the tests name them: send_call binds "sys",
 * "proc" or "fs" 1.0 in the session at its first use and sends the
 * handle (a refused bind is the call's answer). */
#define T_SYS		0xff01
#define T_PROC		0xff02
#define T_FS		0xff03
/* T_SYS, T_PROC, T_FS: the handle (bound at the first use); other
 * values as they are. */
int64_t sess_handle(struct sess *s, uint16_t mod);
/* HC_SESSION_BIND: a handle or -errno; info (may be NULL) filled. */
int64_t sess_bind(struct sess *s, const char *name, unsigned major,
		  unsigned minor, struct hc_bind_info *info);

/* Create the window (a sealed memfd, two eventfds) and send HCP_WINDOW:
 * 0 or -errno. send_call does it when a session has none yet. */
int sess_attach(struct sess *s);
/* A raw HCP_WINDOW: the given fds (nfds of them, -1 skipped) and size. */
int send_window(int sock, uint32_t session, const int *fds, int nfds,
		uint32_t size);
struct hc_qp_ctl *sess_ctl(struct sess *s, int qp);
/* An entry as it is (no data placed): 0, -EAGAIN when the SQ is full. */
int submit_sqe(struct sess *s, int qp, const struct hc_sqe *e);
/* Place len bytes in qp's data area for a raw entry: the offset. */
uint32_t sess_data(struct sess *s, int qp, const void *data, uint32_t len);

extern int64_t next_a3;		/* args[3] of the next call sent */

int send_call(struct sess *s, uint64_t tag, uint16_t mod, uint16_t op,
	      int64_t a0, int64_t a1, int64_t a2, const void *in,
	      size_t in_len, uint32_t out_max);
/* A CANCEL entry for tag in the same queue pair (its own completion is
 * consumed here). */
int send_cancel(struct sess *s, uint64_t tag);
/* The next completion of either queue pair: 0, -ETIMEDOUT, or
 * -ECONNRESET once the shadow is gone (fd 3 at EOF). */
int recv_reply(struct sess *s, int ms, struct reply *r);
int next_reply(struct sess *s, int ms, struct reply *r);
int64_t wait_reply(struct sess *s, uint64_t tag, int ms,
		   unsigned char **out, uint32_t *out_len);
/* A synchronous call; out (if any) is a malloc'd copy, NUL-terminated. */
int64_t call(struct sess *s, uint16_t mod, uint16_t op, int64_t a0,
	     int64_t a1, int64_t a2, const void *in, size_t in_len,
	     uint32_t out_max, unsigned char **out, uint32_t *out_len);
int64_t call0(struct sess *s, uint16_t mod, uint16_t op, int64_t a0,
	      int64_t a1, const void *in, size_t in_len);
int64_t path_call(struct sess *s, uint16_t mod, uint16_t op,
		  int64_t a0, int64_t a1, const char *path);
void sess_close(struct sess *s);
/* Spawn: argv and env NULL-terminated; handle or -errno. */
int64_t spawn(struct sess *s, const char *cwd, char *const argv[],
	      char *const env[], unsigned flags, pid_t *pid);
/* The same with args[3] (F_STDIN_PROC's handle, F_PTY's size). */
int64_t spawn4(struct sess *s, const char *cwd, char *const argv[],
	       char *const env[], unsigned flags, int64_t a3, pid_t *pid);
/* Read a stream to EOF: bytes (malloc'd, NUL-terminated *data) or -errno. */
int64_t read_all(struct sess *s, int64_t h, int stream, char **data);

#endif
