/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipipe: private definitions of the SmartNIC driver.
 */
#ifndef _IPIPE_DRV_H
#define _IPIPE_DRV_H

#include <linux/completion.h>
#include <linux/kref.h>
#include <linux/miscdevice.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/poll.h>
#include <linux/rwsem.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <linux/ipipe.h>

#define DRV_NAME		"ipipe"

/* How long probe waits for the firmware to report READY. */
#define IPIPE_READY_TIMEOUT_MS	5000
#define IPIPE_ADMIN_TIMEOUT_MS	5000
/* DMA bounce buffers are allocated in chunks of this size. */
#define IPIPE_DMA_CHUNK		(128 * 1024)
/* The largest actor table a NIC may report (ACTOR_LIST is 128 B an entry). */
#define IPIPE_MAX_ACTORS	65536

/* Ranges of the scheduling parameters (sysfs, netlink). */
#define IPIPE_THRESH_MIN_NS	1000ULL
#define IPIPE_THRESH_MAX_NS	1000000000ULL
#define IPIPE_QUANTUM_MIN_NS	100
#define IPIPE_QUANTUM_MAX_NS	100000000

struct ipipe_dev;

/* One admin command in flight; indexed by cmd_id. */
struct ipipe_cmd_slot {
	struct completion done;
	struct ipipe_admin_cqe cqe;
	bool busy;
	/*
	 * The waiter gave up (timeout or signal).  The firmware may still
	 * touch the command's buffers, so release() runs only when the late
	 * completion arrives, or at teardown.
	 */
	bool abandoned;
	bool completed;			/* the CQE arrived */
	void (*release)(struct ipipe_dev *ipd, void *ctx);
	void *ctx;
};

/* A scheduling-parameter change; only the fields in mask are used. */
struct ipipe_params_req {
	u32 mask;			/* IPIPE_PARAM_* */
	u64 tail_thresh_ns;
	u64 mean_thresh_ns;
	u32 alpha_permille;
	u32 drr_quantum_ns;
	u32 fcfs_cores;
};

/* One ring of an open file, in DMA-coherent host memory. */
struct ipipe_ring_mem {
	void *cpu;
	dma_addr_t dma;
	size_t size;			/* page aligned, what mmap may map */
	u32 entries;
	u32 slot_size;
	bool registered;		/* the NIC knows it (RING_CREATE done) */
};

/* Per open file: its ring context and the actors it registered. */
struct ipipe_file {
	struct ipipe_dev *ipd;
	struct file *filp;
	struct list_head node;		/* in ipd->files */
	struct mutex lock;		/* protects ring[], ring_id, actors */
	bool rings_ready;		/* set once (release), read locklessly */
	bool ring_id_valid;
	bool revoked;			/* device gone, mappings zapped */
	bool runtime;			/* rings join ipiped's runtime */
	u32 ring_id;
	struct ipipe_ring_mem ring[IPIPE_RING_TYPE_LAST];
	struct xarray actors;		/* actor ids owned by this file */
};

struct ipipe_dev {
	struct pci_dev *pdev;
	struct list_head node;		/* in the global device list */
	struct kref ref;		/* open files + the bound device */
	void __iomem *regs;		/* BAR0: ivshmem registers */
	void *mem;			/* BAR2: the NIC memory window */
	u64 mem_size;
	struct ipipe_hw_header *hdr;	/* == mem */
	u32 peer;			/* our ivshmem peer id */
	int id;				/* N of /dev/ipipeN */
	char name[16];
	struct miscdevice misc;
	bool misc_registered;

	/* taken for read by every file operation, for write by remove */
	struct rw_semaphore gone_lock;
	bool gone;			/* device unbound: calls give -ENODEV */

	/* admin queue */
	spinlock_t sq_lock;		/* protects sq_prod and slot allocation */
	struct ipipe_ring_hdr *sq_hdr;
	struct ipipe_admin_cmd *sq;
	u32 sq_prod;
	u32 aq_entries;			/* SQ and CQ have the same size */
	spinlock_t cq_lock;		/* protects cq_cons */
	struct ipipe_ring_hdr *cq_hdr;
	struct ipipe_admin_cqe *cq;
	u32 cq_cons;
	struct ipipe_cmd_slot *slots;	/* aq_entries of them */
	struct semaphore slots_free;	/* counts free slots */
	struct work_struct reap_work;	/* frees abandoned commands' buffers */

	/* event queue, drained by event_work */
	struct ipipe_ring_hdr *ev_hdr;
	struct ipipe_event *ev;
	u32 ev_entries;
	u32 ev_cons;
	struct work_struct event_work;

	struct ida ring_ida;		/* ring context ids */
	struct xarray persistent;	/* ids of IPIPE_ACTOR_F_PERSIST actors */
	wait_queue_head_t ring_wq;	/* pollers of every file */
	struct mutex files_lock;	/* protects files */
	struct list_head files;

