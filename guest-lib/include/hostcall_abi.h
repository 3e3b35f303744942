/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * hostcall guest ABI: the one definition of what crosses the guest/host line.
 *
 *   1. host-call modules, op codes and their payloads   (guest program <-> shadow)
 *   2. the PCI device: registers, control ring           (guest driver <-> QEMU)
 *   2b. the session window: queue pairs in shared memory (guest <-> shadow)
 *   2c. event queues in the window                       (guest <-> host module)
 *   3. the /dev/hostcall ioctls                           (guest program <-> driver)
 *
 * Included by the guest driver (kernel), libhostcall, QEMU's -device hostcall
 * and the host shadow. Fixed-size little-endian fields only; the guest and the
 * host are both x86-64 Linux, so errno numbers, open(2) flags, signal numbers,
 * wait statuses and struct linux_dirent64 use Linux x86-64 values as they are.
 * Documentation/guest-abi.md explains every item.
 */
#ifndef HOSTCALL_ABI_H
#define HOSTCALL_ABI_H

#include <linux/types.h>
#include <linux/ioctl.h>

/* 2: the session window data path; 3: modules bound by name (BIND) */
#define HC_ABI_VERSION		3

/* ---- 1. Modules and operations ------------------------------------------ */

/*
 * A call names a module and an op, carries four scalar arguments, an input
 * buffer (bytes sent to the host) and an output buffer (bytes the host may
 * fill). Its result is >= 0 on success or a negative Linux errno.
 * Each buffer is at most HC_MAX_DATA bytes; bigger transfers are split.
 */
#define HC_MAX_DATA		(128 * 1024)

/*
 * The module of a call is a handle: 0 is the session module below; every
 * other module is named and versioned on the host and reached through the
 * handle HC_SESSION_BIND returns (sys, proc and fs are built-in host
 * modules, each 1.0, whose functions are the HC_SYS_*, HC_PROC_* and
 * HC_FS_* numbers below). An unbound handle answers -EBADF, a function
 * the module does not have -ENOSYS.
 */
#define HC_MOD_SESSION		0

/* The built-in host modules' names and versions. */
#define HC_SYS_MODULE		"sys"
#define HC_PROC_MODULE		"proc"
#define HC_FS_MODULE		"fs"
#define HC_BUILTIN_MAJOR	1
#define HC_BUILTIN_MINOR	0

/* HC_MOD_SESSION: session life cycle (OPEN, CLOSE: the driver only) and
 * the session's bindings. */
enum hc_session_op {
	/* in: struct hc_identity; out: struct hc_session_info;
	 * result: the new session id (> 0). */
	HC_SESSION_OPEN		= 1,
	/* session field names it; ends the shadow and all it started. */
	HC_SESSION_CLOSE	= 2,
	/* Window only (an sqe): args[0]: tag of a pending call of the same
	 * queue pair to cancel. The cancelled call completes with -ECANCELED
	 * if it had done nothing, else with its own result (a short count if
	 * bytes had moved); this call completes at once with 0. */
	HC_SESSION_CANCEL	= 3,
	/*
	 * Window or ioctl. in: a module name (1..HC_MODULE_NAME_MAX bytes of
	 * [a-z0-9_-], no NUL); args[0]: major, args[1]: minor the caller was
	 * built for. result: a handle (1..HC_MAX_BINDINGS - 1), the `module`
	 * of later calls to it; out (optional): struct hc_bind_info.
	 * -ENOENT: no such module (or not visible to this session), -EPROTO:
	 * its major differs or its minor is lower, -EPERM: the policy refuses
	 * (audited), -EMFILE: the session's bindings are full, -EINVAL: a bad
	 * name. Binding a bound module again gives the same handle and counts
	 * a reference (the driver and libhostcall share one binding).
	 */
	HC_SESSION_BIND		= 4,
	/* args[0]: handle. Drops a reference; the last one ends the module's
	 * state in this session. -EBADF if not bound. */
	HC_SESSION_UNBIND	= 5,
	/* out: what this session may bind, as text: per module a line
	 * "NAME MAJOR.MINOR\n", then per function "\tN NAME\n".
	 * result: bytes; -ENOSPC if out is too small. */
	HC_SESSION_MODULES	= 6,
	HC_SESSION_OP_END	/* keep last: one past the last op */
};

/* HC_SESSION_CANCEL args[1]: the caller is gone: whatever the cancelled
 * call created (a process, a file handle, a binding) is released by the
 * shadow once it completes. */
#define HC_CANCEL_F_UNDO	(1u << 0)

#define HC_MODULE_NAME_MAX	31
#define HC_MAX_BINDINGS		64

struct hc_bind_info {
	__u16 major;		/* the host module's version */
	__u16 minor;
	__u16 nfuncs;		/* functions 1..nfuncs */
	__u16 reserved;
};

/* "sys" 1.0 */
enum hc_sys_op {
	HC_SYS_PING	= 1,	/* in echoed to out; result: bytes echoed */
	HC_SYS_INFO	= 2,	/* out: struct hc_sys_info */
	HC_SYS_TIME	= 3,	/* out: struct hc_timespec (host CLOCK_REALTIME) */
	HC_SYS_CHDIR	= 4,	/* in: path; changes the shadow's host cwd */
	HC_SYS_GETCWD	= 5,	/* out: host cwd (no NUL); result: length */
	HC_SYS_OP_END		/* keep last: one past the last op */
};

/* "proc" 1.0: host processes. A process handle is an int >= 0; once
 * released, the same number is not given out again soon. */
