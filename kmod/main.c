// SPDX-License-Identifier: GPL-2.0
/*
 * ipipe: PCI driver of the ipipe SmartNIC.
 *
 * The NIC is an ivshmem-doorbell function (1af4:1110) whose BAR2 is the
 * NIC's memory window; a device counts as ours only if the firmware wrote
 * its header there.  See Documentation/hw/ipipe-nic.rst.
 */
#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/idr.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "ipipe.h"

static DEFINE_IDA(ipipe_ida);

/* Bound devices, for netlink; the mutex protects the list. */
static LIST_HEAD(ipipe_devs);
static DEFINE_MUTEX(ipipe_devs_lock);

/**
 * ipipe_dev_get_next - the bound device with the smallest id >= @index
 * @index: where to start
 *
 * Return: the device with a reference (drop it with ipipe_dev_put()), or
 * NULL.
 */
struct ipipe_dev *ipipe_dev_get_next(u32 index)
{
	struct ipipe_dev *ipd, *best = NULL;

	mutex_lock(&ipipe_devs_lock);
	list_for_each_entry(ipd, &ipipe_devs, node) {
		if (ipd->id >= index && (!best || ipd->id < best->id))
			best = ipd;
	}
	if (best)
		kref_get(&best->ref);
	mutex_unlock(&ipipe_devs_lock);
	return best;
}

struct ipipe_dev *ipipe_dev_get_by_index(u32 index)
{
	struct ipipe_dev *ipd = ipipe_dev_get_next(index);

	if (ipd && ipd->id != index) {
		ipipe_dev_put(ipd);
		return NULL;
	}
	return ipd;
}

static void ipipe_dev_release(struct kref *ref)
{
	struct ipipe_dev *ipd = container_of(ref, struct ipipe_dev, ref);

	xa_destroy(&ipd->persistent);
	pci_dev_put(ipd->pdev);
	kfree(ipd);
}

void ipipe_dev_put(struct ipipe_dev *ipd)
{
	kref_put(&ipd->ref, ipipe_dev_release);
}

static void ipipe_dev_put_action(void *data)
{
	ipipe_dev_put(data);
}

static void ipipe_ida_free_action(void *data)
{
	struct ipipe_dev *ipd = data;

	ida_free(&ipipe_ida, ipd->id);
}

/* The loopback test vector only counts. */
static irqreturn_t ipipe_test_irq(int irq, void *data)
{
	struct ipipe_dev *ipd = data;

	atomic64_inc(&ipd->irqs[IPIPE_VEC_TEST]);
	return IRQ_HANDLED;
}

static const irq_handler_t ipipe_irq_handlers[IPIPE_NUM_VECTORS] = {
	[IPIPE_VEC_ADMIN]	= ipipe_adminq_irq,
	[IPIPE_VEC_EVENT]	= ipipe_event_irq,
	[IPIPE_VEC_RING]	= ipipe_ring_irq,
	[IPIPE_VEC_TEST]	= ipipe_test_irq,
};

static int ipipe_check_header(struct ipipe_dev *ipd)
{
	struct ipipe_hw_header *hdr = ipd->hdr;
	struct device *dev = &ipd->pdev->dev;
	unsigned long deadline;
	u32 abi, state;

	if (READ_ONCE(hdr->magic) != IPIPE_HW_MAGIC) {
		dev_info(dev, "no ipipe firmware header in BAR2, not claiming\n");
		return -ENODEV;
	}
	abi = READ_ONCE(hdr->abi_version);
	if (abi >> 16 != IPIPE_ABI_MAJOR) {
		dev_err(dev, "firmware ABI %u.%u, driver ABI %u.%u: incompatible\n",
			abi >> 16, abi & 0xffff, IPIPE_ABI_MAJOR, IPIPE_ABI_MINOR);
		return -EPROTO;
	}
	deadline = jiffies + msecs_to_jiffies(IPIPE_READY_TIMEOUT_MS);
	while ((state = READ_ONCE(hdr->state)) != IPIPE_FW_STATE_READY) {
		if (state == IPIPE_FW_STATE_FAILED)
			return dev_err_probe(dev, -EIO, "firmware failed, error %u\n",
					     READ_ONCE(hdr->fw_error));
		if (time_after(jiffies, deadline))
			return dev_err_probe(dev, -ETIMEDOUT,
					     "firmware not ready (state %u)\n", state);
		msleep(20);
	}
	/* Order the header reads below after seeing READY. */
	smp_rmb();
	if (READ_ONCE(hdr->header_size) < sizeof(*hdr) ||
	    READ_ONCE(hdr->num_vectors) < IPIPE_NUM_VECTORS ||
	    hdr->nic_data_off > ipd->mem_size ||
	    hdr->nic_data_size > ipd->mem_size - hdr->nic_data_off)
		return dev_err_probe(dev, -EIO, "firmware header inconsistent\n");
	return 0;
}

