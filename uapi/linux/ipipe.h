/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * ipipe: offloading actors of distributed applications onto SmartNIC cores.
 *
 * The one ABI header of the project.  It describes, in this order:
 *   1. the NIC as the driver sees it: BAR2 header page, admin queue, event
 *      queue, DMA descriptors, status codes (Documentation/hw/ipipe-nic.rst);
 *   2. the shared-memory rings that carry actor messages and migration
 *      streams between host and NIC (both the firmware and userspace use
 *      them, the kernel maps them);
 *   3. the message header, shared with the wire format;
 *   4. the character device: ioctls and mmap offsets;
 *   5. the "ipipe" generic netlink family.
 *
 * Only fixed-size __u types; every struct has explicit padding and reserved
 * fields that must be zero.  Never reorder or resize a field: add a new
 * struct or a new field carved out of the reserved space.
 */
#ifndef _UAPI_LINUX_IPIPE_H
#define _UAPI_LINUX_IPIPE_H

#include <linux/types.h>
#include <linux/ioctl.h>

/*
 * 1. The NIC
 */

#define IPIPE_PCI_VENDOR_ID	0x1af4	/* QEMU ivshmem */
#define IPIPE_PCI_DEVICE_ID	0x1110	/* ivshmem-doorbell */

/* BAR0 (ivshmem registers, 32-bit access) */
#define IPIPE_REG_INTR_MASK	0x00	/* INTx only, unused */
#define IPIPE_REG_INTR_STATUS	0x04	/* INTx only, unused */
#define IPIPE_REG_IVPOSITION	0x08	/* our peer id, read only */
#define IPIPE_REG_DOORBELL	0x0c	/* write (peer << 16) | vector */
#define  IPIPE_DOORBELL(peer, vec)	(((__u32)(peer) << 16) | ((vec) & 0xff))

/* The firmware is always peer 0 of the ivshmem server it runs. */
#define IPIPE_FW_PEER		0

/*
 * Vectors.  The same numbers name the doorbells the host rings towards the
 * firmware and the MSI-X vectors the firmware raises towards the host.
 */
enum ipipe_vector {
	IPIPE_VEC_ADMIN		= 0,	/* admin SQ doorbell / admin CQ irq */
	IPIPE_VEC_EVENT		= 1,	/* event queue irq */
	IPIPE_VEC_RING		= 2,	/* message/migration ring kick / irq */
	IPIPE_VEC_TEST		= 3,	/* loopback test vector */
	IPIPE_NUM_VECTORS	= 4,
};

#define IPIPE_HW_MAGIC		0x45504950	/* "PIPE" little endian */
#define IPIPE_ABI_MAJOR		1
#define IPIPE_ABI_MINOR		0
#define IPIPE_ABI_VERSION	((IPIPE_ABI_MAJOR << 16) | IPIPE_ABI_MINOR)

#define IPIPE_PAGE_SIZE		4096

/* hdr->state, written by the firmware */
enum ipipe_fw_state {
	IPIPE_FW_STATE_OFF	= 0,	/* no firmware (or not started) */
	IPIPE_FW_STATE_BOOTING	= 1,	/* header valid, queues not ready */
	IPIPE_FW_STATE_READY	= 2,	/* admin queue accepts commands */
	IPIPE_FW_STATE_RESETTING = 3,	/* host requested reset, in progress */
	IPIPE_FW_STATE_FAILED	= 4,	/* fatal error, see hdr->fw_error */
};

/* hdr->caps */
#define IPIPE_CAP_DMA_SG	(1ULL << 0)	/* scatter-gather DMA commands */
#define IPIPE_CAP_MIGRATION	(1ULL << 1)	/* actor migration */
#define IPIPE_CAP_WIRE		(1ULL << 2)	/* a wire port is attached */
#define IPIPE_CAP_DMA_CRC	(1ULL << 3)	/* DMA completions carry a CRC32C */
#define IPIPE_CAP_FAULT_INJECT	(1ULL << 4)	/* IPIPE_ADMIN_FAULT accepted */

/*
 * The header page at BAR2 offset 0.  The first cache lines are written by
 * the firmware only; the host-written fields sit on their own cache line.
 * All offsets are from the start of BAR2.
 */
