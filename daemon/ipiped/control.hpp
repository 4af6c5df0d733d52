#pragma once

#include <ipipe/config/daemon_config.hpp>
#include <ipipe/netlink/event_socket.hpp>
#include <ipipe/netlink/request_socket.hpp>

#include <cstdint>
#include <optional>

namespace ipipe::daemon {

/// ipiped's netlink side: a request socket that pushes the configured
/// thresholds to kernel-driven NICs, and an event socket on the "events"
/// group whose notifications go to the journal.
///
/// The family may be absent (ipipe.ko not loaded yet): the daemon then
/// says so once and retries from its periodic timer, never spinning.
class control {
public:
  /// Tries to open both sockets; false (logged once) if the family is absent.
  bool connect();
  /// Returns true once both sockets are open.
  [[nodiscard]] bool connected() const noexcept { return req_.has_value(); }
  /// Sends the thresholds `p` sets to device `index`. The error carries the
  /// kernel's extack text.
  [[nodiscard]] expected<void> push_params(std::uint32_t index, const config::params_config& p);
  /// Returns the event socket's fd, or -1.
  [[nodiscard]] int event_fd() const noexcept { return ev_ ? ev_->fd() : -1; }
  /// Reads pending events and logs them.
  void drain_events();

private:
  std::optional<netlink::request_socket> req_;
  std::optional<netlink::event_socket> ev_;
  bool said_missing_ = false;
};

/// Returns N of "/dev/ipipeN", or nothing.
[[nodiscard]] std::optional<std::uint32_t> device_index(std::string_view path) noexcept;

} // namespace ipipe::daemon
