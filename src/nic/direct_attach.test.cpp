// End to end through the direct-attach path: an in-process emulator, a
// client attached over the ivshmem protocol, real admin queue traffic.
#include <ipipe/nic/crc32c.hpp>

#include "test_nic.hpp"
#include <cstring>
#include <random>
#include <vector>

using namespace ipipe;
using namespace ipipe::nic;
using namespace ipipe::nic::testing;
using namespace std::chrono_literals;

namespace {

ipipe_admin_cmd buf_cmd(ipipe_admin_opcode op, const host_buffer& b) {
  ipipe_admin_cmd c = command(op);
  c.buf.addr = b.bus;
  c.buf.len = static_cast<std::uint32_t>(b.size);
  return c;
}

ipipe_admin_cqe must_submit(attachment& a, const ipipe_admin_cmd& c) {
  auto r = a.submit(c, 10s);
  EXPECT_TRUE(r.has_value()) << r.err().message();
  return r ? *r : ipipe_admin_cqe{0xffff, 0xffff, 0, 0};
}

// DMA between one contiguous host buffer (split in `nsegs` segments) and NIC
// memory at `nic_off`.
ipipe_admin_cqe dma(attachment& a, const host_buffer& data, std::uint64_t nic_off,
                    ipipe_dma_dir dir, std::uint32_t nsegs = 1, std::uint32_t flags = 0) {
  auto sgl = a.alloc(nsegs * sizeof(ipipe_dma_seg));
  EXPECT_TRUE(sgl.has_value());
  auto* segs = reinterpret_cast<ipipe_dma_seg*>(sgl->ptr);
  const std::uint64_t per = data.size / nsegs;
  for (std::uint32_t i = 0; i < nsegs; ++i) {
    segs[i].addr = data.bus + i * per;
    segs[i].len = static_cast<std::uint32_t>(i + 1 == nsegs ? data.size - i * per : per);
    segs[i].resv = 0;
  }
  ipipe_admin_cmd c = command(IPIPE_ADMIN_DMA);
  c.dma.sgl_addr = sgl->bus;
  c.dma.nsegs = nsegs;
  c.dma.nic_off = nic_off;
  c.dma.dir = dir;
  c.flags = flags;
  ipipe_admin_cqe cqe = must_submit(a, c);
  a.free(*sgl);
  return cqe;
}

} // namespace

TEST(direct_attach, the_header_is_ready_and_describes_the_queues) {
  running_nic nic;
  ASSERT_TRUE(nic.ok());
  auto a = nic.attach();
  ASSERT_TRUE(a);
  const ipipe_hw_header* h = a->header();
  EXPECT_EQ(h->magic, static_cast<std::uint32_t>(IPIPE_HW_MAGIC));
  EXPECT_EQ(h->abi_version, static_cast<std::uint32_t>(IPIPE_ABI_VERSION));
  EXPECT_EQ(h->state, static_cast<std::uint32_t>(IPIPE_FW_STATE_READY));
  EXPECT_EQ(h->nic_mem_size, 8u << 20);
  EXPECT_EQ(h->nic_cores, 2u);
  EXPECT_EQ(h->num_vectors, static_cast<std::uint32_t>(IPIPE_NUM_VECTORS));
  EXPECT_EQ(h->nic_data_off % IPIPE_PAGE_SIZE, 0u);
  EXPECT_EQ(h->nic_data_off + h->nic_data_size, h->nic_mem_size);
  EXPECT_EQ(a->host_memory().size(), 32u << 20);
}

TEST(direct_attach, the_heartbeat_advances) {
  running_nic nic;
  auto a = nic.attach();
  ASSERT_TRUE(a);
  auto& hb = a->header()->heartbeat;
  const std::uint32_t first = std::atomic_ref<std::uint32_t>(hb).load();
  for (int i = 0; i < 1000 && std::atomic_ref<std::uint32_t>(hb).load() == first; ++i)
    std::this_thread::sleep_for(10ms);
  EXPECT_NE(std::atomic_ref<std::uint32_t>(hb).load(), first);
}

TEST(direct_attach, nop_completes_and_raises_the_admin_vector) {
  running_nic nic;
  auto a = nic.attach();
  ASSERT_TRUE(a);
  auto id = a->post(command(IPIPE_ADMIN_NOP));
  ASSERT_TRUE(id.has_value());
  ASSERT_TRUE(a->doorbell(IPIPE_VEC_ADMIN).has_value());
  auto irq = a->wait_irq(IPIPE_VEC_ADMIN, 10s);
  ASSERT_TRUE(irq.has_value()) << "no MSI-X on the admin vector";
  auto cqe = a->reap(10s);
  ASSERT_TRUE(cqe.has_value());
  EXPECT_EQ(cqe->cmd_id, *id);
  EXPECT_EQ(cqe->status, IPIPE_STS_OK);
}

