// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of ipipe.ko against the emulated SmartNIC: device bring-up, the
 * character device's ioctls and DMA through the firmware's engine.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/ipipe.h>

#include "ipipe_nl.h"
#include "kselftest_harness.h"

#define IPIPE_DEV	"/dev/ipipe0"

static uint32_t crc32c_table[256];

/* Reference CRC32C (Castagnoli, reflected), as the NIC reports it. */
static uint32_t crc32c(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint32_t crc = ~0U;

	if (!crc32c_table[1]) {
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i;

			for (int k = 0; k < 8; k++)
				c = (c >> 1) ^ (0x82F63B78U & -(c & 1));
			crc32c_table[i] = c;
		}
	}
	while (len--)
		crc = (crc >> 8) ^ crc32c_table[(crc ^ *p++) & 0xff];
	return ~crc;
}

static void fill_random(void *buf, size_t len, unsigned int seed)
{
	uint8_t *p = buf;

	srandom(seed);
	for (size_t i = 0; i < len; i++)
		p[i] = random() >> 7;
}

/* Sum of the interrupts delivered to handlers named "ipipe0" on a vector. */
static long long ipipe_irq_count(int vector)
{
	char line[1024];
	long long total = -1;
	int seen = 0;
	FILE *f;

	f = fopen("/proc/interrupts", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *end;
		long long sum = 0;

		if (!strstr(line, " ipipe0"))
			continue;
		if (seen++ != vector)
			continue;
		strtol(p, &end, 10);	/* irq number */
		p = end + 1;		/* skip ':' */
		for (;;) {
			long long v = strtoll(p, &end, 10);

			if (end == p)
				break;
			sum += v;
			p = end;
		}
		total = sum;
	}
	fclose(f);
	return total;
}

static int do_dma(int fd, unsigned long req, void *buf, uint64_t nic_off,
		  uint32_t len, uint32_t *crc)
{
	struct ipipe_dma_xfer x = {
		.size = sizeof(x),
		.user_addr = (uintptr_t)buf,
		.nic_off = nic_off,
		.len = len,
	};
	int ret = ioctl(fd, req, &x);

	if (ret < 0)
		return -errno;
	if (crc)
		*crc = x.crc32c;
	return 0;
}

/* The driver binds every ipipe NIC and leaves a plain ivshmem device alone. */
TEST(bringup_binds_only_devices_with_firmware)
{
	int total = 0, bound = 0;
	struct dirent *de;
	DIR *d;

	d = opendir("/sys/bus/pci/devices");
	ASSERT_NE(NULL, d);
	while ((de = readdir(d))) {
		char path[512], id[32] = "";
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vendor", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		fgets(id, sizeof(id), f);
		fclose(f);
		if (strncmp(id, "0x1af4", 6))
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/device", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		fgets(id, sizeof(id), f);
		fclose(f);
		if (strncmp(id, "0x1110", 6))
			continue;
		total++;
		snprintf(path, sizeof(path), "/sys/bus/pci/drivers/ipipe/%s", de->d_name);
		if (access(path, F_OK) == 0)
			bound++;
	}
	closedir(d);
	if (total < 3)
		SKIP(return, "needs an ipipe NIC, a plain and a foreign ivshmem device");
	EXPECT_EQ(3, total);
	EXPECT_EQ(1, bound);
}

static int kernel_log_has(const char *needle)
{
	static char log[1 << 20];
	int n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, log, sizeof(log) - 1);

	if (n < 0)
		return -errno;
	log[n] = 0;
	return strstr(log, needle) != NULL;
}

/* Each refused device says why in the kernel log. */
TEST(bringup_says_why_a_device_is_refused)
{
	if (kernel_log_has("ipipe0:") != 1)
		SKIP(return, "ipipe not probed");
	EXPECT_EQ(1, kernel_log_has("no ipipe firmware header in BAR2, not claiming"));
	EXPECT_EQ(1, kernel_log_has("firmware ABI 2.0, driver ABI 1.0: incompatible"));
}

FIXTURE(ipipe) {
	int fd;
	struct ipipe_info info;
};

FIXTURE_SETUP(ipipe)
{
	self->fd = open(IPIPE_DEV, O_RDWR);
	if (self->fd < 0 && errno == ENOENT)
		SKIP(return, "no " IPIPE_DEV);
	ASSERT_LE(0, self->fd);
	memset(&self->info, 0, sizeof(self->info));
	self->info.size = sizeof(self->info);
	ASSERT_EQ(0, ioctl(self->fd, IPIPE_IOC_GET_INFO, &self->info));
}

FIXTURE_TEARDOWN(ipipe)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(ipipe, get_info_reports_the_firmware)
{
	EXPECT_EQ(IPIPE_ABI_MAJOR, self->info.abi_version >> 16);
	EXPECT_EQ(IPIPE_ABI_VERSION, self->info.driver_abi);
	EXPECT_LT(0, self->info.nic_cores);
	EXPECT_LE(self->info.nic_data_size, self->info.nic_mem_size);
	EXPECT_LT(0, self->info.nic_data_size);
	EXPECT_LE(1u << 20, self->info.max_dma_len);
	EXPECT_LE(IPIPE_NUM_VECTORS, self->info.num_vectors);
	EXPECT_NE(0, self->info.fw_name[0]);
	EXPECT_NE(0, self->info.caps & IPIPE_CAP_DMA_CRC);
	TH_LOG("firmware %s %#x, %u cores, %llu MiB data", self->info.fw_name,
	       self->info.fw_version, self->info.nic_cores,
	       (unsigned long long)self->info.nic_data_size >> 20);
}

TEST_F(ipipe, get_info_size_versioning)
{
	struct {
		struct ipipe_info info;
		uint32_t tail[4];
	} big;
	struct ipipe_info small;

	/* older userspace: the first published size works */
	memset(&small, 0, sizeof(small));
	small.size = IPIPE_INFO_SIZE_VER0;
	EXPECT_EQ(0, ioctl(self->fd, IPIPE_IOC_GET_INFO, &small));
	/* below it: EINVAL */
	small.size = 8;
	EXPECT_EQ(-1, ioctl(self->fd, IPIPE_IOC_GET_INFO, &small));
	EXPECT_EQ(EINVAL, errno);
	/* newer userspace with a zero tail: fine; non-zero tail: E2BIG */
	memset(&big, 0, sizeof(big));
	big.info.size = sizeof(big);
	EXPECT_EQ(0, ioctl(self->fd, IPIPE_IOC_GET_INFO, &big));
	memset(&big, 0, sizeof(big));
	big.info.size = sizeof(big);
	big.tail[2] = 1;
	EXPECT_EQ(-1, ioctl(self->fd, IPIPE_IOC_GET_INFO, &big));
	EXPECT_EQ(E2BIG, errno);
	/* output fields must come in as zero */
	memset(&small, 0, sizeof(small));
	small.size = sizeof(small);
	small.resv[0] = 1;
	EXPECT_EQ(-1, ioctl(self->fd, IPIPE_IOC_GET_INFO, &small));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(self->fd, IPIPE_IOC_GET_INFO, NULL));
	EXPECT_EQ(EFAULT, errno);
}

TEST_F(ipipe, unknown_ioctl_is_enotty)
{
	EXPECT_EQ(-1, ioctl(self->fd, _IO(IPIPE_IOC_MAGIC, 0x7f)));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->fd, _IO('T', 1)));
	EXPECT_EQ(ENOTTY, errno);
}

/* The admin queue answers through MSI-X, not polling: the count moves. */
TEST_F(ipipe, admin_completions_arrive_as_msix_interrupts)
{
	long long before = ipipe_irq_count(IPIPE_VEC_ADMIN), after;
	char buf[64];

	ASSERT_LE(0, before);
	for (int i = 0; i < 8; i++)
		ASSERT_EQ(0, do_dma(self->fd, IPIPE_IOC_DMA_WRITE, buf, 0, sizeof(buf), NULL));
	after = ipipe_irq_count(IPIPE_VEC_ADMIN);
	/* Interrupts may coalesce, so at least one, at most one per command. */
	EXPECT_LT(before, after);
	EXPECT_GE(before + 8, after);
}

