// Message rings through the NIC cores: the echo actor answers on the N2H
// ring, unknown actors get an error reply, garbage is counted.
#include <ipipe/common/ring.hpp>
#include <ipipe/nic/admin_checks.hpp>

#include "test_nic.hpp"
#include <cstring>

using namespace ipipe;
using namespace ipipe::nic;
using namespace ipipe::nic::testing;
using namespace std::chrono_literals;

namespace {

constexpr std::uint32_t entries = 16;
constexpr std::uint32_t slot = 256;

struct host_ring {
  host_buffer mem;
  ring_view<ipipe_ring_desc> view;
  std::byte* payload() const { return mem.ptr + ring_payload_off(entries); }
};

ipipe_admin_cqe must_submit(attachment& a, const ipipe_admin_cmd& c) {
  auto r = a.submit(c, 10s);
  EXPECT_TRUE(r.has_value());
  return r ? *r : ipipe_admin_cqe{0xffff, 0xffff, 0, 0};
}

host_ring make_ring(attachment& a, std::uint32_t ctx, ipipe_ring_type type) {
  const std::uint64_t size = ring_region_bytes(entries, slot);
  auto mem = a.alloc(size, 4096);
  EXPECT_TRUE(mem.has_value());
  ipipe_admin_cmd c = command(IPIPE_ADMIN_RING_CREATE);
  c.ring.addr = mem->bus;
  c.ring.size = size;
  c.ring.ring_id = ctx;
  c.ring.type = type;
  c.ring.entries = entries;
  c.ring.slot_size = slot;
  EXPECT_EQ(must_submit(a, c).status, IPIPE_STS_OK);
  return {*mem, ring_view<ipipe_ring_desc>{mem->ptr, entries}};
}

void create_echo(attachment& a, std::uint32_t id) {
  ipipe_admin_cmd c = command(IPIPE_ADMIN_ACTOR_CREATE);
  std::strcpy(c.actor.type, "echo");
  c.actor.actor_id = id;
  ASSERT_EQ(must_submit(a, c).status, IPIPE_STS_OK);
}

// Host side: puts one message into slot `i` of the H2N ring and publishes.
void send(ring_producer<ipipe_ring_desc>& p, const host_ring& r, std::uint32_t dst,
          std::uint64_t req_id, const std::string& body) {
  const std::uint32_t i = p.next_index() & (entries - 1);
  ipipe_msg_hdr h{};
  h.dst_actor = dst;
  h.req_id = req_id;
  h.len = static_cast<std::uint32_t>(body.size());
  h.type = IPIPE_MSG_REQUEST;
  std::memcpy(r.payload() + i * slot, &h, sizeof(h));
  std::memcpy(r.payload() + i * slot + sizeof(h), body.data(), body.size());
  ipipe_ring_desc d{};
  d.off = i * slot;
  d.len = static_cast<std::uint32_t>(sizeof(h) + body.size());
  d.user_data = req_id ^ 0xabc;
  ASSERT_TRUE(p.push(d));
  p.publish();
}

// Host side: waits for one reply on the N2H ring.
bool receive(attachment& a, ring_consumer<ipipe_ring_desc>& c, const host_ring& r,
             ipipe_ring_desc& d, ipipe_msg_hdr& h, std::string& body) {
  for (int i = 0; i < 1000; ++i) {
    if (c.pop(d)) {
      if (d.off + d.len > entries * slot || d.len < sizeof(h))
        return false;
      std::memcpy(&h, r.payload() + d.off, sizeof(h));
      body.assign(reinterpret_cast<const char*>(r.payload() + d.off + sizeof(h)), h.len);
      c.release();
      return true;
    }
    (void)a.wait_irq(IPIPE_VEC_RING, 10ms);
  }
  return false;
}

ipipe_fw_stats stats(attachment& a) {
  auto b = a.alloc(sizeof(ipipe_fw_stats));
  ipipe_admin_cmd c = command(IPIPE_ADMIN_GET_STATS);
  c.buf.addr = b->bus;
  c.buf.len = sizeof(ipipe_fw_stats);
  EXPECT_EQ(must_submit(a, c).status, IPIPE_STS_OK);
  ipipe_fw_stats s;
  std::memcpy(&s, b->ptr, sizeof(s));
  a.free(*b);
  return s;
}

} // namespace

