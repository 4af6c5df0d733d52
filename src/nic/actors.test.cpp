// Actor commands end to end: create, list, migrate, destroy.
#include <ipipe/nic/admin_checks.hpp>

#include "test_nic.hpp"
#include <cstring>

using namespace ipipe;
using namespace ipipe::nic;
using namespace ipipe::nic::testing;
using namespace std::chrono_literals;

namespace {

ipipe_admin_cqe must_submit(attachment& a, const ipipe_admin_cmd& c) {
  auto r = a.submit(c, 10s);
  EXPECT_TRUE(r.has_value());
  return r ? *r : ipipe_admin_cqe{0xffff, 0xffff, 0, 0};
}

ipipe_admin_cmd create(std::uint32_t id, std::uint32_t flags = 0, std::uint64_t quota = 0) {
  ipipe_admin_cmd c = command(IPIPE_ADMIN_ACTOR_CREATE);
  std::strcpy(c.actor.type, "echo");
  c.actor.actor_id = id;
  c.actor.flags = flags;
  c.actor.mem_quota = quota;
  c.actor.ring_id = 2;
  return c;
}

ipipe_admin_cmd migrate(std::uint32_t id, std::uint32_t to, std::uint32_t ring) {
  ipipe_admin_cmd c = command(IPIPE_ADMIN_MIGRATE);
  c.target.actor_id = id;
  c.target.to = to;
  c.target.ring_id = ring;
  return c;
}

void make_ring(attachment& a, std::uint32_t ctx, ipipe_ring_type type) {
  auto mem = a.alloc(ring_region_bytes(8, 64), 4096);
  ASSERT_TRUE(mem.has_value());
  ipipe_admin_cmd c = command(IPIPE_ADMIN_RING_CREATE);
  c.ring.addr = mem->bus;
  c.ring.size = mem->size;
  c.ring.ring_id = ctx;
  c.ring.type = type;
  c.ring.entries = 8;
  c.ring.slot_size = 64;
  ASSERT_EQ(must_submit(a, c).status, IPIPE_STS_OK);
}

std::vector<ipipe_actor_info> list(attachment& a, std::uint32_t room, std::uint32_t& total) {
  auto b = a.alloc(room * sizeof(ipipe_actor_info));
  EXPECT_TRUE(b.has_value());
  ipipe_admin_cmd c = command(IPIPE_ADMIN_ACTOR_LIST);
  c.buf.addr = b->bus;
  c.buf.len = static_cast<std::uint32_t>(b->size);
  ipipe_admin_cqe cqe = must_submit(a, c);
  EXPECT_EQ(cqe.status, IPIPE_STS_OK);
  total = cqe.result;
  std::vector<ipipe_actor_info> out(cqe.value);
  std::memcpy(out.data(), b->ptr, out.size() * sizeof(ipipe_actor_info));
  a.free(*b);
  return out;
}

} // namespace

TEST(actors, the_firmware_picks_the_lowest_free_id_and_lists_actors_in_order) {
  running_nic nic;
  auto a = nic.attach();
  ASSERT_TRUE(a);
  EXPECT_EQ(must_submit(*a, create(2)).value, 2u);
  EXPECT_EQ(must_submit(*a, create(0)).value, 1u);
  EXPECT_EQ(must_submit(*a, create(0)).value, 3u);
  std::uint32_t total = 0;
  auto all = list(*a, 8, total);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(total, 3u);
  EXPECT_EQ(all[0].actor_id, 1u);
  EXPECT_EQ(all[2].actor_id, 3u);
  EXPECT_STREQ(all[1].type, "echo");
  auto some = list(*a, 2, total);
  EXPECT_EQ(some.size(), 2u) << "only what fits";
  EXPECT_EQ(total, 3u) << "but the total says more exist";
}

TEST(actors, migration_needs_a_migration_ring_and_an_unpinned_actor) {
  running_nic nic;
  auto a = nic.attach();
  ASSERT_TRUE(a);
  ring_consumer<ipipe_event> events{ring_view<ipipe_event>{
      a->bar2().data() + a->header()->eventq_off, a->header()->eventq_entries}};
  ASSERT_EQ(must_submit(*a, create(1)).status, IPIPE_STS_OK);
  ASSERT_EQ(must_submit(*a, create(2, IPIPE_ACTOR_F_PINNED)).status, IPIPE_STS_OK);
  EXPECT_EQ(must_submit(*a, migrate(1, IPIPE_LOC_HOST, 4)).status, IPIPE_STS_NOT_FOUND);
  make_ring(*a, 4, IPIPE_RING_MIG_N2H);
  EXPECT_EQ(must_submit(*a, migrate(2, IPIPE_LOC_HOST, 4)).status, IPIPE_STS_BUSY) << "pinned";
  EXPECT_EQ(must_submit(*a, migrate(9, IPIPE_LOC_HOST, 4)).status, IPIPE_STS_NOT_FOUND);
  EXPECT_EQ(must_submit(*a, migrate(1, IPIPE_LOC_NIC, 4)).status, IPIPE_STS_NOT_FOUND)
      << "no H2N migration ring";
  ASSERT_EQ(must_submit(*a, migrate(1, IPIPE_LOC_HOST, 4)).status, IPIPE_STS_OK);
  EXPECT_EQ(must_submit(*a, migrate(1, IPIPE_LOC_HOST, 4)).status, IPIPE_STS_BUSY)
      << "already there";

  ASSERT_TRUE(a->wait_irq(IPIPE_VEC_EVENT, 10s).has_value());
  ipipe_event e;
  ASSERT_TRUE(events.pop(e));
  events.release();
  EXPECT_EQ(e.type, IPIPE_EV_ACTOR_MIGRATED);
  EXPECT_EQ(e.actor_id, 1u);
  EXPECT_EQ(e.arg0, static_cast<std::uint64_t>(IPIPE_LOC_HOST));

  std::uint32_t total = 0;
  auto all = list(*a, 4, total);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].location, static_cast<std::uint32_t>(IPIPE_LOC_HOST));
  EXPECT_EQ(all[0].migrations, 1u);
  EXPECT_EQ(nic.emu().fw().counters().migrations_to_host.load(), 1u);
}

TEST(actors, nic_memory_quotas_are_a_budget) {
  running_nic nic;
  auto a = nic.attach();
  ASSERT_TRUE(a);
  const std::uint64_t budget = a->header()->nic_data_size;
  ASSERT_EQ(must_submit(*a, create(1, 0, budget - 100)).status, IPIPE_STS_OK);
  EXPECT_EQ(must_submit(*a, create(2, 0, 101)).status, IPIPE_STS_NO_SPACE);
  EXPECT_EQ(must_submit(*a, create(2, 0, 100)).status, IPIPE_STS_OK);
  ipipe_admin_cmd d = command(IPIPE_ADMIN_ACTOR_DESTROY);
  d.target.actor_id = 1;
  ASSERT_EQ(must_submit(*a, d).status, IPIPE_STS_OK);
  EXPECT_EQ(must_submit(*a, create(3, 0, budget - 100)).status, IPIPE_STS_OK)
      << "destroy returns the quota";
}
