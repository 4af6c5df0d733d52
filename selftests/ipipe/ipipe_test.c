// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of ipipe.ko against the emulated SmartNIC: device bring-up, the
 * character device's ioctls and DMA through the firmware's engine.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/ipipe.h>

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
	if (total < 2)
		SKIP(return, "needs an ipipe NIC and a plain ivshmem device");
	EXPECT_EQ(2, total);
	EXPECT_EQ(1, bound);
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

TEST_HARNESS_MAIN
