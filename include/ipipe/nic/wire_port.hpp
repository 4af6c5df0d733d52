#pragma once

#include <ipipe/common/expected.hpp>
#include <ipipe/common/unique_fd.hpp>
#include <ipipe/nic/actor_dispatch.hpp>
#include <ipipe/nic/fw_counters.hpp>
#include <ipipe/nic/options.hpp>

#include <cstdint>
#include <memory>

namespace ipipe::nic {

/// The NIC's network port: a UDP socket whose datagrams each carry one
/// Ethernet frame (see wire.hpp). Good requests go to the actor dispatcher;
/// replies go back to the sender with the addresses swapped; bad frames are
/// counted in wire_rx_dropped and dropped.
class wire_port {
public:
  /// Binds a non-blocking UDP socket to `at` (port 0: any free port).
  /// `dispatch` and `counters` must outlive the port.
  [[nodiscard]] static expected<std::unique_ptr<wire_port>>
  open(const endpoint& at, actor_dispatch& dispatch, fw_counters& counters);

  /// Returns the socket, to wait for readability.
  [[nodiscard]] int fd() const noexcept { return sock_.get(); }
  /// Returns the bound UDP port.
  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }

  /// Handles up to `budget` pending datagrams. Returns how many were read.
  std::size_t on_readable(std::size_t budget = 64);

private:
  wire_port(actor_dispatch& d, fw_counters& c) noexcept : dispatch_(d), counters_(c) {}

  unique_fd sock_;
  std::uint16_t port_ = 0;
  actor_dispatch& dispatch_;
  fw_counters& counters_;
};

} // namespace ipipe::nic