enum hc_proc_op {
	/*
	 * args[0]: argc (>= 1), args[1]: envc, args[2]: HC_SPAWN_F_* flags.
	 * in: [cwd\0 if HC_SPAWN_F_CWD] argv[0]\0 ... argv[argc-1]\0
	 *     env[0]\0 ... env[envc-1]\0     (env entries are "NAME=value")
	 * env entries are added to (or replace) the shadow's environment.
	 * argv[0] is looked up in the host PATH; no shell is involved.
	 * out: struct hc_spawn_info. result: process handle.
	 * A command that cannot be executed fails the spawn with its execve
	 * errno (ENOENT: command not found, EACCES: not executable).
	 */
	HC_PROC_SPAWN	= 1,
	/* args[0]: handle, args[1]: stream (1 stdout, 2 stderr);
	 * out: data; result: bytes read, 0 at end of stream. */
	HC_PROC_READ	= 2,
	/* args[0]: handle, args[1]: 0 (stdin); in: data; result: bytes
	 * written (may be short; -EPIPE once the reader is gone). */
	HC_PROC_WRITE	= 3,
	/* args[0]: handle, args[1]: stream; closes the shadow's end. */
	HC_PROC_CLOSE	= 4,
	/* args[0]: handle, args[1]: signal; sent to the process group. */
	HC_PROC_SIGNAL	= 5,
	/* args[0]: handle; waits for exit; result: wait status as
	 * waitpid(2) encodes it (WIFEXITED/WEXITSTATUS/WTERMSIG apply). */
	HC_PROC_WAIT	= 6,
	/* args[0]: handle; kills the process group if still running and
	 * frees the handle. */
	HC_PROC_RELEASE	= 7,
	/* args[0]: handle, args[1]: (rows << 16) | cols; for a pty process. */
	HC_PROC_RESIZE	= 8,
	HC_PROC_OP_END		/* keep last: one past the last op */
};

#define HC_SPAWN_F_CWD		(1u << 0)	/* in starts with a cwd */
#define HC_SPAWN_F_MERGE_ERR	(1u << 1)	/* stderr goes to stdout */
/* stdin is the stdout of process handle args[3] of the same session,
 * connected on the host (!a | !b); that handle's stdout can no longer be
 * read by the guest. */
#define HC_SPAWN_F_STDIN_PROC	(1u << 2)
/* stdin, stdout and stderr are one pty (read it as stream 1, write it as
 * stream 0); args[3] = (rows << 16) | cols. Excludes F_STDIN_PROC. */
#define HC_SPAWN_F_PTY		(1u << 3)

/* "fs" 1.0: host files. A file handle is a small int >= 0. Paths are
 * relative to the shadow's host cwd unless absolute. */
enum hc_fs_op {
	HC_FS_OPEN	= 1,	/* in: path; args[0]: O_* flags, args[1]: mode */
	HC_FS_READ	= 2,	/* args[0]: handle; out: data */
	HC_FS_WRITE	= 3,	/* args[0]: handle; in: data */
	HC_FS_PREAD	= 4,	/* args[0]: handle, args[1]: offset; out */
	HC_FS_PWRITE	= 5,	/* args[0]: handle, args[1]: offset; in */
	HC_FS_CLOSE	= 6,	/* args[0]: handle */
	HC_FS_STAT	= 7,	/* in: path; args[0]: HC_STAT_F_*; out: hc_stat */
	HC_FS_FSTAT	= 8,	/* args[0]: handle; out: struct hc_stat */
	/* args[0]: handle of a directory; out: struct linux_dirent64
	 * records; result: bytes, 0 at the end. */
	HC_FS_READDIR	= 9,
	HC_FS_MKDIR	= 10,	/* in: path; args[0]: mode */
	HC_FS_UNLINK	= 11,	/* in: path; args[0]: HC_UNLINK_F_* */
	HC_FS_RENAME	= 12,	/* in: old\0new\0 */
	HC_FS_READLINK	= 13,	/* in: path; out: target (no NUL); result: len */
	HC_FS_OP_END		/* keep last: one past the last op */
};

/* Which session ops exist (the device and the shadow ask this). */
static inline int hc_session_op_valid(__u32 op)
{
	return op >= 1 && op < HC_SESSION_OP_END;
}

#define HC_STAT_F_NOFOLLOW	(1u << 0)
#define HC_UNLINK_F_DIR		(1u << 0)

/* Caller identity: filled in by the guest driver from the kernel, never
 * taken from the caller's own data. */
struct hc_identity {
	__u32 uid;
	__u32 gid;
	__u32 pid;		/* thread group id of the opener */
	__u32 flags;		/* 0 */
	char comm[16];		/* NUL-padded */
};

struct hc_session_info {
	__u32 host_uid;
	__u32 host_gid;
	__s32 shadow_pid;
	__u32 session;
	char host_user[32];	/* NUL-terminated */
};

struct hc_sys_info {
	__u32 abi_version;
	__u32 host_uid;
	__u32 host_gid;
	__s32 shadow_pid;
	char host_user[32];	/* NUL-terminated, each string field */
	char hostname[64];
	char kernel[64];	/* uname -r */
	char cwd[256];
};

struct hc_timespec {
	__s64 sec;
	__s64 nsec;
};

struct hc_spawn_info {
	__s32 pid;		/* host pid, for display only */
	__u32 reserved;
};

struct hc_stat {
	__u64 dev;
	__u64 ino;
	__u32 mode;
	__u32 nlink;
	__u32 uid;
	__u32 gid;
	__u64 rdev;
	__s64 size;
	__s64 blksize;
	__s64 blocks;
	__s64 atime_sec;
	__s64 mtime_sec;
	__s64 ctime_sec;
	__u32 atime_nsec;
	__u32 mtime_nsec;
	__u32 ctime_nsec;
	__u32 reserved;
};

/* ---- 2. The PCI device ---------------------------------------------------- */

#define HC_PCI_VENDOR_ID	0x1234
#define HC_PCI_DEVICE_ID	0x4843	/* "HC" */
#define HC_PCI_REVISION		0x01

