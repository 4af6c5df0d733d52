#pragma once

#include <ipipe/common/expected.hpp>

#include "control.hpp"
#include "invocation.hpp"
#include <atomic>
#include <functional>
#include <string_view>

/// The commands that run until stopped: `events` and `top`. Each writes
/// one chunk per event or frame through `emit` (in JSON mode one compact
/// JSON document per line) and returns when `stop` is set (SIGINT), or
/// after inv.count events or frames.
namespace ipipe::ctl {

using emit_fn = std::function<void(std::string_view)>;

/// Follows the "events" group.
[[nodiscard]] expected<void> run_events(const invocation& inv, const emit_fn& emit,
                                        const std::atomic<bool>& stop);

/// Shows the actors every inv.interval_s seconds with their request rates;
/// `clear_screen` starts each text frame on a clean terminal.
[[nodiscard]] expected<void> run_top(const invocation& inv, control& ctl, const emit_fn& emit,
                                     const std::atomic<bool>& stop, bool clear_screen);

} // namespace ipipe::ctl
