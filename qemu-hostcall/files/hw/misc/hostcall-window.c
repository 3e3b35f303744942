/*
 * hostcall PCI device: session windows (BAR2 slots) and their kicks
 *
 * Copyright (c) 2025 The hostcall authors
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 * See the COPYING file in the top-level directory.
 *
 * A window is a sealed memfd of HC_WIN_SIZE bytes, mapped RAM_SHARED at
 * BAR2 offset (id - 1) * HC_WIN_SIZE and handed to the session's shadow
 * (HCP_WINDOW), as ivshmem maps its shared memory and vhost-user hands
 * memory to a backend. Its kick eventfd is the session doorbell (an
 * ioeventfd: under KVM the write ends in the host kernel; under TCG the
 * memory core signals it before any MMIO handler) and, with kvm-patch's
 * hypercall eventfd, the HC_KICK_SESSION hypercall too.
 */
#include "qemu/osdep.h"
#include <sys/mman.h>
#include <sys/socket.h>
#include "qapi/error.h"
#include "qemu/atomic.h"
#include "qemu/error-report.h"
#include "qemu/module.h"
#include "exec/memory.h"
#include "sysemu/hostcall.h"
#include "sysemu/kvm.h"
#include "hostcall.h"
#include "trace.h"

/* The shadow must not shrink what QEMU maps: that would SIGBUS us. */
#define HC_WIN_SEALS    (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)

/*
 * KVM's MMIO bus takes 1000 ioeventfds per VM (NR_IOBUS_DEVS, Linux 6.1),
 * shared with every other device, and QEMU aborts when one does not fit.
 * hostcall doorbells take at most this many; past it a session's doorbell
 * is served by the MMIO handler (an exit to QEMU, still correct).
 */
#define HOSTCALL_KVM_DOORBELLS_MAX  768
static unsigned hostcall_kvm_doorbells;

static bool doorbell_fd_get(void)
{
    if (!kvm_eventfds_enabled()) {
        return true;            /* TCG: a list in QEMU, no limit */
    }
    if (hostcall_kvm_doorbells >= HOSTCALL_KVM_DOORBELLS_MAX) {
        return false;
    }
    hostcall_kvm_doorbells++;
    return true;
}

static void doorbell_fd_put(void)
{
    if (kvm_eventfds_enabled()) {
        hostcall_kvm_doorbells--;
    }
}

static int window_memfd(uint32_t id, Error **errp)
{
    g_autofree char *name = g_strdup_printf("hostcall-window-%u", id);
    int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);

    if (fd < 0) {
        error_setg_errno(errp, errno, "memfd_create for window %u", id);
        return -1;
    }
    if (ftruncate(fd, HC_WIN_SIZE) < 0 ||
        fcntl(fd, F_ADD_SEALS, HC_WIN_SEALS) < 0) {
        error_setg_errno(errp, errno, "cannot size and seal window %u", id);
        close(fd);
        return -1;
    }
    return fd;
}

/*
 * Create session id's window, map it into its BAR2 slot and wire its
 * doorbell, in one memory transaction. The window is zeroed (a new memfd),
 * so both queue pairs start empty.
 */
HostcallWindow *hostcall_window_new(HostcallState *s, uint32_t id,
                                    Error **errp)
{
    g_autofree char *name = g_strdup_printf("hostcall-window-%u", id);
    HostcallWindow *w;
    Error *err = NULL;
    int memfd, ret;

    trace_hostcall_window_create(id);
    memfd = window_memfd(id, errp);
    if (memfd < 0) {
        return NULL;
    }
    w = HOSTCALL_WINDOW(object_new(TYPE_HOSTCALL_WINDOW));
    w->memfd = memfd;
    ret = event_notifier_init(&w->kick, false);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "kick eventfd for window %u", id);
        close(memfd);
        object_unref(OBJECT(w));
        return NULL;
    }
    memory_region_init_ram_from_fd(&w->mr, OBJECT(w), name, HC_WIN_SIZE,
                                   RAM_SHARED, memfd, 0, &err);
    if (err) {
        error_propagate_prepend(errp, err, "cannot map window %u: ", id);
        event_notifier_cleanup(&w->kick);
        close(memfd);
        object_unref(OBJECT(w));
        return NULL;
    }
    w->host = memory_region_get_ram_ptr(&w->mr);
    /* Never a virtqueue's DMA target: keep it out of vhost's few slots. */
    memory_region_set_vhost_excluded(&w->mr, true);

    w->doorbell_fd = doorbell_fd_get();
    memory_region_transaction_begin();
    memory_region_add_subregion(&s->windows, (hwaddr)(id - 1) * HC_WIN_SIZE,
                                &w->mr);
    if (w->doorbell_fd) {
        memory_region_add_eventfd(&s->mmio, HC_REG_SESSION_DOORBELL(id), 4,
                                  false, 0, &w->kick);
    }
    memory_region_transaction_commit();

    w->kvm_kick = hostcall_kvm_session_eventfd(s->token, id,
                      event_notifier_get_fd(&w->kick)) == 0;
    trace_hostcall_window_map(id, w->kvm_kick);
    return w;
}