/*
 * The host-call hypercall: RAX = HC_HYPERCALL_NR, RBX = the device's token
 * (HC_REG_TOKEN), RCX = HC_KICK_*; result in RAX: 0 or a negative KVM error
 * (-1000 KVM_ENOSYS where the host has no host-call support, -1 KVM_EPERM
 * from guest user mode, -22 KVM_EINVAL for an unknown token or kick).
 * 0x4843 is "HC"; upstream KVM_HC_* numbers are small integers, so the high
 * half keeps this number clear of them.
 */
#define HC_HYPERCALL_NR		0x48430001u
#define HC_KICK_NOTIFY		0	/* new requests in the control ring */
#define HC_KICK_PROBE		1	/* does nothing; tests the transport */
/* RDX = session id: new entries in that session's window (wakes its
 * shadow). Under KVM with the hypercall-eventfd patch the kernel signals
 * the shadow's eventfd itself; QEMU never sees it. */
#define HC_KICK_SESSION		2

/*
 * BAR0: 8 KiB: 32-bit registers in the first 4 KiB, then one 32-bit
 * doorbell per session at HC_REG_SESSION_DOORBELL(id) (any value wakes
 * that session's shadow; an ioeventfd under KVM, so the write exits to the
 * host kernel only). BAR1: MSI-X table (1 vector: control ring and window
 * completions alike). BAR2: 64-bit prefetchable, the session windows:
 * session id N (1..HC_REG_WIN_SLOTS) at (N - 1) * HC_WIN_SIZE, RAM shared
 * with that session's shadow while the session is open.
 */
#define HC_REG_MAGIC		0x00	/* RO: HC_MAGIC */
#define HC_REG_VERSION		0x04	/* RO: HC_ABI_VERSION */
#define HC_REG_FEATURES		0x08	/* RO: HC_F_* */
#define HC_REG_ACCEL		0x0c	/* RO: HC_ACCEL_* */
#define HC_REG_TOKEN		0x10	/* RO: hypercall token, != 0 */
#define HC_REG_STATUS		0x14	/* RO: HC_STATUS_* */
#define HC_REG_ERROR		0x18	/* RO: HC_DEVERR_* of the last error */
#define HC_REG_MAX_DATA		0x1c	/* RO: HC_MAX_DATA */
#define HC_REG_RING_LO		0x20	/* RW: ring guest-physical address */
#define HC_REG_RING_HI		0x24
#define HC_REG_RING_ENTRIES	0x28	/* RW: power of 2, 8..HC_RING_MAX */
#define HC_REG_CTRL		0x2c	/* WO: HC_CTRL_* */
#define HC_REG_DOORBELL		0x30	/* WO: any value kicks (HC_KICK_NOTIFY) */
#define HC_REG_ISR		0x34	/* RC: bit 0 completion (INTx) */
#define HC_REG_MAX_SEGS		0x38	/* RO: HC_MAX_SEGS */
#define HC_REG_WIN_SLOTS	0x3c	/* RO: sessions (windows) in BAR2 */
#define HC_REG_WIN_SIZE		0x40	/* RO: HC_WIN_SIZE */
#define HC_REG_SESSION_DOORBELL(id)	(0x1000 + 4 * ((id) - 1))
#define HC_BAR0_SIZE		0x2000
#define HC_BAR_WINDOWS		2

#define HC_MAGIC		0x4843414cu	/* "HCAL" */

#define HC_F_HYPERCALL		(1u << 0)	/* hypercall kick is served */
#define HC_F_MSIX		(1u << 1)
#define HC_F_WINDOW		(1u << 2)	/* session windows in BAR2 */
/* KVM signals the session's eventfd from the hypercall (HC_KICK_SESSION)
 * without an exit to QEMU: kvm-patch "hypercall eventfd". */
#define HC_F_HC_EVENTFD		(1u << 3)

#define HC_ACCEL_TCG		1
#define HC_ACCEL_KVM		2

#define HC_STATUS_READY		(1u << 0)	/* ring enabled */
#define HC_STATUS_ERROR		(1u << 1)	/* ring broken; reset needed */
#define HC_STATUS_HOST_UP	(1u << 2)	/* shadowd reachable */

#define HC_CTRL_RESET		0	/* stop, end every session */
#define HC_CTRL_ENABLE		1	/* read ring registers and start */

#define HC_DEVERR_NONE		0
#define HC_DEVERR_RING_ADDR	1	/* ring not inside guest RAM */
#define HC_DEVERR_RING_INDEX	2	/* req_prod or cpl_cons out of range */
#define HC_DEVERR_RING_CONFIG	3	/* bad entry count */

#define HC_RING_MAX		1024
#define HC_MAX_SEGS		80	/* per request, inputs and outputs */

/*
 * The control ring carries HC_MOD_SESSION requests only (OPEN, CLOSE):
 * every other call goes through the session's window (section 2b), and
 * the device answers -ENOSYS to it here.
 *
 * Ring layout at HC_REG_RING, guest-physical, contiguous, 4 KiB aligned:
 *   struct hc_ring_hdr;  struct hc_req req[entries];  struct hc_cpl cpl[entries];
 * Indices are free-running u32 counters; slot = index & (entries - 1).
 * The guest owns req_prod and cpl_cons, the device req_cons and cpl_prod.
 * The device never has more than `entries` requests in flight, so a
 * completion slot always exists for what it took.
 */
struct hc_ring_hdr {
	__u32 req_prod;
	__u32 req_cons;
	__u32 cpl_prod;
	__u32 cpl_cons;
	__u32 reserved[12];
};

struct hc_seg {
	__u64 addr;		/* guest-physical */
	__u32 len;		/* > 0; a segment does not cross a 4 KiB page */
	__u32 reserved;
};

struct hc_req {
	__u64 tag;		/* driver's cookie, echoed in the completion */
	__u32 session;		/* 0 for HC_SESSION_OPEN */
	__u16 module;
	__u16 op;
	__s64 args[4];
	__u64 segs;		/* guest-physical address of hc_seg[] */
	__u16 nsegs_in;		/* input segments first ... */
	__u16 nsegs_out;	/* ... then output segments */
	__u32 flags;		/* 0 */
};

