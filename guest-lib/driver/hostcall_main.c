// SPDX-License-Identifier: GPL-2.0
/*
 * hostcall guest driver: PCI probe and remove, registers, interrupt,
 * transport selection.
 *
 * The device connects guest processes to their shadow processes on the
 * host. Session open and close travel in a control ring in guest memory;
 * every call of a session goes through its window in BAR2, shared with
 * its shadow (hostcall_qp.c). Kicks are the host-call hypercall where it
 * is cheapest (TCG; KVM with the hypercall-eventfd patch) or a doorbell
 * register write (stock KVM: an ioeventfd). One interrupt serves the
 * control ring and every window.
 */

#include <linux/dma-mapping.h>
#include <linux/idr.h>
#include <linux/interrupt.h>
#include <linux/kvm_para.h>
#include <linux/io.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <asm/kvm_para.h>

#include "hostcall_drv.h"

static unsigned int ring_entries = HC_DEFAULT_ENTRIES;
module_param(ring_entries, uint, 0444);
MODULE_PARM_DESC(ring_entries,
		 "control ring slots per device (power of 2, 32.." __stringify(HC_RING_MAX) ")");

static bool force_doorbell;
module_param(force_doorbell, bool, 0444);
MODULE_PARM_DESC(force_doorbell, "never kick with the hypercall (tests)");

static bool kvm_hypercall_kick;
module_param(kvm_hypercall_kick, bool, 0444);
MODULE_PARM_DESC(kvm_hypercall_kick,
		 "under KVM, kick sessions by hypercall even when it exits to QEMU (benchmarks)");

static DEFINE_IDA(hc_ida);

/* Tell the device there are new control requests; under kick_sem. */
void hc_kick(struct hc_device *hdev)
{
	long ret;

	if (READ_ONCE(hdev->ctrl_hypercall)) {
		ret = kvm_hypercall2(HC_HYPERCALL_NR, hdev->token,
				     HC_KICK_NOTIFY);
		if (likely(!ret))
			return;
		dev_warn(&hdev->pdev->dev,
			 "hypercall kick failed (%ld), switching to the doorbell\n",
			 ret);
		WRITE_ONCE(hdev->ctrl_hypercall, false);
	}
	writel(1, hdev->regs + HC_REG_DOORBELL);
}

/* Wake session id's shadow: new entries in its window. Process context. */
void hc_kick_session(struct hc_device *hdev, u32 id)
{
	u32 transport;
	long ret;

	/* the registers stay mapped while we hold it (remove() waits) */
	down_read(&hdev->kick_sem);
	if (READ_ONCE(hdev->dead))
		goto out;
	transport = READ_ONCE(hdev->transport);
	if (transport == HC_TRANSPORT_HYPERCALL_TCG ||
	    transport == HC_TRANSPORT_HYPERCALL_KVM ||
	    transport == HC_TRANSPORT_HYPERCALL_EVENTFD) {
		ret = kvm_hypercall3(HC_HYPERCALL_NR, hdev->token,
				     HC_KICK_SESSION, id);
		if (likely(!ret))
			goto out;
		/* this kick goes by the doorbell; a missing service for good */
		dev_warn_ratelimited(&hdev->pdev->dev,
				     "session %u: hypercall kick failed (%ld)\n",
				     id, ret);
		if (ret == -KVM_ENOSYS)
			WRITE_ONCE(hdev->transport,
				   hdev->accel == HC_ACCEL_KVM ?
				   HC_TRANSPORT_DOORBELL_IOEVENTFD :
				   HC_TRANSPORT_DOORBELL);
	}
	writel(1, hdev->regs + HC_REG_SESSION_DOORBELL(id));
out:
	up_read(&hdev->kick_sem);
}

