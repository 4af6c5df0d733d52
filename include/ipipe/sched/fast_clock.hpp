#pragma once

#include <cstdint>

namespace ipipe::sched {

/// Returns a monotonic time in ns that costs a few ns to read.
///
/// On x86-64 with an invariant TSC it scales the TSC by a rate calibrated
/// once against CLOCK_MONOTONIC (about 2 ms, on first use); elsewhere it is
/// CLOCK_MONOTONIC. The dispatch path reads the clock three times per
/// message, and clock_gettime alone costs 20-60 ns on virtual machines,
/// more than the whole dispatch budget allows.
[[nodiscard]] std::uint64_t fast_now_ns() noexcept;

} // namespace ipipe::sched
