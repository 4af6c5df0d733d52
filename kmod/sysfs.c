// SPDX-License-Identifier: GPL-2.0
/*
 * ipipe: sysfs attributes of the PCI device, see
 * Documentation/ABI/testing/sysfs-driver-ipipe.  Scheduling parameters
 * are read back from the firmware and written through to it.
 */
#include <linux/capability.h>
#include <linux/device.h>
#include <linux/kernel.h>

#include "ipipe.h"

static struct ipipe_dev *ipipe_sysfs_dev(struct device *dev)
{
	return pci_get_drvdata(to_pci_dev(dev));
}

/* The writable parameters: attr->var holds the IPIPE_PARAM_* bit. */
static u64 ipipe_param_value(const struct ipipe_params *p, u32 bit)
{
	switch (bit) {
	case IPIPE_PARAM_TAIL_THRESH:
		return p->tail_thresh_ns;
	case IPIPE_PARAM_MEAN_THRESH:
		return p->mean_thresh_ns;
	case IPIPE_PARAM_ALPHA:
		return p->alpha_permille;
	case IPIPE_PARAM_DRR_QUANTUM:
		return p->drr_quantum_ns;
	default:
		return p->fcfs_cores;
	}
}

static ssize_t ipipe_param_show(struct device *dev, struct device_attribute *attr,
				char *buf)
{
	u32 bit = (uintptr_t)container_of(attr, struct dev_ext_attribute, attr)->var;
	struct ipipe_params p;
	int err;

	err = ipipe_params_get(ipipe_sysfs_dev(dev), &p);
	if (err)
		return err;
	return sysfs_emit(buf, "%llu\n", ipipe_param_value(&p, bit));
}

static ssize_t ipipe_param_store(struct device *dev, struct device_attribute *attr,
				 const char *buf, size_t count)
{
	u32 bit = (uintptr_t)container_of(attr, struct dev_ext_attribute, attr)->var;
	struct ipipe_params_req req = { .mask = bit };
	const char *why = NULL;
	u64 val;
	int err;

	if (!capable(CAP_NET_ADMIN))
		return -EPERM;
	err = kstrtou64(buf, 0, &val);
	if (err)
		return err;
	switch (bit) {
	case IPIPE_PARAM_TAIL_THRESH:
		req.tail_thresh_ns = val;
		break;
	case IPIPE_PARAM_MEAN_THRESH:
		req.mean_thresh_ns = val;
		break;
	case IPIPE_PARAM_ALPHA:
	case IPIPE_PARAM_DRR_QUANTUM:
	case IPIPE_PARAM_FCFS_CORES:
		if (val > U32_MAX)
			return -ERANGE;
		if (bit == IPIPE_PARAM_ALPHA)
			req.alpha_permille = val;
		else if (bit == IPIPE_PARAM_DRR_QUANTUM)
			req.drr_quantum_ns = val;
		else
			req.fcfs_cores = val;
		break;
	}
	err = ipipe_params_set(ipipe_sysfs_dev(dev), &req, &why);
	if (err)
		dev_info_ratelimited(dev, "%s: %s\n", attr->attr.name, why);
	return err ?: count;
}

#define IPIPE_PARAM_ATTR(_name, _bit)					\
	struct dev_ext_attribute dev_attr_##_name = {			\
		__ATTR(_name, 0644, ipipe_param_show, ipipe_param_store),	\
		(void *)(_bit)						\
	}

static IPIPE_PARAM_ATTR(tail_thresh_ns, IPIPE_PARAM_TAIL_THRESH);
static IPIPE_PARAM_ATTR(mean_thresh_ns, IPIPE_PARAM_MEAN_THRESH);
static IPIPE_PARAM_ATTR(alpha_permille, IPIPE_PARAM_ALPHA);
static IPIPE_PARAM_ATTR(drr_quantum_ns, IPIPE_PARAM_DRR_QUANTUM);
static IPIPE_PARAM_ATTR(fcfs_cores, IPIPE_PARAM_FCFS_CORES);

