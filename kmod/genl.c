// SPDX-License-Identifier: GPL-2.0
/*
 * ipipe: the "ipipe" generic netlink family.  This table follows
 * Documentation/netlink/specs/ipipe.yaml line by line; 6.1 has no split
 * ops, so it is written by hand rather than generated.
 */
#include <linux/dma-mapping.h>
#include <net/genetlink.h>

#include "ipipe.h"

#define IPIPE_EA(extack, msg)	NL_SET_ERR_MSG_MOD(extack, msg)

enum {
	IPIPE_MCGRP_EVENTS,
};

static const struct genl_multicast_group ipipe_mcgrps[] = {
	[IPIPE_MCGRP_EVENTS] = { .name = IPIPE_GENL_MCGRP_EVENTS },
};

static struct netlink_range_validation ipipe_thresh_range = {
	.min = IPIPE_THRESH_MIN_NS,
	.max = IPIPE_THRESH_MAX_NS,
};

static struct netlink_range_validation ipipe_quantum_range = {
	.min = IPIPE_QUANTUM_MIN_NS,
	.max = IPIPE_QUANTUM_MAX_NS,
};

static const struct nla_policy ipipe_dev_policy[IPIPE_A_DEV_INDEX + 1] = {
	[IPIPE_A_DEV_INDEX] = { .type = NLA_U32 },
};

static const struct nla_policy ipipe_dev_get_policy[IPIPE_A_STATS_REQ + 1] = {
	[IPIPE_A_DEV_INDEX] = { .type = NLA_U32 },
	[IPIPE_A_STATS_REQ] = { .type = NLA_FLAG },
};

static const struct nla_policy ipipe_params_policy[IPIPE_A_FCFS_CORES + 1] = {
	[IPIPE_A_DEV_INDEX] = { .type = NLA_U32 },
	[IPIPE_A_TAIL_THRESH_NS] = NLA_POLICY_FULL_RANGE(NLA_U64, &ipipe_thresh_range),
	[IPIPE_A_MEAN_THRESH_NS] = NLA_POLICY_FULL_RANGE(NLA_U64, &ipipe_thresh_range),
	[IPIPE_A_ALPHA_PERMILLE] = NLA_POLICY_MAX(NLA_U32, 1000),
	[IPIPE_A_DRR_QUANTUM_NS] = NLA_POLICY_FULL_RANGE(NLA_U32, &ipipe_quantum_range),
	[IPIPE_A_FCFS_CORES] = NLA_POLICY_MAX(NLA_U32, 4096),
};