static int ipipe_setup_irqs(struct ipipe_dev *ipd)
{
	struct pci_dev *pdev = ipd->pdev;
	int err, vec;

	/* Without bus mastering the MSI-X writes are dropped (TCG shows it). */
	pci_set_master(pdev);
	err = pci_alloc_irq_vectors(pdev, IPIPE_NUM_VECTORS, IPIPE_NUM_VECTORS,
				    PCI_IRQ_MSIX);
	if (err < 0)
		return dev_err_probe(&pdev->dev, err, "allocate MSI-X vectors\n");
	for (vec = 0; vec < IPIPE_NUM_VECTORS; vec++) {
		err = devm_request_irq(&pdev->dev, pci_irq_vector(pdev, vec),
				       ipipe_irq_handlers[vec], 0, ipd->name, ipd);
		if (err)
			return dev_err_probe(&pdev->dev, err, "request irq %d\n", vec);
	}
	return 0;
}

static void ipipe_free_irqs(struct ipipe_dev *ipd)
{
	int vec;

	for (vec = 0; vec < IPIPE_NUM_VECTORS; vec++)
		devm_free_irq(&ipd->pdev->dev, pci_irq_vector(ipd->pdev, vec), ipd);
}

static int ipipe_fw_identify(struct ipipe_dev *ipd)
{
	struct device *dev = &ipd->pdev->dev;
	struct ipipe_admin_cmd cmd = {};
	struct ipipe_admin_cqe cqe;
	int err;

	/* A NOP proves the doorbell and the MSI-X path before anything else. */
	cmd.opcode = IPIPE_ADMIN_NOP;
	err = ipipe_admin_exec(ipd, &cmd, &cqe, IPIPE_ADMIN_TIMEOUT_MS, NULL, NULL);
	if (err)
		return dev_err_probe(dev, err, "firmware does not answer a NOP\n");

	err = ipipe_admin_read(ipd, IPIPE_ADMIN_IDENTIFY, &ipd->ident, sizeof(ipd->ident), NULL,
			       IPIPE_ADMIN_TIMEOUT_MS);
	if (err)
		return dev_err_probe(dev, err, "IDENTIFY failed\n");
	ipd->ident.fw_name[sizeof(ipd->ident.fw_name) - 1] = '\0';
	/* ACTOR_LIST buffers are sized from it: a wild value is refused here */
	if (!ipd->ident.max_actors || ipd->ident.max_actors > IPIPE_MAX_ACTORS)
		return dev_err_probe(dev, -EPROTO, "IDENTIFY: %u actors is out of range\n",
				     ipd->ident.max_actors);
	ipd->max_dma_len = min_t(u32, ipd->ident.max_dma_len,
				 min_t(u32, ipd->ident.max_dma_segs, IPIPE_DMA_MAX_SEGS) *
				 IPIPE_DMA_CHUNK);
	return 0;
}