struct hc_cpl {
	__u64 tag;
	__s64 result;		/* >= 0, or -errno */
	__u32 out_len;		/* bytes written to the output segments */
	__u32 flags;
	__u64 reserved;
};

#define HC_RING_BYTES(n) (sizeof(struct hc_ring_hdr) + \
			  (n) * (sizeof(struct hc_req) + sizeof(struct hc_cpl)))

/* ---- 2b. The session window ---------------------------------------------- */

/*
 * Each open session has a window: HC_WIN_SIZE bytes of memory shared by
 * the guest (BAR2 slot of its session id) and the session's shadow (the
 * same memfd, mapped by the shadow; never guest RAM, never another
 * session's window). QEMU only creates it, hands it over and marks it
 * dead; calls never pass through QEMU.
 *
 * The window is two queue pairs of HC_QP_SIZE bytes each:
 *   qp 0 (offset 0):           the driver's (ioctl calls, stream fds)
 *   qp 1 (offset HC_QP_SIZE):  the user's: mmap(2) of the session fd at
 *                              offset 0, HC_QP_SIZE bytes (libhostcall)
 * A queue pair, offsets from its start:
 *   HC_QP_CTL_OFF   struct hc_qp_ctl
 *   HC_QP_SQ_OFF    struct hc_sqe sq[HC_QP_ENTRIES]   (guest writes)
 *   HC_QP_CQ_OFF    struct hc_cqe cq[HC_QP_ENTRIES]   (shadow writes)
 *   HC_QP_DATA_OFF  data buffers, HC_QP_DATA_LEN bytes, owned by the guest:
 *                   an entry names its input and output by offset and
 *                   length from the queue pair's start, inside the data
 *                   area. The shadow reads input and writes output there.
 * Indices are free-running u32 counters; slot = index % HC_QP_ENTRIES.
 * Each entry taken yields exactly one completion, and the shadow takes an
 * entry only while sq_cons - cq_cons < HC_QP_ENTRIES, so the completion
 * ring never overflows. The guest must keep an entry's buffers untouched
 * until its completion (it may change them: the shadow copies an entry
 * once, then checks it, and a bad entry fails alone with -EINVAL or
 * -EFAULT). A queue pair whose indices make no sense is broken
 * (HC_QP_BROKEN): the shadow stops serving it; the session lives on.
 *
 * Notification suppression (Documentation/window.md has the full
 * protocol, with its barriers):
 *   guest submits: sqe; wmb; sq_prod++; mb; if (sq_flags & NEED_WAKEUP) kick
 *   shadow sleeps: sq_flags |= NEED_WAKEUP; mb; recheck sq_prod; sleep
 *   guest waits:   cq_flags |= WAITING; mb; recheck cq_prod; sleep
 *   shadow posts:  cqe; wmb; cq_prod++; mb; if (cq_flags & WAITING) irq
 * A kick is HC_KICK_SESSION or the session doorbell; an interrupt is the
 * device's MSI-X vector 0 (the driver scans its sessions' windows).
 */
#define HC_WIN_SIZE		(1u << 20)
#define HC_QP_SIZE		(HC_WIN_SIZE / 2)
#define HC_QP_KERNEL		0
#define HC_QP_USER		1
#define HC_QP_ENTRIES		64
#define HC_QP_CTL_OFF		0x0000
#define HC_QP_SQ_OFF		0x1000
#define HC_QP_CQ_OFF		0x2000
#define HC_QP_DATA_OFF		0x3000
#define HC_QP_DATA_LEN		(HC_QP_SIZE - HC_QP_DATA_OFF)

/* Each field group is written by one side only, on its own cache line. */
struct hc_qp_ctl {
	/* guest */
	__u32 sq_prod;
	__u32 guest_kicks;	/* kicks made (statistics) */
	__u32 pad0[14];
	/* shadow */
	__u32 sq_cons;
	__u32 sq_flags;		/* HC_SQ_* */
	__u32 pad1[14];
	/* shadow */
	__u32 cq_prod;
	__u32 host_wakeups;	/* sleeps ended by a kick (statistics) */
	__u32 host_irqs;	/* interrupts raised (statistics) */
	__u32 pad2[13];
	/* guest */
	__u32 cq_cons;
	__u32 cq_flags;		/* HC_CQ_* */
	__u32 pad3[14];
	/* host (QEMU or the shadow) */
	__u32 state;		/* HC_QP_* */
	__u32 error;		/* HC_QPERR_* when HC_QP_BROKEN */
	__u32 pad4[14];
};

#define HC_SQ_NEED_WAKEUP	(1u << 0)	/* the shadow sleeps: kick */
#define HC_CQ_WAITING		(1u << 0)	/* a guest waiter: interrupt */

#define HC_QP_DEAD		(1u << 0)	/* the shadow is gone (QEMU) */
#define HC_QP_BROKEN		(1u << 1)	/* not served any more (shadow) */

#define HC_QPERR_NONE		0
#define HC_QPERR_SQ_INDEX	1	/* sq_prod - sq_cons > entries */
#define HC_QPERR_CQ_INDEX	2	/* cq_prod - cq_cons > entries */

/* A call. module (a handle) and op as in section 1 (HC_MOD_SESSION:
 * CANCEL, BIND, UNBIND, MODULES). */
struct hc_sqe {
	__u64 tag;		/* the guest's cookie, echoed in the cqe */
	__u16 module;
	__u16 op;
	__u32 flags;		/* 0 */
	__s64 args[4];
	__u32 in_off;		/* from the queue pair's start; */
	__u32 in_len;		/* [off, off + len) inside the data area */
	__u32 out_off;		/* (0, 0 for none); at most HC_MAX_DATA */
	__u32 out_len;		/* each */
};

struct hc_cqe {
	__u64 tag;
	__s64 result;		/* >= 0, or -errno */
	__u32 out_len;		/* bytes written at out_off */
	__u32 flags;		/* 0 */
	__u64 reserved;
};

