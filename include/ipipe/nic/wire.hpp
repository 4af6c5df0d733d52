#pragma once

#include <ipipe/common/expected.hpp>

#include <linux/ipipe.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

/// The wire format of the NIC's network port: each UDP datagram of the
/// outer socket carries one Ethernet II frame (as QEMU's "-netdev
/// socket,udp" does), IPv4 without options, UDP to IPIPE_WIRE_UDP_PORT, then
/// struct ipipe_msg_hdr and its payload. The firmware's thin L2/L3 shim and
/// the load generator both use this module.
namespace ipipe::nic::wire {

/// Ethernet II header bytes.
inline constexpr std::size_t eth_len = 14;
/// IPv4 header bytes (no options).
inline constexpr std::size_t ipv4_len = 20;
/// UDP header bytes.
inline constexpr std::size_t udp_len = 8;
/// Bytes in front of the message header.
inline constexpr std::size_t headers_len = eth_len + ipv4_len + udp_len;
/// The largest frame the NIC accepts or sends.
inline constexpr std::size_t max_frame =
    headers_len + sizeof(ipipe_msg_hdr) + IPIPE_MSG_MAX_PAYLOAD;

/// A MAC address.
using mac_addr = std::array<std::uint8_t, 6>;

/// The L2-L4 addressing of a frame; IPs and ports in host byte order.
struct addresses {
  mac_addr src_mac{};                           ///< Ethernet source
  mac_addr dst_mac{};                           ///< Ethernet destination
  std::uint32_t src_ip = 0;                     ///< IPv4 source
  std::uint32_t dst_ip = 0;                     ///< IPv4 destination
  std::uint16_t src_port = 0;                   ///< UDP source port
  std::uint16_t dst_port = IPIPE_WIRE_UDP_PORT; ///< UDP destination port
};

/// A frame that passed every check.
struct parsed_frame {
  addresses addr;                     ///< who sent it to whom
  ipipe_msg_hdr hdr{};                ///< the message header (copied)
  std::span<const std::byte> payload; ///< hdr.len bytes inside the frame
};

/// Returns the addresses of a reply to a frame with `a`: both ends swapped.
[[nodiscard]] addresses reply_to(const addresses& a) noexcept;

/// Returns the Internet checksum (RFC 1071) of `bytes` added to `sum`,
/// folded and complemented.
[[nodiscard]] std::uint16_t inet_checksum(std::span<const std::byte> bytes,
                                          std::uint32_t sum = 0) noexcept;

/// Builds a frame into `out` and returns its length. Fails with
/// errc::bad_length if the payload is larger than IPIPE_MSG_MAX_PAYLOAD,
/// hdr.len differs from the payload size, or `out` is too small. The UDP
/// checksum is computed unless `udp_checksum` is false (then it is 0).
[[nodiscard]] expected<std::size_t> build(std::span<std::byte> out, const addresses& a,
                                          const ipipe_msg_hdr& hdr,
                                          std::span<const std::byte> payload,
                                          bool udp_checksum = true);

/// Builds a frame into a new vector.
[[nodiscard]] expected<std::vector<std::byte>> build(const addresses& a, const ipipe_msg_hdr& hdr,
                                                     std::span<const std::byte> payload,
                                                     bool udp_checksum = true);

/// Which way a frame travels, which decides the port check.
enum class direction : std::uint8_t {
  to_nic,   ///< UDP destination port must be IPIPE_WIRE_UDP_PORT
  from_nic, ///< UDP source port must be IPIPE_WIRE_UDP_PORT (replies)
};

/// Parses and checks a frame: lengths, EtherType IPv4, version 4 and IHL 5,
/// IPv4 total length, not a fragment, header checksum, protocol UDP, the
/// IPIPE_WIRE_UDP_PORT port for `dir`, UDP length, UDP checksum (0 = none),
/// and the message header (check_msg_hdr). Trailing Ethernet padding is
/// allowed. Fails with errc::protocol_error whose context names the failed
/// check.
[[nodiscard]] expected<parsed_frame> parse(std::span<const std::byte> frame,
                                           direction dir = direction::to_nic);

} // namespace ipipe::nic::wire
