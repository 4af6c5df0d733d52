// DT as offload-bench deploys it (scripts/offload-bench): one coordinator,
// two participants with their logs on the host, 10000 accounts, on the
// in-process deployment of the DT tests (a NIC and a host runtime per
// node, a simulated network and clock). 16 clients keep one transfer of
// 1..100 between two random accounts outstanding each, as ipipe-bench's
// DT workload sends them.
#include <benchmark/benchmark.h>

#include "dt/sim.hpp"
#include "timed_actor.hpp"

namespace {

using namespace ipipe::apps::dt::testing;

void dt_workload(benchmark::State& state) {
  std::uint64_t ops = 0;
  ipipe::apps::costs::cost_recorder::get().begin_run();
  for (auto _ : state) {
    cluster c("costs", 1, 2, 10000, 1'000'000);
    for (int i = 0; i < 16; ++i)
      (void)c.add_client();
    (void)c.run_load(static_cast<std::uint64_t>(state.range(0)), 100, [] {});
    ops += c.outcomes().size();
  }
  state.counters["client_ops"] = static_cast<double>(ops);
}

} // namespace

BENCHMARK(dt_workload)->Arg(3000)->Iterations(1)->Unit(benchmark::kMillisecond);
