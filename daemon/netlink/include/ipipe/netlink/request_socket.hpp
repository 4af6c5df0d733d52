#pragma once

#include <ipipe/common/expected.hpp>
#include <ipipe/netlink/nl_ptr.hpp>
#include <ipipe/netlink/types.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

struct nlmsghdr;

namespace ipipe::netlink {

/// A libnl socket for requests to the "ipipe" family: one request at a
/// time, each answered in full (reply, dump or ack) before the call returns.
///
/// Rejections come back as errc::system_error with the errno and the
/// kernel's extended ack text (see nl_error.hpp); an absent family is
/// is_family_missing(). Move-only.
class request_socket {
public:
  // -- lifecycle -------------------------------------------------------------

  /// Returns a connected socket with the family resolved, or the error
  /// (is_family_missing() when ipipe.ko is not loaded).
  [[nodiscard]] static expected<request_socket> open();

  request_socket(request_socket&&) noexcept = default;
  request_socket& operator=(request_socket&&) noexcept = default;
  ~request_socket() = default;

  // -- requests --------------------------------------------------------------

  /// Returns the device with index `index` (DEV_GET do); with `stats`, its
  /// statistics too (the kernel asks the firmware for them).
  [[nodiscard]] expected<dev_info> dev_get(std::uint32_t index, bool stats = false);
  /// Returns every device (DEV_GET dump), by index; `stats` as dev_get().
  [[nodiscard]] expected<std::vector<dev_info>> dev_dump(bool stats = false);
  /// Sends the parameters set in `p` to device `index` (needs CAP_NET_ADMIN).
  [[nodiscard]] expected<void> params_set(std::uint32_t index, const params_update& p);
  /// Returns the actors of device `index`, or of every device.
  [[nodiscard]] expected<std::vector<actor_info>>
  actor_dump(std::optional<std::uint32_t> index = std::nullopt);
  /// Moves actor `actor_id` of device `index` to `to` (enum ipipe_location).
  [[nodiscard]] expected<void> actor_migrate(std::uint32_t index, std::uint32_t actor_id,
                                             std::uint32_t to);

  // -- properties ------------------------------------------------------------

  /// Returns the family id the controller assigned to "ipipe".
  [[nodiscard]] int family() const noexcept { return family_; }

private:
  request_socket(sock_ptr sock, int family) noexcept;

  using on_message = std::function<expected<void>(const nlmsghdr*)>;
  /// Sends `msg` and receives until the ack, the end of the dump or an
  /// error, calling `cb` on every data message.
  expected<void> transact(msg_ptr msg, const on_message& cb);
  /// Sends `msg` and returns every data message of the answer, parsed.
  template <class T>
  expected<std::vector<T>> collect(expected<msg_ptr> msg, expected<T> (*parse)(const nlmsghdr*));

  sock_ptr sock_;
  int family_ = 0;
};

} // namespace ipipe::netlink
