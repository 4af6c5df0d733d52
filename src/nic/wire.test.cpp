// Frame build and parse: good frames round-trip, every corruption is caught.
#include <ipipe/nic/wire.hpp>

#include <gtest/gtest.h>

#include <cstring>
#include <random>

using namespace ipipe;
using namespace ipipe::nic;

namespace {

wire::addresses addrs() {
  wire::addresses a;
  a.src_mac = {0x02, 0, 0, 0, 0, 1};
  a.dst_mac = {0x02, 0, 0, 0, 0, 2};
  a.src_ip = 0x0a000001;
  a.dst_ip = 0x0a000002;
  a.src_port = 40000;
  return a;
}

ipipe_msg_hdr request(std::uint32_t len) {
  ipipe_msg_hdr h{};
  h.dst_actor = 3;
  h.req_id = 0x1122334455667788ull;
  h.len = len;
  h.type = IPIPE_MSG_REQUEST;
  return h;
}

std::vector<std::byte> good_frame(std::size_t payload_len = 100, bool csum = true) {
  std::vector<std::byte> payload(payload_len);
  for (std::size_t i = 0; i < payload_len; ++i)
    payload[i] = std::byte(i * 7);
  auto f = wire::build(addrs(), request(static_cast<std::uint32_t>(payload_len)), payload, csum);
  EXPECT_TRUE(f.has_value());
  return f ? *f : std::vector<std::byte>{};
}

// Sets a 16-bit big-endian field.
void put16(std::vector<std::byte>& f, std::size_t off, std::uint16_t v) {
  f[off] = std::byte(v >> 8);
  f[off + 1] = std::byte(v & 0xff);
}

// Recomputes the IPv4 header checksum after a deliberate header change, so
// the check under test is the one that fails.
void fix_ip_checksum(std::vector<std::byte>& f) {
  put16(f, wire::eth_len + 10, 0);
  put16(f, wire::eth_len + 10, wire::inet_checksum({f.data() + wire::eth_len, wire::ipv4_len}));
}

constexpr std::size_t ip = wire::eth_len;
constexpr std::size_t udp = wire::eth_len + wire::ipv4_len;
constexpr std::size_t msg = wire::headers_len;

} // namespace

TEST(wire, a_built_frame_parses_back_to_the_same_message) {
  for (bool csum : {true, false}) {
    auto f = good_frame(100, csum);
    auto p = wire::parse(f);
    ASSERT_TRUE(p.has_value()) << p.err().message();
    EXPECT_EQ(p->hdr.req_id, 0x1122334455667788ull);
    EXPECT_EQ(p->hdr.dst_actor, 3u);
    ASSERT_EQ(p->payload.size(), 100u);
    EXPECT_EQ(p->payload[99], std::byte(99 * 7));
    EXPECT_EQ(p->addr.src_ip, 0x0a000001u);
    EXPECT_EQ(p->addr.dst_port, IPIPE_WIRE_UDP_PORT);
    EXPECT_EQ(p->addr.src_mac, addrs().src_mac);
    auto r = wire::reply_to(p->addr);
    EXPECT_EQ(r.dst_ip, 0x0a000001u);
    EXPECT_EQ(r.dst_port, 40000);
    EXPECT_EQ(r.dst_mac, addrs().src_mac);
  }
}

TEST(wire, empty_and_maximal_payloads_are_fine_and_larger_ones_are_refused) {
  EXPECT_TRUE(wire::parse(good_frame(0)).has_value());
  EXPECT_TRUE(wire::parse(good_frame(IPIPE_MSG_MAX_PAYLOAD)).has_value());
  std::vector<std::byte> big(IPIPE_MSG_MAX_PAYLOAD + 1);
  EXPECT_FALSE(wire::build(addrs(), request(static_cast<std::uint32_t>(big.size())), big));
  std::vector<std::byte> p(10);
  EXPECT_FALSE(wire::build(addrs(), request(11), p)) << "hdr.len must match the payload";
}

TEST(wire, ethernet_padding_after_the_datagram_is_allowed) {
  auto f = good_frame(0);
  f.resize(f.size() + 18);
  EXPECT_TRUE(wire::parse(f).has_value());
}

TEST(wire, every_corruption_is_rejected) {
  struct row {
    const char* name;
    void (*corrupt)(std::vector<std::byte>&);
  };
  const row rows[] = {
      {"truncated", [](auto& f) { f.resize(msg + 10); }},
      {"truncated payload", [](auto& f) { f.resize(f.size() - 1); }},
      {"ethertype", [](auto& f) { put16(f, 12, 0x86dd); }},
      {"version",
       [](auto& f) {
         f[ip] = std::byte{0x65};
         fix_ip_checksum(f);
       }},
      {"ip options",
       [](auto& f) {
         f[ip] = std::byte{0x46};
         fix_ip_checksum(f);
       }},
      {"total length too big",
       [](auto& f) {
         put16(f, ip + 2, 9000);
         fix_ip_checksum(f);
       }},
      {"total length too small",
       [](auto& f) {
         put16(f, ip + 2, 40);
         fix_ip_checksum(f);
       }},
      {"fragment",
       [](auto& f) {
         put16(f, ip + 6, 0x2000);
         fix_ip_checksum(f);
       }},
      {"ip checksum", [](auto& f) { f[ip + 10] ^= std::byte{1}; }},
      {"ip header bit flip", [](auto& f) { f[ip + 15] ^= std::byte{0x10}; }},
      {"protocol",
       [](auto& f) {
         f[ip + 9] = std::byte{6};
         fix_ip_checksum(f);
       }},
      {"udp port", [](auto& f) { put16(f, udp + 2, 7001); }},
      {"udp length", [](auto& f) { put16(f, udp + 4, 8 + 32); }},
      {"udp checksum", [](auto& f) { f[udp + 6] ^= std::byte{0x40}; }},
      {"payload bit flip", [](auto& f) { f[msg + 40] ^= std::byte{1}; }},
      {"message length", [](auto& f) { f[msg + 16] ^= std::byte{1}; }},
      {"message type", [](auto& f) { f[msg + 20] = std::byte{0x7f}; }},
      {"message resv", [](auto& f) { f[msg + 31] = std::byte{1}; }},
  };
  for (const row& r : rows) {
    auto f = good_frame();
    r.corrupt(f);
    auto p = wire::parse(f);
    EXPECT_FALSE(p.has_value()) << r.name;
    if (!p) {
      EXPECT_EQ(p.err().code(), errc::protocol_error);
    }
  }
}

TEST(wire, random_garbage_never_parses_and_never_crashes) {
  std::mt19937 rng{7};
  int parsed = 0;
  for (int i = 0; i < 20000; ++i) {
    std::vector<std::byte> f(rng() % 300);
    for (auto& b : f)
      b = std::byte(rng());
    parsed += wire::parse(f).has_value();
  }
  EXPECT_EQ(parsed, 0);
  // Single bit flips of a good frame: each is caught by some check.
  const auto good = good_frame(64);
  int accepted = 0;
  for (std::size_t bit = 12 * 8; bit < good.size() * 8; ++bit) {
    auto f = good;
    f[bit / 8] ^= std::byte(1u << (bit % 8));
    accepted += wire::parse(f).has_value();
  }
  EXPECT_EQ(accepted, 0);
}
