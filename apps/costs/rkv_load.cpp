// RKV under ipipe-bench's default RKV workload (tools/bench/rkv_workload.hpp:
// 80% GET, 18% PUT, 2% DEL over 1000 keys, 64-byte values), on the
// in-process three-replica cluster of the RKV tests (a NIC and a host
// runtime per replica, a simulated network and clock, memtables flushing
// at 1 MiB), 16 clients with one request outstanding each.
#include <benchmark/benchmark.h>

#include "rkv/sim.hpp"
#include "timed_actor.hpp"
#include <random>
#include <string>

namespace {

using namespace ipipe::apps::rkv::testing;

void rkv_workload(benchmark::State& state) {
  std::uint64_t ops = 0;
  ipipe::apps::costs::cost_recorder::get().begin_run();
  for (auto _ : state) {
    cluster c("costs", 1);
    std::vector<std::size_t> clients;
    for (int i = 0; i < 16; ++i)
      clients.push_back(c.add_client());
    (void)c.run_until([&] { return c.leader().has_value(); }, 2000);
    std::mt19937_64 rng{7};
    const std::string value(64, 'v');
    for (std::int64_t s = 0; s < state.range(0); ++s) {
      for (auto i : clients) {
        if (!c.idle(i))
          continue;
        const std::string key = "k" + std::to_string(rng() % 1000);
        const auto mix = rng() % 100;
        c.issue(i, mix < 80 ? get(key) : mix < 98 ? put(key, value) : del(key));
      }
      c.step();
    }
    ops += c.answered();
  }
  state.counters["client_ops"] = static_cast<double>(ops);
}

} // namespace

// Steps are simulated milliseconds; 6000 take about a second here.
BENCHMARK(rkv_workload)->Arg(6000)->Iterations(1)->Unit(benchmark::kMillisecond);
