#pragma once
// One request to one actor over a NIC's wire port, resent until answered:
// what an operator's tool needs to configure and inspect actors.

#include <ipipe/common/expected.hpp>
#include <ipipe/common/unique_fd.hpp>
#include <ipipe/nic/options.hpp>
#include <ipipe/nic/wire.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace ipipe::tools {

/// A UDP socket connected to one NIC's wire port.
class wire_caller {
public:
  /// Opens a socket towards the wire port `at`.
  [[nodiscard]] static expected<wire_caller> open(const nic::endpoint& at);

  /// Sends `payload` as an IPIPE_MSG_REQUEST to `actor` and returns the
  /// payload of the IPIPE_MSG_REPLY (or IPIPE_MSG_ACTOR) answering it. A
  /// request not answered within `wait` is sent again, `attempts` times in
  /// all; only idempotent requests may be called this way. An
  /// IPIPE_MSG_ERROR answer is an error carrying its status.
  [[nodiscard]] expected<std::vector<std::byte>> call(std::uint32_t actor,
                                                      std::span<const std::byte> payload,
                                                      std::chrono::milliseconds wait,
                                                      unsigned attempts);

private:
  unique_fd sock_;
  nic::wire::addresses addr_;
  std::uint64_t next_req_ = 0;
};

} // namespace ipipe::tools