FIXTURE(dma) {
	int fd;
	struct ipipe_info info;
	uint8_t *src, *dst;
};

FIXTURE_VARIANT(dma) {
	uint32_t len;
	uint64_t nic_off;
};

FIXTURE_VARIANT_ADD(dma, one_byte) { .len = 1, .nic_off = 7 };
FIXTURE_VARIANT_ADD(dma, page_minus_one) { .len = 4095, .nic_off = 4096 };
FIXTURE_VARIANT_ADD(dma, page) { .len = 4096, .nic_off = 0 };
FIXTURE_VARIANT_ADD(dma, page_plus_one) { .len = 4097, .nic_off = 12345 };
FIXTURE_VARIANT_ADD(dma, chunk_plus_one) { .len = 128 * 1024 + 1, .nic_off = 1 << 20 };
FIXTURE_VARIANT_ADD(dma, one_mib) { .len = 1 << 20, .nic_off = 3 << 20 };
FIXTURE_VARIANT_ADD(dma, max) { .len = 0, .nic_off = 0 };	/* info.max_dma_len */

FIXTURE_SETUP(dma)
{
	self->fd = open(IPIPE_DEV, O_RDWR);
	if (self->fd < 0 && errno == ENOENT)
		SKIP(return, "no " IPIPE_DEV);
	ASSERT_LE(0, self->fd);
	memset(&self->info, 0, sizeof(self->info));
	self->info.size = sizeof(self->info);
	ASSERT_EQ(0, ioctl(self->fd, IPIPE_IOC_GET_INFO, &self->info));
	self->src = malloc(self->info.max_dma_len);
	self->dst = malloc(self->info.max_dma_len);
	ASSERT_NE(NULL, self->src);
	ASSERT_NE(NULL, self->dst);
}

FIXTURE_TEARDOWN(dma)
{
	free(self->src);
	free(self->dst);
	if (self->fd >= 0)
		close(self->fd);
}

/* Random data goes host -> NIC -> another host buffer; both sides check. */
TEST_F(dma, round_trip_keeps_every_byte)
{
	uint32_t len = variant->len ?: self->info.max_dma_len;
	uint32_t wcrc = 0, rcrc = 0, want;

	ASSERT_LE(variant->nic_off + len, self->info.nic_data_size);
	fill_random(self->src, len, len);
	memset(self->dst, 0xa5, len);
	want = crc32c(self->src, len);

	ASSERT_EQ(0, do_dma(self->fd, IPIPE_IOC_DMA_WRITE, self->src,
			    variant->nic_off, len, &wcrc));
	EXPECT_EQ(want, wcrc) TH_LOG("NIC checksum of %u bytes written", len);
	ASSERT_EQ(0, do_dma(self->fd, IPIPE_IOC_DMA_READ, self->dst,
			    variant->nic_off, len, &rcrc));
	EXPECT_EQ(want, rcrc) TH_LOG("NIC checksum of %u bytes read", len);
	EXPECT_EQ(0, memcmp(self->src, self->dst, len))
		TH_LOG("data differs after a %u byte round trip", len);
}

TEST_F(ipipe, dma_rejects_bad_arguments)
{
	uint64_t data_size = self->info.nic_data_size;
	struct ipipe_dma_xfer x;
	char buf[256];

	/* length zero, too long, past the end of NIC memory, overflowing */
	EXPECT_EQ(-EINVAL, do_dma(self->fd, IPIPE_IOC_DMA_WRITE, buf, 0, 0, NULL));
	EXPECT_EQ(-EINVAL, do_dma(self->fd, IPIPE_IOC_DMA_WRITE, buf, 0,
				  self->info.max_dma_len + 1, NULL));
	EXPECT_EQ(-EINVAL, do_dma(self->fd, IPIPE_IOC_DMA_READ, buf,
				  data_size - 16, 17, NULL));
	EXPECT_EQ(-EINVAL, do_dma(self->fd, IPIPE_IOC_DMA_READ, buf,
				  UINT64_MAX - 8, 16, NULL));
	/* bad user memory */
	EXPECT_EQ(-EFAULT, do_dma(self->fd, IPIPE_IOC_DMA_WRITE, NULL, 0, 16, NULL));
	EXPECT_EQ(-EFAULT, do_dma(self->fd, IPIPE_IOC_DMA_READ, (void *)8, 0, 16, NULL));
	EXPECT_EQ(-1, ioctl(self->fd, IPIPE_IOC_DMA_READ, NULL));
	EXPECT_EQ(EFAULT, errno);
	/* flags, reserved fields, sizes */
	memset(&x, 0, sizeof(x));
	x.size = sizeof(x);
	x.user_addr = (uintptr_t)buf;
	x.len = sizeof(buf);
	x.flags = 1;
	EXPECT_EQ(-1, ioctl(self->fd, IPIPE_IOC_DMA_WRITE, &x));
	EXPECT_EQ(EINVAL, errno);
	x.flags = 0;
	x.resv[4] = 1;
	EXPECT_EQ(-1, ioctl(self->fd, IPIPE_IOC_DMA_WRITE, &x));
	EXPECT_EQ(EINVAL, errno);
	x.resv[4] = 0;
	x.size = 4;
	EXPECT_EQ(-1, ioctl(self->fd, IPIPE_IOC_DMA_WRITE, &x));
	EXPECT_EQ(EINVAL, errno);
	x.size = sizeof(x);
	EXPECT_EQ(0, ioctl(self->fd, IPIPE_IOC_DMA_WRITE, &x));
}


/* Every size-versioned ioctl handles NULL, short, long and reserved input. */
struct ioctl_case {
	const char *name;
	unsigned long req;
	uint32_t size;		/* sizeof the struct */
	uint32_t resv_off;	/* a reserved field */
};

#define IOCTL_CASE(r, type, resv) { #r, r, sizeof(type), offsetof(type, resv) }

static const struct ioctl_case ioctl_cases[] = {
	IOCTL_CASE(IPIPE_IOC_GET_INFO, struct ipipe_info, resv),
	IOCTL_CASE(IPIPE_IOC_GET_STATS, struct ipipe_stats, resv1),
	IOCTL_CASE(IPIPE_IOC_RING_SETUP, struct ipipe_ring_setup, resv),
	IOCTL_CASE(IPIPE_IOC_ACTOR_REGISTER, struct ipipe_actor_reg, resv),
	IOCTL_CASE(IPIPE_IOC_ACTOR_UNREGISTER, struct ipipe_actor_cmd, resv),
	IOCTL_CASE(IPIPE_IOC_ACTOR_MIGRATE, struct ipipe_actor_cmd, resv),
	IOCTL_CASE(IPIPE_IOC_DMA_WRITE, struct ipipe_dma_xfer, resv),
	IOCTL_CASE(IPIPE_IOC_DMA_READ, struct ipipe_dma_xfer, resv),
};

TEST_F(ipipe, every_ioctl_rejects_null_short_long_and_reserved_input)
{
	uint8_t buf[1024];

	for (size_t i = 0; i < sizeof(ioctl_cases) / sizeof(ioctl_cases[0]); i++) {
		const struct ioctl_case *c = &ioctl_cases[i];

		EXPECT_EQ(-1, ioctl(self->fd, c->req, NULL)) TH_LOG("%s NULL", c->name);
		EXPECT_EQ(EFAULT, errno) TH_LOG("%s NULL", c->name);

		memset(buf, 0, sizeof(buf));
		*(uint32_t *)buf = 4;
		EXPECT_EQ(-1, ioctl(self->fd, c->req, buf)) TH_LOG("%s short", c->name);
		EXPECT_EQ(EINVAL, errno) TH_LOG("%s short", c->name);

		memset(buf, 0, sizeof(buf));
		*(uint32_t *)buf = c->size + 16;
		buf[c->size + 8] = 1;
		EXPECT_EQ(-1, ioctl(self->fd, c->req, buf)) TH_LOG("%s long", c->name);
		EXPECT_EQ(E2BIG, errno) TH_LOG("%s long", c->name);

		memset(buf, 0, sizeof(buf));
		*(uint32_t *)buf = c->size;
		buf[c->resv_off] = 1;
		EXPECT_EQ(-1, ioctl(self->fd, c->req, buf)) TH_LOG("%s reserved", c->name);
		EXPECT_EQ(EINVAL, errno) TH_LOG("%s reserved", c->name);

		memset(buf, 0, sizeof(buf));
		*(uint32_t *)buf = 0x10000;	/* absurd size */
		EXPECT_EQ(-1, ioctl(self->fd, c->req, buf)) TH_LOG("%s huge", c->name);
		EXPECT_EQ(EINVAL, errno) TH_LOG("%s huge", c->name);
	}
}