TEST(direct_attach, the_test_vector_loops_back) {
  running_nic nic;
  auto a = nic.attach();
  ASSERT_TRUE(a);
  ASSERT_TRUE(a->doorbell(IPIPE_VEC_TEST).has_value());
  EXPECT_TRUE(a->wait_irq(IPIPE_VEC_TEST, 10s).has_value());
}

TEST(direct_attach, identify_reports_the_limits_and_the_echo_type) {
  running_nic nic;
  auto a = nic.attach();
  ASSERT_TRUE(a);
  auto b = a->alloc(sizeof(ipipe_identify));
  ASSERT_TRUE(b.has_value());
  ipipe_admin_cqe cqe = must_submit(*a, buf_cmd(IPIPE_ADMIN_IDENTIFY, *b));
  ASSERT_EQ(cqe.status, IPIPE_STS_OK);
  EXPECT_EQ(cqe.value, sizeof(ipipe_identify));
  ipipe_identify id;
  std::memcpy(&id, b->ptr, sizeof(id));
  EXPECT_EQ(id.abi_version, static_cast<std::uint32_t>(IPIPE_ABI_VERSION));
  EXPECT_EQ(id.nic_cores, 2u);
  EXPECT_EQ(id.max_dma_segs, static_cast<std::uint32_t>(IPIPE_DMA_MAX_SEGS));
  EXPECT_EQ(id.max_dma_len, IPIPE_DMA_MAX_LEN);
  EXPECT_NE(id.caps & IPIPE_CAP_DMA_CRC, 0u);
  ASSERT_GE(id.num_actor_types, 1u);
  EXPECT_STREQ(id.actor_types[0], "echo");
  EXPECT_STREQ(id.fw_name, fw_name);
}

TEST(direct_attach, one_mebibyte_of_random_data_survives_a_dma_round_trip) {
  running_nic nic;
  auto a = nic.attach();
  ASSERT_TRUE(a);
  constexpr std::size_t size = 1 << 20;
  auto src = a->alloc(size, 4096);
  auto dst = a->alloc(size, 4096);
  ASSERT_TRUE(src.has_value());
  ASSERT_TRUE(dst.has_value());
  std::mt19937_64 rng{42};
  for (std::size_t i = 0; i < size; i += 8) {
    std::uint64_t v = rng();
    std::memcpy(src->ptr + i, &v, 8);
  }
  std::memset(dst->ptr, 0, size);
  const std::uint32_t want = crc32c(src->ptr, size);

  ipipe_admin_cqe to = dma(*a, *src, 4096, IPIPE_DMA_TO_NIC, 7);
  ASSERT_EQ(to.status, IPIPE_STS_OK);
  EXPECT_EQ(to.value, size);
  EXPECT_EQ(to.result, want);
  EXPECT_EQ(std::memcmp(a->nic_data().data() + 4096, src->ptr, size), 0);

  ipipe_admin_cqe from = dma(*a, *dst, 4096, IPIPE_DMA_FROM_NIC, 3);
  ASSERT_EQ(from.status, IPIPE_STS_OK);
  EXPECT_EQ(from.value, size);
  EXPECT_EQ(from.result, want);
  EXPECT_EQ(std::memcmp(dst->ptr, src->ptr, size), 0);
}

TEST(direct_attach, a_copy_only_dma_moves_the_bytes_and_reports_no_crc) {
  running_nic nic;
  auto a = nic.attach();
  ASSERT_TRUE(a);
  constexpr std::size_t size = 300 * 1024 + 5;
  auto src = a->alloc(size, 4096);
  auto dst = a->alloc(size, 4096);
  ASSERT_TRUE(src.has_value());
  ASSERT_TRUE(dst.has_value());
  std::mt19937_64 rng{5};
  for (std::size_t i = 0; i < size; ++i)
    src->ptr[i] = static_cast<std::byte>(rng());
  std::memset(dst->ptr, 0, size);

  ipipe_admin_cqe to = dma(*a, *src, 8192, IPIPE_DMA_TO_NIC, 5, IPIPE_DMA_F_NO_CRC);
  ASSERT_EQ(to.status, IPIPE_STS_OK);
  EXPECT_EQ(to.value, size);
  EXPECT_EQ(to.result, 0u);
  ipipe_admin_cqe from = dma(*a, *dst, 8192, IPIPE_DMA_FROM_NIC, 2, IPIPE_DMA_F_NO_CRC);
  ASSERT_EQ(from.status, IPIPE_STS_OK);
  EXPECT_EQ(from.result, 0u);
  EXPECT_EQ(std::memcmp(dst->ptr, src->ptr, size), 0);
}

