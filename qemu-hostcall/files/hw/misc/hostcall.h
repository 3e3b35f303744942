/*
 * hostcall PCI device: state shared by hostcall*.c (internal header)
 *
 * Copyright (c) 2025 The hostcall authors
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 * See the COPYING file in the top-level directory.
 *
 * QEMU keeps the control plane only: the control ring (session open and
 * close), the shadowd connection, and per session a window (a sealed memfd
 * mapped into BAR2 and handed to the shadow with its kick and interrupt
 * eventfds). Calls flow through the window between the guest and the
 * shadow; QEMU signals kicks under TCG and relays the interrupt eventfd
 * where no irqfd does.
 *
 * Everything here runs under the BQL: MMIO and hypercall kicks from vCPU
 * threads (they only signal an eventfd or schedule the bottom half), the
 * ring pump bottom half and the socket handlers in the main loop.
 */
#ifndef HW_MISC_HOSTCALL_H
#define HW_MISC_HOSTCALL_H

#include "hw/pci/pci.h"
#include "qemu/event_notifier.h"
#include "qemu/queue.h"
#include "qemu/rcu.h"
#include "qemu/timer.h"
#include "qom/object.h"
#include "hostcall_proto.h"     /* includes hostcall_abi.h */

#define TYPE_HOSTCALL "hostcall"
OBJECT_DECLARE_SIMPLE_TYPE(HostcallState, HOSTCALL)

/* BAR0's doorbell page has room for 1024 sessions: ids 1..windows. */
#define HOSTCALL_MAX_SESSIONS \
    ((HC_BAR0_SIZE - HC_REG_SESSION_DOORBELL(1)) / 4)
#define HOSTCALL_DEF_WINDOWS    512
#define HOSTCALL_RETRY_MS       2       /* completion ring full: poll */
#define HOSTCALL_VM_NAME_MAX    64      /* hcp_hello.vm_name, NUL included */

typedef struct HostcallReq HostcallReq;
typedef struct HostcallSession HostcallSession;

/* One outgoing packet, queued while the socket is full. */
typedef struct HostcallMsg {
    QSIMPLEQ_ENTRY(HostcallMsg) next;
    size_t len;
    uint8_t data[];
} HostcallMsg;

/* The SOCK_SEQPACKET control connection to shadowd. */
typedef struct HostcallChan {
    int fd;                 /* -1 when closed */
    bool want_write;        /* waiting for POLLOUT to flush txq */
    QSIMPLEQ_HEAD(, HostcallMsg) txq;
} HostcallChan;

/* A SESSION_OPEN or CLOSE taken from the ring, until its completion. */
struct HostcallReq {
    QTAILQ_ENTRY(HostcallReq) link;     /* s->done */
    uint64_t tag;
    uint32_t session;
    uint16_t module;
    uint16_t op;
    uint32_t nin, nout;                 /* validated segments in segs[] */
    uint32_t in_len, out_max;
    int64_t result;
    uint32_t out_len;
    struct hc_seg segs[];               /* nin inputs, then nout outputs */
};

/*
 * A session's window: its memfd mapped at BAR2 slot id - 1. Freed after
 * an RCU grace period, since a flat view may still point at the region.
 */
typedef struct HostcallWindow {
    struct rcu_head rcu;    /* first: call_rcu() wants it there */
    MemoryRegion mr;        /* RAM_SHARED on memfd; its RAMBlock owns memfd */
    int memfd;
    EventNotifier kick;     /* guest -> shadow */
    uint8_t *host;          /* QEMU's mapping, HC_WIN_SIZE bytes */
    bool kvm_kick;          /* KVM signals kick from the hypercall */
    bool doorbell_fd;       /* the doorbell is an ioeventfd (else MMIO) */
} HostcallWindow;

typedef enum {
    HC_SESS_OPENING,        /* HCP_OPEN sent, waiting for HCP_OPENED */
    HC_SESS_OPEN,
    HC_SESS_DEAD,           /* shadow gone; window marked HC_QP_DEAD */
} HostcallSessState;

