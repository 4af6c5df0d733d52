#pragma once

#include <ipipe/common/expected.hpp>
#include <ipipe/netlink/nl_ptr.hpp>
#include <ipipe/netlink/types.hpp>

#include <cstdint>
#include <vector>

namespace ipipe::netlink {

/// A non-blocking libnl socket subscribed to the "events" multicast group
/// of the "ipipe" family; kept apart from requests so that notifications
/// never interleave with replies. Poll fd() for POLLIN, then receive().
/// Move-only.
class event_socket {
public:
  /// Returns a socket that has joined "events", or the error
  /// (is_family_missing() when ipipe.ko is not loaded).
  [[nodiscard]] static expected<event_socket> open();

  event_socket(event_socket&&) noexcept = default;
  event_socket& operator=(event_socket&&) noexcept = default;
  ~event_socket() = default;

  /// Returns the file descriptor to poll.
  [[nodiscard]] int fd() const noexcept;

  /// Returns the events of one datagram, or none if nothing is pending.
  /// An overrun of the receive buffer is errc::system_error with ENOBUFS:
  /// events were lost, the socket stays usable.
  [[nodiscard]] expected<std::vector<event>> receive();

private:
  event_socket(sock_ptr sock, int family) noexcept;

  sock_ptr sock_;
  int family_ = 0;
};

} // namespace ipipe::netlink
