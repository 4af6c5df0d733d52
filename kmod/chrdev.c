// SPDX-License-Identifier: GPL-2.0
/*
 * ipipe: the /dev/ipipeN character device.
 */
#include <linux/capability.h>
#include <linux/dma-mapping.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/slab.h>
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

static int ipipe_open(struct inode *inode, struct file *file)
{
	struct miscdevice *misc = file->private_data;
	struct ipipe_dev *ipd = container_of(misc, struct ipipe_dev, misc);
	struct ipipe_file *f;

	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	mutex_init(&f->lock);
	xa_init(&f->actors);
	f->filp = file;
	f->ipd = ipd;

	down_read(&ipd->gone_lock);
	if (ipd->gone) {
		up_read(&ipd->gone_lock);
		kfree(f);
		return -ENODEV;
	}
	kref_get(&ipd->ref);
	mutex_lock(&ipd->files_lock);
	list_add(&f->node, &ipd->files);
	mutex_unlock(&ipd->files_lock);
	up_read(&ipd->gone_lock);
	file->private_data = f;
	return 0;
}

static int ipipe_release(struct inode *inode, struct file *file)
{
	struct ipipe_file *f = file->private_data;
	struct ipipe_dev *ipd = f->ipd;

	/* Everything the file registered goes, even if the device went. */
	down_read(&ipd->gone_lock);
	mutex_lock(&ipd->files_lock);
	list_del(&f->node);
	mutex_unlock(&ipd->files_lock);
	mutex_lock(&f->lock);
	ipipe_actors_release(f);
	ipipe_rings_teardown(f);
	mutex_unlock(&f->lock);
	up_read(&ipd->gone_lock);

	xa_destroy(&f->actors);
	mutex_destroy(&f->lock);
	kfree(f);
	ipipe_dev_put(ipd);
	return 0;
}

/**
 * ipipe_chrdev_revoke - take everything away from the open files
 * @ipd: the device, with gone_lock held for write
 *
 * Zaps every user mapping of the rings (a later access gets SIGBUS),
 * releases rings and actors while the NIC still answers, and wakes
 * pollers, who then see EPOLLERR.
 */
void ipipe_chrdev_revoke(struct ipipe_dev *ipd)
{
	struct ipipe_file *f;

	mutex_lock(&ipd->files_lock);
	list_for_each_entry(f, &ipd->files, node) {
		unmap_mapping_range(f->filp->f_mapping, 0, 0, 1);
		mutex_lock(&f->lock);
		WRITE_ONCE(f->revoked, true);
		ipipe_actors_release(f);
		ipipe_rings_teardown(f);
		mutex_unlock(&f->lock);
	}
	mutex_unlock(&ipd->files_lock);
	wake_up_interruptible_all(&ipd->ring_wq);
}

static long ipipe_get_stats(struct ipipe_dev *ipd, void __user *argp)
{
	struct ipipe_stats st;
	int err, i;

	err = ipipe_copy_struct_from_user(&st, sizeof(st), argp, IPIPE_STATS_SIZE_VER0);
	if (err)
		return err;
	if (memchr_inv((u8 *)&st + sizeof(st.size), 0, sizeof(st) - sizeof(st.size)))
		return -EINVAL;
	err = ipipe_admin_read(ipd, IPIPE_ADMIN_GET_STATS, &st.fw, sizeof(st.fw), NULL,
			       ipipe_admin_timeout());
	if (err)
		return err;
	for (i = 0; i < IPIPE_NUM_VECTORS; i++)
		st.irqs[i] = atomic64_read(&ipd->irqs[i]);
	st.admin_timeouts = atomic64_read(&ipd->admin_timeouts);
	st.spurious_cqes = atomic64_read(&ipd->spurious_cqes);
	st.events = atomic64_read(&ipd->events);
	if (copy_to_user(argp, &st, st.size))
		return -EFAULT;
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

/* Calls that change the NIC's state need the same right as netlink writes. */
static bool ipipe_ioctl_needs_admin(unsigned int cmd)
{
	switch (cmd) {
	case IPIPE_IOC_ACTOR_REGISTER:
	case IPIPE_IOC_ACTOR_UNREGISTER:
	case IPIPE_IOC_ACTOR_MIGRATE:
		return true;
	default:
		return false;
	}
}

static long ipipe_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct ipipe_file *f = file->private_data;
	struct ipipe_dev *ipd = f->ipd;
	void __user *argp = (void __user *)arg;
	long ret;

	if (ipipe_ioctl_needs_admin(cmd) && !capable(CAP_NET_ADMIN))
		return -EPERM;
	down_read(&ipd->gone_lock);
	if (ipd->gone) {
		ret = -ENODEV;
		goto out;
	}
	switch (cmd) {
	case IPIPE_IOC_GET_INFO:
		ret = ipipe_get_info(ipd, argp);
		break;
	case IPIPE_IOC_GET_STATS:
		ret = ipipe_get_stats(ipd, argp);
		break;
	case IPIPE_IOC_RING_SETUP:
		ret = ipipe_ring_setup_ioctl(f, argp);
		break;
	case IPIPE_IOC_KICK:
		ret = ipipe_kick_ioctl(f);
		break;
	case IPIPE_IOC_ACTOR_REGISTER:
		ret = ipipe_actor_register_ioctl(f, argp);
		break;
	case IPIPE_IOC_ACTOR_UNREGISTER:
		ret = ipipe_actor_unregister_ioctl(f, argp);
		break;
	case IPIPE_IOC_ACTOR_MIGRATE:
		ret = ipipe_actor_migrate_ioctl(f, argp);
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

static int ipipe_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct ipipe_file *f = file->private_data;
	struct ipipe_dev *ipd = f->ipd;
	int err;

	down_read(&ipd->gone_lock);
	err = ipd->gone ? -ENODEV : ipipe_ring_mmap(f, vma);
	up_read(&ipd->gone_lock);
	return err;
}

static __poll_t ipipe_poll(struct file *file, poll_table *wait)
{
	struct ipipe_file *f = file->private_data;

	return ipipe_ring_poll(f, file, wait);
}

static const struct file_operations ipipe_fops = {
	.owner		= THIS_MODULE,
	.open		= ipipe_open,
	.release	= ipipe_release,
	.mmap		= ipipe_mmap,
	.poll		= ipipe_poll,
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
	ipd->misc.mode = 0660;
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
