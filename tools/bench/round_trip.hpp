#pragma once
// One request and its answer over a wire_socket, outside a load run: what
// configuring an application's actors and auditing it afterwards need.

#include <ipipe/common/expected.hpp>

#include "wire_socket.hpp"
#include <cstdint>
#include <span>
#include <vector>

namespace ipipe::bench {

/// An answer, copied out of the socket's receive buffer.
struct reply {
  ipipe_msg_hdr hdr{};
  std::vector<std::byte> body;
};

/// Sends `payload` to target `t` under `req_id` and returns the answer
/// carrying that req_id; other datagrams (late answers of a run) are
/// skipped. Sends again every `timeout_ms` without an answer, `attempts`
/// times in all, so only idempotent requests may go this way.
/// errc::timed_out if none came.
[[nodiscard]] expected<reply> round_trip(wire_socket& sock, std::size_t t, std::uint64_t req_id,
                                         std::span<const std::byte> payload,
                                         std::uint64_t timeout_ms, unsigned attempts = 1);

/// Returns a req_id base no load run uses: 32 random high bits, so answers
/// to earlier calls and runs are never taken for this one's.
[[nodiscard]] std::uint64_t random_req_base();

} // namespace ipipe::bench
