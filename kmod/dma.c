// SPDX-License-Identifier: GPL-2.0
/*
 * ipipe: DMA between user memory and NIC memory through the firmware's DMA
 * engine.  User data is staged in DMA-coherent bounce chunks that the
 * firmware reaches through one scatter-gather command.
 */
#include <linux/crc32.h>
#include <linux/dma-mapping.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "ipipe.h"

struct ipipe_bounce {
	u32 nchunks;
	u32 len;
	struct ipipe_dma_seg *sgl;	/* coherent, read by the firmware */
	dma_addr_t sgl_dma;
	void *cpu[IPIPE_DMA_MAX_SEGS];
	dma_addr_t dma[IPIPE_DMA_MAX_SEGS];
};

static void ipipe_bounce_free(struct ipipe_dev *ipd, void *ctx)
{
	struct ipipe_bounce *b = ctx;
	struct device *dev = &ipd->pdev->dev;
	u32 i;

	for (i = 0; i < b->nchunks; i++)
		dma_free_coherent(dev, IPIPE_DMA_CHUNK, b->cpu[i], b->dma[i]);
	if (b->sgl)
		dma_free_coherent(dev, PAGE_SIZE, b->sgl, b->sgl_dma);
	kfree(b);
}

static struct ipipe_bounce *ipipe_bounce_alloc(struct ipipe_dev *ipd, u32 len)
{
	struct device *dev = &ipd->pdev->dev;
	struct ipipe_bounce *b;
	u32 i, left = len;

	b = kzalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return NULL;
	b->len = len;
	b->sgl = dma_alloc_coherent(dev, PAGE_SIZE, &b->sgl_dma, GFP_KERNEL);
	if (!b->sgl)
		goto err;
	for (i = 0; left; i++) {
		u32 n = min_t(u32, left, IPIPE_DMA_CHUNK);

		b->cpu[i] = dma_alloc_coherent(dev, IPIPE_DMA_CHUNK, &b->dma[i],
					       GFP_KERNEL);
		if (!b->cpu[i])
			goto err;
		b->nchunks++;
		b->sgl[i].addr = b->dma[i];
		b->sgl[i].len = n;
		b->sgl[i].resv = 0;
		left -= n;
	}
	return b;
err:
	ipipe_bounce_free(ipd, b);
	return NULL;
}

static u32 ipipe_bounce_crc(struct ipipe_bounce *b)
{
	u32 crc = ~0U, left = b->len, i;

	for (i = 0; i < b->nchunks; i++) {
		u32 n = min_t(u32, left, IPIPE_DMA_CHUNK);

		crc = __crc32c_le(crc, b->cpu[i], n);
		left -= n;
	}
	return ~crc;
}

/* Copies between the user buffer and the chunks. */
static int ipipe_bounce_copy(struct ipipe_bounce *b, void __user *ubuf, bool from_user)
{
	u32 left = b->len, i;

	for (i = 0; i < b->nchunks; i++) {
		u32 n = min_t(u32, left, IPIPE_DMA_CHUNK);
		unsigned long r;

		if (from_user)
			r = copy_from_user(b->cpu[i], ubuf, n);
		else
			r = copy_to_user(ubuf, b->cpu[i], n);
		if (r)
			return -EFAULT;
		ubuf += n;
		left -= n;
	}
	return 0;
}

/**
 * ipipe_dma_ioctl - IPIPE_IOC_DMA_WRITE and IPIPE_IOC_DMA_READ
 * @ipd: the device
 * @argp: struct ipipe_dma_xfer in user memory
 * @to_nic: direction
 *
 * Return: 0, -EINVAL, -EFAULT, -ENOMEM, -ETIMEDOUT (the bounce buffers then
 * stay with the NIC until it completes), or -EIO on an engine error or a
 * CRC mismatch.
 */
long ipipe_dma_ioctl(struct ipipe_dev *ipd, void __user *argp, bool to_nic)
{
	struct ipipe_admin_cmd cmd = {};
	struct ipipe_admin_cqe cqe;
	struct ipipe_dma_xfer x;
	struct ipipe_bounce *b;
	u32 crc, i;
	int err;

	err = ipipe_copy_struct_from_user(&x, sizeof(x), argp, IPIPE_DMA_XFER_SIZE_VER0);
	if (err)
		return err;
	if (x.flags || x.crc32c)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(x.resv); i++)
		if (x.resv[i])
			return -EINVAL;
	if (!x.len || x.len > ipd->max_dma_len)
		return -EINVAL;
	if (x.nic_off > ipd->hdr->nic_data_size ||
	    x.len > ipd->hdr->nic_data_size - x.nic_off)
		return -EINVAL;
	if (x.timeout_ms > 60000)
		return -EINVAL;

	b = ipipe_bounce_alloc(ipd, x.len);
	if (!b)
		return -ENOMEM;
	if (to_nic) {
		err = ipipe_bounce_copy(b, u64_to_user_ptr(x.user_addr), true);
		if (err)
			goto out_free;
	}

	cmd.opcode = IPIPE_ADMIN_DMA;
	cmd.dma.sgl_addr = b->sgl_dma;
	cmd.dma.nic_off = x.nic_off;
	cmd.dma.nsegs = b->nchunks;
	cmd.dma.dir = to_nic ? IPIPE_DMA_TO_NIC : IPIPE_DMA_FROM_NIC;
	err = ipipe_admin_exec(ipd, &cmd, &cqe,
			       x.timeout_ms ?: IPIPE_ADMIN_TIMEOUT_MS,
			       ipipe_bounce_free, b);
	if (err == -ETIMEDOUT || err == -EINTR)
		return err;	/* the bounce buffers now belong to the slot */
	if (err)
		goto out_free;
	if (cqe.value != x.len) {
		dev_err_ratelimited(&ipd->pdev->dev, "DMA moved %llu of %u bytes\n",
				    cqe.value, x.len);
		err = -EIO;
		goto out_free;
	}
	/* Both ends checksum the data: the NIC over what it moved, we here. */
	crc = ipipe_bounce_crc(b);
	if (crc != cqe.result) {
		dev_err_ratelimited(&ipd->pdev->dev,
				    "DMA CRC32C mismatch: NIC %#x host %#x\n",
				    cqe.result, crc);
		err = -EIO;
		goto out_free;
	}
	if (!to_nic) {
		err = ipipe_bounce_copy(b, u64_to_user_ptr(x.user_addr), false);
		if (err)
			goto out_free;
	}
	x.crc32c = crc;
	if (copy_to_user(argp, &x, min_t(u32, x.size, sizeof(x))))
		err = -EFAULT;
out_free:
	ipipe_bounce_free(ipd, b);
	return err;
}
