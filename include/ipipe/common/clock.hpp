#pragma once

#include <cstdint>
#include <ctime>

namespace ipipe {

/// Returns CLOCK_MONOTONIC in nanoseconds.
[[nodiscard]] inline std::uint64_t monotonic_ns() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ULL +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

} // namespace ipipe
