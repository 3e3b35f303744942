/*
 * hostcall PCI device: request/completion rings in guest memory
 *
 * Copyright (c) 2025 The hostcall authors
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 * See the COPYING file in the top-level directory.
 *
 * The ring carries session OPEN and CLOSE only. Everything read from the
 * guest is copied out once, then checked: the ring and every segment must
 * be RAM (never MMIO, so no device, including this one,
 * is ever reached through a guest-supplied address).
 */
#include "qemu/osdep.h"
#include "qemu/atomic.h"
#include "qemu/log.h"
#include "qemu/rcu.h"
#include "qemu/bswap.h"
#include "exec/memory.h"
#include "hostcall.h"
#include "trace.h"

#define HDR_OFF(f)      offsetof(struct hc_ring_hdr, f)

static AddressSpace *hc_as(HostcallState *s)
{
    return pci_get_address_space(PCI_DEVICE(s));
}

/* Is [addr, addr + len) guest RAM, readable (or writable) by DMA? */
static bool hc_ram_ok(HostcallState *s, uint64_t addr, uint64_t len,
                      bool is_write)
{
    AddressSpace *as = hc_as(s);

    if (len == 0 || addr + len < addr) {
        return false;
    }
    RCU_READ_LOCK_GUARD();
    while (len) {
        hwaddr xlat, l = len;
        MemoryRegion *mr = address_space_translate(as, addr, &xlat, &l,
                                                   is_write,
                                                   MEMTXATTRS_UNSPECIFIED);
        if (!memory_access_is_direct(mr, is_write) || l == 0) {
            return false;
        }
        addr += l;
        len -= l;
    }
    return true;
}

static bool hc_read(HostcallState *s, uint64_t addr, void *buf, uint64_t len)
{
    return hc_ram_ok(s, addr, len, false) &&
           pci_dma_read(PCI_DEVICE(s), addr, buf, len) == MEMTX_OK;
}

static bool hc_write(HostcallState *s, uint64_t addr, const void *buf,
                     uint64_t len)
{
    return hc_ram_ok(s, addr, len, true) &&
           pci_dma_write(PCI_DEVICE(s), addr, buf, len) == MEMTX_OK;
}

static bool hc_ld32(HostcallState *s, size_t off, uint32_t *val)
{
    uint32_t v;

    if (!hc_read(s, s->ring + off, &v, sizeof(v))) {
        return false;
    }
    *val = le32_to_cpu(v);
    return true;
}

static bool hc_st32(HostcallState *s, size_t off, uint32_t val)
{
    uint32_t v = cpu_to_le32(val);

    return hc_write(s, s->ring + off, &v, sizeof(v));
}

static void hc_ring_error(HostcallState *s, uint32_t err)
{
    qemu_log_mask(LOG_GUEST_ERROR, "hostcall: ring error %u, ring stopped "
                  "until reset\n", err);
    s->broken = true;
    s->error = err;
}

bool hostcall_ring_enable(HostcallState *s)
{
    uint64_t addr = ((uint64_t)s->ring_hi << 32) | s->ring_lo;
    uint32_t n = s->ring_entries;

    if (s->ready || s->broken) {
        return false;           /* already started, or reset first */
    }
    if (n < 8 || n > HC_RING_MAX || (n & (n - 1))) {
        qemu_log_mask(LOG_GUEST_ERROR, "hostcall: bad ring entries %u\n", n);
        s->broken = true;
        s->error = HC_DEVERR_RING_CONFIG;
        return false;
    }
    if ((addr & 0xfff) || !hc_ram_ok(s, addr, HC_RING_BYTES(n), true)) {
        qemu_log_mask(LOG_GUEST_ERROR, "hostcall: ring at 0x%" PRIx64
                      " is not 4K-aligned guest RAM\n", addr);
        s->broken = true;
        s->error = HC_DEVERR_RING_ADDR;
        return false;
    }
    s->ring = addr;
    s->entries = n;
    s->req_cons = 0;
    s->cpl_prod = 0;
    s->inflight = 0;
    s->error = HC_DEVERR_NONE;
    if (!hc_st32(s, HDR_OFF(req_cons), 0) ||
        !hc_st32(s, HDR_OFF(cpl_prod), 0)) {
        hc_ring_error(s, HC_DEVERR_RING_ADDR);
        return false;
    }
    s->ready = true;
    return true;
}

