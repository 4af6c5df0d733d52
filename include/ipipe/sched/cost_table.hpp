#pragma once

#include <ipipe/common/expected.hpp>
#include <ipipe/sched/workload.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ipipe::sched {

/// One row of an application cost table: the measured handler time of one
/// message kind of one actor type (apps/costs/app_cost_bench writes it).
struct cost_row {
  /// "RKV", "DT" or "RTA".
  std::string app;
  /// The actor type ("rkv_memtable").
  std::string actor;
  /// "nic" or "host": where the actor ran when measured.
  std::string side;
  /// The message kind ("apply", "tick").
  std::string kind;
  /// Handler calls of this kind per run of the application's workload.
  std::uint64_t count = 0;
  /// The handler time's quantile function.
  service_dist cost;
};

/// A parsed cost table.
struct cost_table {
  std::vector<cost_row> rows;
};

/// Parses a cost table in app_cost_bench's CSV format: '#' comment lines,
/// a header "app,actor,side,kind,count,mean_ns,p0_ns,...,max_ns" whose
/// quantile columns pN_ns (level N %) rise from p0 to max, then one row
/// each. Fails with errc::invalid_argument naming the line at fault.
[[nodiscard]] expected<cost_table> parse_cost_table(std::string_view csv);

/// Returns the table measured for this repository (src/sched/app_costs.csv,
/// built in), so that the study and its tests are deterministic.
[[nodiscard]] const cost_table& default_cost_table();

/// How the APPS workloads map the applications' message kinds to actors.
enum class apps_grain : std::uint8_t {
  /// Each (actor type, message kind) is an actor of its own.
  kind,
  /// Each actor type is one actor; its kinds are a mix of costs.
  actor,
};

/// Returns the APPS workload of `t`: the NIC-side rows that carry the
/// applications' load (not ticks, replies or the operator's configure,
/// stats and dump), each request a row drawn with its count's share of its
/// application, and the applications weighted so that each brings the
/// same CPU demand. Named "APPS" (kind grain) or "APPS-ACT" (actor grain).
[[nodiscard]] workload apps_workload(const cost_table& t, apps_grain g);

} // namespace ipipe::sched