TEST_F(ipipe, get_stats_counts_what_happened)
{
	struct ipipe_stats a = { .size = sizeof(a) }, b = { .size = sizeof(b) };
	char buf[512];

	ASSERT_EQ(0, ioctl(self->fd, IPIPE_IOC_GET_STATS, &a));
	ASSERT_EQ(0, do_dma(self->fd, IPIPE_IOC_DMA_WRITE, buf, 0, sizeof(buf), NULL));
	ASSERT_EQ(0, ioctl(self->fd, IPIPE_IOC_GET_STATS, &b));
	EXPECT_LT(0, a.irqs[IPIPE_VEC_ADMIN]);
	EXPECT_LT(a.irqs[IPIPE_VEC_ADMIN], b.irqs[IPIPE_VEC_ADMIN]);
	EXPECT_EQ(a.fw.dma_cmds + 1, b.fw.dma_cmds);
	EXPECT_EQ(a.fw.dma_bytes + sizeof(buf), b.fw.dma_bytes);
	EXPECT_LT(a.fw.admin_cmds, b.fw.admin_cmds);
}

static int fw_fault(const char *spec)
{
	char path[128];
	int fd, ret = 0;

	snprintf(path, sizeof(path), "/sys/kernel/debug/ipipe/ipipe0/fw_fault");
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	if (write(fd, spec, strlen(spec)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* A DMA whose completion is late times out and leaves the engine usable. */
TEST_F(ipipe, dma_timeout_gives_etimedout_and_the_engine_recovers)
{
	struct ipipe_dma_xfer x;
	char src[4096], dst[4096];
	struct ipipe_stats st = { .size = sizeof(st) };

	if (fw_fault("none") == -ENOENT)
		SKIP(return, "no debugfs fault knob");
	EXPECT_EQ(-EINVAL, fw_fault("melt 3"));
	ASSERT_EQ(0, fw_fault("delay_cq 1500"));
	memset(&x, 0, sizeof(x));
	x.size = sizeof(x);
	x.user_addr = (uintptr_t)src;
	x.len = sizeof(src);
	x.timeout_ms = 200;
	EXPECT_EQ(-1, ioctl(self->fd, IPIPE_IOC_DMA_WRITE, &x));
	EXPECT_EQ(ETIMEDOUT, errno);
	ASSERT_EQ(0, fw_fault("none"));

	fill_random(src, sizeof(src), 99);
	ASSERT_EQ(0, do_dma(self->fd, IPIPE_IOC_DMA_WRITE, src, 8192, sizeof(src), NULL));
	ASSERT_EQ(0, do_dma(self->fd, IPIPE_IOC_DMA_READ, dst, 8192, sizeof(dst), NULL));
	EXPECT_EQ(0, memcmp(src, dst, sizeof(src)));
	ASSERT_EQ(0, ioctl(self->fd, IPIPE_IOC_GET_STATS, &st));
	EXPECT_LE(1, st.admin_timeouts);
	EXPECT_EQ(0, st.spurious_cqes);

	/* a failing DMA engine gives EIO, once */
	ASSERT_EQ(0, fw_fault("fail_dma 1"));
	EXPECT_EQ(-EIO, do_dma(self->fd, IPIPE_IOC_DMA_WRITE, src, 0, 64, NULL));
	EXPECT_EQ(0, do_dma(self->fd, IPIPE_IOC_DMA_WRITE, src, 0, 64, NULL));
}

/* ---- rings --------------------------------------------------------- */

struct ring {
	uint8_t *base;
	struct ipipe_ring_offsets off;
};

struct rings {
	struct ipipe_ring_setup rs;
	struct ring r[IPIPE_RING_TYPE_LAST];
};

static int rings_map(int fd, struct rings *rg)
{
	memset(rg, 0, sizeof(*rg));
	rg->rs.size = sizeof(rg->rs);
	if (ioctl(fd, IPIPE_IOC_RING_SETUP, &rg->rs) < 0)
		return -errno;
	for (int t = 0; t < IPIPE_RING_TYPE_LAST; t++) {
		rg->r[t].off = rg->rs.off[t];
		rg->r[t].base = mmap(NULL, rg->rs.off[t].mmap_len, PROT_READ | PROT_WRITE,
				     MAP_SHARED, fd, rg->rs.off[t].mmap_off);
		if (rg->r[t].base == MAP_FAILED)
			return -errno;
	}
	return 0;
}

static void rings_unmap(struct rings *rg)
{
	for (int t = 0; t < IPIPE_RING_TYPE_LAST; t++)
		if (rg->r[t].base && rg->r[t].base != MAP_FAILED)
			munmap(rg->r[t].base, rg->r[t].off.mmap_len);
}

static uint32_t *ring_idx(struct ring *r, uint32_t off)
{
	return (uint32_t *)(r->base + off);
}

/* Producer side: one message into the next slot, published at once. */
static int ring_send(struct ring *r, uint32_t dst, uint64_t req_id, const void *p, uint32_t len)
{
	uint32_t prod = *ring_idx(r, r->off.producer);
	uint32_t cons = __atomic_load_n(ring_idx(r, r->off.consumer), __ATOMIC_ACQUIRE);
	uint32_t slot = prod & (r->off.entries - 1);
	struct ipipe_ring_desc *d = (void *)(r->base + r->off.desc) + slot * sizeof(*d);
	uint8_t *payload = r->base + r->off.data + (uint64_t)slot * r->off.slot_size;
	struct ipipe_msg_hdr h = {
		.dst_actor = dst, .req_id = req_id, .len = len, .type = IPIPE_MSG_REQUEST,
	};

	if (prod - cons >= r->off.entries)
		return -EAGAIN;
	if (sizeof(h) + len > r->off.slot_size)
		return -EMSGSIZE;
	memcpy(payload, &h, sizeof(h));
	memcpy(payload + sizeof(h), p, len);
	memset(d, 0, sizeof(*d));
	d->off = (uint64_t)slot * r->off.slot_size;
	d->len = sizeof(h) + len;
	__atomic_store_n(ring_idx(r, r->off.producer), prod + 1, __ATOMIC_RELEASE);
	return 0;
}

/* Consumer side: one message out, validated like any untrusted ring. */
static int ring_recv(struct ring *r, struct ipipe_msg_hdr *h, void *p, uint32_t max)
{
	uint32_t prod = __atomic_load_n(ring_idx(r, r->off.producer), __ATOMIC_ACQUIRE);
	uint32_t cons = *ring_idx(r, r->off.consumer);
	struct ipipe_ring_desc d;

	if (prod == cons)
		return -EAGAIN;
	memcpy(&d, r->base + r->off.desc + (cons & (r->off.entries - 1)) * sizeof(d), sizeof(d));
	if (d.len < sizeof(*h) || d.off + d.len > (uint64_t)r->off.entries * r->off.slot_size)
		return -EBADMSG;
	memcpy(h, r->base + r->off.data + d.off, sizeof(*h));
	if (h->len > max || sizeof(*h) + h->len > d.len)
		return -EBADMSG;
	memcpy(p, r->base + r->off.data + d.off + sizeof(*h), h->len);
	__atomic_store_n(ring_idx(r, r->off.consumer), cons + 1, __ATOMIC_RELEASE);
	return 0;
}

static int actor_register(int fd, const char *type, uint32_t id, uint32_t loc)
{
	struct ipipe_actor_reg reg = {
		.size = sizeof(reg), .actor_id = id, .location = loc, .mem_quota = 1 << 20,
	};

	strncpy(reg.type, type, sizeof(reg.type) - 1);
	if (ioctl(fd, IPIPE_IOC_ACTOR_REGISTER, &reg) < 0)
		return -errno;
	return reg.actor_id;
}

static int actor_cmd(int fd, unsigned long req, uint32_t id, uint32_t to)
{
	struct ipipe_actor_cmd ac = { .size = sizeof(ac), .actor_id = id, .to = to };

	return ioctl(fd, req, &ac) < 0 ? -errno : 0;
}

/* Sends n requests to the actor and checks every echoed reply. */
static int echo_round_trips(int fd, struct rings *rg, uint32_t actor, int n, uint64_t tag)
{
	struct ring *tx = &rg->r[IPIPE_RING_MSG_H2N], *rx = &rg->r[IPIPE_RING_MSG_N2H];
	int sent = 0, got = 0;

	while (got < n) {
		char out[64], in[64];
		struct ipipe_msg_hdr h;
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		while (sent < n && sent - got < 16) {
			snprintf(out, sizeof(out), "msg %llu/%d", (unsigned long long)tag, sent);
			if (ring_send(tx, actor, tag + sent, out, strlen(out) + 1))
				break;
			sent++;
		}
		if (ioctl(fd, IPIPE_IOC_KICK) < 0)
			return -errno;
		if (poll(&pfd, 1, 5000) <= 0)
			return -ETIMEDOUT;
		while (ring_recv(rx, &h, in, sizeof(in)) == 0) {
			snprintf(out, sizeof(out), "msg %llu/%d", (unsigned long long)tag, got);
			if (h.type != IPIPE_MSG_REPLY || h.req_id != tag + got || strcmp(in, out))
				return -EBADMSG;
			got++;
		}
	}
	return 0;
}

FIXTURE(ring) {
	int fd;
	struct rings rg;
};

FIXTURE_SETUP(ring)
{
	self->fd = open(IPIPE_DEV, O_RDWR);
	if (self->fd < 0 && errno == ENOENT)
		SKIP(return, "no " IPIPE_DEV);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, rings_map(self->fd, &self->rg));
}

FIXTURE_TEARDOWN(ring)
{
	rings_unmap(&self->rg);
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(ring, setup_reports_four_mappable_rings)
{
	struct ipipe_ring_setup again = { .size = sizeof(again) };

	for (int t = 0; t < IPIPE_RING_TYPE_LAST; t++) {
		struct ring *r = &self->rg.r[t];
		struct ipipe_ring_hdr *h = (void *)r->base;

		EXPECT_EQ(IPIPE_OFF_RING(t), r->off.mmap_off);
		EXPECT_EQ(0, r->off.entries & (r->off.entries - 1));
		EXPECT_EQ(r->off.entries, h->entries);
		EXPECT_EQ(sizeof(struct ipipe_ring_desc), h->desc_size);
		EXPECT_LE(r->off.data + (uint64_t)r->off.entries * r->off.slot_size,
			  r->off.mmap_len);
	}
	/* one context per file */
	EXPECT_EQ(-1, ioctl(self->fd, IPIPE_IOC_RING_SETUP, &again));
	EXPECT_EQ(EBUSY, errno);
	/* beyond a ring, or at an unaligned offset: refused */
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 4096, PROT_READ, MAP_SHARED, self->fd,
				   IPIPE_OFF_RING(IPIPE_RING_TYPE_LAST)));
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 4096, PROT_READ, MAP_SHARED, self->fd, 4096));
	EXPECT_EQ(MAP_FAILED, mmap(NULL, self->rg.r[0].off.mmap_len + 4096, PROT_READ,
				   MAP_SHARED, self->fd, 0));
}

