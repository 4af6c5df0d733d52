// SPDX-License-Identifier: GPL-2.0
/*
 * ipipe: the admin queue.  Commands go into a ring in NIC memory (BAR2)
 * and the firmware answers in a completion ring there, raising MSI-X
 * vector IPIPE_VEC_ADMIN.  Several commands may be in flight; cmd_id is
 * the index of the waiter's slot.
 */
#include <linux/interrupt.h>
#include <linux/jiffies.h>
#include <linux/slab.h>

#include "ipipe.h"

static const int ipipe_status_errno[IPIPE_STS_LAST] = {
	[IPIPE_STS_OK]			= 0,
	[IPIPE_STS_BAD_OPCODE]		= -EOPNOTSUPP,
	[IPIPE_STS_BAD_FIELD]		= -EINVAL,
	[IPIPE_STS_BAD_ADDR]		= -EFAULT,
	[IPIPE_STS_BAD_LEN]		= -EINVAL,
	[IPIPE_STS_TOO_MANY_SEGS]	= -E2BIG,
	[IPIPE_STS_NO_SPACE]		= -ENOSPC,
	[IPIPE_STS_NOT_FOUND]		= -ENOENT,
	[IPIPE_STS_EXISTS]		= -EEXIST,
	[IPIPE_STS_BUSY]		= -EBUSY,
	[IPIPE_STS_BAD_INDEX]		= -ERANGE,
	[IPIPE_STS_DMA_ERROR]		= -EIO,
	[IPIPE_STS_INTERNAL]		= -EIO,
};

int ipipe_status_to_errno(u16 status)
{
	if (status >= IPIPE_STS_LAST)
		return -EIO;
	return ipipe_status_errno[status];
}

static void ipipe_slot_free(struct ipipe_dev *ipd, u16 id)
{
	struct ipipe_cmd_slot *slot = &ipd->slots[id];
	unsigned long flags;

	spin_lock_irqsave(&ipd->sq_lock, flags);
	slot->busy = false;
	slot->abandoned = false;
	slot->completed = false;
	slot->release = NULL;
	slot->ctx = NULL;
	spin_unlock_irqrestore(&ipd->sq_lock, flags);
	up(&ipd->slots_free);
}

/*
 * Releases the buffers of abandoned commands whose late completion came.
 * Runs in process context: freeing coherent DMA memory may sleep.
 */
static void ipipe_reap_work(struct work_struct *work)
{
	struct ipipe_dev *ipd = container_of(work, struct ipipe_dev, reap_work);
	u16 id;

	for (id = 0; id < ipd->aq_entries; id++) {
		struct ipipe_cmd_slot *slot = &ipd->slots[id];
		unsigned long flags;
		bool reap;

		spin_lock_irqsave(&ipd->sq_lock, flags);
		reap = slot->busy && slot->abandoned && slot->completed;
		spin_unlock_irqrestore(&ipd->sq_lock, flags);
		if (!reap)
			continue;
		if (slot->release)
			slot->release(ipd, slot->ctx);
		ipipe_slot_free(ipd, id);
	}
}

irqreturn_t ipipe_adminq_irq(int irq, void *data)
{
	struct ipipe_dev *ipd = data;
	u32 mask = ipd->aq_entries - 1;
	bool handled = false;
	u32 prod;

	atomic64_inc(&ipd->irqs[IPIPE_VEC_ADMIN]);
	spin_lock(&ipd->cq_lock);
	/* Doorbells coalesce: drain until the producer stops moving. */
	for (;;) {
		/* pairs with the firmware's release of the CQE it wrote */
		prod = smp_load_acquire(&ipd->cq_hdr->producer);
		if (prod == ipd->cq_cons)
			break;
		if (prod - ipd->cq_cons > ipd->aq_entries) {
			dev_err_ratelimited(&ipd->pdev->dev,
					    "admin CQ producer %u impossible (consumer %u)\n",
					    prod, ipd->cq_cons);
			break;
		}
		while (ipd->cq_cons != prod) {
			struct ipipe_admin_cqe cqe;
			struct ipipe_cmd_slot *slot;
			bool reap = false;

			/* One copy out of shared memory, then validate it. */
			memcpy(&cqe, &ipd->cq[ipd->cq_cons & mask], sizeof(cqe));
			ipd->cq_cons++;
			handled = true;
			if (cqe.cmd_id >= ipd->aq_entries) {
				atomic64_inc(&ipd->spurious_cqes);
				continue;
			}
			slot = &ipd->slots[cqe.cmd_id];
			spin_lock(&ipd->sq_lock);
			if (!slot->busy) {
				spin_unlock(&ipd->sq_lock);
				atomic64_inc(&ipd->spurious_cqes);
				continue;
			}
			slot->cqe = cqe;
			slot->completed = true;
			reap = slot->abandoned;
			if (!reap)
				complete(&slot->done);
			spin_unlock(&ipd->sq_lock);
			if (reap)
				schedule_work(&ipd->reap_work);
		}
		/* our CQE reads are done before the firmware reuses the slots */
		smp_store_release(&ipd->cq_hdr->consumer, ipd->cq_cons);
	}
	spin_unlock(&ipd->cq_lock);
	return handled ? IRQ_HANDLED : IRQ_NONE;
}

