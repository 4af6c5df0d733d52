// SPDX-License-Identifier: GPL-2.0
/*
 * ipipe: the message and migration rings of an open file.  Each ring is a
 * DMA-coherent region in host memory that the firmware reaches by DMA and
 * userspace maps; the layout is in uapi/linux/ipipe.h.
 */
#include <linux/dma-mapping.h>
#include <linux/log2.h>
#include <linux/poll.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "ipipe.h"

/* The largest ring region we allocate: an order-10 coherent allocation. */
#define IPIPE_RING_MAX_BYTES	(4U << 20)

static u32 ipipe_ring_data_off(u32 entries)
{
	return ALIGN(IPIPE_RING_DESC_OFF + entries * sizeof(struct ipipe_ring_desc),
		     IPIPE_PAGE_SIZE);
}

static int ipipe_ring_geometry(u32 *entries, u32 *slot, u32 def_entries, u32 def_slot)
{
	u64 bytes;

	if (!*entries)
		*entries = def_entries;
	if (!*slot)
		*slot = def_slot;
	if (*entries > IPIPE_RING_MAX_ENTRIES || *slot > IPIPE_RING_MAX_SLOT ||
	    *slot < sizeof(struct ipipe_msg_hdr))
		return -EINVAL;
	*entries = max_t(u32, roundup_pow_of_two(*entries), IPIPE_RING_MIN_ENTRIES);
	*slot = ALIGN(*slot, 64);
	bytes = (u64)ipipe_ring_data_off(*entries) + (u64)*entries * *slot;
	if (bytes > IPIPE_RING_MAX_BYTES)
		return -EINVAL;
	return 0;
}

static void ipipe_ring_free(struct ipipe_file *f, u32 type)
{
	struct ipipe_ring_mem *r = &f->ring[type];

	if (r->cpu)
		dma_free_coherent(&f->ipd->pdev->dev, r->size, r->cpu, r->dma);
	memset(r, 0, sizeof(*r));
}

static int ipipe_ring_create(struct ipipe_file *f, u32 type, u32 entries, u32 slot)
{
	struct ipipe_ring_mem *r = &f->ring[type];
	struct ipipe_dev *ipd = f->ipd;
	struct ipipe_admin_cmd cmd = {};
	struct ipipe_admin_cqe cqe;
	struct ipipe_ring_hdr *hdr;
	int err;

	r->entries = entries;
	r->slot_size = slot;
	r->size = PAGE_ALIGN(ipipe_ring_data_off(entries) + entries * slot);
	r->cpu = dma_alloc_coherent(&ipd->pdev->dev, r->size, &r->dma, GFP_KERNEL);
	if (!r->cpu)
		return -ENOMEM;
	hdr = r->cpu;
	hdr->entries = entries;
	hdr->desc_size = sizeof(struct ipipe_ring_desc);

	cmd.opcode = IPIPE_ADMIN_RING_CREATE;
	cmd.ring.addr = r->dma;
	cmd.ring.size = r->size;
	cmd.ring.ring_id = f->ring_id;
	cmd.ring.type = type;
	cmd.ring.entries = entries;
	cmd.ring.slot_size = slot;
	if (f->runtime)
		cmd.ring.flags = IPIPE_RING_CREATE_F_RUNTIME;
	err = ipipe_admin_exec(ipd, &cmd, &cqe, ipipe_admin_timeout(), NULL, NULL);
	if (err) {
		/*
		 * A timed-out RING_CREATE may still register the ring, so the
		 * memory is leaked rather than handed back while the NIC may
		 * write to it; a later RESET makes it safe again.
		 */
		if (err == -ETIMEDOUT || err == -EINTR)
			memset(r, 0, sizeof(*r));
		else
			ipipe_ring_free(f, type);
		return err;
	}
	r->registered = true;
	return 0;
}

static void ipipe_ring_destroy(struct ipipe_file *f, u32 type)
{
	struct ipipe_ring_mem *r = &f->ring[type];
	struct ipipe_admin_cmd cmd = {};
	struct ipipe_admin_cqe cqe;
	int err = 0;

	if (!r->cpu)
		return;
	if (r->registered && !f->ipd->gone) {
		cmd.opcode = IPIPE_ADMIN_RING_DESTROY;
		cmd.ring.ring_id = f->ring_id;
		cmd.ring.type = type;
		err = ipipe_admin_exec(f->ipd, &cmd, &cqe, ipipe_admin_timeout(), NULL, NULL);
	}
	/* Never free memory the NIC may still be writing into. */
	if (err == -ETIMEDOUT || err == -EINTR)
		memset(r, 0, sizeof(*r));
	else
		ipipe_ring_free(f, type);
}

