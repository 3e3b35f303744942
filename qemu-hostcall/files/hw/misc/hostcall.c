/*
 * hostcall PCI device: registers, interrupts, hypercall kick, life cycle
 *
 * Copyright (c) 2025 The hostcall authors
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 * See the COPYING file in the top-level directory.
 *
 * The control plane of host-calls. The guest driver opens and closes
 * sessions through a ring in guest memory (hostcall-ring.c); each session
 * gets a shadow process on the host (hostcall-host.c) and a window shared
 * by the guest and that shadow (hostcall-window.c), where calls flow
 * without QEMU. QEMU signals a session's kick eventfd for the hypercall
 * kick under TCG (KVM does it with kvm-patch, the ioeventfd doorbell
 * needs no code here) and relays the shadows' interrupt eventfd where no
 * irqfd does (hostcall-irq.c).
 * The guest ABI is hostcall_abi.h, the host protocol hostcall_proto.h.
 */
#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/main-loop.h"
#include "qemu/module.h"
#include "qemu/units.h"
#include "qapi/error.h"
#include "hw/pci/pci.h"
#include "hw/pci/msix.h"
#include "hw/qdev-properties.h"
#include "migration/vmstate.h"
#include "sysemu/kvm.h"
#include "sysemu/tcg.h"
#include "sysemu/hostcall.h"
#include "hostcall.h"
#include "trace.h"

#define HOSTCALL_KVM_EPERM      1       /* KVM_EPERM */
#define HOSTCALL_KVM_EINVAL     22      /* KVM_EINVAL */

static QLIST_HEAD(, HostcallState) hostcall_devices =
    QLIST_HEAD_INITIALIZER(hostcall_devices);
static uint32_t hostcall_next_token = 1;

void hostcall_notify(HostcallState *s)
{
    PCIDevice *pdev = PCI_DEVICE(s);

    if (msix_enabled(pdev)) {
        msix_notify(pdev, 0);
    } else {
        s->isr |= 1;
        pci_set_irq(pdev, 1);
    }
}

/* A request is finished: queue its completion; the bottom half posts it. */
void hostcall_complete(HostcallState *s, HostcallReq *req, int64_t result,
                       uint32_t out_len)
{
    req->result = result;
    req->out_len = out_len;
    QTAILQ_INSERT_TAIL(&s->done, req, link);
    qemu_bh_schedule(s->pump_bh);
}

static void hostcall_pump_bh(void *opaque)
{
    hostcall_ring_pump(opaque);
}

static void hostcall_retry_timer(void *opaque)
{
    hostcall_ring_pump(opaque);
}

/* vCPU side of a control-ring kick: the main loop does the work. */
static void hostcall_kick(HostcallState *s)
{
    trace_hostcall_kick_ring(s->token);
    qemu_bh_schedule(s->pump_bh);
}

/*
 * HC_KICK_SESSION where KVM does not signal the eventfd itself, and a
 * session doorbell that is no ioeventfd (see hostcall-window.c).
 */
static int hostcall_kick_session(HostcallState *s, uint64_t id)
{
    HostcallSession *sess = hostcall_host_session(s, id);

    trace_hostcall_kick_session(s->token, id, sess ? 0 : -HOSTCALL_KVM_EINVAL);
    if (!sess) {
        return -HOSTCALL_KVM_EINVAL;
    }
    event_notifier_set(&sess->win->kick);
    return 0;
}

/* Stop the ring and end every session (CTRL_RESET, device reset). */
static void hostcall_do_reset(HostcallState *s)
{
    hostcall_host_reset(s);
    hostcall_ring_reset(s);
    timer_del(s->retry_timer);
    s->isr = 0;
    pci_set_irq(PCI_DEVICE(s), 0);
}

static uint32_t hostcall_status(HostcallState *s)
{
    uint32_t st = 0;

    if (s->ready && !s->broken) {
        st |= HC_STATUS_READY;
    }
    if (s->broken) {
        st |= HC_STATUS_ERROR;
    }
    if (s->host_up) {
        st |= HC_STATUS_HOST_UP;
    }
    return st;
}

static uint64_t hostcall_mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    HostcallState *s = opaque;
    uint32_t val;

    switch (addr) {
    case HC_REG_MAGIC:
        return HC_MAGIC;
    case HC_REG_VERSION:
        return HC_ABI_VERSION;
    case HC_REG_FEATURES:
        return s->features;
    case HC_REG_ACCEL:
        return kvm_enabled() ? HC_ACCEL_KVM : HC_ACCEL_TCG;
    case HC_REG_TOKEN:
        return s->token;
    case HC_REG_STATUS:
        return hostcall_status(s);
    case HC_REG_ERROR:
        return s->error;
    case HC_REG_MAX_DATA:
        return HC_MAX_DATA;
    case HC_REG_RING_LO:
        return s->ring_lo;
    case HC_REG_RING_HI:
        return s->ring_hi;
    case HC_REG_RING_ENTRIES:
        return s->ring_entries;
    case HC_REG_ISR:
        val = s->isr;
        s->isr = 0;
        pci_set_irq(PCI_DEVICE(s), 0);
        return val;
    case HC_REG_MAX_SEGS:
        return HC_MAX_SEGS;
    case HC_REG_WIN_SLOTS:
        return s->nwindows;
    case HC_REG_WIN_SIZE:
        return HC_WIN_SIZE;
    default:
        return 0;
    }
}

