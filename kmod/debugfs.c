// SPDX-License-Identifier: GPL-2.0
/*
 * ipipe: debugfs knobs that steer the firmware into its error paths, so
 * tests can reach the driver's: /sys/kernel/debug/ipipe/ipipeN/fw_fault.
 */
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/uaccess.h>

#include "ipipe.h"

static struct dentry *ipipe_debugfs_root;

static const char * const ipipe_fault_names[] = {
	[IPIPE_FAULT_NONE]	= "none",
	[IPIPE_FAULT_DROP_IRQ]	= "drop_irq",
	[IPIPE_FAULT_DELAY_CQ]	= "delay_cq",
	[IPIPE_FAULT_FAIL_DMA]	= "fail_dma",
	[IPIPE_FAULT_HANG]	= "hang",
};

static ssize_t ipipe_fw_fault_write(struct file *file, const char __user *ubuf,
				    size_t count, loff_t *ppos)
{
	struct ipipe_dev *ipd = file->private_data;
	struct ipipe_admin_cmd cmd = {};
	struct ipipe_admin_cqe cqe;
	char buf[64], name[16];
	unsigned int arg = 0;
	int kind, n, err;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	n = sscanf(buf, "%15s %u", name, &arg);
	kind = n >= 1 ? match_string(ipipe_fault_names, ARRAY_SIZE(ipipe_fault_names), name)
		      : -EINVAL;
	if (kind < 0) {
		dev_err(&ipd->pdev->dev,
			"fw_fault format is \"KIND [ARG]\", KIND one of none drop_irq delay_cq fail_dma hang\n");
		return -EINVAL;
	}
	cmd.opcode = IPIPE_ADMIN_FAULT;
	cmd.fault.kind = kind;
	cmd.fault.arg = arg;
	down_read(&ipd->gone_lock);
	err = ipd->gone ? -ENODEV :
	      ipipe_admin_exec(ipd, &cmd, &cqe, ipipe_admin_timeout(), NULL, NULL);
	up_read(&ipd->gone_lock);
	return err ?: count;
}

static const struct file_operations ipipe_fw_fault_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.write	= ipipe_fw_fault_write,
	.llseek	= noop_llseek,
};

void ipipe_debugfs_init(struct ipipe_dev *ipd)
{
	ipd->debugfs = debugfs_create_dir(ipd->name, ipipe_debugfs_root);
	debugfs_create_file("fw_fault", 0200, ipd->debugfs, ipd, &ipipe_fw_fault_fops);
}

void ipipe_debugfs_exit(struct ipipe_dev *ipd)
{
	debugfs_remove_recursive(ipd->debugfs);
	ipd->debugfs = NULL;
}

void ipipe_debugfs_module_init(void)
{
	ipipe_debugfs_root = debugfs_create_dir(DRV_NAME, NULL);
}

void ipipe_debugfs_module_exit(void)
{
	debugfs_remove_recursive(ipipe_debugfs_root);
}