/* ---- 2c. Event queues ------------------------------------------------------ */

/*
 * An event queue is a ring of fixed-size entries in queue pair 1's data
 * area (Documentation/evq.md), so that a guest program and a host module
 * exchange events with no system call and no exit while the other side
 * polls. The guest places it (64-byte aligned) and creates it with
 * function HC_EVQ_CREATE of the built-in host module "evq" 1.0; host
 * modules reach it by the id that returns. Layout at its offset:
 *   struct hc_evq_hdr                      HC_EVQ_HDR_SIZE bytes
 *   entry[entries], entry_size bytes each  slot = index & (entries - 1)
 * A queue has one direction, fixed at creation: HC_EVQ_TO_HOST (the guest
 * puts, a host module gets) or HC_EVQ_TO_GUEST. Indices are free-running
 * u32 counters, prod - cons <= entries. Each cache line of the header is
 * written by one side only: the producer's (prod, prod_flags), the
 * consumer's (cons, cons_flags) and the host's (state, error).
 *
 * A side that sleeps until the other one moves its index says so in its
 * own flags word: HC_EVQ_NEED_WAKEUP when it is the host's (the shadow:
 * the guest kicks after moving its index, HOSTCALL_IOC_KICK), HC_EVQ_WAITING
 * when it is a guest's (the shadow raises the session interrupt after
 * moving its index). The bits above HC_EVQ_SLEEPS_SHIFT count that side's
 * sleeps: the other side notifies once per value (a kick or interrupt
 * already sent for this sleep is on its way). The protocol is window.md's,
 * per queue:
 *   put:   entry; wmb; prod++; mb; if (cons_flags & the consumer's flag) notify
 *   get:   p = prod; rmb; copy the entry once; cons++ (release);
 *          mb; if (prod_flags & the producer's flag) notify
 *   sleep: own flags |= flag; mb; recheck the other index; sleep
 * The shadow treats the header as hostile: indices read once per use,
 * prod - cons > entries breaks the queue (state HC_EVQ_BROKEN, its own
 * index then flipped in bit 31 so that a guest sleeping on it wakes).
 */
#define HC_EVQ_MODULE		"evq"	/* the built-in host module */
#define HC_EVQ_MAJOR		1
#define HC_EVQ_MINOR		0

enum hc_evq_fn {
	/* args[0]: offset of the queue from qp 1's start (in the data
	 * area, 64-byte aligned), args[1]: entries (power of 2,
	 * 2..HC_EVQ_ENTRIES_MAX), args[2]: entry size (multiple of 8,
	 * 8..HC_EVQ_ENTRY_MAX), args[3]: HC_EVQ_TO_HOST or HC_EVQ_TO_GUEST.
	 * The header must be zero. result: the queue id (> 0); -EINVAL bad
	 * sizes or direction, -EFAULT outside the data area, -EBUSY
	 * overlapping another queue, -EMFILE HC_EVQ_MAX queues exist. */
	HC_EVQ_CREATE		= 1,
	/* args[0]: id. Host modules see -EPIPE from then on. -ENOENT. */
	HC_EVQ_DESTROY		= 2,
	HC_EVQ_FN_END		/* keep last: one past the last function */
};

#define HC_EVQ_TO_HOST		1
#define HC_EVQ_TO_GUEST		2

#define HC_EVQ_ENTRY_MAX	4096
#define HC_EVQ_ENTRIES_MAX	65536
#define HC_EVQ_MAX_BYTES	(128 * 1024)	/* header and ring */
#define HC_EVQ_MAX		64		/* queues per session */
#define HC_EVQ_ALIGN		64

/*
 * 2d. The built-in host module "sock" 1.0: guest sockets served by the
 * host's network stack (socket outsourcing, Documentation/sock.md). A
 * socket is a handle of the session (1..max-sockets); the guest driver
 * binds it to a real guest fd as it binds stream fds. Addresses travel
 * as Linux x86-64 struct sockaddr_in (16 bytes) or sockaddr_in6 (28)
 * bytes, checked by the shadow. Calls that may wait (CONNECT, ACCEPT,
 * SEND*, RECV*, POLL) wait on the host, asynchronously and cancellably,
 * unless HC_SOCK_F_NONBLOCK is in their flags argument: then -EAGAIN
 * (CONNECT: -EINPROGRESS, finished by POLL for POLLOUT and SO_ERROR).
 */
#define HC_SOCK_MODULE		"sock"
#define HC_SOCK_MAJOR		1
#define HC_SOCK_MINOR		0