/*
 * Pick the kicks. The hypercall is only tried where it cannot fault: when
 * the device says it serves it, or under KVM (which answers an unknown
 * hypercall with -KVM_ENOSYS). An unpatched TCG raises #UD. Sessions: under
 * KVM the hypercall only when KVM itself signals the shadow's eventfd
 * (HC_F_HC_EVENTFD), else the doorbell, an ioeventfd that never exits to
 * QEMU (kvm_hypercall_kick=1 forces the hypercall that exits to QEMU, to
 * compare the three); under TCG the hypercall when served.
 */
static void hc_pick_transport(struct hc_device *hdev)
{
	bool kvm = hdev->accel == HC_ACCEL_KVM;
	long ret;

	hdev->ctrl_hypercall = false;
	if (!force_doorbell &&
	    ((hdev->features & HC_F_HYPERCALL) || kvm)) {
		ret = kvm_hypercall2(HC_HYPERCALL_NR, hdev->token,
				     HC_KICK_PROBE);
		hdev->ctrl_hypercall = ret == 0;
		if (ret)
			dev_info(&hdev->pdev->dev,
				 "hypercall not served (%ld), using the doorbell\n",
				 ret);
	}
	if (kvm && hdev->ctrl_hypercall && (hdev->features & HC_F_HC_EVENTFD))
		hdev->transport = HC_TRANSPORT_HYPERCALL_EVENTFD;
	else if (kvm && hdev->ctrl_hypercall && kvm_hypercall_kick)
		hdev->transport = HC_TRANSPORT_HYPERCALL_KVM;
	else if (kvm)
		hdev->transport = HC_TRANSPORT_DOORBELL_IOEVENTFD;
	else
		hdev->transport = hdev->ctrl_hypercall &&
			(hdev->features & HC_F_HYPERCALL) ?
			HC_TRANSPORT_HYPERCALL_TCG : HC_TRANSPORT_DOORBELL;
	dev_info(&hdev->pdev->dev, "kick: %s\n",
		 hc_transport_str(hdev->transport));
}

static irqreturn_t hc_irq(int irq, void *data)
{
	struct hc_device *hdev = data;

	/* INTx may be shared; ISR is read-to-clear */
	if (!hdev->msix && !readl(hdev->regs + HC_REG_ISR))
		return IRQ_NONE;
	hc_process_completions(hdev);
	hc_qp_interrupt(hdev);
	return IRQ_HANDLED;
}

/* BAR2: one window per session slot, RAM shared with its shadow. */
static int hc_windows_init(struct hc_device *hdev)
{
	struct pci_dev *pdev = hdev->pdev;
	u32 win_size = readl(hdev->regs + HC_REG_WIN_SIZE);

	hdev->win_slots = readl(hdev->regs + HC_REG_WIN_SLOTS);
	if (!(hdev->features & HC_F_WINDOW) || win_size != HC_WIN_SIZE ||
	    !hdev->win_slots) {
		dev_err(&pdev->dev, "no session windows (features %#x, window size %#x, %u slots)\n",
			hdev->features, win_size, hdev->win_slots);
		return -ENODEV;
	}
	if (!(pci_resource_flags(pdev, HC_BAR_WINDOWS) & IORESOURCE_MEM) ||
	    !pci_resource_start(pdev, HC_BAR_WINDOWS) ||
	    pci_resource_len(pdev, HC_BAR_WINDOWS) <
	    (resource_size_t)hdev->win_slots * HC_WIN_SIZE) {
		dev_err(&pdev->dev, "BAR%d not assigned or smaller than %u windows\n",
			HC_BAR_WINDOWS, hdev->win_slots);
		return -ENODEV;
	}
	hdev->win_base = pci_resource_start(pdev, HC_BAR_WINDOWS);
	return 0;
}

static unsigned int hc_entries_param(void)
{
	unsigned int n = clamp_t(unsigned int, ring_entries, 32, HC_RING_MAX);

	return rounddown_pow_of_two(n);
}

