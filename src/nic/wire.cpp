#include <ipipe/nic/actor_dispatch.hpp>
#include <ipipe/nic/wire.hpp>

#include <cstring>

namespace ipipe::nic::wire {
namespace {

constexpr std::uint16_t ethertype_ipv4 = 0x0800;
constexpr std::uint8_t proto_udp = 17;
constexpr std::uint8_t default_ttl = 64;

std::uint16_t get16(const std::byte* p) noexcept {
  return static_cast<std::uint16_t>((std::to_integer<unsigned>(p[0]) << 8) |
                                    std::to_integer<unsigned>(p[1]));
}
std::uint32_t get32(const std::byte* p) noexcept {
  return (std::uint32_t{get16(p)} << 16) | get16(p + 2);
}
void put16(std::byte* p, std::uint16_t v) noexcept {
  p[0] = std::byte(v >> 8);
  p[1] = std::byte(v & 0xff);
}
void put32(std::byte* p, std::uint32_t v) noexcept {
  put16(p, static_cast<std::uint16_t>(v >> 16));
  put16(p + 2, static_cast<std::uint16_t>(v & 0xffff));
}

// One's complement sum of 16-bit big-endian words, unfolded.
std::uint32_t sum16(std::span<const std::byte> b, std::uint32_t sum) noexcept {
  std::size_t i = 0;
  for (; i + 1 < b.size(); i += 2)
    sum += get16(b.data() + i);
  if (i < b.size())
    sum += std::to_integer<std::uint32_t>(b[i]) << 8;
  return sum;
}

std::uint32_t fold(std::uint32_t sum) noexcept {
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return sum;
}

// The UDP pseudo header: addresses, protocol and UDP length.
std::uint32_t pseudo_sum(std::uint32_t src, std::uint32_t dst, std::uint16_t len) noexcept {
  return (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + proto_udp + len;
}

error fail(const char* what) {
  return error{errc::protocol_error, what};
}

} // namespace

addresses reply_to(const addresses& a) noexcept {
  addresses r;
  r.src_mac = a.dst_mac;
  r.dst_mac = a.src_mac;
  r.src_ip = a.dst_ip;
  r.dst_ip = a.src_ip;
  r.src_port = a.dst_port;
  r.dst_port = a.src_port;
  return r;
}

std::uint16_t inet_checksum(std::span<const std::byte> bytes, std::uint32_t sum) noexcept {
  return static_cast<std::uint16_t>(~fold(sum16(bytes, sum)) & 0xffff);
}

expected<std::size_t> build(std::span<std::byte> out, const addresses& a, const ipipe_msg_hdr& hdr,
                            std::span<const std::byte> payload, bool udp_checksum) {
  if (payload.size() > IPIPE_MSG_MAX_PAYLOAD || hdr.len != payload.size())
    return error{errc::bad_length, "wire payload"};
  const std::size_t msg = sizeof(ipipe_msg_hdr) + payload.size();
  const std::size_t total = headers_len + msg;
  if (out.size() < total)
    return error{errc::bad_length, "wire frame buffer"};

  std::byte* p = out.data();
  std::memcpy(p, a.dst_mac.data(), 6);
  std::memcpy(p + 6, a.src_mac.data(), 6);
  put16(p + 12, ethertype_ipv4);

  std::byte* ip = p + eth_len;
  std::memset(ip, 0, ipv4_len);
  ip[0] = std::byte{0x45};
  put16(ip + 2, static_cast<std::uint16_t>(ipv4_len + udp_len + msg));
  put16(ip + 6, 0x4000); // don't fragment
  ip[8] = std::byte{default_ttl};
  ip[9] = std::byte{proto_udp};
  put32(ip + 12, a.src_ip);
  put32(ip + 16, a.dst_ip);
  put16(ip + 10, inet_checksum({ip, ipv4_len}));

  std::byte* udp = ip + ipv4_len;
  const auto ulen = static_cast<std::uint16_t>(udp_len + msg);
  put16(udp, a.src_port);
  put16(udp + 2, a.dst_port);
  put16(udp + 4, ulen);
  put16(udp + 6, 0);
  // The message header travels in the host's (little-endian) layout, as on
  // the rings: it is the same struct.
  std::memcpy(udp + udp_len, &hdr, sizeof(hdr));
  if (!payload.empty())
    std::memcpy(udp + udp_len + sizeof(hdr), payload.data(), payload.size());
  if (udp_checksum) {
    std::uint16_t c = inet_checksum({udp, ulen}, pseudo_sum(a.src_ip, a.dst_ip, ulen));
    put16(udp + 6, c == 0 ? 0xffff : c); // 0 would mean "no checksum"
  }
  return total;
}

expected<std::vector<std::byte>> build(const addresses& a, const ipipe_msg_hdr& hdr,
                                       std::span<const std::byte> payload, bool udp_checksum) {
  std::vector<std::byte> out(headers_len + sizeof(ipipe_msg_hdr) + payload.size());
  auto n = build(out, a, hdr, payload, udp_checksum);
  if (!n)
    return n.err();
  return out;
}

expected<parsed_frame> parse(std::span<const std::byte> f, direction dir) {
  if (f.size() < headers_len + sizeof(ipipe_msg_hdr))
    return fail("frame too short");
  if (f.size() > max_frame + 64)
    return fail("frame too long");
  if (get16(f.data() + 12) != ethertype_ipv4)
    return fail("not IPv4");
  const std::byte* ip = f.data() + eth_len;
  if (ip[0] != std::byte{0x45})
    return fail("IPv4 version/IHL (options are not supported)");
  const std::uint16_t total = get16(ip + 2);
  if (total < ipv4_len + udp_len + sizeof(ipipe_msg_hdr) || total > f.size() - eth_len)
    return fail("IPv4 total length");
  if ((get16(ip + 6) & 0x3fff) != 0)
    return fail("IPv4 fragment");
  if (inet_checksum({ip, ipv4_len}) != 0)
    return fail("IPv4 header checksum");
  if (ip[9] != std::byte{proto_udp})
    return fail("not UDP");

  const std::byte* udp = ip + ipv4_len;
  parsed_frame out;
  std::memcpy(out.addr.dst_mac.data(), f.data(), 6);
  std::memcpy(out.addr.src_mac.data(), f.data() + 6, 6);
  out.addr.src_ip = get32(ip + 12);
  out.addr.dst_ip = get32(ip + 16);
  out.addr.src_port = get16(udp);
  out.addr.dst_port = get16(udp + 2);
  if ((dir == direction::to_nic ? out.addr.dst_port : out.addr.src_port) != IPIPE_WIRE_UDP_PORT)
    return fail("UDP port");
  const std::uint16_t ulen = get16(udp + 4);
  if (ulen != total - ipv4_len)
    return fail("UDP length");
  if (get16(udp + 6) != 0 &&
      inet_checksum({udp, ulen}, pseudo_sum(out.addr.src_ip, out.addr.dst_ip, ulen)) != 0)
    return fail("UDP checksum");

  std::memcpy(&out.hdr, udp + udp_len, sizeof(out.hdr));
  const std::size_t body = ulen - udp_len - sizeof(ipipe_msg_hdr);
  if (check_msg_hdr(out.hdr, body) != IPIPE_STS_OK)
    return fail("message header");
  out.payload = {udp + udp_len + sizeof(ipipe_msg_hdr), body};
  return out;
}

} // namespace ipipe::nic::wire
