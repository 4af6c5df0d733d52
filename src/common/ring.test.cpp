#include <ipipe/common/ring.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <thread>
#include <vector>

using namespace ipipe;

namespace {

struct ring_memory {
  explicit ring_memory(std::uint32_t entries)
      : bytes(ring_desc_bytes<ipipe_ring_desc>(entries)), view(bytes.data(), entries) {
    view.format();
  }
  alignas(64) std::vector<std::byte> bytes;
  ring_view<ipipe_ring_desc> view;
};

ipipe_ring_desc desc(std::uint64_t seq) {
  ipipe_ring_desc d{};
  d.user_data = seq;
  d.len = static_cast<std::uint32_t>(seq & 0xffff);
  return d;
}

} // namespace

TEST(ring, a_full_ring_refuses_push_until_the_consumer_releases) {
  ring_memory m{8};
  ring_producer<ipipe_ring_desc> p{m.view};
  ring_consumer<ipipe_ring_desc> c{m.view};
  for (std::uint64_t i = 0; i < 8; ++i)
    ASSERT_TRUE(p.push(desc(i)));
  EXPECT_FALSE(p.push(desc(8)));
  p.publish();
  ipipe_ring_desc d{};
  ASSERT_TRUE(c.pop(d));
  EXPECT_EQ(d.user_data, 0u);
  EXPECT_FALSE(p.push(desc(8))) << "slot reused before release()";
  c.release();
  EXPECT_TRUE(p.push(desc(8)));
}

TEST(ring, unpublished_descriptors_are_invisible) {
  ring_memory m{8};
  ring_producer<ipipe_ring_desc> p{m.view};
  ring_consumer<ipipe_ring_desc> c{m.view};
  ASSERT_TRUE(p.push(desc(1)));
  EXPECT_EQ(c.available(), 0u);
  p.publish();
  EXPECT_EQ(c.available(), 1u);
}

TEST(ring, indices_wrap_around_the_32_bit_space) {
  ring_memory m{8};
  m.view.header()->producer = 0xfffffffcu;
  m.view.header()->consumer = 0xfffffffcu;
  ring_producer<ipipe_ring_desc> p{m.view};
  ring_consumer<ipipe_ring_desc> c{m.view};
  for (std::uint64_t i = 0; i < 100; ++i) {
    ASSERT_TRUE(p.push(desc(i)));
    p.publish();
    ipipe_ring_desc d{};
    ASSERT_TRUE(c.pop(d));
    c.release();
    ASSERT_EQ(d.user_data, i);
  }
}

// Regression: a consumer attaching to a ring in use (a second client of the
// NIC's admin queue) took its cached producer index as 0, saw phantom
// entries and could read slots that were never produced.
TEST(ring, a_side_attaching_to_a_ring_in_use_sees_exactly_what_is_pending) {
  ring_memory m{8};
  {
    ring_producer<ipipe_ring_desc> p{m.view};
    ring_consumer<ipipe_ring_desc> c{m.view};
    for (std::uint64_t i = 0; i < 1000; ++i) {
      ASSERT_TRUE(p.push(desc(i)));
      p.publish();
      ipipe_ring_desc d{};
      ASSERT_TRUE(c.pop(d));
      c.release();
    }
  }
  ring_consumer<ipipe_ring_desc> c2{m.view};
  EXPECT_EQ(c2.available(), 0u);
  EXPECT_FALSE(c2.broken());
  ring_producer<ipipe_ring_desc> p2{m.view};
  EXPECT_EQ(p2.free_slots(), 8u);
  ASSERT_TRUE(p2.push(desc(1000)));
  p2.publish();
  ipipe_ring_desc d{};
  ASSERT_TRUE(c2.pop(d));
  EXPECT_EQ(d.user_data, 1000u);
  EXPECT_EQ(c2.available(), 0u);
}

TEST(ring, a_hostile_producer_index_marks_the_ring_broken_instead_of_overrunning) {
  ring_memory m{8};
  ring_consumer<ipipe_ring_desc> c{m.view};
  m.view.header()->producer = 9; // more than `entries` ahead
  EXPECT_EQ(c.available(), 0u);
  EXPECT_TRUE(c.broken());
  ipipe_ring_desc d{};
  EXPECT_FALSE(c.pop(d));
}

TEST(ring, a_hostile_consumer_index_gives_the_producer_no_room) {
  ring_memory m{8};
  ring_producer<ipipe_ring_desc> p{m.view};
  for (std::uint64_t i = 0; i < 8; ++i)
    ASSERT_TRUE(p.push(desc(i)));
  p.publish();
  // The producer re-reads the consumer index only when it looks full; the
  // consumer now claims to have consumed slots that were never produced.
  m.view.header()->consumer = 100;
  EXPECT_EQ(p.free_slots(), 0u);
  EXPECT_FALSE(p.push(desc(8)));
}

TEST(ring, the_producer_sees_need_wakeup_set_by_the_consumer) {
  ring_memory m{8};
  ring_producer<ipipe_ring_desc> p{m.view};
  ring_consumer<ipipe_ring_desc> c{m.view};
  EXPECT_FALSE(p.needs_wakeup());
  c.set_need_wakeup(true);
  EXPECT_TRUE(p.needs_wakeup());
  c.set_need_wakeup(false);
  EXPECT_FALSE(p.needs_wakeup());
}

// Random batch sizes on both sides; every descriptor arrives once, in order.
TEST(ring, random_producer_consumer_interleavings_keep_order_and_lose_nothing) {
  for (unsigned seed = 1; seed <= 4; ++seed) {
    ring_memory m{64};
    constexpr std::uint64_t total = 200000;
    std::thread producer([&] {
      ring_producer<ipipe_ring_desc> p{m.view};
      std::mt19937 rng(seed);
      std::uint64_t next = 0;
      while (next < total) {
        std::uint32_t batch = 1 + rng() % 16;
        while (batch-- > 0 && next < total && p.push(desc(next)))
          ++next;
        p.publish();
        if (rng() % 8 == 0)
          std::this_thread::yield();
      }
    });
    ring_consumer<ipipe_ring_desc> c{m.view};
    std::mt19937 rng(seed * 7919);
    std::uint64_t expect = 0;
    bool in_order = true;
    while (expect < total) {
      std::uint32_t batch = 1 + rng() % 16;
      ipipe_ring_desc d{};
      while (batch-- > 0 && c.pop(d)) {
        in_order &= d.user_data == expect && d.len == (expect & 0xffff);
        ++expect;
      }
      c.release();
    }
    producer.join();
    EXPECT_TRUE(in_order) << "seed " << seed;
    EXPECT_FALSE(c.broken());
    EXPECT_EQ(c.available(), 0u);
  }
}