/**
 * ipipe_admin_exec - run one admin command and wait for its completion
 * @ipd: the device
 * @cmd: the command; cmd_id is assigned here
 * @cqe: receives the completion
 * @timeout_ms: how long to wait
 * @release: called once the firmware is done with the command's buffers,
 *	if the wait ends early; may be NULL
 * @ctx: argument of @release
 *
 * If the wait times out or is interrupted, the command stays owned by the
 * firmware and @release runs when its completion finally arrives.
 *
 * Return: 0, -errno mapped from the completion status, -ETIMEDOUT,
 * -EINTR or -EBUSY if the submission ring is full.
 */
int ipipe_admin_exec(struct ipipe_dev *ipd, struct ipipe_admin_cmd *cmd,
		     struct ipipe_admin_cqe *cqe, unsigned int timeout_ms,
		     void (*release)(struct ipipe_dev *, void *), void *ctx)
{
	struct ipipe_cmd_slot *slot = NULL;
	unsigned long flags;
	long left;
	u32 cons;
	u16 id;
	int err;

	err = down_interruptible(&ipd->slots_free);
	if (err)
		return err;

	spin_lock_irqsave(&ipd->sq_lock, flags);
	for (id = 0; id < ipd->aq_entries; id++) {
		if (!ipd->slots[id].busy) {
			slot = &ipd->slots[id];
			break;
		}
	}
	/* The semaphore guarantees a free slot. */
	if (WARN_ON_ONCE(!slot)) {
		spin_unlock_irqrestore(&ipd->sq_lock, flags);
		up(&ipd->slots_free);
		return -EIO;
	}
	/* pairs with the firmware's release after copying commands out */
	cons = smp_load_acquire(&ipd->sq_hdr->consumer);
	if (ipd->sq_prod - cons >= ipd->aq_entries) {
		/* firmware stopped consuming: every slot is a stuck command */
		spin_unlock_irqrestore(&ipd->sq_lock, flags);
		up(&ipd->slots_free);
		return -EBUSY;
	}
	slot->busy = true;
	slot->abandoned = false;
	slot->completed = false;
	slot->release = release;
	slot->ctx = ctx;
	reinit_completion(&slot->done);
	cmd->cmd_id = id;
	memcpy(&ipd->sq[ipd->sq_prod & (ipd->aq_entries - 1)], cmd, sizeof(*cmd));
	ipd->sq_prod++;
	/* the command is visible before the index that publishes it */
	smp_store_release(&ipd->sq_hdr->producer, ipd->sq_prod);
	spin_unlock_irqrestore(&ipd->sq_lock, flags);

	ipipe_doorbell(ipd, IPIPE_VEC_ADMIN);

	left = wait_for_completion_interruptible_timeout(&slot->done,
							 msecs_to_jiffies(timeout_ms));
	if (left <= 0) {
		bool done;

		spin_lock_irqsave(&ipd->sq_lock, flags);
		done = completion_done(&slot->done);
		if (!done)
			slot->abandoned = true;
		spin_unlock_irqrestore(&ipd->sq_lock, flags);
		if (!done) {
			atomic64_inc(&ipd->admin_timeouts);
			dev_warn_ratelimited(&ipd->pdev->dev,
					     "admin command %u (opcode %u) %s\n", id,
					     cmd->opcode,
					     left ? "interrupted" : "timed out");
			return left ? -EINTR : -ETIMEDOUT;
		}
	}
	*cqe = slot->cqe;
	ipipe_slot_free(ipd, id);
	return ipipe_status_to_errno(cqe->status);
}

/* A coherent buffer the firmware fills; freed by whoever holds it last. */
struct ipipe_read_buf {
	void *cpu;
	dma_addr_t dma;
	size_t len;
};