static const struct nla_policy ipipe_migrate_actor_policy[IPIPE_A_ACTOR_LOCATION + 1] = {
	[IPIPE_A_ACTOR_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[IPIPE_A_ACTOR_LOCATION] = NLA_POLICY_MAX(NLA_U32, IPIPE_LOC_HOST),
};

static const struct nla_policy ipipe_migrate_policy[IPIPE_A_ACTOR + 1] = {
	[IPIPE_A_DEV_INDEX] = { .type = NLA_U32 },
	[IPIPE_A_ACTOR] = NLA_POLICY_NESTED(ipipe_migrate_actor_policy),
};

static struct genl_family ipipe_genl_family;

/*
 * The IPIPE_A_STATS nest: struct ipipe_fw_stats field by field (the
 * attributes follow its order), then the driver's counters.
 */
static int ipipe_nl_put_stats(struct sk_buff *msg, struct ipipe_dev *ipd,
			      const struct ipipe_fw_stats *fw)
{
	const __u64 *v = &fw->admin_cmds;
	struct nlattr *nest;
	int i;

	BUILD_BUG_ON(IPIPE_A_STATS_RECOVERY_CHECKPOINTS - IPIPE_A_STATS_ADMIN_CMDS + 1 !=
		     offsetof(struct ipipe_fw_stats, mailbox_full) / sizeof(__u64));
	nest = nla_nest_start(msg, IPIPE_A_STATS);
	if (!nest)
		return -EMSGSIZE;
	for (i = IPIPE_A_STATS_ADMIN_CMDS; i <= IPIPE_A_STATS_RECOVERY_CHECKPOINTS; i++)
		if (nla_put_u64_64bit(msg, i, v[i - IPIPE_A_STATS_ADMIN_CMDS], IPIPE_A_STATS_PAD))
			goto cancel;
	if (nla_put_u64_64bit(msg, IPIPE_A_STATS_ADMIN_TIMEOUTS,
			      atomic64_read(&ipd->admin_timeouts), IPIPE_A_STATS_PAD) ||
	    nla_put_u64_64bit(msg, IPIPE_A_STATS_EVENTS, atomic64_read(&ipd->events),
			      IPIPE_A_STATS_PAD) ||
	    nla_put_u64_64bit(msg, IPIPE_A_STATS_MAILBOX_FULL, fw->mailbox_full,
			      IPIPE_A_STATS_PAD))
		goto cancel;
	nla_nest_end(msg, nest);
	return 0;
cancel:
	nla_nest_cancel(msg, nest);
	return -EMSGSIZE;
}

static int ipipe_nl_fill_dev(struct sk_buff *msg, struct ipipe_dev *ipd, u32 portid,
			     u32 seq, int flags, bool stats)
{
	struct ipipe_fw_stats fw;
	struct ipipe_params p;
	void *hdr;
	int err;

	err = ipipe_params_get(ipd, &p);
	if (err)
		return err;
	if (stats) {
		err = ipipe_admin_read(ipd, IPIPE_ADMIN_GET_STATS, &fw, sizeof(fw), NULL,
				       ipipe_admin_timeout());
		if (err)
			return err;
	}
	hdr = genlmsg_put(msg, portid, seq, &ipipe_genl_family, flags, IPIPE_CMD_DEV_GET);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(msg, IPIPE_A_DEV_INDEX, ipd->id) ||
	    nla_put_string(msg, IPIPE_A_DEV_NAME, ipd->name) ||
	    nla_put_string(msg, IPIPE_A_BUS_NAME, pci_name(ipd->pdev)) ||
	    nla_put_string(msg, IPIPE_A_FW_NAME, ipd->ident.fw_name) ||
	    nla_put_u32(msg, IPIPE_A_FW_VERSION, ipd->ident.fw_version) ||
	    nla_put_u32(msg, IPIPE_A_ABI_VERSION, ipd->ident.abi_version) ||
	    nla_put_u32(msg, IPIPE_A_FW_STATE, READ_ONCE(ipd->hdr->state)) ||
	    nla_put_u32(msg, IPIPE_A_NIC_CORES, ipd->ident.nic_cores) ||
	    nla_put_u64_64bit(msg, IPIPE_A_NIC_MEM, ipd->mem_size, IPIPE_A_PAD) ||
	    nla_put_u64_64bit(msg, IPIPE_A_TAIL_THRESH_NS, p.tail_thresh_ns, IPIPE_A_PAD) ||
	    nla_put_u64_64bit(msg, IPIPE_A_MEAN_THRESH_NS, p.mean_thresh_ns, IPIPE_A_PAD) ||
	    nla_put_u32(msg, IPIPE_A_ALPHA_PERMILLE, p.alpha_permille) ||
	    nla_put_u32(msg, IPIPE_A_DRR_QUANTUM_NS, p.drr_quantum_ns) ||
	    nla_put_u32(msg, IPIPE_A_FCFS_CORES, p.fcfs_cores) ||
	    nla_put_u32(msg, IPIPE_A_FCFS_CORES_NOW, p.fcfs_cores_now) ||
	    nla_put_u32(msg, IPIPE_A_DRR_CORES_NOW, p.drr_cores_now) ||
	    (stats && ipipe_nl_put_stats(msg, ipd, &fw))) {
		genlmsg_cancel(msg, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return 0;
}

static struct ipipe_dev *ipipe_nl_dev(struct genl_info *info)
{
	struct ipipe_dev *ipd;

	if (GENL_REQ_ATTR_CHECK(info, IPIPE_A_DEV_INDEX)) {
		IPIPE_EA(info->extack, "device index missing");
		return ERR_PTR(-EINVAL);
	}
	ipd = ipipe_dev_get_by_index(nla_get_u32(info->attrs[IPIPE_A_DEV_INDEX]));
	if (!ipd) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[IPIPE_A_DEV_INDEX],
				    "no such ipipe device");
		return ERR_PTR(-ENODEV);
	}
	return ipd;
}