static void hostcall_mmio_write(void *opaque, hwaddr addr, uint64_t val,
                                unsigned size)
{
    HostcallState *s = opaque;

    switch (addr) {
    case HC_REG_RING_LO:
        s->ring_lo = val;
        break;
    case HC_REG_RING_HI:
        s->ring_hi = val;
        break;
    case HC_REG_RING_ENTRIES:
        s->ring_entries = val;
        break;
    case HC_REG_CTRL:
        if (val == HC_CTRL_RESET) {
            hostcall_do_reset(s);
        } else if (val == HC_CTRL_ENABLE) {
            hostcall_ring_enable(s);
        } else {
            qemu_log_mask(LOG_GUEST_ERROR, "hostcall: bad CTRL value %"
                          PRIu64 "\n", val);
        }
        break;
    case HC_REG_DOORBELL:
        hostcall_kick(s);
        break;
    default:
        if (addr >= HC_REG_SESSION_DOORBELL(1)) {
            /* usually an ioeventfd that never gets here; closed: ignored */
            hostcall_kick_session(s, (addr - HC_REG_SESSION_DOORBELL(1)) / 4
                                     + 1);
            break;
        }
        qemu_log_mask(LOG_GUEST_ERROR, "hostcall: write to read-only "
                      "register 0x%" HWADDR_PRIx "\n", addr);
        break;
    }
}

static const MemoryRegionOps hostcall_mmio_ops = {
    .read = hostcall_mmio_read,
    .write = hostcall_mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {
        .min_access_size = 4,
        .max_access_size = 4,
    },
    .impl = {
        .min_access_size = 4,
        .max_access_size = 4,
    },
};

/* The hypercall hook (sysemu/hostcall.h), called from vCPU threads. */
bool hostcall_hypercall(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2,
                        int cpl, int64_t *ret)
{
    bool locked, handled;
    HostcallState *s;

    if (nr != HC_HYPERCALL_NR) {
        return false;
    }
    locked = qemu_mutex_iothread_locked();
    if (!locked) {
        qemu_mutex_lock_iothread();
    }
    handled = !QLIST_EMPTY(&hostcall_devices);
    if (handled) {
        /* As KVM: hypercalls are for the guest kernel only. */
        *ret = -HOSTCALL_KVM_EINVAL;
        if (cpl != 0) {
            *ret = -HOSTCALL_KVM_EPERM;
        } else {
            QLIST_FOREACH(s, &hostcall_devices, next) {
                if (s->token == a0) {
                    break;
                }
            }
            if (s && a1 == HC_KICK_PROBE) {
                *ret = 0;
            } else if (s && a1 == HC_KICK_NOTIFY) {
                hostcall_kick(s);
                *ret = 0;
            } else if (s && a1 == HC_KICK_SESSION) {
                *ret = hostcall_kick_session(s, a2);
            }
        }
    }
    if (!locked) {
        qemu_mutex_unlock_iothread();
    }
    return handled;
}

/* BAR2: the window slots, 64-bit prefetchable (RAM behind it). */
static void hostcall_windows_init(HostcallState *s)
{
    uint64_t size = pow2ceil((uint64_t)s->nwindows * HC_WIN_SIZE);

    memory_region_init(&s->windows, OBJECT(s), "hostcall-windows", size);
    pci_register_bar(PCI_DEVICE(s), HC_BAR_WINDOWS,
                     PCI_BASE_ADDRESS_SPACE_MEMORY |
                     PCI_BASE_ADDRESS_MEM_TYPE_64 |
                     PCI_BASE_ADDRESS_MEM_PREFETCH, &s->windows);
}