struct ipipe_hw_header {
	/* firmware-written, constant after boot */
	__u32	magic;		/* IPIPE_HW_MAGIC */
	__u32	abi_version;	/* IPIPE_ABI_VERSION of the firmware */
	__u32	fw_version;	/* (major << 16) | (minor << 8) | patch */
	__u32	header_size;	/* sizeof(struct ipipe_hw_header) */
	__u64	caps;		/* IPIPE_CAP_* */
	__u64	nic_mem_size;	/* size of BAR2 in bytes */
	__u32	nic_cores;	/* number of NIC cores */
	__u32	num_vectors;	/* doorbell and MSI-X vectors */
	__u32	adminq_off;	/* admin submission ring */
	__u32	adminq_entries;	/* power of two */
	__u32	admincq_off;	/* admin completion ring */
	__u32	eventq_off;	/* event ring */
	__u32	eventq_entries;	/* power of two */
	__u32	max_dma_segs;	/* IPIPE_DMA_MAX_SEGS or less */
	__u64	nic_data_off;	/* NIC memory usable as DMA target */
	__u64	nic_data_size;
	__u32	max_dma_len;	/* bytes per DMA command */
	__u32	max_rings;	/* ring contexts */
	__u32	max_actors;	/* actor table entries */
	__u32	resv0[9];
	/* firmware-written, changing (offset 0x80) */
	__u32	state;		/* enum ipipe_fw_state */
	__u32	heartbeat;	/* incremented every heartbeat_ms */
	__u32	heartbeat_ms;
	__u32	fw_error;	/* enum ipipe_status of a fatal error */
	__u32	reset_count;	/* completed resets */
	__u32	resv1[11];
	/* host-written (offset 0xc0) */
	__u32	host_abi_version;	/* IPIPE_ABI_VERSION of the driver */
	__u32	host_peer;	/* ivshmem peer id to interrupt */
	__u32	reset_request;	/* write 1 then ring IPIPE_VEC_ADMIN */
	__u32	resv2[13];
};

/* Ring sizes of the admin and event queues chosen by the firmware. */
#define IPIPE_ADMINQ_MAX_ENTRIES	256
#define IPIPE_EVENTQ_MAX_ENTRIES	1024

/* ---- rings ---------------------------------------------------------- */

/*
 * Every ring (admin queue, event queue, message and migration rings) starts
 * with this header.  Indices are free-running __u32; the slot is
 * index & (entries - 1).  Empty: producer == consumer; full:
 * producer - consumer == entries.  The producer publishes with a release
 * store, the consumer reads it with an acquire load, and vice versa for
 * consumer.  Each index has one writer and its own cache line.
 */
struct ipipe_ring_hdr {
	__u32	producer;	/* written by the producer only */
	__u32	pad0[15];
	__u32	consumer;	/* written by the consumer only */
	__u32	pad1[15];
	__u32	entries;	/* power of two, set at creation */
	__u32	desc_size;	/* bytes per descriptor */
	__u32	flags;		/* IPIPE_RING_F_* */
	__u32	dropped;	/* producer: entries it could not post */
	__u32	resv[12];
};

#define IPIPE_RING_HDR_SIZE	192
/* descriptors start at this offset from the ring header */
#define IPIPE_RING_DESC_OFF	256

/* ring->flags */
#define IPIPE_RING_F_NEED_WAKEUP	(1U << 0)	/* consumer sleeps: kick */
#define IPIPE_RING_F_BROKEN		(1U << 1)	/* consumer saw a bad index */

/* ---- admin queue ---------------------------------------------------- */

enum ipipe_admin_opcode {
	IPIPE_ADMIN_NOP		= 0,	/* completes at once; doorbell test */
	IPIPE_ADMIN_IDENTIFY	= 1,	/* DMA struct ipipe_identify to host */
	IPIPE_ADMIN_SET_PARAMS	= 2,	/* scheduling parameters */
	IPIPE_ADMIN_GET_PARAMS	= 3,	/* DMA struct ipipe_params to host */
	IPIPE_ADMIN_ACTOR_CREATE = 4,
	IPIPE_ADMIN_ACTOR_DESTROY = 5,
	IPIPE_ADMIN_RING_CREATE	= 6,
	IPIPE_ADMIN_RING_DESTROY = 7,
	IPIPE_ADMIN_DMA		= 8,	/* scatter-gather copy host <-> NIC */
	IPIPE_ADMIN_MIGRATE	= 9,	/* push an actor to host / pull to NIC */
	IPIPE_ADMIN_RESET	= 10,	/* drop all actors and rings */
	IPIPE_ADMIN_GET_STATS	= 11,	/* DMA struct ipipe_fw_stats to host */
	IPIPE_ADMIN_ACTOR_LIST	= 12,	/* DMA ipipe_actor_info[] to host */
	IPIPE_ADMIN_FAULT	= 13,	/* fault injection (IPIPE_CAP_FAULT_INJECT) */
	IPIPE_ADMIN_OP_LAST,		/* this goes last, obviously */
};

#define IPIPE_ACTOR_NAME_LEN	32	/* NUL-terminated type name */

/* actor location */
enum ipipe_location {
	IPIPE_LOC_NIC		= 0,
	IPIPE_LOC_HOST		= 1,
};

/* actor scheduling group */
enum ipipe_sched_group {
	IPIPE_GROUP_FCFS	= 0,
	IPIPE_GROUP_DRR		= 1,
};

/* ring types, IPIPE_ADMIN_RING_CREATE */
enum ipipe_ring_type {
	IPIPE_RING_MSG_H2N	= 0,	/* host produces messages for the NIC */
	IPIPE_RING_MSG_N2H	= 1,	/* NIC produces messages for the host */
	IPIPE_RING_MIG_H2N	= 2,	/* migration stream host -> NIC */
	IPIPE_RING_MIG_N2H	= 3,	/* migration stream NIC -> host */
	IPIPE_RING_TYPE_LAST,
};

