#pragma once

#include <ipipe/common/expected.hpp>
#include <ipipe/common/unique_fd.hpp>
#include <ipipe/nic/options.hpp>
#include <ipipe/nic/wire.hpp>

#include <netinet/in.h>

#include <array>
#include <cstdint>
#include <span>
#include <vector>

namespace ipipe::bench {

/// One NIC wire port the load goes to.
struct target {
  nic::endpoint at;        ///< the NIC's wire port (outer UDP address)
  std::uint32_t actor = 1; ///< dst_actor of requests sent there
};

/// The client's end of the wire: one non-blocking UDP socket, bound to an
/// ephemeral port, that sends requests framed as wire.hpp says to any of
/// the targets and receives the NIC's answers. sendto() on a UDP socket is
/// thread safe, so one thread may send while another receives.
class wire_socket {
public:
  /// An answer as it came off the socket.
  struct answer {
    ipipe_msg_hdr hdr{};             ///< its message header
    std::span<const std::byte> body; ///< payload, valid until the next receive()
  };
  /// What receive() found.
  enum class rx : std::uint8_t {
    frame, ///< a frame that parsed (direction::from_nic)
    bad,   ///< a datagram that failed to parse: count it
    empty, ///< nothing to read
  };

  /// Opens the socket for `targets` (at least one).
  [[nodiscard]] static expected<wire_socket> open(std::vector<target> targets);

  /// Returns the targets, by index.
  [[nodiscard]] const std::vector<target>& targets() const noexcept { return targets_; }
  /// Returns the socket, to poll for readability.
  [[nodiscard]] int fd() const noexcept { return sock_.get(); }
  /// Returns the local UDP port.
  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }

  /// Builds the frame of one request (type IPIPE_MSG_REQUEST) to target
  /// `t` into `out` and returns its length.
  [[nodiscard]] expected<std::size_t> frame(std::span<std::byte> out, std::size_t t,
                                            std::uint64_t req_id,
                                            std::span<const std::byte> payload) const;
  /// Sends a frame built by frame() to target `t`. False if the socket
  /// refused it (a full send buffer included).
  bool send(std::size_t t, std::span<const std::byte> frame) const noexcept;
  /// Reads one datagram without blocking.
  rx receive(answer& a);

private:
  wire_socket() = default;

  unique_fd sock_;
  std::uint16_t port_ = 0;
  std::vector<target> targets_;
  std::vector<sockaddr_in> to_;            // outer address, by target
  std::vector<nic::wire::addresses> addr_; // inner frame addressing, by target
  std::vector<std::byte> rx_;              // receive buffer
};

} // namespace ipipe::bench