static void hostcall_realize(PCIDevice *pdev, Error **errp)
{
    HostcallState *s = HOSTCALL(pdev);
    Error *err = NULL;

    if (s->vm_name && strlen(s->vm_name) >= HOSTCALL_VM_NAME_MAX) {
        error_setg(errp, "hostcall: vm name '%s' is longer than %d bytes",
                   s->vm_name, HOSTCALL_VM_NAME_MAX - 1);
        return;
    }
    if (s->nwindows < 1 || s->nwindows > HOSTCALL_MAX_SESSIONS) {
        error_setg(errp, "hostcall: windows=%u is out of range 1..%d",
                   s->nwindows, HOSTCALL_MAX_SESSIONS);
        return;
    }
    if (hostcall_irq_init(s, errp) < 0) {
        return;
    }

    pci_config_set_interrupt_pin(pdev->config, 1);
    memory_region_init_io(&s->mmio, OBJECT(s), &hostcall_mmio_ops, s,
                          "hostcall-mmio", HC_BAR0_SIZE);
    pci_register_bar(pdev, 0, PCI_BASE_ADDRESS_SPACE_MEMORY, &s->mmio);
    hostcall_windows_init(s);

    s->features = HC_F_WINDOW;
    if (msix_init_exclusive_bar(pdev, 1, 1, &err) == 0) {
        msix_vector_use(pdev, 0);
        s->features |= HC_F_MSIX;
    } else {
        /* INTx through HC_REG_ISR still works. */
        warn_report_err(err);
        err = NULL;
    }
    /*
     * TCG emulates the hypercall (target/i386/tcg); KVM forwards it only
     * with kvm-patch, once enabled. Without HC_F_HYPERCALL a driver under
     * KVM may still probe: stock KVM answers -KVM_ENOSYS, and it then uses
     * the doorbell.
     */
    if (tcg_enabled() || (kvm_enabled() && hostcall_kvm_enable())) {
        s->features |= HC_F_HYPERCALL;
    }

    s->token = hostcall_next_token++;
    /*
     * Removing a registration that does not exist fails with -ENOENT where
     * KVM offers hypercall eventfds, -ENOSYS where it does not.
     */
    if ((s->features & HC_F_HYPERCALL) && kvm_enabled() &&
        hostcall_kvm_session_eventfd(s->token, 1, -1) != -ENOSYS) {
        s->features |= HC_F_HC_EVENTFD;
    }
    QTAILQ_INIT(&s->done);
    s->pump_bh = qemu_bh_new_guarded(hostcall_pump_bh, s,
                                     &DEVICE(s)->mem_reentrancy_guard);
    s->retry_timer = timer_new_ms(QEMU_CLOCK_VIRTUAL, hostcall_retry_timer, s);
    s->ctrl.fd = -1;
    QSIMPLEQ_INIT(&s->ctrl.txq);
    s->next_session = 1;
    s->rxbuf = g_malloc(HCP_MAX_MSG);
    QLIST_INSERT_HEAD(&hostcall_devices, s, next);

    /* Never fatal: failures are reported and SESSION_OPEN gets -EHOSTDOWN. */
    hostcall_host_connect(s);
}

static void hostcall_exit(PCIDevice *pdev)
{
    HostcallState *s = HOSTCALL(pdev);

    QLIST_REMOVE(s, next);
    hostcall_do_reset(s);
    hostcall_host_close(s);
    hostcall_irq_exit(s);
    qemu_bh_delete(s->pump_bh);
    s->pump_bh = NULL;
    timer_free(s->retry_timer);
    s->retry_timer = NULL;
    g_free(s->rxbuf);
    s->rxbuf = NULL;
    if (s->features & HC_F_MSIX) {
        msix_vector_unuse(pdev, 0);
        msix_uninit_exclusive_bar(pdev);
    }
}

static void hostcall_reset(DeviceState *dev)
{
    HostcallState *s = HOSTCALL(dev);

    hostcall_do_reset(s);
    hostcall_irq_sync(s);
    s->ring_lo = s->ring_hi = s->ring_entries = 0;
}

/* MSI-X switched on or off: move the interrupt eventfd to or from KVM. */
static void hostcall_write_config(PCIDevice *pdev, uint32_t addr,
                                  uint32_t val, int len)
{
    pci_default_write_config(pdev, addr, val, len);
    hostcall_irq_sync(HOSTCALL(pdev));
}

static Property hostcall_properties[] = {
    DEFINE_PROP_STRING("socket", HostcallState, socket_path),
    DEFINE_PROP_STRING("shadowd", HostcallState, shadowd_path),
    DEFINE_PROP_STRING("vm", HostcallState, vm_name),
    DEFINE_PROP_UINT32("windows", HostcallState, nwindows,
                       HOSTCALL_DEF_WINDOWS),
    DEFINE_PROP_END_OF_LIST(),
};

static const VMStateDescription hostcall_vmstate = {
    .name = "hostcall",
    .unmigratable = 1,      /* sessions are host processes */
};

static void hostcall_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);

    k->realize = hostcall_realize;
    k->exit = hostcall_exit;
    k->config_write = hostcall_write_config;
    k->vendor_id = HC_PCI_VENDOR_ID;
    k->device_id = HC_PCI_DEVICE_ID;
    k->revision = HC_PCI_REVISION;
    k->class_id = PCI_CLASS_OTHERS;
    dc->desc = "hostcall: guest host-calls served by host shadow processes";
    dc->reset = hostcall_reset;
    dc->vmsd = &hostcall_vmstate;
    device_class_set_props(dc, hostcall_properties);
    set_bit(DEVICE_CATEGORY_MISC, dc->categories);
}

static const TypeInfo hostcall_info = {
    .name          = TYPE_HOSTCALL,
    .parent        = TYPE_PCI_DEVICE,
    .instance_size = sizeof(HostcallState),
    .class_init    = hostcall_class_init,
    .interfaces    = (InterfaceInfo[]) {
        { INTERFACE_CONVENTIONAL_PCI_DEVICE },
        { },
    },
};

static void hostcall_register_types(void)
{
    type_register_static(&hostcall_info);
}

type_init(hostcall_register_types)