static int ipipe_probe(struct pci_dev *pdev, const struct pci_device_id *ent)
{
	struct device *dev = &pdev->dev;
	struct ipipe_dev *ipd;
	resource_size_t start;
	int err;

	ipd = kzalloc(sizeof(*ipd), GFP_KERNEL);
	if (!ipd)
		return -ENOMEM;
	kref_init(&ipd->ref);
	ipd->pdev = pci_dev_get(pdev);
	INIT_LIST_HEAD(&ipd->node);
	INIT_LIST_HEAD(&ipd->files);
	mutex_init(&ipd->files_lock);
	ida_init(&ipd->ring_ida);
	xa_init(&ipd->persistent);
	init_waitqueue_head(&ipd->ring_wq);
	init_rwsem(&ipd->gone_lock);
	spin_lock_init(&ipd->sq_lock);
	spin_lock_init(&ipd->cq_lock);
	err = devm_add_action_or_reset(dev, ipipe_dev_put_action, ipd);
	if (err)
		return err;

	err = pcim_enable_device(pdev);
	if (err)
		return dev_err_probe(dev, err, "enable device\n");
	err = pcim_iomap_regions(pdev, BIT(0), DRV_NAME);
	if (err)
		return dev_err_probe(dev, err, "map BAR0\n");
	ipd->regs = pcim_iomap_table(pdev)[0];

	start = pci_resource_start(pdev, 2);
	ipd->mem_size = pci_resource_len(pdev, 2);
	if (ipd->mem_size < IPIPE_PAGE_SIZE)
		return -ENODEV;
	if (!devm_request_mem_region(dev, start, ipd->mem_size, DRV_NAME))
		return dev_err_probe(dev, -EBUSY, "claim BAR2\n");
	/* BAR2 is host RAM behind ivshmem, coherent with the firmware. */
	ipd->mem = devm_memremap(dev, start, ipd->mem_size, MEMREMAP_WB);
	if (IS_ERR(ipd->mem))
		return dev_err_probe(dev, PTR_ERR(ipd->mem), "map BAR2\n");
	ipd->hdr = ipd->mem;

	err = ipipe_check_header(ipd);
	if (err)
		return err;

	err = dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64));
	if (err)
		return dev_err_probe(dev, err, "set DMA mask\n");

	err = ida_alloc(&ipipe_ida, GFP_KERNEL);
	if (err < 0)
		return err;
	ipd->id = err;
	err = devm_add_action_or_reset(dev, ipipe_ida_free_action, ipd);
	if (err)
		return err;
	snprintf(ipd->name, sizeof(ipd->name), DRV_NAME "%d", ipd->id);

	err = ipipe_adminq_init(ipd);
	if (err)
		return err;
	err = ipipe_events_init(ipd);
	if (err)
		return err;
	err = ipipe_setup_irqs(ipd);
	if (err)
		return err;

	ipd->peer = ipipe_readl(ipd, IPIPE_REG_IVPOSITION);
	WRITE_ONCE(ipd->hdr->host_peer, ipd->peer);
	WRITE_ONCE(ipd->hdr->host_abi_version, IPIPE_ABI_VERSION);
	/* The firmware reads host_peer after our first doorbell. */
	wmb();

	err = ipipe_fw_identify(ipd);
	if (err)
		goto err_free_irqs;
	err = ipipe_params_init(ipd);
	if (err)
		goto err_free_irqs;

	pci_set_drvdata(pdev, ipd);
	err = ipipe_chrdev_init(ipd);
	if (err)
		goto err_free_irqs;
	mutex_lock(&ipipe_devs_lock);
	list_add_tail(&ipd->node, &ipipe_devs);
	mutex_unlock(&ipipe_devs_lock);
	ipipe_debugfs_init(ipd);

	dev_info(dev, "%s: firmware %s %u.%u.%u, ABI %u.%u, %u NIC cores, %llu MiB\n",
		 ipd->name, ipd->ident.fw_name, ipd->ident.fw_version >> 16,
		 (ipd->ident.fw_version >> 8) & 0xff, ipd->ident.fw_version & 0xff,
		 ipd->ident.abi_version >> 16, ipd->ident.abi_version & 0xffff,
		 ipd->ident.nic_cores, ipd->mem_size >> 20);
	return 0;

err_free_irqs:
	ipipe_free_irqs(ipd);
	ipipe_events_exit(ipd);
	ipipe_adminq_exit(ipd);
	return err;
}

static void ipipe_remove(struct pci_dev *pdev)
{
	struct ipipe_dev *ipd = pci_get_drvdata(pdev);

	ipipe_debugfs_exit(ipd);
	mutex_lock(&ipipe_devs_lock);
	list_del_init(&ipd->node);
	mutex_unlock(&ipipe_devs_lock);
	ipipe_chrdev_exit(ipd);
	/*
	 * Wait for running file operations, then take the rings and actors of
	 * every open file away while the NIC still answers; later calls see
	 * -ENODEV and pollers EPOLLERR.
	 */
	down_write(&ipd->gone_lock);
	ipipe_chrdev_revoke(ipd);
	WRITE_ONCE(ipd->gone, true);
	up_write(&ipd->gone_lock);
	wake_up_interruptible_all(&ipd->ring_wq);
	ipipe_free_irqs(ipd);
	ipipe_events_exit(ipd);
	ipipe_adminq_exit(ipd);
}

static const struct pci_device_id ipipe_pci_ids[] = {
	{ PCI_DEVICE(IPIPE_PCI_VENDOR_ID, IPIPE_PCI_DEVICE_ID) },
	{ }
};
MODULE_DEVICE_TABLE(pci, ipipe_pci_ids);

static struct pci_driver ipipe_pci_driver = {
	.name		= DRV_NAME,
	.id_table	= ipipe_pci_ids,
	.probe		= ipipe_probe,
	.remove		= ipipe_remove,
	.dev_groups	= ipipe_dev_groups,
};

static int __init ipipe_init(void)
{
	int err;

	/* ORDER: the family first, so a probed device can always notify. */
	err = ipipe_genl_init();
	if (err) {
		pr_warn("ipipe: netlink registration failed (%d)\n", err);
		return err;
	}
	ipipe_debugfs_module_init();
	err = pci_register_driver(&ipipe_pci_driver);
	if (err) {
		ipipe_debugfs_module_exit();
		ipipe_genl_exit();
	}
	return err;
}

static void __exit ipipe_exit(void)
{
	pci_unregister_driver(&ipipe_pci_driver);
	ipipe_debugfs_module_exit();
	ipipe_genl_exit();
}

module_init(ipipe_init);
module_exit(ipipe_exit);

MODULE_DESCRIPTION("ipipe SmartNIC actor offload driver");
MODULE_AUTHOR("The ipipe developers");
MODULE_LICENSE("GPL");