static int ipipe_nl_dev_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct ipipe_dev *ipd;
	struct sk_buff *msg;
	int err;

	ipd = ipipe_nl_dev(info);
	if (IS_ERR(ipd))
		return PTR_ERR(ipd);
	msg = nlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg) {
		err = -ENOMEM;
		goto out_put;
	}
	err = ipipe_nl_fill_dev(msg, ipd, info->snd_portid, info->snd_seq, 0,
				info->attrs[IPIPE_A_STATS_REQ]);
	if (err) {
		IPIPE_EA(info->extack, "the NIC did not report its parameters or statistics");
		nlmsg_free(msg);
		goto out_put;
	}
	err = genlmsg_reply(msg, info);
out_put:
	ipipe_dev_put(ipd);
	return err;
}

static int ipipe_nl_dev_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	bool stats = genl_dumpit_info(cb)->attrs[IPIPE_A_STATS_REQ];
	struct ipipe_dev *ipd;
	int err = 0;

	/* cb->args[0]: the next device index to dump */
	while ((ipd = ipipe_dev_get_next(cb->args[0]))) {
		err = ipipe_nl_fill_dev(skb, ipd, NETLINK_CB(cb->skb).portid,
					cb->nlh->nlmsg_seq, NLM_F_MULTI, stats);
		cb->args[0] = ipd->id + (err ? 0 : 1);
		ipipe_dev_put(ipd);
		if (err)
			break;
	}
	/* a full skb ends this round; the dump continues from args[0] */
	return err == -EMSGSIZE ? skb->len : (err ?: skb->len);
}

static int ipipe_nl_params_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct ipipe_params_req req = {};
	const char *why = NULL;
	struct ipipe_dev *ipd;
	struct nlattr **a = info->attrs;
	int err;

	ipd = ipipe_nl_dev(info);
	if (IS_ERR(ipd))
		return PTR_ERR(ipd);
	if (a[IPIPE_A_TAIL_THRESH_NS]) {
		req.mask |= IPIPE_PARAM_TAIL_THRESH;
		req.tail_thresh_ns = nla_get_u64(a[IPIPE_A_TAIL_THRESH_NS]);
	}
	if (a[IPIPE_A_MEAN_THRESH_NS]) {
		req.mask |= IPIPE_PARAM_MEAN_THRESH;
		req.mean_thresh_ns = nla_get_u64(a[IPIPE_A_MEAN_THRESH_NS]);
	}
	if (a[IPIPE_A_ALPHA_PERMILLE]) {
		req.mask |= IPIPE_PARAM_ALPHA;
		req.alpha_permille = nla_get_u32(a[IPIPE_A_ALPHA_PERMILLE]);
	}
	if (a[IPIPE_A_DRR_QUANTUM_NS]) {
		req.mask |= IPIPE_PARAM_DRR_QUANTUM;
		req.drr_quantum_ns = nla_get_u32(a[IPIPE_A_DRR_QUANTUM_NS]);
	}
	if (a[IPIPE_A_FCFS_CORES]) {
		req.mask |= IPIPE_PARAM_FCFS_CORES;
		req.fcfs_cores = nla_get_u32(a[IPIPE_A_FCFS_CORES]);
	}
	if (!req.mask) {
		IPIPE_EA(info->extack, "no parameter given");
		err = -EINVAL;
		goto out_put;
	}
	err = ipipe_params_set(ipd, &req, &why);
	/*
	 * why points at a string literal of params.c; NL_SET_ERR_MSG only
	 * takes a literal at the call site, so store the pointer as it does.
	 */
	if (err && why && info->extack)
		info->extack->_msg = why;
out_put:
	ipipe_dev_put(ipd);
	return err;
}

