#pragma once

#include <ipipe/common/expected.hpp>
#include <ipipe/common/unique_fd.hpp>

#include <chrono>
#include <cstdint>

/// The ivshmem server wire protocol: each message is one little-endian
/// int64, optionally carrying one file descriptor (SCM_RIGHTS).
namespace ipipe::nic::ivshmem {

/// The protocol version the server sends first.
inline constexpr std::int64_t protocol_version = 0;
/// Tag of the message carrying the shared memory (BAR2) fd.
inline constexpr std::int64_t shm_tag = -1;
/// Tag of the direct-attach extension message carrying the host memory fd.
inline constexpr std::int64_t host_mem_tag = -2;

/// One received message.
struct message {
  std::int64_t value = 0; ///< the integer
  unique_fd fd;           ///< the attached descriptor, if any
};

/// Sends `value` with `fd` attached (-1: none). Never raises SIGPIPE.
[[nodiscard]] expected<void> send(int sock, std::int64_t value, int fd = -1);

/// Receives one message, waiting at most `timeout` (negative: forever).
/// Returns errc::closed when the peer closed the socket, errc::timed_out,
/// or errc::protocol_error for a short message or more than one fd.
[[nodiscard]] expected<message> receive(int sock, std::chrono::milliseconds timeout);

} // namespace ipipe::nic::ivshmem
