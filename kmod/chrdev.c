// SPDX-License-Identifier: GPL-2.0
/*
 * ipipe: the /dev/ipipeN character device.
 */
#include <linux/fs.h>
#include <linux/uaccess.h>

#include "ipipe.h"

/**
 * ipipe_copy_struct_from_user - copy a size-versioned ioctl struct
 * @dst: kernel struct
 * @ksize: sizeof(*dst)
 * @src: user pointer; its first __u32 is the size userspace knows
 * @min_size: size of the first published version of the struct
 *
 * A shorter struct from older userspace reads as zero-extended; a longer
 * one from newer userspace is accepted only if its unknown tail is zero.
 *
 * Return: 0, -EFAULT, -EINVAL (size below @min_size) or -E2BIG.
 */
int ipipe_copy_struct_from_user(void *dst, size_t ksize, const void __user *src,
				size_t min_size)
{
	u32 usize;
	int err;

	if (get_user(usize, (const u32 __user *)src))
		return -EFAULT;
	if (usize < min_size || usize > PAGE_SIZE)
		return -EINVAL;
	err = copy_struct_from_user(dst, ksize, src, usize);
	if (err)
		return err;
	/* Remember what userspace can take back. */
	*(u32 *)dst = min_t(u32, usize, ksize);
	return 0;
}

static struct ipipe_dev *ipipe_file_dev(struct file *file)
{
	return file->private_data;
}

static int ipipe_open(struct inode *inode, struct file *file)
{
	struct miscdevice *misc = file->private_data;
	struct ipipe_dev *ipd = container_of(misc, struct ipipe_dev, misc);

	down_read(&ipd->gone_lock);
	if (ipd->gone) {
		up_read(&ipd->gone_lock);
		return -ENODEV;
	}
	kref_get(&ipd->ref);
	up_read(&ipd->gone_lock);
	file->private_data = ipd;
	return 0;
}

static int ipipe_release(struct inode *inode, struct file *file)
{
	ipipe_dev_put(ipipe_file_dev(file));
	return 0;
}

static long ipipe_get_info(struct ipipe_dev *ipd, void __user *argp)
{
	const struct ipipe_identify *id = &ipd->ident;
	struct ipipe_info info;
	int err, i;

	err = ipipe_copy_struct_from_user(&info, sizeof(info), argp, IPIPE_INFO_SIZE_VER0);
	if (err)
		return err;
	/* Everything but size is output; insist on zero so it can grow. */
	if (memchr_inv((u8 *)&info + sizeof(info.size), 0, sizeof(info) - sizeof(info.size)))
		return -EINVAL;

	info.abi_version = id->abi_version;
	info.fw_version = id->fw_version;
	info.nic_cores = id->nic_cores;
	info.caps = id->caps;
	info.nic_mem_size = ipd->mem_size;
	info.nic_data_size = ipd->hdr->nic_data_size;
	info.max_rings = id->max_rings;
	info.max_actors = id->max_actors;
	info.max_dma_segs = id->max_dma_segs;
	info.max_dma_len = ipd->max_dma_len;
	info.num_vectors = IPIPE_NUM_VECTORS;
	info.driver_abi = IPIPE_ABI_VERSION;
	for (i = 0; i < sizeof(info.fw_name) - 1 && id->fw_name[i]; i++)
		info.fw_name[i] = id->fw_name[i];
	if (copy_to_user(argp, &info, info.size))
		return -EFAULT;
	return 0;
}

static long ipipe_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct ipipe_dev *ipd = ipipe_file_dev(file);
	void __user *argp = (void __user *)arg;
	long ret;

	down_read(&ipd->gone_lock);
	if (ipd->gone) {
		ret = -ENODEV;
		goto out;
	}
	switch (cmd) {
	case IPIPE_IOC_GET_INFO:
		ret = ipipe_get_info(ipd, argp);
		break;
	case IPIPE_IOC_DMA_WRITE:
		ret = ipipe_dma_ioctl(ipd, argp, true);
		break;
	case IPIPE_IOC_DMA_READ:
		ret = ipipe_dma_ioctl(ipd, argp, false);
		break;
	default:
		ret = -ENOTTY;
		break;
	}
out:
	up_read(&ipd->gone_lock);
	return ret;
}

static const struct file_operations ipipe_fops = {
	.owner		= THIS_MODULE,
	.open		= ipipe_open,
	.release	= ipipe_release,
	.unlocked_ioctl	= ipipe_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

int ipipe_chrdev_init(struct ipipe_dev *ipd)
{
	int err;

	ipd->misc.minor = MISC_DYNAMIC_MINOR;
	ipd->misc.name = ipd->name;
	ipd->misc.fops = &ipipe_fops;
	ipd->misc.parent = &ipd->pdev->dev;
	err = misc_register(&ipd->misc);
	if (err)
		return dev_err_probe(&ipd->pdev->dev, err, "register %s\n", ipd->name);
	ipd->misc_registered = true;
	return 0;
}

void ipipe_chrdev_exit(struct ipipe_dev *ipd)
{
	if (ipd->misc_registered)
		misc_deregister(&ipd->misc);
	ipd->misc_registered = false;
}
