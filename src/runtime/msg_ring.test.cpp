#include <ipipe/runtime/msg_ring.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

using namespace ipipe;
using namespace ipipe::runtime;

namespace {

msg_ring_buffer make_ring(std::uint32_t entries, std::uint32_t slot) {
  auto g = msg_ring_geometry::make(entries, slot);
  EXPECT_TRUE(g);
  auto b = msg_ring_buffer::create(*g);
  EXPECT_TRUE(b);
  return std::move(*b);
}

ipipe_msg_hdr hdr(std::uint64_t req) {
  ipipe_msg_hdr h{};
  h.type = IPIPE_MSG_REQUEST;
  h.dst_actor = 1;
  h.req_id = req;
  return h;
}

// Writes a message header into payload slot `slot` and pushes a raw
// descriptor, as a hostile or buggy producer could.
void push_raw(const msg_ring_buffer& b, std::uint64_t off, std::uint32_t len,
              std::uint16_t flags = 0) {
  ring_producer<ipipe_ring_desc> p{ring_view<ipipe_ring_desc>{b.base(), b.geometry().entries}};
  ipipe_ring_desc d{};
  d.off = off;
  d.len = len;
  d.flags = flags;
  ASSERT_TRUE(p.push(d));
  p.publish();
}

// Busy-waits a little; the fence keeps the compiler from deleting the loop.
void spin(unsigned n) {
  for (unsigned i = 0; i < n; ++i)
    std::atomic_signal_fence(std::memory_order_seq_cst);
}

} // namespace

TEST(msg_ring, the_payload_area_starts_on_a_page_after_the_descriptors) {
  auto g = *msg_ring_geometry::make(256, 2048);
  EXPECT_EQ(g.data_off(), 12288u); // 256 + 32 * 256 = 8448, rounded up
  EXPECT_EQ(g.total_bytes(), 12288u + 256u * 2048u);
  EXPECT_EQ(g.max_payload(), 2048u - 32u);
  EXPECT_FALSE(msg_ring_geometry::make(6, 2048));
  EXPECT_FALSE(msg_ring_geometry::make(8, 100));
  EXPECT_FALSE(msg_ring_geometry::make(8, IPIPE_RING_MAX_SLOT + 8));
}

TEST(msg_ring, a_posted_batch_arrives_whole_and_in_order_after_publish) {
  auto b = make_ring(8, 256);
  msg_ring_producer p{b.base(), b.geometry()};
  msg_ring_consumer c{b.base(), b.geometry()};
  for (std::uint64_t i = 0; i < 5; ++i) {
    std::vector<std::byte> data(i * 10, std::byte(i));
    ASSERT_TRUE(p.post(hdr(i), data));
  }
  message m;
  EXPECT_FALSE(c.pop(m)) << "visible before publish";
  p.publish();
  for (std::uint64_t i = 0; i < 5; ++i) {
    ASSERT_TRUE(c.pop(m));
    EXPECT_EQ(m.hdr.req_id, i);
    EXPECT_EQ(m.hdr.len, i * 10);
    EXPECT_EQ(m.payload, std::vector<std::byte>(i * 10, std::byte(i)));
  }
  EXPECT_FALSE(c.pop(m));
  EXPECT_EQ(c.bad_descriptors(), 0u);
}

TEST(msg_ring, a_full_ring_refuses_with_queue_full_and_an_oversized_message_with_bad_length) {
  auto b = make_ring(8, 128);
  msg_ring_producer p{b.base(), b.geometry()};
  std::vector<std::byte> too_big(128 - 32 + 1);
  EXPECT_EQ(p.post(hdr(0), too_big).err().code(), errc::bad_length);
  for (int i = 0; i < 8; ++i)
    ASSERT_TRUE(p.post(hdr(0), {}));
  EXPECT_EQ(p.post(hdr(0), {}).err().code(), errc::queue_full);
}