enum hc_sock_fn {
	/* args[0]: AF_INET or AF_INET6, [1]: SOCK_STREAM or SOCK_DGRAM (no
	 * flags), [2]: protocol (0, IPPROTO_TCP/UDP matching the type).
	 * result: the handle; -EAFNOSUPPORT, -EINVAL, -EPROTONOSUPPORT,
	 * -EMFILE (max-sockets). */
	HC_SOCK_SOCKET		= 1,
	/* args[0]: handle; in: sockaddr. -EACCES outside sock-listen
	 * (audited). */
	HC_SOCK_BIND		= 2,
	/* args[0]: handle, [1]: backlog (clamped 1..4096). An unbound
	 * socket is bound to the host's loopback first. */
	HC_SOCK_LISTEN		= 3,
	/* args[0]: handle, [1]: HC_SOCK_F_*; out: the peer's sockaddr
	 * (optional). result: the new socket's handle. */
	HC_SOCK_ACCEPT		= 4,
	/* args[0]: handle, [1]: HC_SOCK_F_*; in: sockaddr. 0, -EINPROGRESS
	 * (nonblocking), -EACCES (sock-connect denied it, audited), -errno
	 * of the host's connect. */
	HC_SOCK_CONNECT		= 5,
	/* args[0]: handle, [1]: HC_SOCK_F_*, [2]: MSG_* (only MSG_PEEK
	 * and MSG_OOB for RECV, MSG_OOB and MSG_MORE for SEND); in (SEND)
	 * or out (RECV): the data. result: bytes. */
	HC_SOCK_SEND		= 6,
	HC_SOCK_RECV		= 7,
	/* The same with an address: SENDTO's in is struct hc_sock_msg and
	 * the data; RECVFROM's out is struct hc_sock_msg (the source, the
	 * MSG_TRUNC flag) and the data. sendmsg and recvmsg of plain data
	 * are these (the guest flattens the iovec; no ancillary data). */
	HC_SOCK_SENDTO		= 8,
	HC_SOCK_RECVFROM	= 9,
	/* args[0]: handle, [1]: SHUT_RD, SHUT_WR or SHUT_RDWR. */
	HC_SOCK_SHUTDOWN	= 10,
	/* args[0]: handle. Pending calls on it end with -EBADF; the
	 * connection is audited (bytes each way). */
	HC_SOCK_CLOSE		= 11,
	/* args[0]: handle; out: the sockaddr (the real port). result:
	 * its length. */
	HC_SOCK_GETSOCKNAME	= 12,
	HC_SOCK_GETPEERNAME	= 13,
	/* args[0]: handle, [1]: level, [2]: option (SOL_SOCKET:
	 * SO_RCVTIMEO, SO_SNDTIMEO, SO_KEEPALIVE, SO_REUSEADDR, SO_ERROR,
	 * SO_TYPE, SO_RCVBUF, SO_SNDBUF, SO_BROADCAST; IPPROTO_TCP: TCP_NODELAY;
	 * IPPROTO_IPV6: IPV6_V6ONLY); GET: out the value, result its
	 * length; SET: in the value. Timeouts are struct timeval (16 bytes),
	 * kept for the guest to apply (it cancels a wait that outlives it);
	 * the others int. -ENOPROTOOPT else. */
	HC_SOCK_GETSOCKOPT	= 14,
	HC_SOCK_SETSOCKOPT	= 15,
	/* in: node NUL service NUL (either may be empty, not both);
	 * args[0]: ai_family (AF_UNSPEC, AF_INET, AF_INET6), [1]:
	 * ai_socktype (0, SOCK_STREAM, SOCK_DGRAM), [2]: ai_flags
	 * (AI_PASSIVE, AI_NUMERICHOST, AI_NUMERICSERV, AI_ADDRCONFIG,
	 * AI_CANONNAME ignored); out: struct hc_sock_ai records. result:
	 * their count; EAI_* errors as -(HC_SOCK_EAI_BASE - EAI_x), see
	 * HC_SOCK_EAI(). "host.internal" is the host's loopback. */
	HC_SOCK_GETADDRINFO	= 16,
	/* args[0]: handle, [1]: HC_SOCK_F_*, [2]: POLLIN/POLLOUT/POLLPRI.
	 * result: the ready events (POLLERR and POLLHUP always), 0 when
	 * none and nonblocking; otherwise it waits for one. */
	HC_SOCK_POLL		= 17,
	HC_SOCK_FN_END		/* keep last: one past the last function */
};

#define HC_SOCK_F_NONBLOCK	1	/* -EAGAIN / -EINPROGRESS, no wait */

/* host.internal: the host's own loopback as the guest names it. The
 * guest keeps its 127.0.0.0/8 and ::1; these reach the host's. */
#define HC_SOCK_HOST_INTERNAL4	0xa9fe4d01u	/* 169.254.77.1 */
#define HC_SOCK_HOST_INTERNAL6	{ 0xfd, 0x68, 0x63, 0x68, 0x6f, 0x73, 0x74, 0, \
				  0, 0, 0, 0, 0, 0, 0, 1 }	/* fd68:6368:6f73:7400::1 */
#define HC_SOCK_HOST_NAME	"host.internal"

#define HC_SOCK_ADDR_MAX	28	/* sizeof(struct sockaddr_in6) */

/* SENDTO's input and RECVFROM's output begin with this. */
struct hc_sock_msg {
	__u32 addrlen;		/* 0 (SENDTO: connected), 16 or 28 */
	__u32 flags;		/* RECVFROM: MSG_TRUNC */
	__u8 addr[HC_SOCK_ADDR_MAX];
	__u32 pad;
};

/* GETADDRINFO's output: one per address. */
struct hc_sock_ai {
	__u32 family, socktype, protocol, addrlen;
	__u8 addr[HC_SOCK_ADDR_MAX];
	__u32 pad;
};

/* getaddrinfo's EAI_* (negative in glibc) as results: -(1000 - EAI_x),
 * i.e. -1000 + EAI_NONAME (-2) = -1002; below -1000 is never an errno. */
#define HC_SOCK_EAI_BASE	1000
#define HC_SOCK_EAI(r)		((int)(r) + HC_SOCK_EAI_BASE)	/* r < -1000 */

struct hc_evq_hdr {
	/* the producer's */
	__u32 prod;
	__u32 prod_flags;	/* HC_EVQ_WAITING or HC_EVQ_NEED_WAKEUP */
	__u32 pad0[14];
	/* the consumer's */
	__u32 cons;
	__u32 cons_flags;
	__u32 pad1[14];
	/* the host's */
	__u32 state;		/* HC_EVQ_BROKEN */
	__u32 error;		/* HC_EVQERR_* */
	__u32 pad2[14];
};

#define HC_EVQ_HDR_SIZE		192
#define HC_EVQ_BYTES(entries, entry_size) \
	(HC_EVQ_HDR_SIZE + (__u64)(entries) * (entry_size))

#define HC_EVQ_NEED_WAKEUP	(1u << 0)	/* the shadow's side sleeps: kick */
#define HC_EVQ_WAITING		(1u << 1)	/* a guest side sleeps: interrupt */
#define HC_EVQ_SLEEPS_SHIFT	8		/* above: the sleeps, counted */

