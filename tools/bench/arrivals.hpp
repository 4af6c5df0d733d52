#pragma once

#include <ipipe/common/expected.hpp>

#include "rng.hpp"
#include <cstdint>
#include <string_view>

namespace ipipe::bench {

/// The offered load over time: a constant rate, or a ramp that starts at
/// `from` requests/s and adds `step_rate` every `step_s` seconds until it
/// reaches `to`, where it stays.
struct rate_schedule {
  double from = 1000;   ///< requests/s at t = 0
  double to = 1000;     ///< requests/s after the last step
  double step_s = 0;    ///< seconds per step; 0: constant rate `from`
  double step_rate = 0; ///< requests/s added (or removed, when to < from) per step

  /// Returns a constant rate.
  static rate_schedule constant(double r) noexcept { return {r, r, 0, 0}; }
  /// Parses "FROM:TO:STEP_SECONDS:STEP_RATE", e.g. "1000:20000:2:1000".
  [[nodiscard]] static expected<rate_schedule> parse_ramp(std::string_view s);

  /// Returns the rate at `t` seconds.
  [[nodiscard]] double rate_at(double t) const noexcept;
  /// Returns the rate during step `k` (the interval [k, k + 1) * step_s).
  [[nodiscard]] double rate_of_step(std::uint64_t k) const noexcept;
  /// Returns the seconds until the last step has been held for one step:
  /// the natural length of a ramp (0 for a constant rate).
  [[nodiscard]] double ramp_length() const noexcept;
};

/// Open-loop Poisson arrivals: exponential gaps drawn from a seeded
/// generator at the schedule's current rate. When a gap would cross a rate
/// change, the clock moves to the change and a new gap is drawn at the new
/// rate; by memorylessness that is exactly a Poisson process with a
/// piecewise-constant rate.
class poisson_arrivals {
public:
  poisson_arrivals(const rate_schedule& s, std::uint64_t seed) noexcept : s_(s), rng_(seed) {}

  /// Returns the time of the next arrival in seconds since the start.
  double next() noexcept;

private:
  rate_schedule s_;
  rng rng_;
  double t_ = 0;
  std::uint64_t step_ = 0; // counted, not derived from t_, so rounding cannot stall it
};

} // namespace ipipe::bench