static int ipipe_nl_fill_actor(struct sk_buff *msg, struct ipipe_dev *ipd,
			       const struct ipipe_actor_info *ai, u32 portid, u32 seq)
{
	struct nlattr *nest;
	void *hdr;

	hdr = genlmsg_put(msg, portid, seq, &ipipe_genl_family, NLM_F_MULTI,
			  IPIPE_CMD_ACTOR_GET);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(msg, IPIPE_A_DEV_INDEX, ipd->id))
		goto cancel;
	nest = nla_nest_start(msg, IPIPE_A_ACTOR);
	if (!nest)
		goto cancel;
	if (nla_put_u32(msg, IPIPE_A_ACTOR_ID, ai->actor_id) ||
	    nla_put_string(msg, IPIPE_A_ACTOR_TYPE, ai->type) ||
	    nla_put_u32(msg, IPIPE_A_ACTOR_LOCATION, ai->location) ||
	    nla_put_u32(msg, IPIPE_A_ACTOR_GROUP, ai->group) ||
	    nla_put_u32(msg, IPIPE_A_ACTOR_FLAGS, ai->flags) ||
	    nla_put_u64_64bit(msg, IPIPE_A_ACTOR_REQUESTS, ai->requests, IPIPE_A_ACTOR_PAD) ||
	    nla_put_u64_64bit(msg, IPIPE_A_ACTOR_MIGRATIONS, ai->migrations, IPIPE_A_ACTOR_PAD) ||
	    nla_put_u64_64bit(msg, IPIPE_A_ACTOR_MEAN_NS, ai->mean_ns, IPIPE_A_ACTOR_PAD) ||
	    nla_put_u64_64bit(msg, IPIPE_A_ACTOR_TAIL_NS, ai->tail_ns, IPIPE_A_ACTOR_PAD) ||
	    nla_put_u32(msg, IPIPE_A_ACTOR_MAILBOX_LEN, ai->mailbox_len) ||
	    nla_put_u64_64bit(msg, IPIPE_A_ACTOR_MEM_USED, ai->mem_used, IPIPE_A_ACTOR_PAD) ||
	    nla_put_u64_64bit(msg, IPIPE_A_ACTOR_MEM_QUOTA, ai->mem_quota, IPIPE_A_ACTOR_PAD) ||
	    (ai->p50_ns &&
	     (nla_put_u64_64bit(msg, IPIPE_A_ACTOR_P50_NS, ai->p50_ns, IPIPE_A_ACTOR_PAD) ||
	      nla_put_u64_64bit(msg, IPIPE_A_ACTOR_P99_NS, ai->p99_ns, IPIPE_A_ACTOR_PAD)))) {
		nla_nest_cancel(msg, nest);
		goto cancel;
	}
	nla_nest_end(msg, nest);
	genlmsg_end(msg, hdr);
	return 0;
cancel:
	genlmsg_cancel(msg, hdr);
	return -EMSGSIZE;
}

/* Asks the firmware for its actor table; returns the number of entries. */
static int ipipe_actor_list(struct ipipe_dev *ipd, struct ipipe_actor_info **out)
{
	u32 len = ipd->ident.max_actors * sizeof(**out);
	struct ipipe_actor_info *buf;
	u64 n;
	int err;

	buf = kvmalloc(len, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	err = ipipe_admin_read(ipd, IPIPE_ADMIN_ACTOR_LIST, buf, len, &n, ipipe_admin_timeout());
	if (err) {
		kvfree(buf);
		return err;
	}
	*out = buf;
	return (int)min_t(u64, n, ipd->ident.max_actors);
}

static int ipipe_nl_actor_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	const struct genl_dumpit_info *info = genl_dumpit_info(cb);
	struct nlattr *filter = info->attrs[IPIPE_A_DEV_INDEX];
	struct ipipe_actor_info *list = NULL;
	struct ipipe_dev *ipd;
	int n, i, err = 0;

	/* args[0]: device index, args[1]: actors of it already sent */
	if (filter && !cb->args[2]) {
		cb->args[0] = nla_get_u32(filter);
		cb->args[2] = 1;
	}
	while ((ipd = ipipe_dev_get_next(cb->args[0]))) {
		if (filter && ipd->id != nla_get_u32(filter)) {
			ipipe_dev_put(ipd);
			break;
		}
		n = ipipe_actor_list(ipd, &list);
		for (i = cb->args[1]; n > 0 && i < n; i++) {
			err = ipipe_nl_fill_actor(skb, ipd, &list[i], NETLINK_CB(cb->skb).portid,
						  cb->nlh->nlmsg_seq);
			if (err)
				break;
			cb->args[1] = i + 1;
		}
		kvfree(list);
		list = NULL;
		if (!err) {
			cb->args[0] = ipd->id + 1;
			cb->args[1] = 0;
		}
		ipipe_dev_put(ipd);
		if (err)
			break;
	}
	return skb->len;
}

