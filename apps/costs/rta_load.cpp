// RTA as offload-bench deploys it (scripts/offload-bench): the filter, two
// count actors and the rank actor on one node, the filter's default
// configuration (100 ms windows, lateness 1, top 10), fed the seeded tweet
// stream as ipipe-bench's RTA workload sends it (tools/bench/rta_workload.hpp):
// a tweet every 100 us of event time, and every 100th request a query for
// the window lateness + 2 behind the newest tweet.
#include <benchmark/benchmark.h>

#include "rta/sim.hpp"
#include "timed_actor.hpp"

namespace {

using namespace ipipe::apps::rta;
using namespace ipipe::apps::rta::testing;

void rta_workload(benchmark::State& state) {
  std::uint64_t tweets = 0;
  std::uint64_t queries = 0;
  ipipe::apps::costs::cost_recorder::get().begin_run();
  for (auto _ : state) {
    const filter_config cfg;
    node n(cfg, 2);
    (void)n.configure();
    const stream s({.seed = 1, .base_us = 5'000'000, .gap_us = 100});
    const std::uint64_t first = window_of(s.params().base_us, cfg.window_us);
    std::uint64_t next = 0;
    for (std::int64_t r = 0; r < state.range(0); ++r) {
      const std::uint64_t newest = next ? window_of(s.at(next - 1).time_us, cfg.window_us) : 0;
      if ((r + 1) % 100 == 0 && next > 0 && newest >= first + cfg.lateness + 2) {
        n.submit(rank_id, query_request(newest - cfg.lateness - 2),
                 static_cast<std::uint64_t>(r) + 1);
        ++queries;
      } else {
        n.submit(filter_id, encode(s.at(next++)), static_cast<std::uint64_t>(r) + 1);
        ++tweets;
      }
      // Batches of 32 let the pipeline's messages interleave as in a node
      // with requests in flight.
      if (r % 32 == 31) {
        n.settle();
        (void)n.take(client_ep);
      }
    }
    n.settle();
  }
  state.counters["tweets"] = static_cast<double>(tweets);
  state.counters["queries"] = static_cast<double>(queries);
}

} // namespace

BENCHMARK(rta_workload)->Arg(50000)->Iterations(1)->Unit(benchmark::kMillisecond);