/*
 * ring->flags of RING_CREATE.  The four rings of a context created with
 * IPIPE_RING_CREATE_F_RUNTIME join the host's actor runtime to the NIC's:
 * the NIC's runtime consumes MSG_H2N and MIG_H2N and produces MSG_N2H and
 * MIG_N2H itself (forwarded requests, replies, migration streams) instead
 * of serving MSG_H2N as client requests.  One such context per NIC
 * (IPIPE_STS_BUSY for a second one); destroying any of its rings detaches
 * the host runtime.
 */
#define IPIPE_RING_CREATE_F_RUNTIME	(1U << 0)

/* DMA direction, IPIPE_ADMIN_DMA */
enum ipipe_dma_dir {
	IPIPE_DMA_TO_NIC	= 0,	/* host memory -> NIC memory */
	IPIPE_DMA_FROM_NIC	= 1,	/* NIC memory -> host memory */
};

#define IPIPE_DMA_MAX_SEGS	64	/* segments per DMA command */
#define IPIPE_DMA_MAX_LEN	(16U << 20)	/* bytes per DMA command */

/* one scatter-gather segment in host memory */
struct ipipe_dma_seg {
	__u64	addr;		/* host bus address */
	__u32	len;		/* bytes, > 0 */
	__u32	resv;
};

/* fault kinds, IPIPE_ADMIN_FAULT */
enum ipipe_fault {
	IPIPE_FAULT_NONE	= 0,	/* clear all faults */
	IPIPE_FAULT_DROP_IRQ	= 1,	/* drop the next arg MSI-X signals */
	IPIPE_FAULT_DELAY_CQ	= 2,	/* delay admin completions by arg ms */
	IPIPE_FAULT_FAIL_DMA	= 3,	/* fail the next arg DMA commands */
	IPIPE_FAULT_HANG	= 4,	/* stop serving the admin queue */
};

/* cmd->flags of IPIPE_ADMIN_DMA; zero for every other opcode */
#define IPIPE_DMA_F_NO_CRC	(1U << 0)	/* copy only: result is 0, no CRC32C */

/* 64-byte admin command; the union member is chosen by opcode */
struct ipipe_admin_cmd {
	__u16	opcode;		/* enum ipipe_admin_opcode */
	__u16	cmd_id;		/* echoed in the completion */
	__u32	flags;		/* IPIPE_DMA_F_* for DMA, else zero */
	union {
		struct {		/* IDENTIFY, GET_PARAMS, GET_STATS, ACTOR_LIST */
			__u64	addr;	/* host buffer */
			__u32	len;	/* its size in bytes */
			__u32	resv[11];
		} buf;
		struct {		/* SET_PARAMS */
			__u32	mask;	/* IPIPE_PARAM_* to change */
			__u32	resv0;
			__u64	tail_thresh_ns;
			__u64	mean_thresh_ns;
			__u32	alpha_permille;	/* 0..1000 */
			__u32	drr_quantum_ns;
			__u32	fcfs_cores;	/* 0 = let the scheduler decide */
			__u32	resv[5];
		} params;
		struct {		/* ACTOR_CREATE */
			char	type[IPIPE_ACTOR_NAME_LEN];
			__u32	actor_id;	/* 0 = firmware picks */
			__u32	location;	/* enum ipipe_location */
			__u64	mem_quota;	/* bytes of DMO arena */
			__u32	ring_id;	/* host side of the actor */
			__u32	flags;		/* IPIPE_ACTOR_F_* */
		} actor;
		struct {		/* ACTOR_DESTROY, MIGRATE */
			__u32	actor_id;
			__u32	to;		/* MIGRATE: enum ipipe_location */
			__u32	ring_id;	/* MIGRATE: migration ring context */
			__u32	resv[11];
		} target;
		struct {		/* RING_CREATE, RING_DESTROY */
			__u64	addr;		/* host bus address of the ring */
			__u64	size;		/* bytes mapped for the ring */
			__u32	ring_id;	/* context id, < hdr->max_rings */
			__u32	type;		/* enum ipipe_ring_type */
			__u32	entries;	/* power of two */
			__u32	slot_size;	/* payload bytes per entry */
			__u32	flags;		/* IPIPE_RING_CREATE_F_* */
			__u32	resv[5];
		} ring;
		struct {		/* DMA */
			__u64	sgl_addr;	/* host array of ipipe_dma_seg */
			__u64	nic_off;	/* offset in BAR2 data area */
			__u32	nsegs;		/* 1..hdr->max_dma_segs */
			__u32	dir;		/* enum ipipe_dma_dir */
			__u32	resv[8];
		} dma;
		struct {		/* FAULT */
			__u32	kind;		/* enum ipipe_fault */
			__u32	arg;
			__u32	resv[12];
		} fault;
		__u32	raw[14];
	};
};

/* actor->flags */
#define IPIPE_ACTOR_F_PINNED	(1U << 0)	/* never migrate */
/*
 * ACTOR_REGISTER only, never sent to the NIC: the actor outlives the file
 * that registered it (closing the file leaves it on the NIC), and any
 * CAP_NET_ADMIN file of the device may unregister or migrate it.  This is
 * how ipiped's actors keep being served while the daemon restarts.
 */