/* Why the NIC refused a MIGRATE, by the errno its status maps to. */
static const char *ipipe_nl_migrate_why(int err)
{
	switch (err) {
	case -ENOENT:
		return "the NIC does not know the actor";
	case -EBUSY:
		return "the actor is pinned, migrating or already there";
	case -ENOSPC:
		return "no NIC memory left for the actor's quota";
	case -ETIMEDOUT:
		return "the NIC did not answer";
	default:
		return "the NIC refused the migration";
	}
}

/*
 * The migration stream of an actor runs over the rings of the file that
 * registered it, so the command goes out with that file's ring context
 * (the built-in firmware needs it; the runtime uses its own context).
 * Lock order as in ipipe_chrdev_revoke(): files_lock, then f->lock; the
 * owner's lock is held across the command, as its own ioctl would.
 */
static int ipipe_nl_migrate(struct ipipe_dev *ipd, u32 actor_id, u32 to,
			    struct netlink_ext_ack *extack)
{
	struct ipipe_admin_cmd cmd = {};
	struct ipipe_file *f, *owner = NULL;
	struct ipipe_admin_cqe cqe;
	int err;

	mutex_lock(&ipd->files_lock);
	list_for_each_entry(f, &ipd->files, node) {
		mutex_lock(&f->lock);
		if (!f->revoked && f->ring_id_valid && xa_load(&f->actors, actor_id)) {
			owner = f;
			break;
		}
		mutex_unlock(&f->lock);
	}
	/* a release() of owner now waits for owner->lock before freeing it */
	mutex_unlock(&ipd->files_lock);
	/*
	 * A persistent actor belongs to no file: the NIC's runtime moves it
	 * over the host runtime's context, which it knows itself.
	 */
	if (!owner && !xa_load(&ipd->persistent, actor_id)) {
		IPIPE_EA(extack, "no such actor on this device");
		return -ENOENT;
	}
	cmd.opcode = IPIPE_ADMIN_MIGRATE;
	cmd.target.actor_id = actor_id;
	cmd.target.to = to;
	cmd.target.ring_id = owner ? owner->ring_id : 0;
	err = ipipe_admin_exec(ipd, &cmd, &cqe, ipipe_admin_timeout(), NULL, NULL);
	if (owner)
		mutex_unlock(&owner->lock);
	if (err && extack)
		extack->_msg = ipipe_nl_migrate_why(err);
	return err;
}

static int ipipe_nl_actor_migrate_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[IPIPE_A_ACTOR_LOCATION + 1];
	struct nlattr *nest = info->attrs[IPIPE_A_ACTOR];
	struct ipipe_dev *ipd;
	u32 actor_id;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, IPIPE_A_ACTOR)) {
		IPIPE_EA(info->extack, "actor (id, location) missing");
		return -EINVAL;
	}
	err = nla_parse_nested(tb, IPIPE_A_ACTOR_LOCATION, nest, ipipe_migrate_actor_policy,
			       info->extack);
	if (err)
		return err;
	if (NL_REQ_ATTR_CHECK(info->extack, nest, tb, IPIPE_A_ACTOR_ID)) {
		IPIPE_EA(info->extack, "actor id missing");
		return -EINVAL;
	}
	if (NL_REQ_ATTR_CHECK(info->extack, nest, tb, IPIPE_A_ACTOR_LOCATION)) {
		IPIPE_EA(info->extack, "actor location missing");
		return -EINVAL;
	}
	ipd = ipipe_nl_dev(info);
	if (IS_ERR(ipd))
		return PTR_ERR(ipd);
	actor_id = nla_get_u32(tb[IPIPE_A_ACTOR_ID]);
	down_read(&ipd->gone_lock);
	if (ipd->gone) {
		IPIPE_EA(info->extack, "the device is gone");
		err = -ENODEV;
	} else if (actor_id > ipd->ident.max_actors) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[IPIPE_A_ACTOR_ID],
				    "actor id beyond the NIC's actor table");
		err = -ERANGE;
	} else {
		err = ipipe_nl_migrate(ipd, actor_id, nla_get_u32(tb[IPIPE_A_ACTOR_LOCATION]),
				       info->extack);
	}
	up_read(&ipd->gone_lock);
	ipipe_dev_put(ipd);
	return err;
}