TEST(ring_setup_rejects_bad_geometry)
{
	struct ipipe_ring_setup rs;
	int fd = open(IPIPE_DEV, O_RDWR);

	if (fd < 0 && errno == ENOENT)
		SKIP(return, "no " IPIPE_DEV);
	ASSERT_LE(0, fd);
	memset(&rs, 0, sizeof(rs));
	rs.size = sizeof(rs);
	rs.msg_entries = IPIPE_RING_MAX_ENTRIES + 1;
	EXPECT_EQ(-1, ioctl(fd, IPIPE_IOC_RING_SETUP, &rs));
	EXPECT_EQ(EINVAL, errno);
	memset(&rs, 0, sizeof(rs));
	rs.size = sizeof(rs);
	rs.msg_slot_size = 8;	/* smaller than a message header */
	EXPECT_EQ(-1, ioctl(fd, IPIPE_IOC_RING_SETUP, &rs));
	EXPECT_EQ(EINVAL, errno);
	memset(&rs, 0, sizeof(rs));
	rs.size = sizeof(rs);
	rs.flags = 2;	/* unknown; 1 is IPIPE_RING_SETUP_F_RUNTIME */
	EXPECT_EQ(-1, ioctl(fd, IPIPE_IOC_RING_SETUP, &rs));
	EXPECT_EQ(EINVAL, errno);
	memset(&rs, 0, sizeof(rs));
	rs.size = sizeof(rs);
	rs.off[2].entries = 1;	/* output fields come in as zero */
	EXPECT_EQ(-1, ioctl(fd, IPIPE_IOC_RING_SETUP, &rs));
	EXPECT_EQ(EINVAL, errno);
	/* nothing above created a context */
	memset(&rs, 0, sizeof(rs));
	rs.size = sizeof(rs);
	EXPECT_EQ(0, ioctl(fd, IPIPE_IOC_RING_SETUP, &rs));
	close(fd);
}

TEST_F(ring, message_round_trip_through_the_firmware)
{
	int id = actor_register(self->fd, "echo", 0, IPIPE_LOC_NIC);

	ASSERT_LT(0, id);
	EXPECT_EQ(0, echo_round_trips(self->fd, &self->rg, id, 200, 1000));
}

TEST_F(ring, a_request_to_an_unknown_actor_gets_an_error_reply)
{
	struct ring *tx = &self->rg.r[IPIPE_RING_MSG_H2N];
	struct ring *rx = &self->rg.r[IPIPE_RING_MSG_N2H];
	struct pollfd pfd = { .fd = self->fd, .events = POLLIN };
	struct ipipe_msg_hdr h;
	char buf[64];

	ASSERT_EQ(0, ring_send(tx, 999999, 77, "x", 2));
	ASSERT_EQ(0, ioctl(self->fd, IPIPE_IOC_KICK));
	ASSERT_EQ(1, poll(&pfd, 1, 5000));
	ASSERT_EQ(0, ring_recv(rx, &h, buf, sizeof(buf)));
	EXPECT_EQ(IPIPE_MSG_ERROR, h.type);
	EXPECT_EQ(77, h.req_id);
}

TEST_F(ring, register_and_unregister_check_their_arguments)
{
	struct ipipe_actor_reg reg;
	int id;

	EXPECT_EQ(-ENOENT, actor_register(self->fd, "no-such-type", 0, IPIPE_LOC_NIC));
	EXPECT_EQ(-EINVAL, actor_register(self->fd, "", 0, IPIPE_LOC_NIC));
	EXPECT_EQ(-EINVAL, actor_register(self->fd, "echo", 0, 7));
	id = actor_register(self->fd, "echo", 0, IPIPE_LOC_NIC);
	ASSERT_LT(0, id);
	EXPECT_EQ(-EEXIST, actor_register(self->fd, "echo", id, IPIPE_LOC_NIC));
	memset(&reg, 0, sizeof(reg));
	reg.size = sizeof(reg);
	memset(reg.type, 'a', sizeof(reg.type));	/* not NUL-terminated */
	reg.mem_quota = 4096;
	EXPECT_EQ(-1, ioctl(self->fd, IPIPE_IOC_ACTOR_REGISTER, &reg));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, actor_cmd(self->fd, IPIPE_IOC_ACTOR_UNREGISTER, id, 0));
	EXPECT_EQ(-ENOENT, actor_cmd(self->fd, IPIPE_IOC_ACTOR_UNREGISTER, id, 0));
	EXPECT_EQ(-EINVAL, actor_cmd(self->fd, IPIPE_IOC_ACTOR_UNREGISTER, 0, 0));
	EXPECT_EQ(-EINVAL, actor_cmd(self->fd, IPIPE_IOC_ACTOR_MIGRATE, id, 9));
	EXPECT_EQ(-ENOENT, actor_cmd(self->fd, IPIPE_IOC_ACTOR_MIGRATE, id, IPIPE_LOC_HOST));
}