#define IPIPE_ACTOR_F_PERSIST	(1U << 1)

/* params->mask */
#define IPIPE_PARAM_TAIL_THRESH	(1U << 0)
#define IPIPE_PARAM_MEAN_THRESH	(1U << 1)
#define IPIPE_PARAM_ALPHA	(1U << 2)
#define IPIPE_PARAM_DRR_QUANTUM	(1U << 3)
#define IPIPE_PARAM_FCFS_CORES	(1U << 4)
#define IPIPE_PARAM_ALL		((1U << 5) - 1)

/*
 * Completion status.  0 is success; the rest say which check failed so the
 * driver can map them to an errno (see Documentation/hw/ipipe-nic.rst).
 */
enum ipipe_status {
	IPIPE_STS_OK		= 0,
	IPIPE_STS_BAD_OPCODE	= 1,	/* -EOPNOTSUPP */
	IPIPE_STS_BAD_FIELD	= 2,	/* reserved field, flag or value: -EINVAL */
	IPIPE_STS_BAD_ADDR	= 3,	/* host address outside memory: -EFAULT */
	IPIPE_STS_BAD_LEN	= 4,	/* length zero, too big or overflows: -EINVAL */
	IPIPE_STS_TOO_MANY_SEGS	= 5,	/* -E2BIG */
	IPIPE_STS_NO_SPACE	= 6,	/* table or memory full: -ENOSPC */
	IPIPE_STS_NOT_FOUND	= 7,	/* unknown actor, type or ring: -ENOENT */
	IPIPE_STS_EXISTS	= 8,	/* id in use: -EEXIST */
	IPIPE_STS_BUSY		= 9,	/* migration in progress: -EBUSY */
	IPIPE_STS_BAD_INDEX	= 10,	/* ring/actor index out of range: -ERANGE */
	IPIPE_STS_DMA_ERROR	= 11,	/* injected or engine fault: -EIO */
	IPIPE_STS_INTERNAL	= 12,	/* firmware bug: -EIO */
	IPIPE_STS_LAST,
};

/* 16-byte admin completion */
struct ipipe_admin_cqe {
	__u16	cmd_id;		/* from the command */
	__u16	status;		/* enum ipipe_status */
	__u32	result;		/* DMA: CRC32C of the bytes moved */
	__u64	value;		/* opcode-specific: actor id, bytes moved */
};

/* IDENTIFY reply */
struct ipipe_identify {
	__u32	abi_version;
	__u32	fw_version;
	__u64	caps;
	__u64	nic_mem_size;
	__u32	nic_cores;
	__u32	max_rings;
	__u32	max_actors;
	__u32	max_dma_segs;
	__u32	max_dma_len;
	__u32	max_ring_entries;
	__u32	max_slot_size;
	__u32	num_actor_types;
	char	fw_name[32];	/* NUL-terminated */
	char	actor_types[16][IPIPE_ACTOR_NAME_LEN];	/* registered types */
	__u32	resv[10];
};

/* GET_PARAMS reply */
struct ipipe_params {
	__u64	tail_thresh_ns;
	__u64	mean_thresh_ns;
	__u32	alpha_permille;
	__u32	drr_quantum_ns;
	__u32	fcfs_cores;	/* configured, 0 = automatic */
	__u32	fcfs_cores_now;	/* FCFS group size at this moment */
	__u32	drr_cores_now;
	__u32	resv[7];
};

/* GET_STATS reply */
struct ipipe_fw_stats {
	__u64	admin_cmds;
	__u64	admin_errors;
	__u64	dma_cmds;
	__u64	dma_bytes;
	__u64	dma_errors;
	__u64	irqs_raised;
	__u64	doorbells;
	__u64	wire_rx_packets;
	__u64	wire_rx_dropped;	/* bad frames, counted then dropped */
	__u64	wire_tx_packets;
	__u64	ring_rx_msgs;		/* from host rings */
	__u64	ring_tx_msgs;		/* to host rings */
	__u64	ring_bad_desc;		/* host descriptors that failed checks */
	__u64	migrations_to_host;
	__u64	migrations_to_nic;
	__u64	host_backlog_dropped;	/* host unreachable, queue full */
	__u64	watchdog_kills;
	__u64	wire_tx_dropped;	/* unknown endpoint or socket full */
	__u64	actors_recovered;	/* host actors rebuilt after the host died */
	__u64	recovery_refused;	/* messages refused: recovery log full */
	__u64	recovery_checkpoints;	/* host checkpoints taken in */
	__u64	mailbox_full;		/* messages refused: actor's mailbox full */
	__u64	resv[10];
};

/* one ACTOR_LIST entry */
struct ipipe_actor_info {
	__u32	actor_id;
	__u32	location;	/* enum ipipe_location */
	__u32	group;		/* enum ipipe_sched_group */
	__u32	flags;		/* IPIPE_ACTOR_F_* and IPIPE_ACTOR_S_* */
	char	type[IPIPE_ACTOR_NAME_LEN];
	__u64	mem_quota;
	__u64	mem_used;
	__u64	requests;
	__u64	migrations;
	__u64	mean_ns;	/* execution latency, current window */
	__u64	tail_ns;	/* mean + 3 sigma, current window */
	__u32	mailbox_len;
	__u32	resv0;
	__u64	p50_ns;		/* execution time, median; 0: not measured */
	__u64	p99_ns;		/* execution time, 99th percentile */
	__u32	resv[2];
};

