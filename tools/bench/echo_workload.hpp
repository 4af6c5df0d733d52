#pragma once

#include "workload.hpp"
#include <cstdint>

namespace ipipe::bench {

/// The "echo" workload: each request carries `size` bytes of a pattern
/// derived from its token, and the answer must be an IPIPE_MSG_REPLY with
/// exactly those bytes. Requests go to the targets in turn.
class echo_workload final : public workload {
public:
  echo_workload(std::size_t size, std::size_t targets) noexcept : size_(size), targets_(targets) {}

  outgoing next(std::uint64_t token, std::uint64_t n) override;
  verdict on_answer(std::uint64_t token, const ipipe_msg_hdr& hdr,
                    std::span<const std::byte> body) override;
  void on_timeout(std::uint64_t) override {}

  /// Fills `out` with the pattern of `token`.
  static void pattern(std::uint64_t token, std::span<std::byte> out) noexcept;

private:
  std::size_t size_;
  std::size_t targets_;
};

} // namespace ipipe::bench