TEST(register_needs_rings)
{
	int fd = open(IPIPE_DEV, O_RDWR);

	if (fd < 0 && errno == ENOENT)
		SKIP(return, "no " IPIPE_DEV);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENOTCONN, actor_register(fd, "echo", 0, IPIPE_LOC_NIC));
	EXPECT_EQ(-1, ioctl(fd, IPIPE_IOC_KICK));
	EXPECT_EQ(ENXIO, errno);
	close(fd);
}

/* An actor registered through a file is gone once the file is closed. */
TEST(registrations_are_released_on_close)
{
	struct rings rg;
	int fd, id;

	fd = open(IPIPE_DEV, O_RDWR);
	if (fd < 0 && errno == ENOENT)
		SKIP(return, "no " IPIPE_DEV);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, rings_map(fd, &rg));
	id = actor_register(fd, "echo", 0, IPIPE_LOC_NIC);
	ASSERT_LT(0, id);
	rings_unmap(&rg);
	close(fd);

	fd = open(IPIPE_DEV, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, rings_map(fd, &rg));
	EXPECT_EQ(id, actor_register(fd, "echo", id, IPIPE_LOC_NIC));
	rings_unmap(&rg);
	close(fd);
}

TEST(persistent_actors_outlive_their_file)
{
	struct ipipe_actor_reg reg = {
		.size = sizeof(reg), .flags = IPIPE_ACTOR_F_PERSIST, .actor_id = 200,
		.location = IPIPE_LOC_NIC, .mem_quota = 1 << 20,
	};
	struct rings rg;
	int fd;

	fd = open(IPIPE_DEV, O_RDWR);
	if (fd < 0 && errno == ENOENT)
		SKIP(return, "no " IPIPE_DEV);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, rings_map(fd, &rg));
	strcpy(reg.type, "echo");
	ASSERT_EQ(0, ioctl(fd, IPIPE_IOC_ACTOR_REGISTER, &reg));
	rings_unmap(&rg);
	close(fd);

	/* still there for the next file, which may act on it */
	fd = open(IPIPE_DEV, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, rings_map(fd, &rg));
	EXPECT_EQ(-EEXIST, actor_register(fd, "echo", 200, IPIPE_LOC_NIC));
	EXPECT_EQ(0, actor_cmd(fd, IPIPE_IOC_ACTOR_UNREGISTER, 200, 0));
	EXPECT_EQ(-ENOENT, actor_cmd(fd, IPIPE_IOC_ACTOR_UNREGISTER, 200, 0));
	/* an unknown flag is refused */
	reg.flags = 1U << 7;
	EXPECT_EQ(-1, ioctl(fd, IPIPE_IOC_ACTOR_REGISTER, &reg));
	EXPECT_EQ(EINVAL, errno);
	rings_unmap(&rg);
	close(fd);
}

/* ---- sysfs and netlink ---------------------------------------------- */

static char ipipe_sysfs_dir[320];

static const char *sysfs_path(const char *attr)
{
	static char path[320 + 64];

	if (!ipipe_sysfs_dir[0]) {
		DIR *d = opendir("/sys/bus/pci/drivers/ipipe");
		struct dirent *de;

		while (d && (de = readdir(d)))
			if (strchr(de->d_name, ':'))
				snprintf(ipipe_sysfs_dir, sizeof(ipipe_sysfs_dir),
					 "/sys/bus/pci/drivers/ipipe/%s", de->d_name);
		if (d)
			closedir(d);
	}
	snprintf(path, sizeof(path), "%s/%s", ipipe_sysfs_dir, attr);
	return path;
}

static int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

static int sysfs_write(const char *attr, const char *val)
{
	return write_file(sysfs_path(attr), val);
}

static long long sysfs_read(const char *attr)
{
	char buf[64] = "";
	int fd = open(sysfs_path(attr), O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 ? strtoll(buf, NULL, 0) : -EIO;
}

TEST(sysfs_parameters_are_range_checked_and_read_back)
{
	if (access("/sys/bus/pci/drivers/ipipe", F_OK))
		SKIP(return, "ipipe not loaded");
	EXPECT_EQ(0, sysfs_write("tail_thresh_ns", "75000"));
	EXPECT_EQ(75000, sysfs_read("tail_thresh_ns"));
	EXPECT_EQ(-EINVAL, sysfs_write("tail_thresh_ns", "999"));
	EXPECT_EQ(-EINVAL, sysfs_write("tail_thresh_ns", "2000000000"));
	EXPECT_EQ(75000, sysfs_read("tail_thresh_ns"));
	EXPECT_EQ(-EINVAL, sysfs_write("alpha_permille", "1001"));
	EXPECT_EQ(-ERANGE, sysfs_write("alpha_permille", "4294967296"));
	EXPECT_EQ(-EINVAL, sysfs_write("drr_quantum_ns", "ten"));
	EXPECT_EQ(0, sysfs_write("alpha_permille", "150"));
	EXPECT_EQ(150, sysfs_read("alpha_permille"));
	EXPECT_EQ(-EINVAL, sysfs_write("fcfs_cores", "100000"));
	EXPECT_LT(0, sysfs_read("nic_cores"));
	EXPECT_LT(0, sysfs_read("statistics/irqs_admin"));
}

struct dev_reply {
	uint64_t mean_thresh_ns;
	uint32_t alpha;
	int seen;
	int stats;		/* IPIPE_A_STATS nests seen */
	int counters;		/* counters in the last one */
	uint64_t dma_cmds, dma_bytes, admin_cmds;
};

static void dev_stats_cb(struct dev_reply *r, struct nlattr *nest)
{
	struct nlattr *a;

	r->stats++;
	r->counters = 0;
	nl_for_each_attr(a, nl_data(nest), nest->nla_len - NLA_HDRLEN) {
		uint64_t v;

		if (a->nla_type == IPIPE_A_STATS_PAD)
			continue;
		memcpy(&v, nl_data(a), sizeof(v));
		r->counters++;
		if (a->nla_type == IPIPE_A_STATS_DMA_CMDS)
			r->dma_cmds = v;
		if (a->nla_type == IPIPE_A_STATS_DMA_BYTES)
			r->dma_bytes = v;
		if (a->nla_type == IPIPE_A_STATS_ADMIN_CMDS)
			r->admin_cmds = v;
	}
}

static void dev_get_cb(struct nlmsghdr *h, void *arg)
{
	struct dev_reply *r = arg;
	struct nlattr *a;

	nl_for_each_attr(a, (char *)NLMSG_DATA(h) + GENL_HDRLEN,
			 h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN)) {
		if (a->nla_type == IPIPE_A_MEAN_THRESH_NS)
			r->mean_thresh_ns = *(uint64_t *)nl_data(a);
		if (a->nla_type == IPIPE_A_ALPHA_PERMILLE)
			r->alpha = *(uint32_t *)nl_data(a);
		if ((a->nla_type & NLA_TYPE_MASK) == IPIPE_A_STATS)
			dev_stats_cb(r, a);
	}
	r->seen++;
}

