#pragma once

#include <ipipe/runtime/ids.hpp>

#include <linux/ipipe.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace ipipe::runtime {

/// A message as the runtime handles it: the ABI header and its payload.
///
/// `hdr.len` always equals `payload.size()` for messages built with make();
/// the ring consumer checks the same for messages read from shared memory.
struct message {
  ipipe_msg_hdr hdr{};            ///< header exactly as on rings and the wire
  std::vector<std::byte> payload; ///< `hdr.len` bytes

  /// Returns a message of `type` from `src` to `dst` carrying `data`.
  [[nodiscard]] static message make(std::uint16_t type, actor_id dst, actor_id src,
                                    std::uint64_t req_id, std::span<const std::byte> data = {},
                                    std::uint16_t flags = 0) {
    message m;
    m.hdr.dst_actor = dst;
    m.hdr.src_actor = src;
    m.hdr.req_id = req_id;
    m.hdr.type = type;
    m.hdr.flags = flags;
    m.hdr.len = static_cast<std::uint32_t>(data.size());
    m.payload.assign(data.begin(), data.end());
    return m;
  }

  /// Returns the destination actor.
  [[nodiscard]] actor_id dst() const noexcept { return hdr.dst_actor; }
  /// Returns the source actor (0 = external client).
  [[nodiscard]] actor_id src() const noexcept { return hdr.src_actor; }
  /// Returns the message type (enum ipipe_msg_type).
  [[nodiscard]] std::uint16_t type() const noexcept { return hdr.type; }
};

/// Returns true if `m` is a tick from runtime::tick(): an empty
/// IPIPE_MSG_ACTOR an actor gets from itself, with no reply wanted and the
/// tick's CLOCK_MONOTONIC time in req_id.
[[nodiscard]] inline bool is_tick(const message& m) noexcept {
  return m.hdr.type == IPIPE_MSG_ACTOR && m.hdr.src_actor == m.hdr.dst_actor && m.hdr.client == 0 &&
         m.payload.empty() && (m.hdr.flags & IPIPE_MSG_F_NO_REPLY) != 0;
}

/// Returns `s` viewed as bytes, for building payloads in tests and actors.
template <class T>
[[nodiscard]] std::span<const std::byte> as_bytes_of(const T& v) noexcept {
  return std::as_bytes(std::span<const T, 1>{&v, 1});
}

} // namespace ipipe::runtime
