#pragma once

#include <linux/ipipe.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ipipe::nic {

/// Where messages produced while handling a request go: the N2H ring of the
/// ring context the request came from, or back over the wire.
class message_sink {
public:
  virtual ~message_sink() = default;
  /// Sends one message (`hdr.len` must equal `payload.size()`). Returns
  /// false if it had to be dropped.
  virtual bool send(const ipipe_msg_hdr& hdr, std::span<const std::byte> payload) = 0;
};

/// The seam between the emulated device and the actor runtime: the NIC
/// cores and the wire port hand every validated request to deliver(). The
/// firmware's built-in implementation (builtin_dispatch) knows only simple
/// stateless actors; the real runtime plugs in here.
class actor_dispatch {
public:
  virtual ~actor_dispatch() = default;

  /// Returns true if actors of type `name` can be created.
  [[nodiscard]] virtual bool has_type(std::string_view name) const = 0;
  /// Returns the names of the registered actor types.
  [[nodiscard]] virtual std::vector<std::string> types() const = 0;

  /// Delivers one checked message to its destination actor; anything it
  /// answers goes to `out`. Called from NIC core threads and the wire port
  /// concurrently.
  virtual void deliver(const ipipe_msg_hdr& hdr, std::span<const std::byte> payload,
                       message_sink& out) = 0;
};

/// Returns IPIPE_STS_OK if `hdr` describes a well-formed message of exactly
/// `payload_bytes` bytes after the header: known type and flags, reserved
/// field zero, len == payload_bytes <= IPIPE_MSG_MAX_PAYLOAD.
[[nodiscard]] ipipe_status check_msg_hdr(const ipipe_msg_hdr& hdr,
                                         std::size_t payload_bytes) noexcept;

/// Sends an IPIPE_MSG_ERROR reply to `req` carrying `status` as a
/// little-endian __u32 payload, unless the request asked for no reply.
bool send_error_reply(const ipipe_msg_hdr& req, ipipe_status status, message_sink& out);

} // namespace ipipe::nic