/* DEV_GET with IPIPE_A_STATS_REQ: the firmware's counters, as GET_STATS. */
TEST_F(ipipe, netlink_statistics_follow_the_firmware_counters)
{
	struct dev_reply before = {}, after = {}, plain = {}, dump = {};
	struct ipipe_stats st = { .size = sizeof(st) };
	struct nl_family fam;
	struct nl_sock s;
	struct nl_req r;
	char buf[256];

	ASSERT_EQ(0, nl_open(&s));
	if (nl_resolve(&s, IPIPE_GENL_NAME, &fam))
		SKIP(return, "no ipipe netlink family");
	nl_req_init(&r, fam.id, IPIPE_CMD_DEV_GET, 0);
	nl_put_u32(&r, IPIPE_A_DEV_INDEX, 0);
	nl_put(&r, IPIPE_A_STATS_REQ, NULL, 0);
	ASSERT_EQ(0, nl_send(&s, &r));
	ASSERT_EQ(0, nl_recv(&s, dev_get_cb, &before)) TH_LOG("extack: %s", s.err_msg);
	ASSERT_EQ(1, before.stats);
	EXPECT_EQ(IPIPE_A_STATS_MAX - IPIPE_A_STATS_ADMIN_CMDS + 1, before.counters);

	ASSERT_EQ(0, do_dma(self->fd, IPIPE_IOC_DMA_WRITE, buf, 0, sizeof(buf), NULL));
	ASSERT_EQ(0, nl_send(&s, &r));
	ASSERT_EQ(0, nl_recv(&s, dev_get_cb, &after));
	EXPECT_EQ(before.dma_cmds + 1, after.dma_cmds);
	EXPECT_EQ(before.dma_bytes + sizeof(buf), after.dma_bytes);
	EXPECT_LT(before.admin_cmds, after.admin_cmds);
	ASSERT_EQ(0, ioctl(self->fd, IPIPE_IOC_GET_STATS, &st));
	EXPECT_EQ(after.dma_cmds, st.fw.dma_cmds) TH_LOG("netlink and the ioctl disagree");

	/* without the flag, no statistics (and no admin command for them) */
	nl_req_init(&r, fam.id, IPIPE_CMD_DEV_GET, 0);
	nl_put_u32(&r, IPIPE_A_DEV_INDEX, 0);
	ASSERT_EQ(0, nl_send(&s, &r));
	ASSERT_EQ(0, nl_recv(&s, dev_get_cb, &plain));
	EXPECT_EQ(1, plain.seen);
	EXPECT_EQ(0, plain.stats);
	/* a dump asks for them the same way */
	nl_req_init(&r, fam.id, IPIPE_CMD_DEV_GET, NLM_F_DUMP);
	nl_put(&r, IPIPE_A_STATS_REQ, NULL, 0);
	ASSERT_EQ(0, nl_send(&s, &r));
	ASSERT_EQ(0, nl_recv(&s, dev_get_cb, &dump));
	EXPECT_EQ(dump.seen, dump.stats);
	close(s.fd);
}

TEST(netlink_params_set_and_get_with_extack_reasons)
{
	struct nl_family fam;
	struct dev_reply rep = {};
	struct nl_sock s;
	struct nl_req r;

	ASSERT_EQ(0, nl_open(&s));
	if (nl_resolve(&s, IPIPE_GENL_NAME, &fam))
		SKIP(return, "no ipipe netlink family");

	nl_req_init(&r, fam.id, IPIPE_CMD_PARAMS_SET, NLM_F_ACK);
	nl_put_u32(&r, IPIPE_A_DEV_INDEX, 0);
	nl_put_u64(&r, IPIPE_A_MEAN_THRESH_NS, 33000);
	ASSERT_EQ(0, nl_send(&s, &r));
	EXPECT_EQ(0, nl_recv(&s, NULL, NULL)) TH_LOG("extack: %s", s.err_msg);
	/* the sysfs view and the netlink view read the same firmware */
	EXPECT_EQ(33000, sysfs_read("mean_thresh_ns"));
	EXPECT_EQ(0, sysfs_write("alpha_permille", "250"));

	nl_req_init(&r, fam.id, IPIPE_CMD_DEV_GET, 0);
	nl_put_u32(&r, IPIPE_A_DEV_INDEX, 0);
	ASSERT_EQ(0, nl_send(&s, &r));
	EXPECT_EQ(0, nl_recv(&s, dev_get_cb, &rep));
	EXPECT_EQ(1, rep.seen);
	EXPECT_EQ(33000, rep.mean_thresh_ns);
	EXPECT_EQ(250, rep.alpha);

	/* out of the policy's range */
	nl_req_init(&r, fam.id, IPIPE_CMD_PARAMS_SET, NLM_F_ACK);
	nl_put_u32(&r, IPIPE_A_DEV_INDEX, 0);
	nl_put_u32(&r, IPIPE_A_ALPHA_PERMILLE, 2000);
	ASSERT_EQ(0, nl_send(&s, &r));
	EXPECT_EQ(-ERANGE, nl_recv(&s, NULL, NULL));
	EXPECT_NE(0, s.err_msg[0]) TH_LOG("no extack text for a policy violation");
	/* in range for the policy, but more cores than the NIC has */
	nl_req_init(&r, fam.id, IPIPE_CMD_PARAMS_SET, NLM_F_ACK);
	nl_put_u32(&r, IPIPE_A_DEV_INDEX, 0);
	nl_put_u32(&r, IPIPE_A_FCFS_CORES, 4000);
	ASSERT_EQ(0, nl_send(&s, &r));
	EXPECT_EQ(-EINVAL, nl_recv(&s, NULL, NULL));
	EXPECT_NE(NULL, strstr(s.err_msg, "FCFS cores")) TH_LOG("extack: %s", s.err_msg);
	/* missing device, unknown device, nothing to set */
	nl_req_init(&r, fam.id, IPIPE_CMD_PARAMS_SET, NLM_F_ACK);
	nl_put_u32(&r, IPIPE_A_ALPHA_PERMILLE, 100);
	ASSERT_EQ(0, nl_send(&s, &r));
	EXPECT_EQ(-EINVAL, nl_recv(&s, NULL, NULL));
	nl_req_init(&r, fam.id, IPIPE_CMD_PARAMS_SET, NLM_F_ACK);
	nl_put_u32(&r, IPIPE_A_DEV_INDEX, 42);
	nl_put_u32(&r, IPIPE_A_ALPHA_PERMILLE, 100);
	ASSERT_EQ(0, nl_send(&s, &r));
	EXPECT_EQ(-ENODEV, nl_recv(&s, NULL, NULL));
	EXPECT_NE(NULL, strstr(s.err_msg, "no such ipipe device")) TH_LOG("%s", s.err_msg);
	nl_req_init(&r, fam.id, IPIPE_CMD_PARAMS_SET, NLM_F_ACK);
	nl_put_u32(&r, IPIPE_A_DEV_INDEX, 0);
	ASSERT_EQ(0, nl_send(&s, &r));
	EXPECT_EQ(-EINVAL, nl_recv(&s, NULL, NULL));
	EXPECT_NE(NULL, strstr(s.err_msg, "no parameter given")) TH_LOG("%s", s.err_msg);
	close(s.fd);
}

struct actor_dump {
	uint32_t id;
	uint32_t location;
	int found;
};

static void actor_dump_cb(struct nlmsghdr *h, void *arg)
{
	struct actor_dump *d = arg;
	struct nlattr *a, *n;

	nl_for_each_attr(a, (char *)NLMSG_DATA(h) + GENL_HDRLEN,
			 h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN)) {
		uint32_t id = 0, loc = 0;

		if ((a->nla_type & NLA_TYPE_MASK) != IPIPE_A_ACTOR)
			continue;
		nl_for_each_attr(n, nl_data(a), a->nla_len - NLA_HDRLEN) {
			if (n->nla_type == IPIPE_A_ACTOR_ID)
				id = *(uint32_t *)nl_data(n);
			if (n->nla_type == IPIPE_A_ACTOR_LOCATION)
				loc = *(uint32_t *)nl_data(n);
		}
		if (id == d->id) {
			d->found++;
			d->location = loc;
		}
	}
}