/* Drop every request the device holds; the guest gets no completions. */
void hostcall_ring_reset(HostcallState *s)
{
    HostcallReq *req;

    while ((req = QTAILQ_FIRST(&s->done))) {
        QTAILQ_REMOVE(&s->done, req, link);
        g_free(req);
    }
    s->ready = false;
    s->broken = false;
    s->error = HC_DEVERR_NONE;
    s->ring = 0;
    s->entries = 0;
    s->req_cons = 0;
    s->cpl_prod = 0;
    s->inflight = 0;
}

/* Post what fits of s->done into the completion ring. Returns how many. */
static unsigned hc_post_completions(HostcallState *s)
{
    HostcallReq *req;
    uint32_t cons, space;
    unsigned n = 0;

    if (QTAILQ_EMPTY(&s->done)) {
        return 0;
    }
    if (s->broken || !s->ready) {
        while ((req = QTAILQ_FIRST(&s->done))) {
            QTAILQ_REMOVE(&s->done, req, link);
            g_free(req);
        }
        return 0;
    }
    if (!hc_ld32(s, HDR_OFF(cpl_cons), &cons)) {
        hc_ring_error(s, HC_DEVERR_RING_ADDR);
        return 0;
    }
    if (s->cpl_prod - cons > s->entries) {
        hc_ring_error(s, HC_DEVERR_RING_INDEX);
        return 0;
    }
    space = s->entries - (s->cpl_prod - cons);
    while (space && (req = QTAILQ_FIRST(&s->done))) {
        struct hc_cpl c = {
            .tag = cpu_to_le64(req->tag),
            .result = cpu_to_le64(req->result),
            .out_len = cpu_to_le32(req->out_len),
        };
        uint64_t off = sizeof(struct hc_ring_hdr) +
            (uint64_t)s->entries * sizeof(struct hc_req) +
            (uint64_t)(s->cpl_prod & (s->entries - 1)) * sizeof(c);

        trace_hostcall_ring_complete(req->tag, req->result);

        if (!hc_write(s, s->ring + off, &c, sizeof(c))) {
            hc_ring_error(s, HC_DEVERR_RING_ADDR);
            return n;
        }
        s->cpl_prod++;
        space--;
        n++;
        QTAILQ_REMOVE(&s->done, req, link);
        g_free(req);
        s->inflight--;
    }
    if (n) {
        smp_wmb();      /* completion entries before the index */
        if (!hc_st32(s, HDR_OFF(cpl_prod), s->cpl_prod)) {
            hc_ring_error(s, HC_DEVERR_RING_ADDR);
        }
    }
    return n;
}

/*
 * Check a descriptor (already copied out of the ring) and build the
 * request with its validated segment table. Returns 0 or -errno; on
 * error *reqp is a request without segments, to be completed at once.
 * Only session OPEN and CLOSE live here: calls (and CANCEL) are entries
 * in the session's window.
 */
static int hc_parse_req(HostcallState *s, const struct hc_req *d,
                        HostcallReq **reqp)
{
    HostcallReq *req;
    uint32_t nin = le16_to_cpu(d->nsegs_in);
    uint32_t nout = le16_to_cpu(d->nsegs_out);
    uint64_t segs = le64_to_cpu(d->segs);
    uint64_t in_len = 0, out_len = 0;
    uint32_t i;
    int err = 0;

    req = g_malloc0(sizeof(*req));
    req->tag = le64_to_cpu(d->tag);
    req->session = le32_to_cpu(d->session);
    req->module = le16_to_cpu(d->module);
    req->op = le16_to_cpu(d->op);
    *reqp = req;

    if (req->module != HC_MOD_SESSION ||
        (req->op != HC_SESSION_OPEN && req->op != HC_SESSION_CLOSE)) {
        return -ENOSYS;
    }
    if (d->flags) {
        return -EINVAL;
    }
    if (req->op == HC_SESSION_OPEN) {
        if (req->session != 0) {
            return -EINVAL;
        }
    } else if (!hostcall_host_session_exists(s, req->session)) {
        return -EBADF;
    }
    if (nin + nout > HC_MAX_SEGS) {
        return -E2BIG;
    }
    if (nin + nout == 0) {
        return 0;
    }

    req = g_realloc(req, sizeof(*req) + (nin + nout) * sizeof(req->segs[0]));
    *reqp = req;
    if (!hc_read(s, segs, req->segs, (nin + nout) * sizeof(req->segs[0]))) {
        return -EFAULT;
    }
    for (i = 0; i < nin + nout; i++) {
        struct hc_seg *g = &req->segs[i];
        bool out = i >= nin;

        g->addr = le64_to_cpu(g->addr);
        g->len = le32_to_cpu(g->len);
        if (g->reserved || g->len == 0 ||
            (g->addr & 0xfff) + g->len > 0x1000) {
            err = err ? err : -EINVAL;
            continue;
        }
        if (!hc_ram_ok(s, g->addr, g->len, out)) {
            err = err ? err : -EFAULT;
            continue;
        }
        if (out) {
            out_len += g->len;
        } else {
            in_len += g->len;
        }
    }
    if (err) {
        return err;
    }
    if (in_len > HC_MAX_DATA || out_len > HC_MAX_DATA) {
        return -E2BIG;
    }
    req->nin = nin;
    req->nout = nout;
    req->in_len = in_len;
    req->out_max = out_len;
    return 0;
}