struct HostcallSession {
    struct HostcallState *s;
    uint32_t id;
    HostcallSessState state;
    HostcallReq *open_req;  /* OPENING: the SESSION_OPEN; NULL if orphaned */
    int fd;                 /* session socket to the shadow, -1 if none */
    HostcallWindow *win;    /* set once OPEN */
};

struct HostcallState {
    PCIDevice parent_obj;

    MemoryRegion mmio;      /* BAR0: registers + session doorbells */
    MemoryRegion windows;   /* BAR2: container of window slots */
    QLIST_ENTRY(HostcallState) next;

    /* properties */
    char *socket_path;      /* connect to a running shadowd */
    char *shadowd_path;     /* private mode: program to start */
    char *vm_name;
    uint32_t nwindows;      /* session ids 1..nwindows */

    /* registers */
    uint32_t token;
    uint32_t features;
    uint32_t error;
    uint32_t isr;
    uint32_t ring_lo, ring_hi, ring_entries;

    /* ring state, latched at CTRL_ENABLE */
    bool ready;
    bool broken;            /* HC_STATUS_ERROR: ignore the ring until reset */
    uint64_t ring;
    uint32_t entries;
    uint32_t req_cons;
    uint32_t cpl_prod;
    uint32_t inflight;      /* taken, completion not yet posted */
    QTAILQ_HEAD(, HostcallReq) done;    /* completed, waiting for a slot */
    QEMUBH *pump_bh;        /* kicks land here: the ring is served here */
    QEMUTimer *retry_timer; /* completions wait for space in the cpl ring */

    /* interrupts: one eventfd, signalled by every session's shadow */
    EventNotifier irq;
    bool irq_watched;       /* main-loop handler raises the interrupt */
    bool irqfd;             /* KVM delivers irq as MSI-X vector 0 */
    int irq_virq;           /* its KVM MSI route, -1 if none */

    /* host side */
    HostcallChan ctrl;
    bool host_up;           /* HCP_HELLO_OK received */
    bool down_reported;
    int64_t last_connect;   /* QEMU_CLOCK_REALTIME ns of the last attempt */
    uint32_t next_session;
    HostcallSession *sessions[HOSTCALL_MAX_SESSIONS + 1];
    uint8_t *rxbuf;         /* HCP_MAX_MSG */
};

/* hostcall.c */
void hostcall_complete(HostcallState *s, HostcallReq *req, int64_t result,
                       uint32_t out_len);
void hostcall_notify(HostcallState *s);

/* hostcall-ring.c */
bool hostcall_ring_enable(HostcallState *s);
void hostcall_ring_pump(HostcallState *s);
void hostcall_ring_reset(HostcallState *s);
int hostcall_gather(HostcallState *s, HostcallReq *req, void *buf);
int hostcall_scatter(HostcallState *s, HostcallReq *req, const void *buf,
                     uint32_t len);

/* hostcall-host.c */
void hostcall_host_connect(HostcallState *s);
void hostcall_host_submit(HostcallState *s, HostcallReq *req);
bool hostcall_host_session_exists(HostcallState *s, uint32_t id);
HostcallSession *hostcall_host_session(HostcallState *s, uint64_t id);
void hostcall_host_reset(HostcallState *s);
void hostcall_host_close(HostcallState *s);

/* hostcall-window.c */
HostcallWindow *hostcall_window_new(HostcallState *s, uint32_t id,
                                    Error **errp);
int hostcall_window_send(HostcallState *s, HostcallWindow *w, uint32_t id,
                         int sock);
void hostcall_window_mark_dead(HostcallState *s, HostcallWindow *w,
                               uint32_t id);
void hostcall_window_free(HostcallState *s, HostcallWindow *w, uint32_t id);

/* hostcall-irq.c */
int hostcall_irq_init(HostcallState *s, Error **errp);
void hostcall_irq_sync(HostcallState *s);
void hostcall_irq_exit(HostcallState *s);

#endif