/* Migrating an actor shows in the dump and as an event on the group. */
TEST_F(ring, migration_is_dumped_and_multicast)
{
	struct actor_dump d = {};
	struct nl_family fam;
	struct nl_sock s, ev;
	struct nl_req r;
	char buf[4096];
	int id, got = 0;

	ASSERT_EQ(0, nl_open(&s));
	if (nl_resolve(&s, IPIPE_GENL_NAME, &fam))
		SKIP(return, "no ipipe netlink family");
	ASSERT_NE(0, fam.events_group);
	ASSERT_EQ(0, nl_open(&ev));
	ASSERT_EQ(0, setsockopt(ev.fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
				&fam.events_group, sizeof(fam.events_group)));

	id = actor_register(self->fd, "echo", 0, IPIPE_LOC_NIC);
	ASSERT_LT(0, id);
	ASSERT_EQ(0, actor_cmd(self->fd, IPIPE_IOC_ACTOR_MIGRATE, id, IPIPE_LOC_HOST));

	d.id = id;
	nl_req_init(&r, fam.id, IPIPE_CMD_ACTOR_GET, NLM_F_DUMP);
	ASSERT_EQ(0, nl_send(&s, &r));
	EXPECT_EQ(0, nl_recv(&s, actor_dump_cb, &d));
	EXPECT_EQ(1, d.found);
	EXPECT_EQ(IPIPE_LOC_HOST, d.location);

	/* the event arrives asynchronously; wait for it */
	for (int tries = 0; tries < 50 && !got; tries++) {
		struct pollfd pfd = { .fd = ev.fd, .events = POLLIN };
		struct nlmsghdr *h;
		ssize_t n;

		if (poll(&pfd, 1, 100) <= 0)
			continue;
		n = recv(ev.fd, buf, sizeof(buf), 0);
		for (h = (void *)buf; n > 0 && NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
			struct genlmsghdr *g = NLMSG_DATA(h);
			struct nlattr *a, *e;
			uint32_t type = 0, actor = 0;

			if (h->nlmsg_type != fam.id || g->cmd != IPIPE_CMD_EVENT)
				continue;
			nl_for_each_attr(a, (char *)g + GENL_HDRLEN,
					 h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN)) {
				if ((a->nla_type & NLA_TYPE_MASK) != IPIPE_A_EVENT)
					continue;
				nl_for_each_attr(e, nl_data(a), a->nla_len - NLA_HDRLEN) {
					if (e->nla_type == IPIPE_A_EVENT_TYPE)
						type = *(uint32_t *)nl_data(e);
					if (e->nla_type == IPIPE_A_EVENT_ACTOR_ID)
						actor = *(uint32_t *)nl_data(e);
				}
			}
			if (type == IPIPE_EV_ACTOR_MIGRATED && actor == (uint32_t)id)
				got = 1;
		}
	}
	EXPECT_EQ(1, got) TH_LOG("no ACTOR_MIGRATED event for actor %d", id);
	close(s.fd);
	close(ev.fd);
}

/* Drops CAP_NET_ADMIN from this process, keeping everything else. */
static int drop_net_admin(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct c[2];

	if (syscall(SYS_capget, &h, c))
		return -errno;
	c[CAP_NET_ADMIN / 32].effective &= ~(1U << (CAP_NET_ADMIN % 32));
	c[CAP_NET_ADMIN / 32].permitted &= ~(1U << (CAP_NET_ADMIN % 32));
	return syscall(SYS_capset, &h, c) ? -errno : 0;
}

static int runtime_setup(int fd)
{
	struct ipipe_ring_setup rs = {
		.size = sizeof(rs),
		.flags = IPIPE_RING_SETUP_F_RUNTIME,
		.msg_slot_size = sizeof(struct ipipe_msg_hdr) + IPIPE_MSG_MAX_PAYLOAD,
		.mig_slot_size = 16384,
	};

	return ioctl(fd, IPIPE_IOC_RING_SETUP, &rs) ? -errno : 0;
}

/*
 * The host runtime's ring context (ipiped's): CAP_NET_ADMIN, one per NIC,
 * gone with its file; plain contexts beside it are not affected.
 */
TEST(runtime_ring_context_is_privileged_and_one_per_nic)
{
	int a = open(IPIPE_DEV, O_RDWR), b, c;
	struct ipipe_ring_setup plain = { .size = sizeof(plain) };
	pid_t child;
	int status;

	if (a < 0 && errno == ENOENT)
		SKIP(return, "no " IPIPE_DEV);
	ASSERT_LE(0, a);
	b = open(IPIPE_DEV, O_RDWR);
	ASSERT_LE(0, b);
	ASSERT_EQ(0, runtime_setup(a));
	EXPECT_EQ(-EBUSY, runtime_setup(b)) TH_LOG("a second runtime context on one NIC");
	EXPECT_EQ(0, ioctl(b, IPIPE_IOC_RING_SETUP, &plain));

	child = fork();
	ASSERT_LE(0, child);
	if (child == 0) {
		int fd = open(IPIPE_DEV, O_RDWR);

		if (fd < 0 || drop_net_admin())
			_exit(100);
		_exit(runtime_setup(fd) == -EPERM ? 0 : 1);
	}
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("a runtime context without CAP_NET_ADMIN");

	/* the context goes with its file, and the next one may take its place */
	close(a);
	c = open(IPIPE_DEV, O_RDWR);
	ASSERT_LE(0, c);
	EXPECT_EQ(0, runtime_setup(c));
	close(c);
	close(b);
}