static void ipipe_read_buf_free(struct ipipe_dev *ipd, void *ctx)
{
	struct ipipe_read_buf *b = ctx;

	dma_free_coherent(&ipd->pdev->dev, b->len, b->cpu, b->dma);
	kfree(b);
}

/**
 * ipipe_admin_read - run a command that DMAs a buffer to the host
 * @ipd: the device
 * @opcode: IDENTIFY, GET_PARAMS, GET_STATS or ACTOR_LIST
 * @out: receives the @len bytes the firmware wrote
 * @len: the buffer's size
 * @value: receives the completion's value; may be NULL
 * @timeout_ms: how long to wait
 *
 * If the wait ends early, the firmware may still write the buffer: it
 * stays the command's and is freed when the late completion arrives.
 *
 * Return: 0, -ENOMEM or the error of ipipe_admin_exec().
 */
int ipipe_admin_read(struct ipipe_dev *ipd, u16 opcode, void *out, u32 len, u64 *value,
		     unsigned int timeout_ms)
{
	struct ipipe_admin_cmd cmd = {};
	struct ipipe_admin_cqe cqe;
	struct ipipe_read_buf *b;
	int err;

	b = kzalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return -ENOMEM;
	b->len = len;
	b->cpu = dma_alloc_coherent(&ipd->pdev->dev, len, &b->dma, GFP_KERNEL);
	if (!b->cpu) {
		kfree(b);
		return -ENOMEM;
	}
	cmd.opcode = opcode;
	cmd.buf.addr = b->dma;
	cmd.buf.len = len;
	err = ipipe_admin_exec(ipd, &cmd, &cqe, timeout_ms, ipipe_read_buf_free, b);
	if (err == -ETIMEDOUT || err == -EINTR)
		return err;	/* the buffer now belongs to the command's slot */
	if (!err) {
		memcpy(out, b->cpu, len);
		if (value)
			*value = cqe.value;
	}
	ipipe_read_buf_free(ipd, b);
	return err;
}

int ipipe_adminq_init(struct ipipe_dev *ipd)
{
	struct ipipe_hw_header *hdr = ipd->hdr;
	struct device *dev = &ipd->pdev->dev;
	u32 entries = READ_ONCE(hdr->adminq_entries);
	u32 sq_off = READ_ONCE(hdr->adminq_off);
	u32 cq_off = READ_ONCE(hdr->admincq_off);
	u32 i;

	if (!is_power_of_2(entries) || entries > IPIPE_ADMINQ_MAX_ENTRIES)
		return dev_err_probe(dev, -EIO, "admin queue size %u invalid\n",
				     entries);
	if ((u64)sq_off + IPIPE_RING_DESC_OFF + entries * sizeof(*ipd->sq) > ipd->mem_size ||
	    (u64)cq_off + IPIPE_RING_DESC_OFF + entries * sizeof(*ipd->cq) > ipd->mem_size ||
	    !IS_ALIGNED(sq_off, 64) || !IS_ALIGNED(cq_off, 64))
		return dev_err_probe(dev, -EIO,
				     "admin queue outside NIC memory (sq %#x cq %#x)\n",
				     sq_off, cq_off);

	ipd->aq_entries = entries;
	ipd->sq_hdr = ipd->mem + sq_off;
	ipd->sq = ipd->mem + sq_off + IPIPE_RING_DESC_OFF;
	ipd->cq_hdr = ipd->mem + cq_off;
	ipd->cq = ipd->mem + cq_off + IPIPE_RING_DESC_OFF;
	/* The firmware formatted the rings; start where it left them. */
	ipd->sq_prod = READ_ONCE(ipd->sq_hdr->producer);
	ipd->cq_cons = READ_ONCE(ipd->cq_hdr->consumer);

	ipd->slots = devm_kcalloc(dev, entries, sizeof(*ipd->slots), GFP_KERNEL);
	if (!ipd->slots)
		return -ENOMEM;
	for (i = 0; i < entries; i++)
		init_completion(&ipd->slots[i].done);
	sema_init(&ipd->slots_free, entries);
	INIT_WORK(&ipd->reap_work, ipipe_reap_work);
	return 0;
}

/* Called after the IRQs are gone: reap what the firmware never answered. */
void ipipe_adminq_exit(struct ipipe_dev *ipd)
{
	u32 i;

	cancel_work_sync(&ipd->reap_work);
	for (i = 0; i < ipd->aq_entries; i++) {
		struct ipipe_cmd_slot *slot = &ipd->slots[i];

		if (slot->busy && slot->abandoned && slot->release)
			slot->release(ipd, slot->ctx);
		slot->busy = false;
	}
}
