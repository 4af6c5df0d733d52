#pragma once

#include <ipipe/common/expected.hpp>
#include <ipipe/common/unique_fd.hpp>
#include <ipipe/nic/actor_dispatch.hpp>
#include <ipipe/nic/fw_counters.hpp>
#include <ipipe/nic/options.hpp>
#include <ipipe/nic/wire.hpp>

#include <netinet/in.h>

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <unordered_map>

namespace ipipe::nic {

/// The NIC's network port: a UDP socket whose datagrams each carry one
/// Ethernet frame (see wire.hpp). Good requests go to the actor dispatcher;
/// bad frames are counted in wire_rx_dropped and dropped.
///
/// Every sender gets an endpoint handle, put in hdr.client of what it sent:
/// 1..max_peer for the peer nodes named with add_peer(), handles from
/// first_client on for anyone else (a bounded table; the oldest entry is
/// recycled when it is full). send() takes a message whose hdr.client is
/// such a handle to its endpoint, which is how the runtime's replies and
/// remote sends leave the node.
class wire_port final : public message_sink {
public:
  /// The highest static peer handle.
  static constexpr std::uint32_t max_peer = 255;
  /// The first dynamic client handle.
  static constexpr std::uint32_t first_client = 256;

  /// Binds a non-blocking UDP socket to `at` (port 0: any free port).
  /// `dispatch` and `counters` must outlive the port. At most
  /// `max_clients` dynamic endpoints are remembered.
  [[nodiscard]] static expected<std::unique_ptr<wire_port>> open(const endpoint& at,
                                                                 actor_dispatch& dispatch,
                                                                 fw_counters& counters,
                                                                 std::uint32_t max_clients = 4096);

  /// Names peer node `handle` (1..max_peer) at `at`: its frames arrive
  /// with hdr.client = handle, and send() reaches it.
  [[nodiscard]] expected<void> add_peer(std::uint32_t handle, const endpoint& at);

  /// Returns the socket, to wait for readability.
  [[nodiscard]] int fd() const noexcept { return sock_.get(); }
  /// Returns the bound UDP port.
  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }

  /// Handles up to `budget` pending datagrams. Returns how many were read.
  std::size_t on_readable(std::size_t budget = 64);

  /// Sends `hdr` + `payload` to endpoint hdr.client (IPIPE_MSG_F_WIRE is
  /// cleared on the way out). Thread safe. False if the handle is unknown
  /// or the socket refused (counted in wire_tx_dropped).
  bool send(const ipipe_msg_hdr& hdr, std::span<const std::byte> payload) override;

private:
  struct route {
    sockaddr_in to{};      // the outer UDP address
    wire::addresses frame; // the frame's addressing towards it
  };
  class sender_sink;

  wire_port(actor_dispatch& d, fw_counters& c, std::uint32_t max_clients) noexcept
      : dispatch_(d), counters_(c), max_clients_(max_clients) {}

  std::uint32_t handle_of(const sockaddr_in& from, const wire::addresses& addr);
  bool transmit(const route& r, const ipipe_msg_hdr& hdr, std::span<const std::byte> payload);

  unique_fd sock_;
  sockaddr_in local_{};
  std::uint16_t port_ = 0;
  actor_dispatch& dispatch_;
  fw_counters& counters_;
  std::uint32_t max_clients_;

  std::mutex lock_;                                          // protects everything below
  std::map<std::uint32_t, route> routes_;                    // handle -> route
  std::unordered_map<std::uint64_t, std::uint32_t> by_addr_; // (ip << 16 | port) -> handle
  std::deque<std::uint32_t> client_order_;                   // dynamic handles, oldest first
  std::uint32_t next_client_ = first_client;
};

} // namespace ipipe::nic
