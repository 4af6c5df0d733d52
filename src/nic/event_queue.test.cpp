#include <ipipe/nic/event_queue.hpp>

#include <gtest/gtest.h>

#include <vector>

using namespace ipipe;
using namespace ipipe::nic;

TEST(event_queue, a_full_ring_drops_and_counts_instead_of_overwriting) {
  constexpr std::uint32_t entries = 8;
  alignas(64) std::vector<std::byte> mem(ring_desc_bytes<ipipe_event>(entries));
  int raised = 0;
  event_queue q{mem.data(), entries, [&](unsigned vec) {
                  EXPECT_EQ(vec, static_cast<unsigned>(IPIPE_VEC_EVENT));
                  ++raised;
                }};
  q.format();
  for (std::uint64_t i = 0; i < entries; ++i)
    EXPECT_TRUE(q.post(IPIPE_EV_FW_ERROR, 1, i));
  EXPECT_FALSE(q.post(IPIPE_EV_FW_ERROR, 1, 100));
  EXPECT_FALSE(q.post(IPIPE_EV_FW_ERROR, 1, 101));
  EXPECT_EQ(raised, static_cast<int>(entries));

  ring_view<ipipe_event> view{mem.data(), entries};
  EXPECT_EQ(view.header()->dropped, 2u);
  ring_consumer<ipipe_event> c{view};
  ipipe_event e;
  for (std::uint64_t i = 0; i < entries; ++i) {
    ASSERT_TRUE(c.pop(e));
    EXPECT_EQ(e.arg0, i) << "the oldest events survive";
    EXPECT_EQ(e.type, IPIPE_EV_FW_ERROR);
    EXPECT_NE(e.ts_ns, 0u);
  }
  c.release();
  EXPECT_TRUE(q.post(IPIPE_EV_ACTOR_MIGRATED, 2, 1)) << "room again after the host consumed";
  q.format();
  EXPECT_EQ(view.header()->producer, 0u);
  EXPECT_EQ(view.header()->dropped, 0u);
}