static int hc_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct hc_device *hdev;
	u32 magic, version, status;
	int ret;

	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	ret = pcim_iomap_regions(pdev, BIT(0), HC_DRV_NAME);
	if (ret)
		return ret;
	if (pci_resource_len(pdev, 0) < HC_BAR0_SIZE) {
		dev_err(&pdev->dev, "BAR0 too small\n");
		return -ENODEV;
	}

	hdev = kzalloc(sizeof(*hdev), GFP_KERNEL);
	if (!hdev)
		return -ENOMEM;
	hdev->pdev = pci_dev_get(pdev);
	hdev->regs = pcim_iomap_table(pdev)[0];
	spin_lock_init(&hdev->lock);
	init_rwsem(&hdev->kick_sem);
	init_waitqueue_head(&hdev->slot_wq);
	init_llist_head(&hdev->free_list);
	INIT_LIST_HEAD(&hdev->sessions);
	INIT_WORK(&hdev->free_work, hc_free_work);
	strscpy(hdev->pci_name, pci_name(pdev), sizeof(hdev->pci_name));

	ret = ida_alloc_max(&hc_ida, HC_MAX_DEVICES - 1, GFP_KERNEL);
	if (ret < 0) {
		pci_dev_put(pdev);
		kfree(hdev);
		return ret;
	}
	hdev->index = ret;
	/* from here on, put_device() frees hdev */
	ret = hc_chrdev_setup(hdev, &pdev->dev);
	if (ret)
		goto err_put;

	magic = readl(hdev->regs + HC_REG_MAGIC);
	version = readl(hdev->regs + HC_REG_VERSION);
	if (magic != HC_MAGIC || version != HC_ABI_VERSION) {
		dev_err(&pdev->dev, "not a hostcall device of ABI %u (magic %#x, version %u)\n",
			HC_ABI_VERSION, magic, version);
		ret = -ENODEV;
		goto err_put;
	}
	hdev->features = readl(hdev->regs + HC_REG_FEATURES);
	hdev->accel = readl(hdev->regs + HC_REG_ACCEL);
	hdev->token = readl(hdev->regs + HC_REG_TOKEN);
	hdev->max_data = readl(hdev->regs + HC_REG_MAX_DATA);
	if (!hdev->max_data || hdev->max_data > HC_MAX_DATA)
		hdev->max_data = HC_MAX_DATA;
	hdev->max_segs = readl(hdev->regs + HC_REG_MAX_SEGS);
	if (!hdev->max_segs || hdev->max_segs > HC_MAX_SEGS)
		hdev->max_segs = HC_MAX_SEGS;

	ret = hc_windows_init(hdev);
	if (ret)
		goto err_put;

	writel(HC_CTRL_RESET, hdev->regs + HC_REG_CTRL);
	/* the control ring: the device takes any guest address (through a vIOMMU, if any) */
	ret = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64));
	if (ret)
		goto err_put;
	pci_set_master(pdev);

	ret = hc_ring_init(hdev, hc_entries_param());
	if (ret)
		goto err_put;

	ret = pci_alloc_irq_vectors(pdev, 1, 1, PCI_IRQ_MSIX | PCI_IRQ_LEGACY);
	if (ret < 0)
		goto err_ring;
	hdev->msix = pdev->msix_enabled;
	hdev->irq = pci_irq_vector(pdev, 0);
	ret = request_irq(hdev->irq, hc_irq, hdev->msix ? 0 : IRQF_SHARED,
			  dev_name(&hdev->dev), hdev);
	if (ret)
		goto err_vectors;

	writel(lower_32_bits(hdev->ring_dma), hdev->regs + HC_REG_RING_LO);
	writel(upper_32_bits(hdev->ring_dma), hdev->regs + HC_REG_RING_HI);
	writel(hdev->entries, hdev->regs + HC_REG_RING_ENTRIES);
	writel(HC_CTRL_ENABLE, hdev->regs + HC_REG_CTRL);
	status = readl(hdev->regs + HC_REG_STATUS);
	if ((status & HC_STATUS_ERROR) || !(status & HC_STATUS_READY)) {
		dev_err(&pdev->dev, "ring not accepted (status %#x, error %u)\n",
			status, readl(hdev->regs + HC_REG_ERROR));
		ret = -EIO;
		goto err_reset;
	}

	hc_pick_transport(hdev);

	ret = hc_chrdev_add(hdev);
	if (ret)
		goto err_reset;
	pci_set_drvdata(pdev, hdev);

	dev_info(&pdev->dev, "/dev/%s: %u session windows, %s, accel %s%s\n",
		 dev_name(&hdev->dev), hdev->win_slots,
		 hdev->msix ? "MSI-X" : "INTx",
		 hdev->accel == HC_ACCEL_KVM ? "kvm" :
		 hdev->accel == HC_ACCEL_TCG ? "tcg" : "unknown",
		 status & HC_STATUS_HOST_UP ? "" : ", host daemon not reachable");
	return 0;