/* actor_info->flags status bits */
#define IPIPE_ACTOR_S_MIGRATING	(1U << 16)
#define IPIPE_ACTOR_S_QUARANTINED (1U << 17)

/* ---- event queue ---------------------------------------------------- */

enum ipipe_event_type {
	IPIPE_EV_NONE		= 0,
	IPIPE_EV_ACTOR_MIGRATED	= 1,	/* arg0 = new location, arg1 = ns taken */
	IPIPE_EV_ACTOR_DOWNGRADED = 2,	/* FCFS -> DRR, arg0 = tail ns */
	IPIPE_EV_ACTOR_UPGRADED	= 3,	/* DRR -> FCFS, arg0 = tail ns */
	IPIPE_EV_ACTOR_KILLED	= 4,	/* watchdog, arg0 = ns overrun */
	IPIPE_EV_FW_ERROR	= 5,	/* arg0 = enum ipipe_status */
	IPIPE_EV_MIGRATE_REQUEST = 6,	/* NIC wants actor moved, arg0 = to */
	IPIPE_EV_LAST,
};

/* 32-byte event */
struct ipipe_event {
	__u16	type;		/* enum ipipe_event_type */
	__u16	flags;
	__u32	actor_id;
	__u64	ts_ns;		/* firmware monotonic clock */
	__u64	arg0;
	__u64	arg1;
};

/*
 * 2. Message and migration rings
 *
 * A ring occupies one contiguous host-memory region:
 *   [0, 192)                 struct ipipe_ring_hdr
 *   [256, 256 + 32*entries)  struct ipipe_ring_desc[entries]
 *   [data_off, size)         payload area, entries * slot_size bytes,
 *                            data_off = 256 + 32*entries rounded up to 4 KiB
 * A descriptor names its payload by (off, len) from the start of the
 * payload area; the consumer reads the descriptor once and checks
 * off + len <= entries * slot_size before touching the payload.
 */

struct ipipe_ring_desc {
	__u64	off;		/* payload offset in the data area */
	__u32	len;		/* payload bytes */
	__u16	flags;		/* IPIPE_DESC_F_* */
	__u16	resv0;
	__u64	user_data;	/* opaque, returned with a reply */
	__u64	resv1;
};

/* desc->flags */
#define IPIPE_DESC_F_MORE	(1U << 0)	/* message continues in next desc */

#define IPIPE_RING_MIN_ENTRIES	8
#define IPIPE_RING_MAX_ENTRIES	4096
#define IPIPE_RING_MAX_SLOT	65536

/*
 * 3. Messages (ring payloads and the wire format)
 */

/* msg->type */
enum ipipe_msg_type {
	IPIPE_MSG_REQUEST	= 0,	/* client -> actor */
	IPIPE_MSG_REPLY		= 1,	/* actor -> client */
	IPIPE_MSG_ACTOR		= 2,	/* actor -> actor */
	IPIPE_MSG_MIG_BEGIN	= 3,	/* migration: actor meta data */
	IPIPE_MSG_MIG_OBJECT	= 4,	/* migration: one DMO (or a chunk) */
	IPIPE_MSG_MIG_REQUEST	= 5,	/* migration: a buffered request */
	IPIPE_MSG_MIG_END	= 6,	/* migration: stream complete */
	IPIPE_MSG_MIG_ACK	= 7,	/* migration: receiver took over */
	IPIPE_MSG_ERROR		= 8,	/* reply carrying an ipipe_status */
	IPIPE_MSG_MIG_PULL	= 9,	/* migration: NIC wants it back */
	IPIPE_MSG_MIG_CKPT	= 10,	/* recovery: checkpoint of a host actor */
	IPIPE_MSG_TYPE_LAST,
};

/* msg->flags */
#define IPIPE_MSG_F_NO_REPLY	(1U << 0)	/* sender wants no reply */
#define IPIPE_MSG_F_FORWARDED	(1U << 1)	/* buffered during migration */
/*
 * The message leaves the node on the wire: `client` names the endpoint
 * (a peer node or a client) and dst_actor the actor there.  Set by actors
 * and replies inside a node; the NIC clears it on frames it receives.
 */
#define IPIPE_MSG_F_WIRE	(1U << 2)

/* 32-byte header in front of every message */
struct ipipe_msg_hdr {
	__u32	dst_actor;	/* destination actor id */
	__u32	src_actor;	/* source actor id, 0 = external client */
	__u64	req_id;		/* chosen by the requester, echoed in the reply */
	__u32	len;		/* payload bytes after this header */
	__u16	type;		/* enum ipipe_msg_type */
	__u16	flags;		/* IPIPE_MSG_F_* */
	__u32	client;		/* wire: client endpoint handle, 0 on rings */
	__u32	resv;
};

#define IPIPE_MSG_MAX_PAYLOAD	8192

