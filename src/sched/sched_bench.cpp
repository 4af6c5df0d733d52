// Scheduler dispatch overhead per message on one core, beside baselines
// measured in the same run. The work is a counter increment, so the
// figures are the dispatch path itself: submit, queue, pick, run, stats.
#include <ipipe/sched/fast_clock.hpp>
#include <ipipe/sched/hybrid_policy.hpp>
#include <ipipe/sched/sim_engine.hpp>
#include <ipipe/sched/thread_engine.hpp>

#include <benchmark/benchmark.h>

#include <deque>
#include <mutex>

using namespace ipipe::sched;

namespace {

struct counter {
  std::uint64_t n = 0;
  void operator()(std::uint64_t a) { n += a; }
};

// Baseline 1: a plain deque push/pop and a direct call of the same work.
void baseline_queue_direct_call(benchmark::State& st) {
  counter work;
  std::deque<work_item> q;
  const work_item item = make_work_item(0, work, 1);
  for (auto _ : st) {
    q.push_back(item);
    const work_item w = q.front();
    q.pop_front();
    w.fn(w.ctx, w.arg);
  }
  benchmark::DoNotOptimize(work.n);
  st.SetItemsProcessed(st.iterations());
}
BENCHMARK(baseline_queue_direct_call);

// Baseline 2: the same with a mutex around push and pop, as any shared
// central queue needs.
void baseline_locked_queue(benchmark::State& st) {
  counter work;
  std::mutex mu;
  std::deque<work_item> q;
  const work_item item = make_work_item(0, work, 1);
  for (auto _ : st) {
    {
      std::lock_guard l{mu};
      q.push_back(item);
    }
    work_item w;
    {
      std::lock_guard l{mu};
      w = q.front();
      q.pop_front();
    }
    w.fn(w.ctx, w.arg);
  }
  benchmark::DoNotOptimize(work.n);
  st.SetItemsProcessed(st.iterations());
}
BENCHMARK(baseline_locked_queue);

// The engine: submit + one dispatch step on core 0 (FCFS actor): stamp,
// central queue, group check, run, two clock reads, statistics batch and
// the management tick check.
void thread_engine_fcfs_dispatch(benchmark::State& st) {
  counter work;
  thread_config c;
  c.policy.cores = 1;
  // Keep it in FCFS: one preempted iteration on a shared machine would
  // otherwise downgrade it and the figure would be the DRR path's.
  c.policy.regroup_actors = false;
  thread_engine e{c};
  (void)e.add_actor(0);
  const work_item item = make_work_item(0, work, 1);
  for (auto _ : st) {
    (void)e.submit(item);
    e.poll(0);
  }
  benchmark::DoNotOptimize(work.n);
  st.SetItemsProcessed(st.iterations());
}
BENCHMARK(thread_engine_fcfs_dispatch);

// The same with the enqueue time already in the item, as when the network
// stack hands over its RX timestamp: one clock read fewer.
void thread_engine_fcfs_dispatch_prestamped(benchmark::State& st) {
  counter work;
  thread_config c;
  c.policy.cores = 1;
  // Keep it in FCFS: one preempted iteration on a shared machine would
  // otherwise downgrade it and the figure would be the DRR path's.
  c.policy.regroup_actors = false;
  thread_engine e{c};
  (void)e.add_actor(0);
  work_item item = make_work_item(0, work, 1);
  item.enqueue_ns = fast_now_ns();
  for (auto _ : st) {
    (void)e.submit(item);
    e.poll(0);
  }
  benchmark::DoNotOptimize(work.n);
  st.SetItemsProcessed(st.iterations());
}
BENCHMARK(thread_engine_fcfs_dispatch_prestamped);

// The cost of one fast_now_ns() read, for reading the figures above.
void clock_read(benchmark::State& st) {
  for (auto _ : st)
    benchmark::DoNotOptimize(fast_now_ns());
}
BENCHMARK(clock_read);

// The same for a DRR actor: mailbox, deficit round robin turn, charge.
void thread_engine_drr_dispatch(benchmark::State& st) {
  counter work;
  thread_config c;
  c.policy.cores = 1;
  c.policy.regroup_actors = false; // keep it in DRR whatever it measures
  thread_engine e{c};
  (void)e.add_actor(0);
  (void)e.set_group(0, group::drr);
  const work_item item = make_work_item(0, work, 1);
  for (auto _ : st) {
    (void)e.submit(item);
    e.poll(0);
  }
  benchmark::DoNotOptimize(work.n);
  st.SetItemsProcessed(st.iterations());
}
BENCHMARK(thread_engine_drr_dispatch);

// Algorithm 1's bookkeeping alone (statistics window + threshold checks).
void policy_bookkeeping(benchmark::State& st) {
  tunables t;
  decision_log log;
  hybrid_policy p{policy_config{}, t, log};
  (void)p.add_actor(0);
  std::uint64_t now = 0;
  for (auto _ : st) {
    p.on_complete(0, 500, 700, now);
    now += 100;
  }
  st.SetItemsProcessed(st.iterations());
}
BENCHMARK(policy_bookkeeping);

// Simulator speed: requests simulated per second of wall time (SBIM2, 0.8).
void sim_sbim2_requests(benchmark::State& st) {
  sim_config c;
  std::uint64_t n = 0;
  for (auto _ : st)
    n += sim_engine{c}.run(sbim2(), 0.8, 10'000'000).records.size();
  st.SetItemsProcessed(static_cast<std::int64_t>(n));
}
BENCHMARK(sim_sbim2_requests)->Unit(benchmark::kMillisecond);

} // namespace

BENCHMARK_MAIN();
