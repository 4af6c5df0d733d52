// Pins the ABI of uapi/linux/ipipe.h: sizes and offsets the firmware, the
// kernel and userspace all rely on.
#include <linux/ipipe.h>

#include <gtest/gtest.h>

#include <cstddef>

static_assert(sizeof(ipipe_hw_header) == 256);
static_assert(offsetof(ipipe_hw_header, state) == 0x80);
static_assert(offsetof(ipipe_hw_header, host_abi_version) == 0xc0);
static_assert(sizeof(ipipe_ring_hdr) == IPIPE_RING_HDR_SIZE);
static_assert(offsetof(ipipe_ring_hdr, consumer) == 64);
static_assert(offsetof(ipipe_ring_hdr, entries) == 128);
static_assert(sizeof(ipipe_admin_cmd) == 64);
static_assert(sizeof(ipipe_admin_cqe) == 16);
static_assert(sizeof(ipipe_ring_desc) == 32);
static_assert(sizeof(ipipe_msg_hdr) == 32);
static_assert(sizeof(ipipe_event) == 32);
static_assert(sizeof(ipipe_dma_seg) == 16);
static_assert(sizeof(ipipe_identify) == 640);
static_assert(sizeof(ipipe_params) == 64);
static_assert(sizeof(ipipe_fw_stats) == 256);
static_assert(sizeof(ipipe_actor_info) == 128);

TEST(uapi, doorbell_encodes_peer_and_vector) {
  EXPECT_EQ(IPIPE_DOORBELL(3, IPIPE_VEC_RING), (3u << 16) | 2u);
  EXPECT_EQ(IPIPE_DOORBELL(0, 0x1ff), 0xffu);
}

TEST(uapi, every_admin_union_member_fits_in_56_bytes) {
  ipipe_admin_cmd c{};
  EXPECT_EQ(sizeof(c.raw), 56u);
  EXPECT_LE(sizeof(c.buf), sizeof(c.raw));
  EXPECT_LE(sizeof(c.params), sizeof(c.raw));
  EXPECT_LE(sizeof(c.actor), sizeof(c.raw));
  EXPECT_LE(sizeof(c.ring), sizeof(c.raw));
  EXPECT_LE(sizeof(c.dma), sizeof(c.raw));
}