	struct ipipe_identify ident;	/* from IDENTIFY at probe */
	u32 max_dma_len;		/* min(firmware, driver bounce limit) */

	atomic64_t irqs[IPIPE_NUM_VECTORS];
	atomic64_t admin_timeouts;
	atomic64_t spurious_cqes;
	atomic64_t events;
	struct dentry *debugfs;		/* fault injection knobs */
};

static inline u32 ipipe_readl(struct ipipe_dev *ipd, u32 reg)
{
	return readl(ipd->regs + reg);
}

static inline void ipipe_writel(struct ipipe_dev *ipd, u32 reg, u32 val)
{
	writel(val, ipd->regs + reg);
}

static inline void ipipe_doorbell(struct ipipe_dev *ipd, u32 vec)
{
	ipipe_writel(ipd, IPIPE_REG_DOORBELL, IPIPE_DOORBELL(IPIPE_FW_PEER, vec));
}

void ipipe_dev_put(struct ipipe_dev *ipd);
struct ipipe_dev *ipipe_dev_get_by_index(u32 index);
struct ipipe_dev *ipipe_dev_get_next(u32 index);

/* adminq.c */
int ipipe_adminq_init(struct ipipe_dev *ipd);
void ipipe_adminq_exit(struct ipipe_dev *ipd);
irqreturn_t ipipe_adminq_irq(int irq, void *data);
int ipipe_admin_exec(struct ipipe_dev *ipd, struct ipipe_admin_cmd *cmd,
		     struct ipipe_admin_cqe *cqe, unsigned int timeout_ms,
		     void (*release)(struct ipipe_dev *, void *), void *ctx);
int ipipe_status_to_errno(u16 status);
int ipipe_admin_read(struct ipipe_dev *ipd, u16 opcode, void *out, u32 len, u64 *value,
		     unsigned int timeout_ms);

/* dma.c */
long ipipe_dma_ioctl(struct ipipe_dev *ipd, void __user *argp, bool to_nic);

/* params.c */
u32 ipipe_param_ring_entries(void);
u32 ipipe_param_slot_size(void);
u32 ipipe_param_mig_entries(void);
u32 ipipe_param_mig_slot_size(void);
unsigned int ipipe_admin_timeout(void);
int ipipe_params_check(struct ipipe_dev *ipd, const struct ipipe_params_req *req,
		       const char **why);
int ipipe_params_set(struct ipipe_dev *ipd, const struct ipipe_params_req *req,
		     const char **why);
int ipipe_params_get(struct ipipe_dev *ipd, struct ipipe_params *out);
int ipipe_params_init(struct ipipe_dev *ipd);

/* ring.c */
long ipipe_ring_setup_ioctl(struct ipipe_file *f, void __user *argp);
long ipipe_kick_ioctl(struct ipipe_file *f);
int ipipe_ring_mmap(struct ipipe_file *f, struct vm_area_struct *vma);
__poll_t ipipe_ring_poll(struct ipipe_file *f, struct file *file, poll_table *wait);
irqreturn_t ipipe_ring_irq(int irq, void *data);
void ipipe_rings_teardown(struct ipipe_file *f);

/* actor.c */
long ipipe_actor_register_ioctl(struct ipipe_file *f, void __user *argp);
long ipipe_actor_unregister_ioctl(struct ipipe_file *f, void __user *argp);
long ipipe_actor_migrate_ioctl(struct ipipe_file *f, void __user *argp);
void ipipe_actors_release(struct ipipe_file *f);

/* events.c */
int ipipe_events_init(struct ipipe_dev *ipd);
void ipipe_events_exit(struct ipipe_dev *ipd);
irqreturn_t ipipe_event_irq(int irq, void *data);

/* genl.c */
int ipipe_genl_init(void);
void ipipe_genl_exit(void);
void ipipe_genl_notify_event(struct ipipe_dev *ipd, const struct ipipe_event *ev);

/* debugfs.c: fault injection, optional */
#if IS_ENABLED(CONFIG_DEBUG_FS)
void ipipe_debugfs_init(struct ipipe_dev *ipd);
void ipipe_debugfs_exit(struct ipipe_dev *ipd);
void ipipe_debugfs_module_init(void);
void ipipe_debugfs_module_exit(void);
#else
static inline void ipipe_debugfs_init(struct ipipe_dev *ipd) {}
static inline void ipipe_debugfs_exit(struct ipipe_dev *ipd) {}
static inline void ipipe_debugfs_module_init(void) {}
static inline void ipipe_debugfs_module_exit(void) {}
#endif

/* sysfs.c */
extern const struct attribute_group *ipipe_dev_groups[];

/* chrdev.c */
void ipipe_chrdev_revoke(struct ipipe_dev *ipd);
int ipipe_chrdev_init(struct ipipe_dev *ipd);
void ipipe_chrdev_exit(struct ipipe_dev *ipd);
int ipipe_copy_struct_from_user(void *dst, size_t ksize, const void __user *src,
				size_t min_size);

#endif /* _IPIPE_DRV_H */