/*
 * On the wire each UDP datagram carries one Ethernet frame (as QEMU's
 * "-netdev socket,udp" does): Ethernet II, IPv4 without options, UDP to
 * IPIPE_WIRE_UDP_PORT, then struct ipipe_msg_hdr and its payload.  The NIC
 * checks the IPv4 header checksum and the UDP checksum and drops (and
 * counts) any frame that fails a check.
 */
#define IPIPE_WIRE_UDP_PORT	7000

/*
 * 4. The character device /dev/ipipeN
 */

/*
 * Every ioctl struct starts with __u32 size: userspace sets it to the
 * sizeof() it was compiled with.  The driver accepts any size from the
 * first published version of the struct (IPIPE_*_SIZE_VER0) up to the one
 * it knows, treats missing tail fields as zero, and rejects larger sizes
 * whose unknown tail is not zero (-E2BIG).  Reserved fields must be zero
 * (-EINVAL).  All ioctls return 0 or -1 with errno set.
 */
#define IPIPE_IOC_MAGIC		0xB8

/* IPIPE_IOC_GET_INFO */
struct ipipe_info {
	__u32	size;		/* in: sizeof(struct ipipe_info) */
	__u32	abi_version;	/* out: IPIPE_ABI_VERSION of the firmware */
	__u32	fw_version;
	__u32	nic_cores;
	__u64	caps;		/* IPIPE_CAP_* */
	__u64	nic_mem_size;	/* BAR2 bytes */
	__u64	nic_data_size;	/* bytes addressable by DMA_READ/WRITE */
	__u32	max_rings;
	__u32	max_actors;
	__u32	max_dma_segs;
	__u32	max_dma_len;	/* bytes per DMA ioctl */
	__u32	num_vectors;
	__u32	driver_abi;	/* IPIPE_ABI_VERSION of the driver */
	char	fw_name[32];
	__u32	resv[8];
};

#define IPIPE_INFO_SIZE_VER0	128

/* IPIPE_IOC_DMA_WRITE (user buffer -> NIC), IPIPE_IOC_DMA_READ (NIC -> user) */
struct ipipe_dma_xfer {
	__u32	size;		/* in: sizeof(struct ipipe_dma_xfer) */
	__u32	flags;		/* must be zero */
	__u64	user_addr;	/* user buffer */
	__u64	nic_off;	/* offset in the NIC data area */
	__u32	len;		/* bytes, 1..info.max_dma_len */
	__u32	timeout_ms;	/* 0 = driver default */
	__u32	crc32c;		/* out: CRC32C of the data, from the NIC */
	__u32	resv[5];
};

#define IPIPE_DMA_XFER_SIZE_VER0	56

/* where one ring lives inside its mmap region, IPIPE_IOC_RING_SETUP */
struct ipipe_ring_offsets {
	__u64	mmap_off;	/* pass to mmap() as the offset */
	__u32	mmap_len;	/* bytes to map */
	__u32	producer;	/* byte offset of the producer index */
	__u32	consumer;	/* byte offset of the consumer index */
	__u32	flags;		/* byte offset of the ring flags */
	__u32	desc;		/* byte offset of ipipe_ring_desc[entries] */
	__u32	data;		/* byte offset of the payload area */
	__u32	entries;	/* power of two */
	__u32	slot_size;	/* payload bytes per entry */
	__u32	resv[6];
};

/* mmap offsets of the four rings of an open file */
#define IPIPE_OFF_MSG_H2N	0x00000000ULL
#define IPIPE_OFF_MSG_N2H	0x10000000ULL
#define IPIPE_OFF_MIG_H2N	0x20000000ULL
#define IPIPE_OFF_MIG_N2H	0x30000000ULL
#define IPIPE_OFF_RING(type)	((__u64)(type) << 28)

/* IPIPE_IOC_RING_SETUP: one ring context (four rings) per open file */
struct ipipe_ring_setup {
	__u32	size;		/* in: sizeof(struct ipipe_ring_setup) */
	__u32	flags;		/* in: IPIPE_RING_SETUP_F_* */
	__u32	msg_entries;	/* in: 0 = module default; rounded up to 2^n */
	__u32	msg_slot_size;	/* in: 0 = module default */
	__u32	mig_entries;	/* in: 0 = module default */
	__u32	mig_slot_size;	/* in: 0 = module default */
	__u32	ring_id;	/* out: the context id the NIC knows */
	__u32	resv0;
	struct ipipe_ring_offsets off[IPIPE_RING_TYPE_LAST];	/* out, by type */
	__u32	resv[8];
};

/*
 * The rings join the host's actor runtime (ipiped) to the NIC's; needs
 * CAP_NET_ADMIN, -EBUSY if another file holds the runtime context.
 */
#define IPIPE_RING_SETUP_F_RUNTIME	(1U << 0)

#define IPIPE_RING_SETUP_SIZE_VER0	(32 + 4 * 64 + 32)