/**
 * ipipe_rings_teardown - unregister and free the rings of a file
 * @f: the file, with f->lock held
 *
 * Memory the NIC may still write to (a RING_DESTROY that timed out) is
 * leaked rather than freed.  Safe to call more than once.
 */
void ipipe_rings_teardown(struct ipipe_file *f)
{
	u32 type;

	for (type = 0; type < IPIPE_RING_TYPE_LAST; type++)
		ipipe_ring_destroy(f, type);
	if (f->ring_id_valid)
		ida_free(&f->ipd->ring_ida, f->ring_id);
	f->rings_ready = false;
	f->ring_id_valid = false;
}

/**
 * ipipe_ring_setup_ioctl - IPIPE_IOC_RING_SETUP: create the file's rings
 * @f: the file
 * @argp: struct ipipe_ring_setup in user memory
 *
 * Return: 0, -EINVAL for bad geometry or reserved fields, -EPERM for a
 * runtime context without CAP_NET_ADMIN, -EBUSY if the file already has
 * rings, the NIC has no free context or (runtime) already has a runtime
 * context, -ENOMEM, or the error of RING_CREATE.
 */
long ipipe_ring_setup_ioctl(struct ipipe_file *f, void __user *argp)
{
	struct ipipe_dev *ipd = f->ipd;
	struct ipipe_ring_setup rs;
	u32 entries[IPIPE_RING_TYPE_LAST], slot[IPIPE_RING_TYPE_LAST];
	u32 type, i;
	int err;

	err = ipipe_copy_struct_from_user(&rs, sizeof(rs), argp, IPIPE_RING_SETUP_SIZE_VER0);
	if (err)
		return err;
	if ((rs.flags & ~IPIPE_RING_SETUP_F_RUNTIME) || rs.ring_id || rs.resv0 ||
	    memchr_inv(rs.off, 0, sizeof(rs.off)) || memchr_inv(rs.resv, 0, sizeof(rs.resv)))
		return -EINVAL;
	err = ipipe_ring_geometry(&rs.msg_entries, &rs.msg_slot_size,
				  ipipe_param_ring_entries(), ipipe_param_slot_size());
	if (!err)
		err = ipipe_ring_geometry(&rs.mig_entries, &rs.mig_slot_size,
					  ipipe_param_mig_entries(), ipipe_param_mig_slot_size());
	if (err)
		return err;
	for (type = 0; type < IPIPE_RING_TYPE_LAST; type++) {
		bool msg = type == IPIPE_RING_MSG_H2N || type == IPIPE_RING_MSG_N2H;

		entries[type] = msg ? rs.msg_entries : rs.mig_entries;
		slot[type] = msg ? rs.msg_slot_size : rs.mig_slot_size;
	}

	/* The runtime context carries other actors' state: ipiped's job. */
	if ((rs.flags & IPIPE_RING_SETUP_F_RUNTIME) && !capable(CAP_NET_ADMIN))
		return -EPERM;

	mutex_lock(&f->lock);
	if (f->rings_ready) {
		err = -EBUSY;
		goto out_unlock;
	}
	f->runtime = !!(rs.flags & IPIPE_RING_SETUP_F_RUNTIME);
	err = ida_alloc_max(&ipd->ring_ida, ipd->ident.max_rings - 1, GFP_KERNEL);
	if (err < 0) {
		err = err == -ENOSPC ? -EBUSY : err;
		goto out_unlock;
	}
	f->ring_id = err;
	f->ring_id_valid = true;
	for (type = 0; type < IPIPE_RING_TYPE_LAST; type++) {
		err = ipipe_ring_create(f, type, entries[type], slot[type]);
		if (err)
			goto err_teardown;
	}
	/* pairs with the acquire in poll and kick, which take no lock */
	smp_store_release(&f->rings_ready, true);

	rs.ring_id = f->ring_id;
	for (type = 0; type < IPIPE_RING_TYPE_LAST; type++) {
		struct ipipe_ring_offsets *o = &rs.off[type];
		struct ipipe_ring_mem *r = &f->ring[type];

		o->mmap_off = IPIPE_OFF_RING(type);
		o->mmap_len = r->size;
		o->producer = offsetof(struct ipipe_ring_hdr, producer);
		o->consumer = offsetof(struct ipipe_ring_hdr, consumer);
		o->flags = offsetof(struct ipipe_ring_hdr, flags);
		o->desc = IPIPE_RING_DESC_OFF;
		o->data = ipipe_ring_data_off(r->entries);
		o->entries = r->entries;
		o->slot_size = r->slot_size;
		for (i = 0; i < ARRAY_SIZE(o->resv); i++)
			o->resv[i] = 0;
	}
	mutex_unlock(&f->lock);
	if (copy_to_user(argp, &rs, rs.size))
		return -EFAULT;
	return 0;

err_teardown:
	ipipe_rings_teardown(f);
out_unlock:
	mutex_unlock(&f->lock);
	return err;
}

