/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipipe: private definitions of the SmartNIC driver.
 */
#ifndef _IPIPE_DRV_H
#define _IPIPE_DRV_H

#include <linux/completion.h>
#include <linux/kref.h>
#include <linux/miscdevice.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/rwsem.h>
#include <linux/spinlock.h>
#include <linux/ipipe.h>

#define DRV_NAME		"ipipe"

/* How long probe waits for the firmware to report READY. */
#define IPIPE_READY_TIMEOUT_MS	5000
#define IPIPE_ADMIN_TIMEOUT_MS	5000
/* DMA bounce buffers are allocated in chunks of this size. */
#define IPIPE_DMA_CHUNK		(128 * 1024)

struct ipipe_dev;

/* One admin command in flight; indexed by cmd_id. */
struct ipipe_cmd_slot {
	struct completion done;
	struct ipipe_admin_cqe cqe;
	bool busy;
	/*
	 * The waiter gave up (timeout or signal).  The firmware may still
	 * touch the command's buffers, so release() runs only when the late
	 * completion arrives, or at teardown.
	 */
	bool abandoned;
	void (*release)(struct ipipe_dev *ipd, void *ctx);
	void *ctx;
};

struct ipipe_dev {
	struct pci_dev *pdev;
	struct kref ref;		/* open files + the bound device */
	void __iomem *regs;		/* BAR0: ivshmem registers */
	void *mem;			/* BAR2: the NIC memory window */
	u64 mem_size;
	struct ipipe_hw_header *hdr;	/* == mem */
	u32 peer;			/* our ivshmem peer id */
	int id;				/* N of /dev/ipipeN */
	char name[16];
	struct miscdevice misc;
	bool misc_registered;

	/* taken for read by every file operation, for write by remove */
	struct rw_semaphore gone_lock;
	bool gone;			/* device unbound: calls give -ENODEV */

	/* admin queue */
	spinlock_t sq_lock;		/* protects sq_prod and slot allocation */
	struct ipipe_ring_hdr *sq_hdr;
	struct ipipe_admin_cmd *sq;
	u32 sq_prod;
	u32 aq_entries;			/* SQ and CQ have the same size */
	spinlock_t cq_lock;		/* protects cq_cons */
	struct ipipe_ring_hdr *cq_hdr;
	struct ipipe_admin_cqe *cq;
	u32 cq_cons;
	struct ipipe_cmd_slot *slots;	/* aq_entries of them */
	struct semaphore slots_free;	/* counts free slots */

	struct ipipe_identify ident;	/* from IDENTIFY at probe */
	u32 max_dma_len;		/* min(firmware, driver bounce limit) */

	atomic64_t irqs[IPIPE_NUM_VECTORS];
	atomic64_t admin_timeouts;
	atomic64_t spurious_cqes;
};

static inline u32 ipipe_readl(struct ipipe_dev *ipd, u32 reg)
{
	return readl(ipd->regs + reg);
}

static inline void ipipe_writel(struct ipipe_dev *ipd, u32 reg, u32 val)
{
	writel(val, ipd->regs + reg);
}

static inline void ipipe_doorbell(struct ipipe_dev *ipd, u32 vec)
{
	ipipe_writel(ipd, IPIPE_REG_DOORBELL, IPIPE_DOORBELL(IPIPE_FW_PEER, vec));
}

void ipipe_dev_put(struct ipipe_dev *ipd);

/* adminq.c */
int ipipe_adminq_init(struct ipipe_dev *ipd);
void ipipe_adminq_exit(struct ipipe_dev *ipd);
irqreturn_t ipipe_adminq_irq(int irq, void *data);
int ipipe_admin_exec(struct ipipe_dev *ipd, struct ipipe_admin_cmd *cmd,
		     struct ipipe_admin_cqe *cqe, unsigned int timeout_ms,
		     void (*release)(struct ipipe_dev *, void *), void *ctx);
int ipipe_status_to_errno(u16 status);

/* dma.c */
long ipipe_dma_ioctl(struct ipipe_dev *ipd, void __user *argp, bool to_nic);

/* chrdev.c */
int ipipe_chrdev_init(struct ipipe_dev *ipd);
void ipipe_chrdev_exit(struct ipipe_dev *ipd);
int ipipe_copy_struct_from_user(void *dst, size_t ksize, const void __user *src,
				size_t min_size);

#endif /* _IPIPE_DRV_H */
