#pragma once
// The cost table that app_cost_bench prints and writes, and that the
// scheduler study reads (src/sched/cost_table.hpp parses the same
// columns): one row per (actor type, runtime side, message kind).

#include "timed_actor.hpp"
#include <array>
#include <cstdint>
#include <cstdio>
#include <map>
#include <vector>

namespace ipipe::apps::costs {

/// Quantile levels of the table's columns p0 (the minimum) .. max.
inline constexpr std::array<double, 10> cost_levels{0,   0.1,  0.25,  0.5,    0.75,
                                                    0.9, 0.99, 0.999, 0.9999, 1};

/// One row of the table.
struct cost_row {
  std::uint64_t count = 0;
  std::uint64_t mean_ns = 0;
  std::array<std::uint64_t, cost_levels.size()> at{}; ///< ns at each cost level
};

/// Returns one run's rows: `floor_ns`, the median time of an empty handler
/// timed the same way, taken off every sample (the handler's part stays at
/// least 1 ns) and `add_ns` added to it.
[[nodiscard]] std::map<cost_key, cost_row> summarise(cost_run run, std::uint64_t floor_ns,
                                                     std::uint64_t add_ns);

/// Folds runs of the same workloads into one row per key: the smallest
/// value of each column over the runs that have the key, and their mean
/// count. On a shared machine the noise (other work, a hypervisor taking
/// the CPU, which thread CPU time still counts) only ever adds time, so
/// the least of several runs is the closest to the handler's own cost.
[[nodiscard]] std::map<cost_key, cost_row>
least_of(const std::vector<std::map<cost_key, cost_row>>& runs);

/// Prints the table to stdout and, when `csv` is not null, writes it there;
/// `note` is one line for both (how the table was measured).
void report(const std::map<cost_key, cost_row>& rows, const char* note, std::FILE* csv);

} // namespace ipipe::apps::costs
