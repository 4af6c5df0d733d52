#pragma once

#include <ipipe/sched/decision.hpp>
#include <ipipe/sched/hybrid_policy.hpp>
#include <ipipe/sched/params.hpp>
#include <ipipe/sched/workload.hpp>

#include <cstdint>
#include <functional>
#include <limits>
#include <vector>

namespace ipipe::sched {

/// Scheduling discipline simulated on the NIC cores. Only `hybrid` runs
/// hybrid_policy; the others are the baselines of the scheduler study.
enum class discipline : std::uint8_t {
  /// ipipe: FCFS + DRR groups driven by hybrid_policy (Algorithm 1).
  hybrid,
  /// One central queue, run to completion.
  c_fcfs,
  /// One queue per core, requests spread uniformly at random (RSS).
  d_fcfs,
  /// Every actor and every core in the DRR group.
  drr_only,
  /// Central queue, round robin with a preemption quantum and cost.
  ps,
  /// Perséphone's DARC: cores reserved for requests of short types (by
  /// the type's mean cost), which may also use any idle core; requests of
  /// long types never use reserved cores.
  darc,
};

/// Returns "hybrid", "c-FCFS", "d-FCFS", "DRR", "PS" or "DARC".
[[nodiscard]] const char* to_string(discipline d) noexcept;

/// Configuration of a simulated NIC (and its host).
struct sim_config {
  /// Discipline of the NIC cores.
  discipline disc = discipline::hybrid;
  /// Seed of the arrival, mix and RSS random streams.
  std::uint64_t seed = 1;
  /// Policy configuration; policy.cores is the number of NIC cores.
  policy_config policy;
  /// Initial thresholds; change them during a run through tick_hook.
  params initial;
  /// Host cores absorbing pushed actors; 0 means no host (no migration).
  std::uint32_t host_cores = 0;
  /// Host core speed relative to a NIC core, in thousandths.
  std::uint32_t host_speed_permille = 2000;
  /// One-way NIC <-> host message latency (PCIe and ring).
  std::uint64_t host_link_ns = 5'000;
  /// Time a migration takes; the actor's requests are buffered meanwhile.
  std::uint64_t migrate_ns = 500'000;
  /// DRR lanes per actor: how many DRR cores may serve one actor at once
  /// (each lane is a DRR entry with its own deficit); 0 means one per core.
  /// 1 gives exclusive turns and per-actor execution order.
  std::uint32_t drr_lanes = 0;
  /// A core with nothing to do runs the newest request of a DRR actor whose
  /// mailbox received this many requests since its DRR lanes last completed
  /// one (a probe of its current cost); 0 disables probes. Needs lanes > 1.
  std::uint32_t probe_burst = 16;
  /// Processor-sharing quantum.
  std::uint64_t ps_quantum_ns = 5'000;
  /// Processor-sharing cost of each preemption (core busy, no progress).
  std::uint64_t ps_preempt_ns = 1'000;
  /// DARC reserved cores; 0 sizes them from the offered short demand.
  std::uint32_t darc_reserved = 0;
  /// Requests whose service time is at most this are "short" (the
  /// short-request metrics), and so are types whose mean is (DARC).
  std::uint64_t short_ns = 10'000;
  /// After arrivals stop, how long the simulation may drain; requests
  /// still unfinished then are recorded as censored.
  std::uint64_t drain_ns = 50'000'000;
  /// Called at every decision window, before the policy's tick, with the
  /// virtual time and the live thresholds (run-time tuning in tests).
  std::function<void(std::uint64_t, tunables&)> tick_hook;
};

/// Outcome of one request.
struct request_record {
  /// Arrival time in virtual ns.
  std::uint64_t arrival_ns = 0;
  /// Arrival to completion (censored at the end time when unfinished).
  std::uint64_t latency_ns = 0;
  /// Execution time on a NIC core.
  std::uint64_t service_ns = 0;
  /// Destination actor.
  std::uint32_t actor = 0;
  /// Served by the host.
  bool host = false;
  /// Not finished when the simulation ended.
  bool unfinished = false;

  friend bool operator==(const request_record&, const request_record&) = default;
};

/// Which records a statistic covers.
struct record_filter {
  /// Only requests arriving at or after this time.
  std::uint64_t from_ns = 0;
  /// Only requests arriving before this time.
  std::uint64_t to_ns = std::numeric_limits<std::uint64_t>::max();
  /// Only requests with service_ns <= short_ns.
  bool short_only = false;
  /// The short/long boundary for short_only.
  std::uint64_t short_ns = 10'000;
};

/// Everything a simulation run produced.
struct sim_result {
  /// One record per request, in arrival order.
  std::vector<request_record> records;
  /// The policy's decisions in order (hybrid only).
  std::vector<decision> decisions;
  /// Virtual time at which the run stopped.
  std::uint64_t end_ns = 0;
  /// Requests executed on the NIC.
  std::uint64_t nic_done = 0;
  /// Requests executed on the host.
  std::uint64_t host_done = 0;

  /// Returns the q-quantile (0..1) of latency / service over `f`, 0 if empty.
  [[nodiscard]] double slowdown_quantile(double q, const record_filter& f = {}) const;
  /// Returns the q-quantile of latency in ns over `f`, 0 if empty.
  [[nodiscard]] std::uint64_t latency_quantile(double q, const record_filter& f = {}) const;
  /// Returns how many decisions of kind `k` were taken.
  [[nodiscard]] std::size_t count(decision_kind k) const noexcept;
};

/// A deterministic discrete-event simulation of N NIC cores in virtual time.
///
/// Events are ordered by (time, sequence number) and every random draw
/// comes from one seeded std::mt19937_64 through our own transforms, so the
/// same config, workload and seed give identical records and decisions on
/// every run and every machine with the same libm. Dispatch and management
/// cost nothing in virtual time; the management core's tick runs at each
/// window boundary.
class sim_engine {
public:
  /// Creates an engine; nothing runs until run().
  explicit sim_engine(sim_config cfg) : cfg_(std::move(cfg)) {}

  /// Simulates open-loop Poisson arrivals of `w` for `duration_ns` at
  /// `load` times the NIC capacity of the first phase (cores / mean service).
  [[nodiscard]] sim_result run(const workload& w, double load, std::uint64_t duration_ns) const;

  /// Simulates exactly the given requests (sorted by arrival).
  [[nodiscard]] sim_result run(const std::vector<scripted_request>& trace) const;

  /// Returns the configuration.
  [[nodiscard]] const sim_config& config() const noexcept { return cfg_; }

private:
  sim_config cfg_;
};

} // namespace ipipe::sched
