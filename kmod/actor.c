// SPDX-License-Identifier: GPL-2.0
/*
 * ipipe: actor registration.  An actor registered through a file belongs
 * to it: only that file may migrate or unregister it, and closing the file
 * unregisters it.  A persistent actor (IPIPE_ACTOR_F_PERSIST) belongs to
 * the device instead: it stays when the file closes, and any file may
 * migrate or unregister it (every actor ioctl needs CAP_NET_ADMIN).
 */
#include <linux/uaccess.h>
#include <linux/xarray.h>

#include "ipipe.h"

static int ipipe_actor_destroy(struct ipipe_dev *ipd, u32 id)
{
	struct ipipe_admin_cmd cmd = {};
	struct ipipe_admin_cqe cqe;

	cmd.opcode = IPIPE_ADMIN_ACTOR_DESTROY;
	cmd.target.actor_id = id;
	return ipipe_admin_exec(ipd, &cmd, &cqe, ipipe_admin_timeout(), NULL, NULL);
}

/**
 * ipipe_actor_register_ioctl - IPIPE_IOC_ACTOR_REGISTER
 * @f: the file that will own the actor
 * @argp: struct ipipe_actor_reg in user memory
 *
 * Return: 0 with the actor id written back, -EINVAL, -ERANGE, -ENOTCONN
 * before RING_SETUP, or the NIC's refusal (-ENOENT unknown type, -EEXIST,
 * -ENOSPC).
 */
long ipipe_actor_register_ioctl(struct ipipe_file *f, void __user *argp)
{
	struct ipipe_admin_cmd cmd = {};
	struct ipipe_admin_cqe cqe;
	struct ipipe_actor_reg reg;
	size_t len;
	int err;

	err = ipipe_copy_struct_from_user(&reg, sizeof(reg), argp, IPIPE_ACTOR_REG_SIZE_VER0);
	if (err)
		return err;
	if (reg.flags & ~(IPIPE_ACTOR_F_PINNED | IPIPE_ACTOR_F_PERSIST) ||
	    memchr_inv(reg.resv, 0, sizeof(reg.resv)))
		return -EINVAL;
	len = strnlen(reg.type, sizeof(reg.type));
	if (!len || len == sizeof(reg.type))
		return -EINVAL;
	if (memchr_inv(reg.type + len, 0, sizeof(reg.type) - len))
		return -EINVAL;
	if (reg.location > IPIPE_LOC_HOST || !reg.mem_quota)
		return -EINVAL;
	if (reg.actor_id > f->ipd->ident.max_actors)
		return -ERANGE;

	mutex_lock(&f->lock);
	/* the host side of an actor is the file's rings */
	if (!f->rings_ready) {
		err = -ENOTCONN;
		goto out;
	}
	cmd.opcode = IPIPE_ADMIN_ACTOR_CREATE;
	memcpy(cmd.actor.type, reg.type, sizeof(cmd.actor.type));
	cmd.actor.actor_id = reg.actor_id;
	cmd.actor.location = reg.location;
	cmd.actor.mem_quota = reg.mem_quota;
	cmd.actor.ring_id = f->ring_id;
	cmd.actor.flags = reg.flags & IPIPE_ACTOR_F_PINNED;
	err = ipipe_admin_exec(f->ipd, &cmd, &cqe, ipipe_admin_timeout(), NULL, NULL);
	if (err)
		goto out;
	if (!cqe.value || cqe.value > U32_MAX) {
		err = -EIO;
		goto out;
	}
	reg.actor_id = cqe.value;
	if (reg.flags & IPIPE_ACTOR_F_PERSIST)
		err = xa_insert(&f->ipd->persistent, reg.actor_id, xa_mk_value(1), GFP_KERNEL);
	else
		err = xa_insert(&f->actors, reg.actor_id, xa_mk_value(1), GFP_KERNEL);
	if (err) {
		/* the NIC gave an id we already hold: undo, report the bug */
		ipipe_actor_destroy(f->ipd, reg.actor_id);
		err = -EIO;
		goto out;
	}
	mutex_unlock(&f->lock);
	if (copy_to_user(argp, &reg, reg.size))
		return -EFAULT;	/* registered anyway; close releases it */
	return 0;
out:
	mutex_unlock(&f->lock);
	return err;
}

/* Whether @f may act on actor @id: it registered it, or it is persistent. */
static bool ipipe_actor_reachable(struct ipipe_file *f, u32 id)
{
	return xa_load(&f->actors, id) || xa_load(&f->ipd->persistent, id);
}

static int ipipe_actor_cmd_get(struct ipipe_actor_cmd *ac, void __user *argp, bool migrate)
{
	int err;

	err = ipipe_copy_struct_from_user(ac, sizeof(*ac), argp, IPIPE_ACTOR_CMD_SIZE_VER0);
	if (err)
		return err;
	if (memchr_inv(ac->resv, 0, sizeof(ac->resv)) || !ac->actor_id)
		return -EINVAL;
	if (migrate ? ac->to > IPIPE_LOC_HOST : ac->to != 0)
		return -EINVAL;
	return 0;
}

long ipipe_actor_unregister_ioctl(struct ipipe_file *f, void __user *argp)
{
	struct ipipe_actor_cmd ac;
	int err;

	err = ipipe_actor_cmd_get(&ac, argp, false);
	if (err)
		return err;
	mutex_lock(&f->lock);
	if (!ipipe_actor_reachable(f, ac.actor_id)) {
		err = -ENOENT;
		goto out;
	}
	err = ipipe_actor_destroy(f->ipd, ac.actor_id);
	/* gone on the NIC, or never there after a reset: forget it either way */
	if (!err || err == -ENOENT) {
		xa_erase(&f->actors, ac.actor_id);
		xa_erase(&f->ipd->persistent, ac.actor_id);
		err = 0;
	}
out:
	mutex_unlock(&f->lock);
	return err;
}

long ipipe_actor_migrate_ioctl(struct ipipe_file *f, void __user *argp)
{
	struct ipipe_admin_cmd cmd = {};
	struct ipipe_admin_cqe cqe;
	struct ipipe_actor_cmd ac;
	int err;

	err = ipipe_actor_cmd_get(&ac, argp, true);
	if (err)
		return err;
	mutex_lock(&f->lock);
	if (!ipipe_actor_reachable(f, ac.actor_id)) {
		err = -ENOENT;
		goto out;
	}
	cmd.opcode = IPIPE_ADMIN_MIGRATE;
	cmd.target.actor_id = ac.actor_id;
	cmd.target.to = ac.to;
	cmd.target.ring_id = f->ring_id;
	err = ipipe_admin_exec(f->ipd, &cmd, &cqe, ipipe_admin_timeout(), NULL, NULL);
out:
	mutex_unlock(&f->lock);
	return err;
}

/**
 * ipipe_actors_release - destroy every actor a file registered
 * @f: the file, with f->lock held
 *
 * Once the device is gone the NIC is not asked; the ids are forgotten.
 */
void ipipe_actors_release(struct ipipe_file *f)
{
	unsigned long id;
	void *entry;

	xa_for_each(&f->actors, id, entry) {
		if (!f->ipd->gone)
			ipipe_actor_destroy(f->ipd, id);
		xa_erase(&f->actors, id);
	}
}
