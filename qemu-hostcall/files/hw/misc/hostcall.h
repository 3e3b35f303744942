/*
 * hostcall PCI device: state shared by hostcall*.c (internal header)
 *
 * Copyright (c) 2025 The hostcall authors
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 * See the COPYING file in the top-level directory.
 *
 * Everything here runs under the BQL: MMIO and hypercall kicks from vCPU
 * threads, socket handlers and the completion bottom half in the main loop.
 */
#ifndef HW_MISC_HOSTCALL_H
#define HW_MISC_HOSTCALL_H

#include "hw/pci/pci.h"
#include "qemu/queue.h"
#include "qemu/timer.h"
#include "qom/object.h"
#include "hostcall_proto.h"     /* includes hostcall_abi.h */

#define TYPE_HOSTCALL "hostcall"
OBJECT_DECLARE_SIMPLE_TYPE(HostcallState, HOSTCALL)

#define HOSTCALL_MAX_SESSIONS   1024    /* session ids 1..1024 per device */
#define HOSTCALL_RETRY_MS       2       /* completion ring full: poll */
#define HOSTCALL_VM_NAME_MAX    64      /* hcp_hello.vm_name, NUL included */

typedef struct HostcallReq HostcallReq;
typedef struct HostcallSession HostcallSession;

/* One outgoing packet, queued while the socket is full. */
typedef struct HostcallMsg {
    QSIMPLEQ_ENTRY(HostcallMsg) next;
    HostcallReq *call;      /* HCP_CALL: built from guest memory when sent */
    size_t len;             /* otherwise: the packet itself */
    uint8_t data[];
} HostcallMsg;

/* One SOCK_SEQPACKET connection (to shadowd, or to one shadow). */
typedef struct HostcallChan {
    int fd;                 /* -1 when closed */
    bool want_write;        /* waiting for POLLOUT to flush txq */
    unsigned txq_len;
    QSIMPLEQ_HEAD(, HostcallMsg) txq;
} HostcallChan;

/* A request taken from the ring, until its completion is posted. */
struct HostcallReq {
    QTAILQ_ENTRY(HostcallReq) link;     /* sess->calls or s->done */
    HostcallSession *sess;              /* set while on sess->calls */
    uint64_t tag;
    uint32_t session;
    uint16_t module;
    uint16_t op;
    int64_t args[4];
    uint32_t nin, nout;                 /* validated segments in segs[] */
    uint32_t in_len, out_max;
    bool sent;                          /* HCP_CALL left the queue */
    bool cancel_sent;
    int64_t result;
    uint32_t out_len;
    struct hc_seg segs[];               /* nin inputs, then nout outputs */
};

typedef enum {
    HC_SESS_OPENING,        /* HCP_OPEN sent, waiting for HCP_OPENED */
    HC_SESS_OPEN,
    HC_SESS_DEAD,           /* shadow gone; calls fail until closed */
} HostcallSessState;

struct HostcallSession {
    struct HostcallState *s;
    uint32_t id;
    HostcallSessState state;
    HostcallReq *open_req;  /* OPENING: the SESSION_OPEN; NULL if orphaned */
    HostcallChan chan;
    QTAILQ_HEAD(, HostcallReq) calls;   /* queued or sent, no reply yet */
};

struct HostcallState {
    PCIDevice parent_obj;

    MemoryRegion mmio;
    QLIST_ENTRY(HostcallState) next;

    /* properties */
    char *socket_path;      /* connect to a running shadowd */
    char *shadowd_path;     /* private mode: program to start */
    char *vm_name;

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
    bool pumping;
    QEMUBH *pump_bh;
    QEMUTimer *retry_timer; /* completions wait for space in the cpl ring */

    /* host side */
    HostcallChan ctrl;
    bool host_up;           /* HCP_HELLO_OK received */
    bool down_reported;
    int64_t last_connect;   /* QEMU_CLOCK_REALTIME ns of the last attempt */
    uint32_t next_session;
    HostcallSession *sessions[HOSTCALL_MAX_SESSIONS + 1];
    uint8_t *rxbuf;         /* HCP_MAX_MSG */
    uint8_t *txbuf;         /* HCP_MAX_MSG */
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
void hostcall_host_reset(HostcallState *s);
void hostcall_host_close(HostcallState *s);

#endif