/*
 * Rings are mapped in full at mmap time, so a fault means the mapping was
 * revoked (the device went away): the access gets SIGBUS.
 */
static vm_fault_t ipipe_ring_fault(struct vm_fault *vmf)
{
	return VM_FAULT_SIGBUS;
}

static const struct vm_operations_struct ipipe_ring_vm_ops = {
	.fault = ipipe_ring_fault,
};

/**
 * ipipe_ring_mmap - map one ring, chosen by the mmap offset
 * @f: the file
 * @vma: the mapping; vm_pgoff selects the ring (IPIPE_OFF_RING())
 *
 * Return: 0, -EINVAL for a bad offset or length, -EPERM for PROT_EXEC,
 * -ENXIO before RING_SETUP.
 */
int ipipe_ring_mmap(struct ipipe_file *f, struct vm_area_struct *vma)
{
	u64 off = (u64)vma->vm_pgoff << PAGE_SHIFT;
	unsigned long len = vma->vm_end - vma->vm_start;
	struct ipipe_ring_mem *r;
	u32 type = off >> 28;
	int err;

	if (off & ((1ULL << 28) - 1) || type >= IPIPE_RING_TYPE_LAST)
		return -EINVAL;
	if (vma->vm_flags & VM_EXEC)
		return -EPERM;
	mutex_lock(&f->lock);
	r = &f->ring[type];
	if (!f->rings_ready || !r->cpu) {
		err = -ENXIO;
		goto out;
	}
	if (len > r->size) {
		err = -EINVAL;
		goto out;
	}
	ipipe_vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP);
	/* the region is mapped from offset 0 of the ring, not from vm_pgoff */
	vma->vm_pgoff = 0;
	vma->vm_ops = &ipipe_ring_vm_ops;
	err = dma_mmap_coherent(&f->ipd->pdev->dev, vma, r->cpu, r->dma, len);
out:
	mutex_unlock(&f->lock);
	return err;
}

static bool ipipe_ring_nonempty(struct ipipe_ring_mem *r)
{
	struct ipipe_ring_hdr *h = r->cpu;

	return READ_ONCE(h->producer) != READ_ONCE(h->consumer);
}

static bool ipipe_ring_has_room(struct ipipe_ring_mem *r)
{
	struct ipipe_ring_hdr *h = r->cpu;

	return READ_ONCE(h->producer) - READ_ONCE(h->consumer) < r->entries;
}

__poll_t ipipe_ring_poll(struct ipipe_file *f, struct file *file, poll_table *wait)
{
	struct ipipe_dev *ipd = f->ipd;
	__poll_t mask = 0;

	poll_wait(file, &ipd->ring_wq, wait);
	if (READ_ONCE(ipd->gone) || READ_ONCE(f->revoked))
		return EPOLLERR | EPOLLHUP;
	/* rings_ready is set once and stays until release */
	if (!smp_load_acquire(&f->rings_ready))
		return 0;
	if (ipipe_ring_nonempty(&f->ring[IPIPE_RING_MSG_N2H]))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (ipipe_ring_nonempty(&f->ring[IPIPE_RING_MIG_N2H]))
		mask |= EPOLLPRI;
	if (ipipe_ring_has_room(&f->ring[IPIPE_RING_MSG_H2N]))
		mask |= EPOLLOUT | EPOLLWRNORM;
	return mask;
}

irqreturn_t ipipe_ring_irq(int irq, void *data)
{
	struct ipipe_dev *ipd = data;

	atomic64_inc(&ipd->irqs[IPIPE_VEC_RING]);
	wake_up_interruptible_all(&ipd->ring_wq);
	return IRQ_HANDLED;
}

long ipipe_kick_ioctl(struct ipipe_file *f)
{
	/* pairs with the release in ipipe_ring_setup_ioctl() */
	if (!smp_load_acquire(&f->rings_ready))
		return -ENXIO;
	ipipe_doorbell(f->ipd, IPIPE_VEC_RING);
	return 0;
}