#define HC_EVQ_BROKEN		(1u << 0)	/* not served any more */
#define HC_EVQERR_NONE		0
#define HC_EVQERR_INDEX		1	/* prod - cons > entries */

/* ---- 3. /dev/hostcall ----------------------------------------------------- */

/*
 * Each open file is a session with one shadow on the host. The ioctl
 * returns 0 once the call completed, with the host's answer in result
 * (>= 0 or -errno) and out_used; it returns -1 with errno for local
 * failures: EFAULT, E2BIG (a buffer over HC_MAX_DATA), EINVAL, ENODEV,
 * EIO (device error). A signal makes the driver cancel the call on the
 * host and wait for its real answer: bytes moved or a handle created are
 * returned as usual (a short count); only a call the host had not started
 * is restarted (SA_RESTART, stop/continue) or fails with EINTR, so EINTR
 * means nothing happened. What a killed caller's call created is undone
 * (the shadow does it: HC_CANCEL_F_UNDO). module is a handle from
 * HC_SESSION_BIND, or HC_MOD_SESSION for BIND, UNBIND and MODULES.
 */
struct hostcall_ioc_call {
	__u16 module;
	__u16 op;
	__u32 flags;		/* HOSTCALL_CALL_F_* */
	__s64 args[4];
	__u64 in_ptr;
	__u64 out_ptr;
	__u32 in_len;
	__u32 out_len;
	__s64 result;		/* out */
	__u32 out_used;		/* out */
	__u32 reserved;
};

/* The answer may be a short count (a read or write): when the window's
 * data area is busy the driver moves less rather than wait for room that
 * calls blocked on the host may never give back. */
#define HOSTCALL_CALL_F_SHORT	(1u << 0)

/* The kick in use (the driver picks the cheapest the device offers). */
#define HC_TRANSPORT_NONE		0
#define HC_TRANSPORT_HYPERCALL_TCG	1	/* QEMU writes the eventfd */
#define HC_TRANSPORT_HYPERCALL_KVM	2	/* exit to QEMU, which writes it */
#define HC_TRANSPORT_DOORBELL		3	/* MMIO doorbell under TCG */
#define HC_TRANSPORT_DOORBELL_IOEVENTFD	4	/* stock KVM: kernel-only exit */
#define HC_TRANSPORT_HYPERCALL_EVENTFD	5	/* KVM signals the eventfd */

/* How `hostcall info` and the driver's log name a transport. */
static inline const char *hc_transport_str(__u32 transport)
{
	switch (transport) {
	case HC_TRANSPORT_HYPERCALL_TCG:
		return "hypercall (tcg)";
	case HC_TRANSPORT_HYPERCALL_KVM:
		return "hypercall (kvm)";
	case HC_TRANSPORT_DOORBELL:
		return "doorbell (tcg)";
	case HC_TRANSPORT_DOORBELL_IOEVENTFD:
		return "doorbell-ioeventfd (kvm)";
	case HC_TRANSPORT_HYPERCALL_EVENTFD:
		return "hypercall-eventfd (kvm)";
	default:
		return "none";
	}
}

struct hostcall_ioc_info {
	__u32 abi_version;
	__u32 transport;	/* HC_TRANSPORT_* */
	__u32 accel;		/* HC_ACCEL_* */
	__u32 features;		/* HC_REG_FEATURES */
	__u32 session;
	__u32 ring_entries;
	struct hc_session_info host;
	char device[32];	/* PCI address, e.g. 0000:00:03.0 */
	/* this session's window, both queue pairs summed (statistics) */
	__u64 calls;		/* entries submitted */
	__u64 kicks;		/* guest_kicks */
	__u64 wakeups;		/* host_wakeups */
	__u64 irqs;		/* host_irqs */
};

/*
 * Wait for the user queue pair (qp 1, mapped by mmap(2)): returns 0 once
 * cq_prod != cq_seen, -1 with ETIMEDOUT after timeout_ms (-1: no limit),
 * EINTR on a signal, ECONNRESET once the shadow is gone. poll(2) on the
 * session fd is the same wait: POLLIN while the user cq has entries.
 * Both set HC_CQ_WAITING for the time they sleep.
 */
struct hostcall_ioc_wait {
	__u32 cq_seen;
	__s32 timeout_ms;
};

/*
 * Wait for a word of queue pair 1 to change (an event queue's index the
 * shadow moves): returns 0 once the u32 at offset (from qp 1's start,
 * 4-byte aligned) != seen, -1 with ETIMEDOUT after timeout_ms (-1: no
 * limit), EINTR on a signal (not restarted: the caller's timeout runs on),
 * ECONNRESET once the shadow is gone, EINVAL for a bad offset or reserved
 * field. The caller sets its flag (HC_EVQ_WAITING) first: the shadow
 * raises the interrupt only then, and the driver's interrupt handler
 * wakes every such waiter of the device to recheck its word.
 */
struct hostcall_ioc_wait_word {
	__u32 offset;
	__u32 seen;
	__s32 timeout_ms;
	__u32 reserved;		/* 0 */
};

/*
 * A stream fd: a new file descriptor bound to one stream of a host process
 * of this session, so a guest program can read or write it directly with
 * no relay process in between. Stream 0 (stdin) gives a write-only fd,
 * streams 1 and 2 (stdout, stderr) read-only ones. They behave as pipe
 * ends: a read returns what the host had (0 at end of stream); a write
 * takes all its bytes unless interrupted, and -EPIPE raises SIGPIPE.
 * Reads and writes of 64 KiB or more are host-calls on the caller's own
 * pinned pages; smaller ones go through a 64 KiB read-ahead or
 * write-behind buffer in the driver, so 4 KiB at a time does not cost a
 * host-call each (an error of a write sent behind shows on a later write).
 * poll(2) and O_NONBLOCK work as for a pipe. Closing the last copy does
 * not wait: what is queued is still sent (unless the closer was killed by
 * a signal), then HC_PROC_CLOSE for the stream. The fd keeps the session
 * alive: its shadow lives until the session fd and every stream fd are
 * closed and their queues are sent.
 */
