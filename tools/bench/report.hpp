#pragma once

#include <ipipe/common/expected.hpp>

#include "engine.hpp"
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace ipipe::bench {

/// What was asked for, echoed in the summary.
struct run_info {
  std::string workload;             ///< "echo" or "rkv"
  std::vector<std::string> targets; ///< ADDR:PORT/ACTOR
  std::uint64_t seed = 0;
  std::string load; ///< "rate R" or "ramp FROM:TO:STEP_SECONDS:STEP_RATE"
  std::uint64_t timeout_ms = 0;
};

/// Returns the summary as one JSON object (schema in ipipe-bench.rst).
[[nodiscard]] nlohmann::json to_json(const run_info& info, const run_result& r);
/// Returns the summary as a human table, rendered from to_json()'s object
/// so that the two cannot disagree.
[[nodiscard]] std::string to_text(const nlohmann::json& j);
/// Returns the live line of one interval (no newline).
[[nodiscard]] std::string live_line(const interval_sample& s);
/// Writes the series as CSV: t,offered,achieved,p50_us,p99_us,errors,timeouts.
[[nodiscard]] expected<void> write_csv(const std::string& path,
                                       const std::vector<interval_sample>& series);
/// Returns the exit status: 1 if nothing was answered at all, or if
/// `fail_on_error` and an answer was wrong or an error; else 0.
[[nodiscard]] int exit_status(const run_result& r, bool fail_on_error) noexcept;

} // namespace ipipe::bench