/* IPIPE_IOC_ACTOR_REGISTER */
struct ipipe_actor_reg {
	__u32	size;		/* in: sizeof(struct ipipe_actor_reg) */
	__u32	flags;		/* IPIPE_ACTOR_F_* */
	char	type[IPIPE_ACTOR_NAME_LEN];	/* NUL-terminated type name */
	__u32	actor_id;	/* in: 0 = any; out: the id given */
	__u32	location;	/* enum ipipe_location to start at */
	__u64	mem_quota;	/* bytes of DMO memory, > 0 */
	__u32	resv[6];
};

#define IPIPE_ACTOR_REG_SIZE_VER0	80

/* IPIPE_IOC_ACTOR_UNREGISTER, IPIPE_IOC_ACTOR_MIGRATE */
struct ipipe_actor_cmd {
	__u32	size;		/* in: sizeof(struct ipipe_actor_cmd) */
	__u32	actor_id;	/* an actor this file registered */
	__u32	to;		/* MIGRATE: enum ipipe_location */
	__u32	resv[5];
};

#define IPIPE_ACTOR_CMD_SIZE_VER0	32

/* IPIPE_IOC_GET_STATS: driver counters, then the firmware's */
struct ipipe_stats {
	__u32	size;		/* in: sizeof(struct ipipe_stats) */
	__u32	resv0;
	__u64	irqs[IPIPE_NUM_VECTORS];	/* MSI-X interrupts by vector */
	__u64	admin_timeouts;
	__u64	spurious_cqes;
	__u64	events;		/* event queue entries received */
	__u64	resv1[5];
	struct ipipe_fw_stats fw;
};

#define IPIPE_STATS_SIZE_VER0	(8 + 8 * 12 + 256)

#define IPIPE_IOC_GET_INFO	_IOWR(IPIPE_IOC_MAGIC, 0x00, struct ipipe_info)
#define IPIPE_IOC_GET_STATS	_IOWR(IPIPE_IOC_MAGIC, 0x01, struct ipipe_stats)
#define IPIPE_IOC_RING_SETUP	_IOWR(IPIPE_IOC_MAGIC, 0x02, struct ipipe_ring_setup)
#define IPIPE_IOC_KICK		_IO(IPIPE_IOC_MAGIC, 0x03)
#define IPIPE_IOC_ACTOR_REGISTER _IOWR(IPIPE_IOC_MAGIC, 0x08, struct ipipe_actor_reg)
#define IPIPE_IOC_ACTOR_UNREGISTER _IOW(IPIPE_IOC_MAGIC, 0x09, struct ipipe_actor_cmd)
#define IPIPE_IOC_ACTOR_MIGRATE	_IOW(IPIPE_IOC_MAGIC, 0x0a, struct ipipe_actor_cmd)
#define IPIPE_IOC_DMA_WRITE	_IOWR(IPIPE_IOC_MAGIC, 0x10, struct ipipe_dma_xfer)
#define IPIPE_IOC_DMA_READ	_IOWR(IPIPE_IOC_MAGIC, 0x11, struct ipipe_dma_xfer)

/*
 * 5. Generic netlink family "ipipe"
 */

/* Documented as a YNL spec in Documentation/netlink/specs/ipipe.yaml. */
#define IPIPE_GENL_NAME		"ipipe"
#define IPIPE_GENL_VERSION	1
#define IPIPE_GENL_MCGRP_EVENTS	"events"

enum ipipe_nl_cmd {
	IPIPE_CMD_UNSPEC,
	IPIPE_CMD_DEV_GET,	/* do (IPIPE_A_DEV_INDEX) and dump */
	IPIPE_CMD_PARAMS_SET,	/* needs CAP_NET_ADMIN */
	IPIPE_CMD_ACTOR_GET,	/* dump, IPIPE_A_DEV_INDEX optional */
	IPIPE_CMD_EVENT,	/* notification on the "events" group */
	IPIPE_CMD_ACTOR_MIGRATE, /* needs CAP_NET_ADMIN; IPIPE_A_ACTOR: ID, LOCATION */
	__IPIPE_CMD_MAX,
};

#define IPIPE_CMD_MAX (__IPIPE_CMD_MAX - 1)

enum ipipe_nl_attr {
	IPIPE_A_UNSPEC,
	IPIPE_A_DEV_INDEX,	/* u32: N of /dev/ipipeN */
	IPIPE_A_DEV_NAME,	/* string: "ipipe0" */
	IPIPE_A_BUS_NAME,	/* string: PCI address */
	IPIPE_A_FW_NAME,	/* string */
	IPIPE_A_FW_VERSION,	/* u32 */
	IPIPE_A_ABI_VERSION,	/* u32 */
	IPIPE_A_NIC_CORES,	/* u32 */
	IPIPE_A_NIC_MEM,	/* u64: bytes */
	IPIPE_A_TAIL_THRESH_NS,	/* u64 */
	IPIPE_A_MEAN_THRESH_NS,	/* u64 */
	IPIPE_A_ALPHA_PERMILLE,	/* u32: 0..1000 */
	IPIPE_A_DRR_QUANTUM_NS,	/* u32 */
	IPIPE_A_FCFS_CORES,	/* u32: 0 = automatic */
	IPIPE_A_FCFS_CORES_NOW,	/* u32 */
	IPIPE_A_DRR_CORES_NOW,	/* u32 */
	IPIPE_A_ACTOR,		/* nest: IPIPE_A_ACTOR_* */
	IPIPE_A_EVENT,		/* nest: IPIPE_A_EVENT_* */
	IPIPE_A_PAD,
	IPIPE_A_FW_STATE,	/* u32: enum ipipe_fw_state */
	IPIPE_A_STATS_REQ,	/* flag: DEV_GET replies carry IPIPE_A_STATS */
	IPIPE_A_STATS,		/* nest: IPIPE_A_STATS_* */
	__IPIPE_A_MAX,
};