TEST(direct_attach, parameters_set_are_the_parameters_read_back) {
  running_nic nic;
  auto a = nic.attach();
  ASSERT_TRUE(a);
  ipipe_admin_cmd set = command(IPIPE_ADMIN_SET_PARAMS);
  set.params.mask = IPIPE_PARAM_TAIL_THRESH | IPIPE_PARAM_ALPHA | IPIPE_PARAM_FCFS_CORES;
  set.params.tail_thresh_ns = 123456;
  set.params.alpha_permille = 1000;
  set.params.fcfs_cores = 1;
  ASSERT_EQ(must_submit(*a, set).status, IPIPE_STS_OK);

  auto b = a->alloc(sizeof(ipipe_params));
  ASSERT_TRUE(b.has_value());
  ASSERT_EQ(must_submit(*a, buf_cmd(IPIPE_ADMIN_GET_PARAMS, *b)).status, IPIPE_STS_OK);
  ipipe_params p;
  std::memcpy(&p, b->ptr, sizeof(p));
  EXPECT_EQ(p.tail_thresh_ns, 123456u);
  EXPECT_EQ(p.alpha_permille, 1000u);
  EXPECT_EQ(p.fcfs_cores, 1u);
  EXPECT_EQ(p.fcfs_cores_now, 1u);
  EXPECT_EQ(p.drr_cores_now, 1u);
  EXPECT_NE(p.mean_thresh_ns, 0u) << "an unselected field keeps its default";

  set.params.alpha_permille = 1001;
  EXPECT_EQ(must_submit(*a, set).status, IPIPE_STS_BAD_FIELD);
}

TEST(direct_attach, stats_count_commands_errors_and_dma_bytes) {
  running_nic nic;
  auto a = nic.attach();
  ASSERT_TRUE(a);
  auto data = a->alloc(65536);
  ASSERT_TRUE(data.has_value());
  ASSERT_EQ(dma(*a, *data, 0, IPIPE_DMA_TO_NIC).status, IPIPE_STS_OK);
  ipipe_admin_cmd bad = command(IPIPE_ADMIN_NOP);
  bad.flags = 1;
  EXPECT_EQ(must_submit(*a, bad).status, IPIPE_STS_BAD_FIELD);

  auto b = a->alloc(sizeof(ipipe_fw_stats));
  ASSERT_TRUE(b.has_value());
  ASSERT_EQ(must_submit(*a, buf_cmd(IPIPE_ADMIN_GET_STATS, *b)).status, IPIPE_STS_OK);
  ipipe_fw_stats s;
  std::memcpy(&s, b->ptr, sizeof(s));
  EXPECT_EQ(s.admin_cmds, 3u);
  EXPECT_EQ(s.admin_errors, 1u);
  EXPECT_EQ(s.dma_cmds, 1u);
  EXPECT_EQ(s.dma_bytes, 65536u);
  EXPECT_GE(s.irqs_raised, 2u);
  // The fallback poll may serve a command before its doorbell is read, so
  // the doorbell count catches up a little later; coalesced ones count too.
  auto& doorbells = nic.emu().fw().counters().doorbells;
  for (int i = 0; i < 1000 && doorbells.load() < 3; ++i)
    std::this_thread::sleep_for(10ms);
  EXPECT_GE(doorbells.load(), 3u);
}

TEST(direct_attach, a_reset_command_drops_actors_and_bumps_the_reset_count) {
  running_nic nic;
  auto a = nic.attach();
  ASSERT_TRUE(a);
  ipipe_admin_cmd create = command(IPIPE_ADMIN_ACTOR_CREATE);
  std::strcpy(create.actor.type, "echo");
  create.actor.actor_id = 5;
  ASSERT_EQ(must_submit(*a, create).status, IPIPE_STS_OK);
  EXPECT_EQ(must_submit(*a, create).status, IPIPE_STS_EXISTS);
  const std::uint32_t before = a->header()->reset_count;
  EXPECT_EQ(must_submit(*a, command(IPIPE_ADMIN_RESET)).status, IPIPE_STS_OK);
  EXPECT_EQ(a->header()->reset_count, before + 1);
  EXPECT_EQ(must_submit(*a, create).status, IPIPE_STS_OK) << "the table was emptied";
  ASSERT_TRUE(a->reset().has_value());
  EXPECT_EQ(a->header()->reset_count, before + 2);
  EXPECT_EQ(must_submit(*a, create).status, IPIPE_STS_OK);
  EXPECT_EQ(must_submit(*a, command(IPIPE_ADMIN_NOP)).status, IPIPE_STS_OK);
}
