/*
 * hostcall PCI device: the interrupt eventfd shadows signal
 *
 * Copyright (c) 2025 The hostcall authors
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 * See the COPYING file in the top-level directory.
 *
 * Every session's shadow signals one eventfd per device when it posts a
 * completion to a waiting guest. Under KVM with MSI irqfds it is an irqfd
 * on MSI-X vector 0's route (as ivshmem wires its vectors), so QEMU is not
 * on the completion path. Otherwise (TCG, MSI-X off, no irqfd) a main-loop
 * handler reads it and raises the interrupt as the control ring does.
 */
#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/error-report.h"
#include "qemu/main-loop.h"
#include "hw/pci/msi.h"
#include "hw/pci/msix.h"
#include "sysemu/kvm.h"
#include "hostcall.h"
#include "trace.h"

static void irq_read(void *opaque)
{
    HostcallState *s = opaque;

    if (event_notifier_test_and_clear(&s->irq)) {
        trace_hostcall_irq_relay();
        hostcall_notify(s);
    }
}

static void irq_watch(HostcallState *s, bool on)
{
    if (s->irq_watched != on) {
        s->irq_watched = on;
        qemu_set_fd_handler(event_notifier_get_fd(&s->irq),
                            on ? irq_read : NULL, NULL, s);
    }
}

static int irq_vector_unmask(PCIDevice *pdev, unsigned vector, MSIMessage msg)
{
    HostcallState *s = HOSTCALL(pdev);
    int ret;

    ret = kvm_irqchip_update_msi_route(kvm_state, s->irq_virq, msg, pdev);
    if (ret < 0) {
        return ret;
    }
    kvm_irqchip_commit_routes(kvm_state);
    ret = kvm_irqchip_add_irqfd_notifier_gsi(kvm_state, &s->irq, NULL,
                                             s->irq_virq);
    if (ret < 0) {
        return ret;
    }
    s->irqfd = true;
    return 0;
}

static void irq_vector_mask(PCIDevice *pdev, unsigned vector)
{
    HostcallState *s = HOSTCALL(pdev);

    if (s->irqfd &&
        kvm_irqchip_remove_irqfd_notifier_gsi(kvm_state, &s->irq,
                                              s->irq_virq) < 0) {
        error_report("hostcall: cannot remove the interrupt irqfd");
        return;
    }
    s->irqfd = false;
}

/* A masked vector: what was signalled meanwhile becomes pending. */
static void irq_vector_poll(PCIDevice *pdev, unsigned start, unsigned end)
{
    HostcallState *s = HOSTCALL(pdev);

    if (start == 0 && end > 0 && msix_is_masked(pdev, 0) &&
        event_notifier_test_and_clear(&s->irq)) {
        msix_set_pending(pdev, 0);
    }
}

static void irqfd_start(HostcallState *s)
{
    PCIDevice *pdev = PCI_DEVICE(s);
    KVMRouteChange c = kvm_irqchip_begin_route_changes(kvm_state);
    int virq = kvm_irqchip_add_msi_route(&c, 0, pdev);

    if (virq < 0) {
        warn_report("hostcall: no KVM MSI route for the interrupt eventfd; "
                    "QEMU relays it");
        return;
    }
    kvm_irqchip_commit_route_changes(&c);
    s->irq_virq = virq;
    trace_hostcall_irqfd(true, virq);
    irq_watch(s, false);
    if (msix_set_vector_notifiers(pdev, irq_vector_unmask, irq_vector_mask,
                                  irq_vector_poll) < 0) {
        warn_report("hostcall: cannot attach the interrupt irqfd; QEMU "
                    "relays it");
        kvm_irqchip_release_virq(kvm_state, virq);
        s->irq_virq = -1;
        irq_watch(s, true);
    }
}

static void irqfd_stop(HostcallState *s)
{
    PCIDevice *pdev = PCI_DEVICE(s);

    if (s->irq_virq < 0) {
        return;
    }
    trace_hostcall_irqfd(false, s->irq_virq);
    if (pdev->msix_vector_use_notifier) {
        msix_unset_vector_notifiers(pdev);
    }
    /* MSI-X may be off already, so the release notifier did not run */
    irq_vector_mask(pdev, 0);
    kvm_irqchip_release_virq(kvm_state, s->irq_virq);
    s->irq_virq = -1;
    irq_watch(s, true);
    irq_read(s);        /* what came while nobody listened */
}

/* After a config write or a reset: follow MSI-X being on or off. */
void hostcall_irq_sync(HostcallState *s)
{
    bool want = msix_enabled(PCI_DEVICE(s));

    if (!kvm_msi_via_irqfd_enabled() || want == (s->irq_virq >= 0)) {
        return;
    }
    if (want) {
        irqfd_start(s);
    } else {
        irqfd_stop(s);
    }
}

int hostcall_irq_init(HostcallState *s, Error **errp)
{
    int ret = event_notifier_init(&s->irq, false);

    if (ret < 0) {
        error_setg_errno(errp, -ret, "hostcall: interrupt eventfd");
        return ret;
    }
    s->irq_virq = -1;
    irq_watch(s, true);
    return 0;
}

void hostcall_irq_exit(HostcallState *s)
{
    irqfd_stop(s);
    irq_watch(s, false);
    event_notifier_cleanup(&s->irq);
}