/* Changing actors or parameters needs CAP_NET_ADMIN on every interface. */
TEST_F(ring, state_changes_need_cap_net_admin)
{
	struct nl_family fam;
	struct nl_sock s;
	struct nl_req r;
	pid_t child;
	int status, id;

	id = actor_register(self->fd, "echo", 0, IPIPE_LOC_NIC);
	ASSERT_LT(0, id);
	child = fork();
	ASSERT_LE(0, child);
	if (child == 0) {
		int bad = 0;

		if (drop_net_admin())
			_exit(100);
		bad |= actor_register(self->fd, "echo", 0, IPIPE_LOC_NIC) != -EPERM;
		bad |= (actor_cmd(self->fd, IPIPE_IOC_ACTOR_MIGRATE, id, IPIPE_LOC_HOST) != -EPERM) << 1;
		bad |= (actor_cmd(self->fd, IPIPE_IOC_ACTOR_UNREGISTER, id, 0) != -EPERM) << 2;
		bad |= (sysfs_write("alpha_permille", "300") != -EPERM) << 3;
		if (nl_open(&s) == 0 && nl_resolve(&s, IPIPE_GENL_NAME, &fam) == 0) {
			nl_req_init(&r, fam.id, IPIPE_CMD_PARAMS_SET, NLM_F_ACK);
			nl_put_u32(&r, IPIPE_A_DEV_INDEX, 0);
			nl_put_u32(&r, IPIPE_A_ALPHA_PERMILLE, 300);
			bad |= (nl_send(&s, &r) || nl_recv(&s, NULL, NULL) != -EPERM) << 4;
			/* reading stays open to everyone */
			nl_req_init(&r, fam.id, IPIPE_CMD_DEV_GET, 0);
			nl_put_u32(&r, IPIPE_A_DEV_INDEX, 0);
			bad |= (nl_send(&s, &r) || nl_recv(&s, NULL, NULL) != 0) << 5;
		}
		_exit(bad);
	}
	ASSERT_EQ(child, waitpid(child, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("failed checks, bit mask %#x", WEXITSTATUS(status));
	/* the actor is untouched and still ours */
	EXPECT_EQ(0, actor_cmd(self->fd, IPIPE_IOC_ACTOR_UNREGISTER, id, 0));
}

/* Sends ACTOR_MIGRATE; a negative dev or to leaves that attribute out. */
static int nl_actor_migrate(struct nl_sock *s, uint16_t family, int dev, uint32_t id, int to)
{
	struct {
		struct nlattr a;
		uint32_t v;
	} nest[2] = {
		{ { sizeof(nest[0]), IPIPE_A_ACTOR_ID }, id },
		{ { sizeof(nest[0]), IPIPE_A_ACTOR_LOCATION }, to },
	};
	struct nl_req r;
	int err;

	nl_req_init(&r, family, IPIPE_CMD_ACTOR_MIGRATE, NLM_F_ACK);
	if (dev >= 0)
		nl_put_u32(&r, IPIPE_A_DEV_INDEX, dev);
	nl_put(&r, IPIPE_A_ACTOR | NLA_F_NESTED, nest, to >= 0 ? sizeof(nest) : sizeof(nest[0]));
	err = nl_send(s, &r);
	return err ?: nl_recv(s, NULL, NULL);
}

/*
 * ACTOR_MIGRATE moves an actor whichever file registered it, and says why
 * when it cannot.
 */
TEST_F(ring, netlink_migrate_moves_any_actor_and_says_why_not)
{
	struct ipipe_info info = { .size = sizeof(info) };
	struct actor_dump d = {};
	struct nl_family fam;
	struct nl_sock s;
	struct nl_req r;
	int id, status;
	pid_t child;

	ASSERT_EQ(0, ioctl(self->fd, IPIPE_IOC_GET_INFO, &info));
	ASSERT_EQ(0, nl_open(&s));
	if (nl_resolve(&s, IPIPE_GENL_NAME, &fam))
		SKIP(return, "no ipipe netlink family");
	id = actor_register(self->fd, "echo", 0, IPIPE_LOC_NIC);
	ASSERT_LT(0, id);

	/* the netlink socket is not the file that owns the actor */
	EXPECT_EQ(0, nl_actor_migrate(&s, fam.id, 0, id, IPIPE_LOC_HOST))
		TH_LOG("extack: %s", s.err_msg);
	d.id = id;
	nl_req_init(&r, fam.id, IPIPE_CMD_ACTOR_GET, NLM_F_DUMP);
	ASSERT_EQ(0, nl_send(&s, &r));
	EXPECT_EQ(0, nl_recv(&s, actor_dump_cb, &d));
	EXPECT_EQ(1, d.found);
	EXPECT_EQ(IPIPE_LOC_HOST, d.location);

	/* the firmware's refusal, mapped to an errno, with the reason */
	EXPECT_EQ(-EBUSY, nl_actor_migrate(&s, fam.id, 0, id, IPIPE_LOC_HOST));
	EXPECT_STREQ("the actor is pinned, migrating or already there", s.err_msg);
	EXPECT_EQ(0, nl_actor_migrate(&s, fam.id, 0, id, IPIPE_LOC_NIC))
		TH_LOG("extack: %s", s.err_msg);

	EXPECT_EQ(-ENOENT, nl_actor_migrate(&s, fam.id, 0, id + 1, IPIPE_LOC_HOST));
	EXPECT_STREQ("ipipe: no such actor on this device", s.err_msg);
	EXPECT_EQ(-ERANGE, nl_actor_migrate(&s, fam.id, 0, info.max_actors + 1, IPIPE_LOC_HOST));
	EXPECT_STREQ("actor id beyond the NIC's actor table", s.err_msg);
	EXPECT_EQ(-ENODEV, nl_actor_migrate(&s, fam.id, 42, id, IPIPE_LOC_HOST));
	EXPECT_STREQ("no such ipipe device", s.err_msg);
	/* policy checks: location, actor id 0, missing attributes */
	EXPECT_EQ(-ERANGE, nl_actor_migrate(&s, fam.id, 0, id, 2));
	EXPECT_STREQ("integer out of range", s.err_msg);
	EXPECT_EQ(-ERANGE, nl_actor_migrate(&s, fam.id, 0, 0, IPIPE_LOC_HOST));
	EXPECT_STREQ("integer out of range", s.err_msg);
	EXPECT_EQ(-EINVAL, nl_actor_migrate(&s, fam.id, 0, id, -1));
	EXPECT_STREQ("ipipe: actor location missing", s.err_msg);
	EXPECT_EQ(-EINVAL, nl_actor_migrate(&s, fam.id, -1, id, IPIPE_LOC_HOST));
	EXPECT_STREQ("ipipe: device index missing", s.err_msg);
	nl_req_init(&r, fam.id, IPIPE_CMD_ACTOR_MIGRATE, NLM_F_ACK);
	nl_put_u32(&r, IPIPE_A_DEV_INDEX, 0);
	ASSERT_EQ(0, nl_send(&s, &r));
	EXPECT_EQ(-EINVAL, nl_recv(&s, NULL, NULL));
	EXPECT_STREQ("ipipe: actor (id, location) missing", s.err_msg);

	child = fork();
	ASSERT_LE(0, child);
	if (child == 0) {
		if (drop_net_admin())
			_exit(100);
		_exit(nl_actor_migrate(&s, fam.id, 0, id, IPIPE_LOC_HOST) != -EPERM);
	}
	ASSERT_EQ(child, waitpid(child, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("migrate without CAP_NET_ADMIN was not EPERM");
	close(s.fd);
}

/* ---- concurrency, unbind, rmmod -------------------------------------- */

struct hammer_arg {
	int index;
	int failures;
};

static void *hammer(void *p)
{
	struct hammer_arg *a = p;
	struct ipipe_info info = { .size = sizeof(info) };
	char dma[4096];
	struct rings rg;
	int fd, id;

	fd = open(IPIPE_DEV, O_RDWR);
	if (fd < 0 || rings_map(fd, &rg)) {
		a->failures++;
		return NULL;
	}
	id = actor_register(fd, "echo", 0, IPIPE_LOC_NIC);
	if (id <= 0)
		a->failures++;
	for (int round = 0; id > 0 && round < 20; round++) {
		if (echo_round_trips(fd, &rg, id, 25, (uint64_t)a->index << 32 | round << 16))
			a->failures++;
		memset(&info, 0, sizeof(info));
		info.size = sizeof(info);
		if (ioctl(fd, IPIPE_IOC_GET_INFO, &info))
			a->failures++;
		memset(dma, a->index, sizeof(dma));
		if (do_dma(fd, IPIPE_IOC_DMA_WRITE, dma, (uint64_t)a->index << 16, sizeof(dma), NULL))
			a->failures++;
	}
	rings_unmap(&rg);
	close(fd);
	return NULL;
}

TEST(eight_threads_hammer_ioctls_and_rings)
{
	struct hammer_arg args[8] = {};
	pthread_t t[8];

	if (access(IPIPE_DEV, F_OK))
		SKIP(return, "no " IPIPE_DEV);
	for (int i = 0; i < 8; i++) {
		args[i].index = i + 1;
		ASSERT_EQ(0, pthread_create(&t[i], NULL, hammer, &args[i]));
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		EXPECT_EQ(0, args[i].failures) TH_LOG("thread %d", i);
	}
}

/*
 * The device lifecycle tests are in the fixture declared last, because the
 * harness runs fixtures in order and unbinding disturbs everything else.
 */
FIXTURE(lifecycle) {
	int fd;
};

FIXTURE_SETUP(lifecycle)
{
	self->fd = open(IPIPE_DEV, O_RDWR);
	if (self->fd < 0 && errno == ENOENT)
		SKIP(return, "no " IPIPE_DEV);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(lifecycle)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(lifecycle, rmmod_is_refused_while_a_file_is_open)
{
	EXPECT_EQ(-1, syscall(__NR_delete_module, "ipipe", O_NONBLOCK));
	EXPECT_EQ(EWOULDBLOCK, errno);
}

/* Takes the device away under an open, mapped, polled file. */
TEST_F(lifecycle, unbind_revokes_open_files_and_rebind_works)
{
	char bdf[64];
	struct rings rg;
	struct pollfd pfd;
	pid_t child;
	int fd = self->fd, id, status;

	ASSERT_EQ(0, rings_map(fd, &rg));
	id = actor_register(fd, "echo", 0, IPIPE_LOC_NIC);
	ASSERT_LT(0, id);
	sysfs_path("");
	snprintf(bdf, sizeof(bdf), "%s", strrchr(ipipe_sysfs_dir, '/') + 1);

	ASSERT_EQ(0, write_file("/sys/bus/pci/drivers/ipipe/unbind", bdf));
	pfd.fd = fd;
	pfd.events = POLLIN;
	EXPECT_EQ(1, poll(&pfd, 1, 1000));
	EXPECT_NE(0, pfd.revents & POLLERR);
	struct ipipe_info info = { .size = sizeof(info) };

	EXPECT_EQ(-1, ioctl(fd, IPIPE_IOC_GET_INFO, &info));
	EXPECT_EQ(ENODEV, errno);
	/* the ring mapping is gone: touching it raises SIGBUS */
	child = fork();
	ASSERT_LE(0, child);
	if (child == 0) {
		volatile uint32_t *p = (uint32_t *)rg.r[0].base;

		(void)*p;
		_exit(0);
	}
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS);
	rings_unmap(&rg);
	close(fd);
	self->fd = -1;

	ASSERT_EQ(0, write_file("/sys/bus/pci/drivers/ipipe/bind", bdf)) TH_LOG("rebind %s", bdf);
	fd = open(IPIPE_DEV, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, IPIPE_IOC_GET_INFO, &info));
	ASSERT_EQ(0, rings_map(fd, &rg));
	id = actor_register(fd, "echo", 0, IPIPE_LOC_NIC);
	ASSERT_LT(0, id);
	EXPECT_EQ(0, echo_round_trips(fd, &rg, id, 10, 7 << 20));
	rings_unmap(&rg);
	close(fd);
}

TEST_HARNESS_MAIN