static const struct genl_ops ipipe_genl_ops[] = {
	{
		.cmd		= IPIPE_CMD_DEV_GET,
		.doit		= ipipe_nl_dev_get_doit,
		.dumpit		= ipipe_nl_dev_get_dumpit,
		.policy		= ipipe_dev_get_policy,
		.maxattr	= IPIPE_A_STATS_REQ,
	},
	{
		.cmd		= IPIPE_CMD_PARAMS_SET,
		.doit		= ipipe_nl_params_set_doit,
		.policy		= ipipe_params_policy,
		.maxattr	= IPIPE_A_FCFS_CORES,
		.flags		= GENL_ADMIN_PERM,
	},
	{
		.cmd		= IPIPE_CMD_ACTOR_GET,
		.dumpit		= ipipe_nl_actor_get_dumpit,
		.policy		= ipipe_dev_policy,
		.maxattr	= IPIPE_A_DEV_INDEX,
	},
	{
		.cmd		= IPIPE_CMD_ACTOR_MIGRATE,
		.doit		= ipipe_nl_actor_migrate_doit,
		.policy		= ipipe_migrate_policy,
		.maxattr	= IPIPE_A_ACTOR,
		.flags		= GENL_ADMIN_PERM,
	},
};

static struct genl_family ipipe_genl_family __ro_after_init = {
	.name		= IPIPE_GENL_NAME,
	.version	= IPIPE_GENL_VERSION,
	.maxattr	= IPIPE_A_MAX,
	.module		= THIS_MODULE,
	.ops		= ipipe_genl_ops,
	.n_ops		= ARRAY_SIZE(ipipe_genl_ops),
	.resv_start_op	= IPIPE_CMD_MAX + 1,
	.mcgrps		= ipipe_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(ipipe_mcgrps),
	.parallel_ops	= true,
};

/**
 * ipipe_genl_notify_event - multicast a firmware event on "events"
 * @ipd: the device that raised it
 * @ev: the event, already copied out of the event ring
 *
 * Context: process context (may sleep); nothing is sent without listeners.
 */
void ipipe_genl_notify_event(struct ipipe_dev *ipd, const struct ipipe_event *ev)
{
	struct sk_buff *msg;
	struct nlattr *nest;
	void *hdr;

	if (!genl_has_listeners(&ipipe_genl_family, &init_net, IPIPE_MCGRP_EVENTS))
		return;
	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return;
	hdr = genlmsg_put(msg, 0, 0, &ipipe_genl_family, 0, IPIPE_CMD_EVENT);
	if (!hdr)
		goto err_free;
	if (nla_put_u32(msg, IPIPE_A_DEV_INDEX, ipd->id) ||
	    nla_put_string(msg, IPIPE_A_DEV_NAME, ipd->name))
		goto err_free;
	nest = nla_nest_start(msg, IPIPE_A_EVENT);
	if (!nest ||
	    nla_put_u32(msg, IPIPE_A_EVENT_TYPE, ev->type) ||
	    nla_put_u32(msg, IPIPE_A_EVENT_ACTOR_ID, ev->actor_id) ||
	    nla_put_u64_64bit(msg, IPIPE_A_EVENT_TS_NS, ev->ts_ns, IPIPE_A_EVENT_PAD) ||
	    nla_put_u64_64bit(msg, IPIPE_A_EVENT_ARG0, ev->arg0, IPIPE_A_EVENT_PAD) ||
	    nla_put_u64_64bit(msg, IPIPE_A_EVENT_ARG1, ev->arg1, IPIPE_A_EVENT_PAD))
		goto err_free;
	nla_nest_end(msg, nest);
	genlmsg_end(msg, hdr);
	genlmsg_multicast(&ipipe_genl_family, msg, 0, IPIPE_MCGRP_EVENTS, GFP_KERNEL);
	return;
err_free:
	nlmsg_free(msg);
}

int __init ipipe_genl_init(void)
{
	return genl_register_family(&ipipe_genl_family);
}

void ipipe_genl_exit(void)
{
	genl_unregister_family(&ipipe_genl_family);
}