static ssize_t fcfs_cores_now_show(struct device *dev, struct device_attribute *attr,
				   char *buf)
{
	struct ipipe_params p;
	int err = ipipe_params_get(ipipe_sysfs_dev(dev), &p);

	return err ?: sysfs_emit(buf, "%u\n", p.fcfs_cores_now);
}
static DEVICE_ATTR_RO(fcfs_cores_now);

static ssize_t drr_cores_now_show(struct device *dev, struct device_attribute *attr,
				  char *buf)
{
	struct ipipe_params p;
	int err = ipipe_params_get(ipipe_sysfs_dev(dev), &p);

	return err ?: sysfs_emit(buf, "%u\n", p.drr_cores_now);
}
static DEVICE_ATTR_RO(drr_cores_now);

static ssize_t nic_cores_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", ipipe_sysfs_dev(dev)->ident.nic_cores);
}
static DEVICE_ATTR_RO(nic_cores);

static ssize_t fw_version_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	u32 v = ipipe_sysfs_dev(dev)->ident.fw_version;

	return sysfs_emit(buf, "%u.%u.%u\n", v >> 16, (v >> 8) & 0xff, v & 0xff);
}
static DEVICE_ATTR_RO(fw_version);

static ssize_t abi_version_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	u32 v = ipipe_sysfs_dev(dev)->ident.abi_version;

	return sysfs_emit(buf, "%u.%u\n", v >> 16, v & 0xffff);
}
static DEVICE_ATTR_RO(abi_version);

static ssize_t nic_mem_size_show(struct device *dev, struct device_attribute *attr,
				 char *buf)
{
	return sysfs_emit(buf, "%llu\n", ipipe_sysfs_dev(dev)->mem_size);
}
static DEVICE_ATTR_RO(nic_mem_size);

static struct attribute *ipipe_attrs[] = {
	&dev_attr_tail_thresh_ns.attr.attr,
	&dev_attr_mean_thresh_ns.attr.attr,
	&dev_attr_alpha_permille.attr.attr,
	&dev_attr_drr_quantum_ns.attr.attr,
	&dev_attr_fcfs_cores.attr.attr,
	&dev_attr_fcfs_cores_now.attr,
	&dev_attr_drr_cores_now.attr,
	&dev_attr_nic_cores.attr,
	&dev_attr_fw_version.attr,
	&dev_attr_abi_version.attr,
	&dev_attr_nic_mem_size.attr,
	NULL
};

static const struct attribute_group ipipe_attr_group = {
	.attrs = ipipe_attrs,
};

#define IPIPE_STAT_ATTR(name, expr)						\
static ssize_t name##_show(struct device *dev, struct device_attribute *attr,	\
			   char *buf)						\
{										\
	struct ipipe_dev *ipd = ipipe_sysfs_dev(dev);				\
										\
	return sysfs_emit(buf, "%lld\n", (long long)(expr));			\
}										\
static DEVICE_ATTR_RO(name)

IPIPE_STAT_ATTR(irqs_admin, atomic64_read(&ipd->irqs[IPIPE_VEC_ADMIN]));
IPIPE_STAT_ATTR(irqs_event, atomic64_read(&ipd->irqs[IPIPE_VEC_EVENT]));
IPIPE_STAT_ATTR(irqs_ring, atomic64_read(&ipd->irqs[IPIPE_VEC_RING]));
IPIPE_STAT_ATTR(admin_timeouts, atomic64_read(&ipd->admin_timeouts));
IPIPE_STAT_ATTR(spurious_cqes, atomic64_read(&ipd->spurious_cqes));
IPIPE_STAT_ATTR(events, atomic64_read(&ipd->events));

static struct attribute *ipipe_stat_attrs[] = {
	&dev_attr_irqs_admin.attr,
	&dev_attr_irqs_event.attr,
	&dev_attr_irqs_ring.attr,
	&dev_attr_admin_timeouts.attr,
	&dev_attr_spurious_cqes.attr,
	&dev_attr_events.attr,
	NULL
};

static const struct attribute_group ipipe_stat_group = {
	.name = "statistics",
	.attrs = ipipe_stat_attrs,
};

const struct attribute_group *ipipe_dev_groups[] = {
	&ipipe_attr_group,
	&ipipe_stat_group,
	NULL
};