#define IPIPE_A_MAX (__IPIPE_A_MAX - 1)

enum ipipe_nl_actor_attr {
	IPIPE_A_ACTOR_UNSPEC,
	IPIPE_A_ACTOR_ID,	/* u32 */
	IPIPE_A_ACTOR_TYPE,	/* string */
	IPIPE_A_ACTOR_LOCATION,	/* u32: enum ipipe_location */
	IPIPE_A_ACTOR_GROUP,	/* u32: enum ipipe_sched_group */
	IPIPE_A_ACTOR_FLAGS,	/* u32: IPIPE_ACTOR_F_* | IPIPE_ACTOR_S_* */
	IPIPE_A_ACTOR_REQUESTS,	/* u64 */
	IPIPE_A_ACTOR_MIGRATIONS, /* u64 */
	IPIPE_A_ACTOR_MEAN_NS,	/* u64 */
	IPIPE_A_ACTOR_TAIL_NS,	/* u64 */
	IPIPE_A_ACTOR_MAILBOX_LEN, /* u32 */
	IPIPE_A_ACTOR_MEM_USED,	/* u64 */
	IPIPE_A_ACTOR_MEM_QUOTA, /* u64 */
	IPIPE_A_ACTOR_PAD,
	IPIPE_A_ACTOR_P50_NS,	/* u64: execution time, median */
	IPIPE_A_ACTOR_P99_NS,	/* u64: execution time, 99th percentile */
	__IPIPE_A_ACTOR_MAX,
};

#define IPIPE_A_ACTOR_MAX (__IPIPE_A_ACTOR_MAX - 1)

enum ipipe_nl_event_attr {
	IPIPE_A_EVENT_UNSPEC,
	IPIPE_A_EVENT_TYPE,	/* u32: enum ipipe_event_type */
	IPIPE_A_EVENT_ACTOR_ID,	/* u32 */
	IPIPE_A_EVENT_TS_NS,	/* u64: firmware clock */
	IPIPE_A_EVENT_ARG0,	/* u64 */
	IPIPE_A_EVENT_ARG1,	/* u64 */
	IPIPE_A_EVENT_PAD,
	__IPIPE_A_EVENT_MAX,
};

#define IPIPE_A_EVENT_MAX (__IPIPE_A_EVENT_MAX - 1)

/*
 * IPIPE_A_STATS, all u64: first struct ipipe_fw_stats field by field, in
 * its order, then the driver's own counters, then firmware counters added
 * later (their place in the struct is in the comment).
 */
enum ipipe_nl_stats_attr {
	IPIPE_A_STATS_UNSPEC,
	IPIPE_A_STATS_PAD,
	IPIPE_A_STATS_ADMIN_CMDS,
	IPIPE_A_STATS_ADMIN_ERRORS,
	IPIPE_A_STATS_DMA_CMDS,
	IPIPE_A_STATS_DMA_BYTES,
	IPIPE_A_STATS_DMA_ERRORS,
	IPIPE_A_STATS_IRQS_RAISED,
	IPIPE_A_STATS_DOORBELLS,
	IPIPE_A_STATS_WIRE_RX_PACKETS,
	IPIPE_A_STATS_WIRE_RX_DROPPED,
	IPIPE_A_STATS_WIRE_TX_PACKETS,
	IPIPE_A_STATS_RING_RX_MSGS,
	IPIPE_A_STATS_RING_TX_MSGS,
	IPIPE_A_STATS_RING_BAD_DESC,
	IPIPE_A_STATS_MIGRATIONS_TO_HOST,
	IPIPE_A_STATS_MIGRATIONS_TO_NIC,
	IPIPE_A_STATS_HOST_BACKLOG_DROPPED,
	IPIPE_A_STATS_WATCHDOG_KILLS,
	IPIPE_A_STATS_WIRE_TX_DROPPED,
	IPIPE_A_STATS_ACTORS_RECOVERED,
	IPIPE_A_STATS_RECOVERY_REFUSED,
	IPIPE_A_STATS_RECOVERY_CHECKPOINTS,
	IPIPE_A_STATS_ADMIN_TIMEOUTS,	/* driver: admin commands given up on */
	IPIPE_A_STATS_EVENTS,		/* driver: events taken from the queue */
	IPIPE_A_STATS_MAILBOX_FULL,	/* firmware, added after the driver's */
	__IPIPE_A_STATS_MAX,
};

#define IPIPE_A_STATS_MAX (__IPIPE_A_STATS_MAX - 1)

#endif /* _UAPI_LINUX_IPIPE_H */
