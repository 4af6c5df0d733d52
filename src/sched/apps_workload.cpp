#include <ipipe/sched/cost_table.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>

namespace ipipe::sched {

namespace internal {
extern const char app_costs_csv[]; // app_costs.cpp, generated from app_costs.csv
} // namespace internal

namespace {

// Kinds that are not the applications' load: timers, the operator's
// requests, and the answers to the configuration the actors send each
// other at start.
bool is_load(const cost_row& r) {
  static const char* const not_load[] = {"tick", "configure", "stats", "dump", "reply", "empty"};
  return r.side == "nic" && r.count > 0 &&
         std::none_of(std::begin(not_load), std::end(not_load),
                      [&](const char* k) { return r.kind == k; });
}

} // namespace

const cost_table& default_cost_table() {
  static const cost_table t = [] {
    auto parsed = parse_cost_table(internal::app_costs_csv);
    if (!parsed) {
      std::fprintf(stderr, "built-in %s\n", parsed.err().message().c_str());
      std::abort(); // the build embedded a table it cannot read
    }
    return std::move(*parsed);
  }();
  return t;
}

workload apps_workload(const cost_table& t, apps_grain g) {
  // CPU per application per run of its workload: each application's
  // rows are scaled by it, so that every application brings the same
  // demand whatever its measured request rate.
  std::map<std::string, double> cpu;
  for (const auto& r : t.rows)
    if (is_load(r))
      cpu[r.app] += static_cast<double>(r.count) * r.cost.mean_ns();
  workload w{g == apps_grain::kind ? "APPS" : "APPS-ACT", {{0, {}}}};
  std::map<std::string, std::uint32_t> actor_ids;
  std::uint32_t next = 0;
  for (const auto& r : t.rows) {
    if (!is_load(r) || cpu[r.app] <= 0)
      continue;
    std::uint32_t id = next;
    if (g == apps_grain::actor) {
      // One actor per type: rows of the same type share its id, so the
      // simulator's draw of a row is a draw of one of its kinds.
      id = actor_ids.try_emplace(r.actor, next).first->second;
      if (id != next)
        --next;
    }
    ++next;
    w.phases[0].actors.push_back({id, static_cast<double>(r.count) / cpu[r.app], r.cost});
  }
  return w;
}

} // namespace ipipe::sched
