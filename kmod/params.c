// SPDX-License-Identifier: GPL-2.0
/*
 * ipipe: module parameters and the scheduling parameters of the NIC.  The
 * range checks live here once; sysfs and netlink both go through
 * ipipe_params_set() and report its reason text.
 */
#include <linux/dma-mapping.h>
#include <linux/module.h>

#include "ipipe.h"

static unsigned int ring_entries = 256;
module_param(ring_entries, uint, 0444);
MODULE_PARM_DESC(ring_entries, "Default message ring entries (8..4096, rounded up to 2^n)");

static unsigned int slot_size = 2048;
module_param(slot_size, uint, 0444);
MODULE_PARM_DESC(slot_size, "Default message payload slot bytes (64..65536)");

static unsigned int mig_entries = 64;
module_param(mig_entries, uint, 0444);
MODULE_PARM_DESC(mig_entries, "Default migration ring entries (8..4096)");

static unsigned int mig_slot_size = 16384;
module_param(mig_slot_size, uint, 0444);
MODULE_PARM_DESC(mig_slot_size, "Default migration payload slot bytes (64..65536)");

static unsigned int admin_timeout_ms = IPIPE_ADMIN_TIMEOUT_MS;
module_param(admin_timeout_ms, uint, 0644);
MODULE_PARM_DESC(admin_timeout_ms, "Admin command timeout in ms (10..60000)");

static unsigned long tail_thresh_ns = 50000;
module_param(tail_thresh_ns, ulong, 0444);
MODULE_PARM_DESC(tail_thresh_ns, "Initial Tail_thresh: FCFS->DRR downgrade latency (ns)");

static unsigned long mean_thresh_ns = 20000;
module_param(mean_thresh_ns, ulong, 0444);
MODULE_PARM_DESC(mean_thresh_ns, "Initial Mean_thresh: push-to-host FCFS mean latency (ns)");

static unsigned int alpha_permille = 200;
module_param(alpha_permille, uint, 0444);
MODULE_PARM_DESC(alpha_permille, "Initial hysteresis alpha in 1/1000 (0..1000)");

static unsigned int drr_quantum_ns = 10000;
module_param(drr_quantum_ns, uint, 0444);
MODULE_PARM_DESC(drr_quantum_ns, "Initial DRR quantum (ns)");

u32 ipipe_param_ring_entries(void) { return ring_entries; }
u32 ipipe_param_slot_size(void) { return slot_size; }
u32 ipipe_param_mig_entries(void) { return mig_entries; }
u32 ipipe_param_mig_slot_size(void) { return mig_slot_size; }

unsigned int ipipe_admin_timeout(void)
{
	return clamp_t(unsigned int, READ_ONCE(admin_timeout_ms), 10, 60000);
}

/**
 * ipipe_params_check - range-check the fields selected by @req->mask
 * @ipd: the device (for the core count)
 * @req: the request
 * @why: set to a human-readable reason on failure
 *
 * Return: 0 or -EINVAL.
 */
int ipipe_params_check(struct ipipe_dev *ipd, const struct ipipe_params_req *req,
		       const char **why)
{
	if (req->mask & ~IPIPE_PARAM_ALL) {
		*why = "unknown parameter";
		return -EINVAL;
	}
	if ((req->mask & IPIPE_PARAM_TAIL_THRESH) &&
	    (req->tail_thresh_ns < IPIPE_THRESH_MIN_NS ||
	     req->tail_thresh_ns > IPIPE_THRESH_MAX_NS)) {
		*why = "tail threshold out of range (1000..1000000000 ns)";
		return -EINVAL;
	}
	if ((req->mask & IPIPE_PARAM_MEAN_THRESH) &&
	    (req->mean_thresh_ns < IPIPE_THRESH_MIN_NS ||
	     req->mean_thresh_ns > IPIPE_THRESH_MAX_NS)) {
		*why = "mean threshold out of range (1000..1000000000 ns)";
		return -EINVAL;
	}
	if ((req->mask & IPIPE_PARAM_ALPHA) && req->alpha_permille > 1000) {
		*why = "alpha out of range (0..1000 permille)";
		return -EINVAL;
	}
	if ((req->mask & IPIPE_PARAM_DRR_QUANTUM) &&
	    (req->drr_quantum_ns < IPIPE_QUANTUM_MIN_NS ||
	     req->drr_quantum_ns > IPIPE_QUANTUM_MAX_NS)) {
		*why = "DRR quantum out of range (100..100000000 ns)";
		return -EINVAL;
	}
	if ((req->mask & IPIPE_PARAM_FCFS_CORES) && req->fcfs_cores > ipd->ident.nic_cores) {
		*why = "more FCFS cores than the NIC has";
		return -EINVAL;
	}
	return 0;
}

/**
 * ipipe_params_set - check and send scheduling parameters to the NIC
 * @ipd: the device
 * @req: the fields to change
 * @why: set to a human-readable reason on failure (a string literal)
 *
 * Return: 0, -EINVAL, or the error of SET_PARAMS.
 */
int ipipe_params_set(struct ipipe_dev *ipd, const struct ipipe_params_req *req,
		     const char **why)
{
	struct ipipe_admin_cmd cmd = {};
	struct ipipe_admin_cqe cqe;
	int err;

	err = ipipe_params_check(ipd, req, why);
	if (err)
		return err;
	cmd.opcode = IPIPE_ADMIN_SET_PARAMS;
	cmd.params.mask = req->mask;
	cmd.params.tail_thresh_ns = req->tail_thresh_ns;
	cmd.params.mean_thresh_ns = req->mean_thresh_ns;
	cmd.params.alpha_permille = req->alpha_permille;
	cmd.params.drr_quantum_ns = req->drr_quantum_ns;
	cmd.params.fcfs_cores = req->fcfs_cores;
	err = ipipe_admin_exec(ipd, &cmd, &cqe, ipipe_admin_timeout(), NULL, NULL);
	if (err)
		*why = "the NIC refused the parameters";
	return err;
}

/**
 * ipipe_params_get - read the scheduling parameters back from the NIC
 * @ipd: the device
 * @out: the parameters
 *
 * Return: 0, -ENOMEM, or the error of GET_PARAMS.
 */
int ipipe_params_get(struct ipipe_dev *ipd, struct ipipe_params *out)
{
	return ipipe_admin_read(ipd, IPIPE_ADMIN_GET_PARAMS, out, sizeof(*out), NULL,
				ipipe_admin_timeout());
}

/* Pushes the module parameters' defaults at probe. */
int ipipe_params_init(struct ipipe_dev *ipd)
{
	struct ipipe_params_req req = {
		.mask = IPIPE_PARAM_TAIL_THRESH | IPIPE_PARAM_MEAN_THRESH |
			IPIPE_PARAM_ALPHA | IPIPE_PARAM_DRR_QUANTUM,
		.tail_thresh_ns = tail_thresh_ns,
		.mean_thresh_ns = mean_thresh_ns,
		.alpha_permille = alpha_permille,
		.drr_quantum_ns = drr_quantum_ns,
	};
	const char *why = NULL;
	int err;

	err = ipipe_params_set(ipd, &req, &why);
	if (err)
		dev_err(&ipd->pdev->dev, "module parameters: %s (%d)\n", why, err);
	return err;
}
