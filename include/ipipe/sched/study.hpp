#pragma once

#include <ipipe/sched/sim_engine.hpp>

#include <cstdint>
#include <vector>

namespace ipipe::sched {

/// One load point of the scheduler study.
struct study_point {
  /// Offered load, as a fraction of NIC capacity.
  double load = 0;
  /// 99.9th percentile slowdown (latency / service) over all requests
  /// after the warm-up.
  double p999_slowdown = 0;
  /// 99.9th percentile latency of short requests after the warm-up, ns.
  std::uint64_t short_p999_ns = 0;
  /// 99.9th percentile slowdown of short requests after the warm-up.
  double short_p999_slowdown = 0;
};

/// How a study measures one policy on one workload.
struct study_options {
  /// Simulated time per load point.
  std::uint64_t duration_ns = 100'000'000;
  /// Requests arriving before this fraction of the duration are not counted.
  double warmup = 0.1;
  /// The service-level objective on p99.9 slowdown.
  double slo = 10;
};

/// Runs `w` at `load` and returns its figures.
[[nodiscard]] study_point measure(const sim_config& cfg, const workload& w, double load,
                                  const study_options& o);

/// Returns the highest load meeting the SLO: the last passing point of a
/// `step` grid from `step` up to `max`, refined by `refine` bisections
/// against the first failing point. Also appends every grid point to
/// `curve` when given.
[[nodiscard]] double max_load(const sim_config& cfg, const workload& w, const study_options& o,
                              double step = 0.05, double max = 1.0, int refine = 3,
                              std::vector<study_point>* curve = nullptr);

} // namespace ipipe::sched