/* Take the request at req_cons: validate it, then hand it to the host. */
static void hc_take(HostcallState *s)
{
    struct hc_req d;
    HostcallReq *req;
    uint64_t off = sizeof(struct hc_ring_hdr) +
        (uint64_t)(s->req_cons & (s->entries - 1)) * sizeof(d);
    int err;

    if (!hc_read(s, s->ring + off, &d, sizeof(d))) {
        hc_ring_error(s, HC_DEVERR_RING_ADDR);
        return;
    }
    s->req_cons++;
    s->inflight++;
    err = hc_parse_req(s, &d, &req);
    if (err) {
        trace_hostcall_ring_reject(req->tag, req->module, req->op, err);
        qemu_log_mask(LOG_GUEST_ERROR, "hostcall: request tag 0x%" PRIx64
                      " module %u op %u rejected: %d\n",
                      req->tag, req->module, req->op, err);
        hostcall_complete(s, req, err, 0);
        return;
    }
    hostcall_host_submit(s, req);
}

/*
 * Serve the ring: post pending completions, take new requests (reading
 * req_prod once) while fewer than `entries` are in flight, post again and
 * interrupt the guest if anything was posted. Runs in the main loop (the
 * bottom half a kick schedules, the retry timer), never on a vCPU.
 */
void hostcall_ring_pump(HostcallState *s)
{
    uint32_t prod;
    unsigned posted;

    if (!s->ready) {
        return;
    }
    posted = hc_post_completions(s);
    if (!s->broken) {
        if (!hc_ld32(s, HDR_OFF(req_prod), &prod)) {
            hc_ring_error(s, HC_DEVERR_RING_ADDR);
        } else if (prod - s->req_cons > s->entries) {
            hc_ring_error(s, HC_DEVERR_RING_INDEX);
        } else {
            uint32_t cons0 = s->req_cons;

            smp_rmb();  /* descriptors after the index */
            while (s->req_cons != prod && !s->broken) {
                if (s->inflight >= s->entries) {
                    posted += hc_post_completions(s);
                    if (s->inflight >= s->entries) {
                        break;
                    }
                }
                hc_take(s);
            }
            if (s->req_cons != cons0 && !s->broken &&
                !hc_st32(s, HDR_OFF(req_cons), s->req_cons)) {
                hc_ring_error(s, HC_DEVERR_RING_ADDR);
            }
        }
    }
    posted += hc_post_completions(s);
    if (posted) {
        hostcall_notify(s);
    }
    if (!QTAILQ_EMPTY(&s->done)) {
        /*
         * The guest has not consumed enough completions. It need not kick
         * again after it does, so look again a little later.
         */
        timer_mod(s->retry_timer, qemu_clock_get_ms(QEMU_CLOCK_VIRTUAL) +
                  HOSTCALL_RETRY_MS);
    }
}

/* Copy the request's input segments into buf (req->in_len bytes). */
int hostcall_gather(HostcallState *s, HostcallReq *req, void *buf)
{
    uint8_t *p = buf;
    uint32_t i;

    for (i = 0; i < req->nin; i++) {
        if (!hc_read(s, req->segs[i].addr, p, req->segs[i].len)) {
            return -EFAULT;
        }
        p += req->segs[i].len;
    }
    return 0;
}

/* Copy len <= req->out_max bytes into the request's output segments. */
int hostcall_scatter(HostcallState *s, HostcallReq *req, const void *buf,
                     uint32_t len)
{
    const uint8_t *p = buf;
    uint32_t i;

    assert(len <= req->out_max);
    for (i = req->nin; i < req->nin + req->nout && len; i++) {
        uint32_t l = MIN(len, req->segs[i].len);

        if (!hc_write(s, req->segs[i].addr, p, l)) {
            return -EFAULT;
        }
        p += l;
        len -= l;
    }
    return 0;
}