TEST(ring_echo, the_echo_actor_answers_on_the_n2h_ring) {
  running_nic nic;
  auto a = nic.attach();
  ASSERT_TRUE(a);
  create_echo(*a, 9);
  host_ring h2n = make_ring(*a, 3, IPIPE_RING_MSG_H2N);
  host_ring n2h = make_ring(*a, 3, IPIPE_RING_MSG_N2H);
  ring_producer<ipipe_ring_desc> prod{h2n.view};
  ring_consumer<ipipe_ring_desc> cons{n2h.view};

  for (std::uint64_t i = 0; i < 40; ++i) { // more than the ring holds: wraps
    send(prod, h2n, 9, 1000 + i, "hello " + std::to_string(i));
    ASSERT_TRUE(a->doorbell(IPIPE_VEC_RING).has_value());
    ipipe_ring_desc d;
    ipipe_msg_hdr h;
    std::string body;
    ASSERT_TRUE(receive(*a, cons, n2h, d, h, body)) << "no reply to " << i;
    EXPECT_EQ(h.type, IPIPE_MSG_REPLY);
    EXPECT_EQ(h.req_id, 1000 + i);
    EXPECT_EQ(h.src_actor, 9u);
    EXPECT_EQ(body, "hello " + std::to_string(i));
    EXPECT_EQ(d.user_data, (1000 + i) ^ 0xabc);
  }
  ipipe_fw_stats s = stats(*a);
  EXPECT_EQ(s.ring_rx_msgs, 40u);
  EXPECT_EQ(s.ring_tx_msgs, 40u);
  EXPECT_EQ(s.ring_bad_desc, 0u);
}

TEST(ring_echo, an_unknown_actor_gets_an_error_reply) {
  running_nic nic;
  auto a = nic.attach();
  ASSERT_TRUE(a);
  host_ring h2n = make_ring(*a, 0, IPIPE_RING_MSG_H2N);
  host_ring n2h = make_ring(*a, 0, IPIPE_RING_MSG_N2H);
  ring_producer<ipipe_ring_desc> prod{h2n.view};
  ring_consumer<ipipe_ring_desc> cons{n2h.view};
  send(prod, h2n, 77, 5, "anyone?");
  ASSERT_TRUE(a->doorbell(IPIPE_VEC_RING).has_value());
  ipipe_ring_desc d;
  ipipe_msg_hdr h;
  std::string body;
  ASSERT_TRUE(receive(*a, cons, n2h, d, h, body));
  EXPECT_EQ(h.type, IPIPE_MSG_ERROR);
  EXPECT_EQ(h.req_id, 5u);
  ASSERT_EQ(body.size(), 4u);
  EXPECT_EQ(static_cast<unsigned char>(body[0]), IPIPE_STS_NOT_FOUND);
}

TEST(ring_echo, ring_ids_and_types_are_checked_against_the_table) {
  running_nic nic;
  auto a = nic.attach();
  ASSERT_TRUE(a);
  host_ring r = make_ring(*a, 1, IPIPE_RING_MSG_H2N);
  ipipe_admin_cmd c = command(IPIPE_ADMIN_RING_CREATE);
  c.ring.addr = r.mem.bus;
  c.ring.size = r.mem.size;
  c.ring.ring_id = 1;
  c.ring.type = IPIPE_RING_MSG_H2N;
  c.ring.entries = entries;
  c.ring.slot_size = slot;
  EXPECT_EQ(must_submit(*a, c).status, IPIPE_STS_EXISTS);
  ipipe_admin_cmd d = command(IPIPE_ADMIN_RING_DESTROY);
  d.ring.ring_id = 1;
  d.ring.type = IPIPE_RING_MSG_N2H;
  EXPECT_EQ(must_submit(*a, d).status, IPIPE_STS_NOT_FOUND);
  d.ring.type = IPIPE_RING_MSG_H2N;
  EXPECT_EQ(must_submit(*a, d).status, IPIPE_STS_OK);
  EXPECT_EQ(must_submit(*a, c).status, IPIPE_STS_OK) << "the id is free again";
}