TEST(msg_ring, hostile_descriptors_are_counted_and_skipped_never_delivered) {
  auto b = make_ring(16, 128);
  const auto g = b.geometry();
  const std::uint64_t area = g.area_bytes();
  // A good message in slot 0 for the consumer to find after the bad ones.
  auto* data = static_cast<std::byte*>(b.base()) + g.data_off();
  ipipe_msg_hdr good = hdr(77);
  std::memcpy(data, &good, sizeof(good));

  push_raw(b, area, 32);                 // starts past the area
  push_raw(b, area - 16, 32);            // ends past the area
  push_raw(b, ~0ULL - 8, 64);            // off + len wraps around
  push_raw(b, 64, 128);                  // straddles two slots
  push_raw(b, 0, 16);                    // shorter than a header
  push_raw(b, 0, 32, IPIPE_DESC_F_MORE); // multi-descriptor: unsupported
  push_raw(b, 0, 40);                    // header says len 0, desc says 8
  ipipe_msg_hdr bad_type = hdr(1);
  bad_type.type = IPIPE_MSG_TYPE_LAST;
  std::memcpy(data + 128, &bad_type, sizeof(bad_type));
  push_raw(b, 128, 32); // unknown message type
  push_raw(b, 0, 32);   // the good one

  msg_ring_consumer c{b.base(), g};
  message m;
  ASSERT_TRUE(c.pop(m));
  EXPECT_EQ(m.hdr.req_id, 77u);
  EXPECT_EQ(c.bad_descriptors(), 8u);
  EXPECT_FALSE(c.pop(m));
}

TEST(msg_ring, a_producer_index_too_far_ahead_breaks_the_ring) {
  auto b = make_ring(8, 128);
  static_cast<ipipe_ring_hdr*>(b.base())->producer = 100;
  msg_ring_consumer c{b.base(), b.geometry()};
  message m;
  EXPECT_FALSE(c.pop(m));
  EXPECT_TRUE(c.broken());
}

// One producer thread and one consumer thread with seeded random batch
// sizes and payload lengths: every message arrives once, in order, intact.
TEST(msg_ring, random_producer_consumer_interleavings_lose_and_corrupt_nothing) {
  for (unsigned seed = 1; seed <= 4; ++seed) {
    auto b = make_ring(32, 512);
    constexpr std::uint64_t total = 20000;
    std::thread producer([&] {
      msg_ring_producer p{b.base(), b.geometry()};
      std::mt19937 rng(seed);
      std::uint64_t next = 0;
      while (next < total) {
        std::uint32_t batch = 1 + rng() % 12;
        const std::uint64_t before = next;
        while (batch-- > 0 && next < total) {
          std::vector<std::byte> data(next % 480, std::byte(next & 0xff));
          if (!p.post(hdr(next), data))
            break;
          ++next;
        }
        p.publish();
        // Yield only when stuck (the cores are shared); otherwise vary the
        // interleaving with a short random spin.
        if (next == before)
          std::this_thread::yield();
        else
          spin(rng() % 64);
      }
    });
    msg_ring_consumer c{b.base(), b.geometry()};
    std::mt19937 rng(seed * 31);
    std::uint64_t expect = 0;
    bool ok = true;
    message m;
    while (expect < total) {
      std::uint32_t batch = 1 + rng() % 12;
      const std::uint64_t before = expect;
      while (batch-- > 0 && c.pop(m)) {
        ok &= m.hdr.req_id == expect && m.payload.size() == expect % 480 &&
              (m.payload.empty() || (m.payload.front() == std::byte(expect & 0xff) &&
                                     m.payload.back() == std::byte(expect & 0xff)));
        ++expect;
      }
      c.release();
      if (expect == before)
        std::this_thread::yield();
      else
        spin(rng() % 64);
    }
    producer.join();
    EXPECT_TRUE(ok) << "seed " << seed;
    EXPECT_EQ(c.bad_descriptors(), 0u);
    EXPECT_FALSE(c.broken());
  }
}