struct hostcall_ioc_stream {
	__s32 handle;		/* process handle (HC_PROC_SPAWN's result) */
	__u32 stream;		/* 0 stdin, 1 stdout, 2 stderr */
	__u32 flags;		/* HC_STREAM_F_* */
	__s32 fd;		/* out: the new descriptor */
};

#define HC_STREAM_F_CLOEXEC	(1u << 0)

/*
 * A socket fd (socket outsourcing, Documentation/sock.md): a new file
 * descriptor for a new host socket of this session's "sock" module, which
 * the driver binds once per session (as "proc" for stream fds). It
 * behaves as a socket for what needs no socket call:
 *  - read(2) is RECV and write(2) SEND into and out of the window: a
 *    blocking write sends all its bytes unless interrupted, -EPIPE raises
 *    SIGPIPE; end of stream reads 0;
 *  - poll, select and epoll ask the host (POLL): readable, writable (a
 *    connect in progress has finished), POLLERR, POLLHUP, POLLRDHUP;
 *  - O_NONBLOCK (SOCK_NONBLOCK, fcntl) adds HC_SOCK_F_NONBLOCK to every
 *    call that may wait; SO_RCVTIMEO and SO_SNDTIMEO set through
 *    HOSTCALL_IOC_SOCK bound the blocking ones (the host's call is
 *    cancelled, the answer is -EAGAIN; CONNECT: -EINPROGRESS);
 *  - dup and fork share it as any file; the last close sends CLOSE;
 *    the fd keeps the session (and its shadow) alive.
 * Every other socket call goes through HOSTCALL_IOC_SOCK on the fd.
 * HOSTCALL_IOC_SOCKET is an ioctl of the session fd; the others of a
 * socket fd (ENOTTY on any other file).
 */
struct hostcall_ioc_socket {
	__s32 family;		/* AF_INET or AF_INET6 */
	__s32 type;		/* SOCK_STREAM or SOCK_DGRAM, | SOCK_NONBLOCK,
				 * SOCK_CLOEXEC as socket(2) */
	__s32 protocol;		/* 0, IPPROTO_TCP or IPPROTO_UDP */
	__s32 fd;		/* out: the new descriptor */
};

/*
 * One "sock" function on a socket fd. The driver puts the socket's
 * handle in the function's args[0]; args[] here are its args[1..3]. For
 * the functions with HC_SOCK_F_* in their args[1] (ACCEPT, CONNECT,
 * SEND, RECV, SENDTO, RECVFROM, POLL) the driver adds HC_SOCK_F_NONBLOCK
 * when the fd is O_NONBLOCK. The ioctl returns 0 with the host's answer
 * in result (>= 0 or -errno) as HOSTCALL_IOC_CALL does, -1 with errno for
 * a local failure (EFAULT, E2BIG over HC_MAX_DATA, EINVAL: SOCKET, CLOSE,
 * GETADDRINFO or an unknown fn, reserved not 0). ACCEPT's result is the
 * new socket fd (its flags SOCK_NONBLOCK, SOCK_CLOEXEC as accept4's),
 * out the peer's address. A successful SETSOCKOPT of SO_RCVTIMEO or
 * SO_SNDTIMEO is also kept by the driver, which applies it.
 */
struct hostcall_ioc_sock {
	__u32 fn;		/* enum hc_sock_fn */
	__u32 flags;		/* ACCEPT: SOCK_NONBLOCK | SOCK_CLOEXEC */
	__s64 args[3];		/* the function's args[1..3] */
	__u64 in_ptr;
	__u64 out_ptr;
	__u32 in_len;
	__u32 out_len;
	__s64 result;		/* out */
	__u32 out_used;		/* out */
	__u32 reserved;		/* 0 */
};

/* What a socket fd is: a quick test for "is this fd ours" (one ioctl). */
struct hostcall_ioc_sock_info {
	__u32 magic;		/* out: HC_SOCKFD_MAGIC */
	__s32 family;		/* out: AF_INET or AF_INET6 */
	__s32 type;		/* out: SOCK_STREAM or SOCK_DGRAM */
	__s32 handle;		/* out: the host's handle */
};

#define HC_SOCKFD_MAGIC		0x68637366u	/* "hcsf" */

#define HOSTCALL_IOC_MAGIC	'H'
#define HOSTCALL_IOC_CALL	_IOWR(HOSTCALL_IOC_MAGIC, 1, struct hostcall_ioc_call)
#define HOSTCALL_IOC_INFO	_IOR(HOSTCALL_IOC_MAGIC, 2, struct hostcall_ioc_info)
#define HOSTCALL_IOC_STREAM	_IOWR(HOSTCALL_IOC_MAGIC, 3, struct hostcall_ioc_stream)
#define HOSTCALL_IOC_WAIT	_IOW(HOSTCALL_IOC_MAGIC, 4, struct hostcall_ioc_wait)
/* The user's kick: as HC_KICK_SESSION, for programs that cannot (CPL 3). */
#define HOSTCALL_IOC_KICK	_IO(HOSTCALL_IOC_MAGIC, 5)
#define HOSTCALL_IOC_WAIT_WORD	_IOW(HOSTCALL_IOC_MAGIC, 6, struct hostcall_ioc_wait_word)
#define HOSTCALL_IOC_SOCKET	_IOWR(HOSTCALL_IOC_MAGIC, 7, struct hostcall_ioc_socket)
#define HOSTCALL_IOC_SOCK	_IOWR(HOSTCALL_IOC_MAGIC, 8, struct hostcall_ioc_sock)
#define HOSTCALL_IOC_SOCK_INFO	_IOR(HOSTCALL_IOC_MAGIC, 9, struct hostcall_ioc_sock_info)

#endif /* HOSTCALL_ABI_H */