err_reset:
	writel(HC_CTRL_RESET, hdev->regs + HC_REG_CTRL);
	free_irq(hdev->irq, hdev);
err_vectors:
	pci_free_irq_vectors(pdev);
err_ring:
	pci_clear_master(pdev);
	hc_ring_free(hdev);
err_put:
	ida_free(&hc_ida, hdev->index);
	put_device(&hdev->dev);
	return ret;
}

static void hc_remove(struct pci_dev *pdev)
{
	struct hc_device *hdev = pci_get_drvdata(pdev);

	/* no new opens */
	hc_chrdev_del(hdev);
	/* reset the device, fail every waiter with -ENODEV */
	hc_fail_all(hdev, -ENODEV);
	/* kicks in progress end before the registers go; later ones see dead */
	down_write(&hdev->kick_sem);
	up_write(&hdev->kick_sem);
	free_irq(hdev->irq, hdev);
	pci_free_irq_vectors(pdev);
	/* free the failed requests (the device is reset) */
	flush_work(&hdev->free_work);
	pci_clear_master(pdev);
	hc_ring_free(hdev);
	ida_free(&hc_ida, hdev->index);
	pci_set_drvdata(pdev, NULL);
	/* open sessions keep hdev until they are closed; they get -ENODEV */
	put_device(&hdev->dev);
}

static void hc_shutdown(struct pci_dev *pdev)
{
	struct hc_device *hdev = pci_get_drvdata(pdev);

	if (hdev)
		hc_fail_all(hdev, -ENODEV);
}

static const struct pci_device_id hc_pci_ids[] = {
	{ PCI_DEVICE(HC_PCI_VENDOR_ID, HC_PCI_DEVICE_ID) },
	{ }
};
MODULE_DEVICE_TABLE(pci, hc_pci_ids);

static struct pci_driver hc_pci_driver = {
	.name = HC_DRV_NAME,
	.id_table = hc_pci_ids,
	.probe = hc_probe,
	.remove = hc_remove,
	.shutdown = hc_shutdown,
};

static int __init hc_init(void)
{
	int ret;

	ret = hc_stream_init();
	if (ret)
		return ret;
	ret = hc_chrdev_init();
	if (ret)
		goto out_stream;
	ret = pci_register_driver(&hc_pci_driver);
	if (ret)
		goto out_chrdev;
	return 0;

out_chrdev:
	hc_chrdev_exit();
out_stream:
	hc_stream_exit();
	return ret;
}

static void __exit hc_exit(void)
{
	pci_unregister_driver(&hc_pci_driver);
	hc_chrdev_exit();
	hc_stream_exit();
	ida_destroy(&hc_ida);
}

module_init(hc_init);
module_exit(hc_exit);

MODULE_DESCRIPTION("hostcall: host-calls from guest processes to their host shadows");
MODULE_LICENSE("GPL");