/* HCP_WINDOW with the memfd, the kick and the interrupt eventfd. */
int hostcall_window_send(HostcallState *s, HostcallWindow *w, uint32_t id,
                         int sock)
{
    int fds[HCP_WINDOW_NFDS];
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(fds))];
    } cbuf;
    struct hcp_window m;
    struct iovec iov = { .iov_base = &m, .iov_len = sizeof(m) };
    struct msghdr mh = {
        .msg_iov = &iov, .msg_iovlen = 1,
        .msg_control = &cbuf, .msg_controllen = sizeof(cbuf),
    };
    struct cmsghdr *cm;
    ssize_t n;

    memset(&m, 0, sizeof(m));
    hcp_init(&m.hdr, HCP_WINDOW, sizeof(m), id, 0);
    m.size = HC_WIN_SIZE;
    fds[HCP_WINDOW_FD_MEM] = w->memfd;
    fds[HCP_WINDOW_FD_KICK] = event_notifier_get_fd(&w->kick);
    fds[HCP_WINDOW_FD_IRQ] = event_notifier_get_fd(&s->irq);
    memset(&cbuf, 0, sizeof(cbuf));
    cm = CMSG_FIRSTHDR(&mh);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(fds));
    memcpy(CMSG_DATA(cm), fds, sizeof(fds));
    /* the first packet on a fresh socket: it fits or the socket is dead */
    do {
        n = sendmsg(sock, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        return -errno;
    }
    return n == sizeof(m) ? 0 : -EPROTO;
}

/*
 * The shadow is gone: tell both queue pairs, then interrupt so waiters
 * see it. state belongs to the host side; the shadow (the only other
 * writer) is dead, so a plain OR is enough; atomic for the guest's sake.
 */
void hostcall_window_mark_dead(HostcallState *s, HostcallWindow *w,
                               uint32_t id)
{
    int qp;

    trace_hostcall_window_dead(id);
    for (qp = 0; qp < 2; qp++) {
        struct hc_qp_ctl *ctl = (struct hc_qp_ctl *)
            (w->host + qp * HC_QP_SIZE + HC_QP_CTL_OFF);

        qatomic_or(&ctl->state, cpu_to_le32(HC_QP_DEAD));
    }
    smp_mb();   /* state before the interrupt the guest reacts to */
    hostcall_notify(s);
}

/*
 * Unmap and free: unwire the kicks, take the slot out of BAR2 (one
 * transaction), drop our reference. The window object, its region and
 * the RAMBlock (which unmaps and closes the memfd, after an RCU grace
 * period) go once no flat view refers to them any more.
 */
void hostcall_window_free(HostcallState *s, HostcallWindow *w, uint32_t id)
{
    trace_hostcall_window_unmap(id);
    if (w->kvm_kick) {
        hostcall_kvm_session_eventfd(s->token, id, -1);
    }
    memory_region_transaction_begin();
    if (w->doorbell_fd) {
        memory_region_del_eventfd(&s->mmio, HC_REG_SESSION_DOORBELL(id), 4,
                                  false, 0, &w->kick);
        doorbell_fd_put();
    }
    memory_region_del_subregion(&s->windows, &w->mr);
    memory_region_transaction_commit();
    event_notifier_cleanup(&w->kick);
    object_unref(OBJECT(w));
}

static const TypeInfo hostcall_window_info = {
    .name          = TYPE_HOSTCALL_WINDOW,
    .parent        = TYPE_OBJECT,
    .instance_size = sizeof(HostcallWindow),
};

static void hostcall_window_register_types(void)
{
    type_register_static(&hostcall_window_info);
}

type_init(hostcall_window_register_types)
