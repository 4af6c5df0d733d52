// Service time of each application actor's handler, per message kind, as
// the actors run in their runtimes under the applications' own workloads
// (rkv_load.cpp, dt_load.cpp, rta_load.cpp). The scheduler study's APPS
// workloads read the table this writes (src/sched/app_costs.csv):
//
//   app_cost_bench [--cost_table=FILE] [google benchmark flags]
//
// Every handle() call of every actor is timed in thread CPU time
// (timed_actor.hpp). The timing floor, in the same run, is an empty
// handler timed the same way (the baseline benchmark); its median is taken
// off every sample, and the runtime's own cost of running a message
// (runtime_dispatch) is added to it: together, what a core spends on it. Each benchmark runs
// --benchmark_repetitions times (5 unless given); each column of the table is the least value of
// the runs (cost_report.hpp says why).
#include <ipipe/runtime/actor_registry.hpp>
#include <ipipe/runtime/runtime.hpp>
#include <ipipe/sched/thread_engine.hpp>

#include <benchmark/benchmark.h>

#include "cost_report.hpp"
#include "dt/dt.hpp"
#include "dt/internal.hpp"
#include "rkv/internal.hpp"
#include "rkv/rkv.hpp"
#include "rta/internal.hpp"
#include "rta/rta.hpp"
#include "timed_actor.hpp"
#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

using namespace ipipe;

constexpr const char* noop_type = "cost_noop";   // timed: the timing floor
constexpr const char* plain_type = "cost_plain"; // not timed: the runtime's dispatch

struct noop_actor final : runtime::actor {
  expected<void> init(runtime::actor_context&) override { return {}; }
  void handle(runtime::actor_context&, const runtime::message&) override {}
};

// The timing floor: the timed wrapper around a handler that does nothing.
void baseline(benchmark::State& state) {
  runtime::runtime rt({.side = IPIPE_LOC_NIC});
  (void)rt.create_actor({.type = noop_type, .id = 1});
  const std::vector<std::byte> p{std::byte{1}};
  for (auto _ : state) {
    rt.submit(runtime::message::make(IPIPE_MSG_REQUEST, 1, 0, 1, p));
    rt.run_until_idle();
  }
}

// Our wrappers must take the applications' type names before the
// applications register them (their register_actors() ignores a name
// that is taken).
void time_every_actor() {
  using apps::costs::register_timed;
  register_timed(noop_type, [] { return std::make_unique<noop_actor>(); });
  (void)runtime::actor_registry::add(plain_type, [] { return std::make_unique<noop_actor>(); });
  register_timed(apps::rkv::consensus_type, apps::rkv::internal::make_consensus);
  register_timed(apps::rkv::memtable_type, apps::rkv::internal::make_memtable);
  register_timed(apps::rkv::sstable_type, apps::rkv::internal::make_sstable);
  register_timed(apps::dt::coordinator_type, apps::dt::internal::make_coordinator);
  register_timed(apps::dt::participant_type, apps::dt::internal::make_participant);
  register_timed(apps::dt::log_type, apps::dt::internal::make_log);
  register_timed(apps::rta::filter_type, apps::rta::internal::make_filter);
  register_timed(apps::rta::count_type, apps::rta::internal::make_count);
  register_timed(apps::rta::rank_type, apps::rta::internal::make_rank);
}

BENCHMARK(baseline);

// The runtime's own share of every message a core runs: execute() of the
// same empty handler, not timed inside. It is added to every handler
// time, as a core pays it before each handler.
std::uint64_t dispatch_ns = 0;

void runtime_dispatch(benchmark::State& state) {
  runtime::runtime rt({.side = IPIPE_LOC_NIC});
  const auto id = rt.create_actor({.type = plain_type, .id = 1}).value();
  const auto m =
      runtime::message::make(IPIPE_MSG_REQUEST, id, 0, 1, std::vector<std::byte>{std::byte{1}});
  const std::uint64_t t0 = sched::thread_cpu_ns();
  for (auto _ : state)
    benchmark::DoNotOptimize(rt.execute(id, m));
  const std::uint64_t per =
      (sched::thread_cpu_ns() - t0) / std::max<std::uint64_t>(state.iterations(), 1);
  dispatch_ns = dispatch_ns == 0 ? per : std::min(dispatch_ns, per); // the least of the repetitions
}
BENCHMARK(runtime_dispatch);

// The median of the empty handler's samples.
std::uint64_t floor_of(const std::vector<apps::costs::cost_run>& runs) {
  std::vector<std::uint64_t> v;
  for (const auto& run : runs)
    if (auto it = run.find({noop_type, IPIPE_LOC_NIC, 1}); it != run.end())
      v.insert(v.end(), it->second.ns.begin(), it->second.ns.end());
  if (v.empty())
    return 0;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
  return v[v.size() / 2];
}

} // namespace

int main(int argc, char** argv) {
  const char* table = nullptr;
  std::vector<char*> args;
  int reps = 0;
  for (int i = 0; i < argc; ++i) {
    if (std::strncmp(argv[i], "--cost_table=", 13) == 0)
      table = argv[i] + 13;
    else
      args.push_back(argv[i]);
    if (std::strncmp(argv[i], "--benchmark_repetitions=", 24) == 0)
      reps = std::atoi(argv[i] + 24);
  }
  char five[] = "--benchmark_repetitions=5";
  if (reps == 0) {
    args.push_back(five);
    reps = 5;
  }
  int n = static_cast<int>(args.size());
  time_every_actor();
  benchmark::Initialize(&n, args.data());
  if (benchmark::ReportUnrecognizedArguments(n, args.data()))
    return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();

  auto runs = apps::costs::cost_recorder::get().take();
  const std::uint64_t floor = floor_of(runs);
  std::vector<std::map<apps::costs::cost_key, apps::costs::cost_row>> rows;
  for (auto& run : runs) {
    run.erase({noop_type, IPIPE_LOC_NIC, 1});
    if (!run.empty())
      rows.push_back(apps::costs::summarise(std::move(run), floor, dispatch_ns));
  }
  std::FILE* csv = table ? std::fopen(table, "w") : nullptr;
  if (table && !csv) {
    std::fprintf(stderr, "app_cost_bench: cannot write %s: %s\n", table, std::strerror(errno));
    return 1;
  }
  const std::string note = "thread CPU ns per message: the handler, less the timing floor (" +
                           std::to_string(floor) + " ns), plus the runtime's dispatch (" +
                           std::to_string(dispatch_ns) + " ns); the least of " +
                           std::to_string(reps) + " runs of each workload per column";
  apps::costs::report(apps::costs::least_of(rows), note.c_str(), csv);
  if (csv && std::fclose(csv) != 0) {
    std::fprintf(stderr, "app_cost_bench: writing %s failed\n", table);
    return 1;
  }
  return 0;
}
