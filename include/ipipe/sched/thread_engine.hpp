#pragma once

#include <ipipe/common/expected.hpp>
#include <ipipe/sched/drr_queue.hpp>
#include <ipipe/sched/fifo.hpp>
#include <ipipe/sched/hybrid_policy.hpp>
#include <ipipe/sched/work_item.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace ipipe::sched {

/// Returns the calling thread's CPU time in ns (CLOCK_THREAD_CPUTIME_ID):
/// an exec_clock that OS preemption does not advance; costs a system call.
[[nodiscard]] std::uint64_t thread_cpu_ns() noexcept;

/// Configuration of a thread_engine.
struct thread_config {
  /// Policy configuration; policy.cores is the number of core threads.
  policy_config policy{.cores = 2};
  /// Initial thresholds.
  params initial;
  /// DRR cores that may serve one actor at once (see sim_config::drr_lanes);
  /// 1 keeps each DRR actor's handlers serial and in mailbox order.
  std::uint32_t drr_lanes = 1;
  /// A core with nothing to do runs the newest item of a DRR actor whose
  /// mailbox received this many items since its DRR lanes last completed
  /// one (see sim_config::probe_burst); 0 disables probes. Only with
  /// drr_lanes > 1: a probe runs beside the actor's lanes.
  std::uint32_t probe_burst = 16;
  /// Per-core statistics samples buffered before they reach the policy.
  std::uint32_t sample_batch = 32;
  /// Engine clock in ns (default fast_now_ns); tests substitute a manual clock.
  std::uint64_t (*clock)() noexcept = nullptr;
  /// Clock for handler execution times only, e.g. thread_cpu_ns on a
  /// time-shared host where OS preemption would count as execution; null
  /// uses `clock`. When set, the wall-clock overrun watch is off.
  std::uint64_t (*exec_clock)() noexcept = nullptr;
  /// Emulates cores this many times slower than the machine's, as a
  /// SmartNIC's wimpy cores are beside the host's: every item counts as
  /// taking `core_slowdown` times its measured execution time (in the
  /// statistics the policy sees), and the core sleeps off the difference
  /// once it adds up to a millisecond, so it serves 1/core_slowdown of the
  /// work without burning the machine's CPU on it. 1: the machine's speed.
  double core_slowdown = 1.0;
  /// Receives the items of actors located on the host (after the runtime
  /// called set_location(host)); without it such items are refused.
  std::function<void(const work_item&)> host_forward;
};

/// The hybrid scheduler on real threads: cores are std::threads, FCFS cores
/// pull from one central queue, DRR cores serve per-actor mailboxes with
/// deficit round robin (the group sizes are counts: at most drr_cores()
/// cores run long work at once), and core 0 also runs the management step of
/// hybrid_policy once per decision window. After each request every core
/// also checks the others for an FCFS request running past Tail_thresh
/// (early downgrade). Without host_forward there is nowhere to push, so
/// push and pull are disabled.
///
/// Decisions reach the caller's decision_sink after the engine applied the
/// group and core changes; push and pull are requests: the runtime migrates
/// the actor and then reports it with set_location(). A DRR actor's items
/// start in submission order, and with drr_lanes = 1 they run one at a time.
class thread_engine final : private decision_sink {
public:
  /// Creates an engine with its threads not yet started; `sink` may be null
  /// and must outlive the engine.
  explicit thread_engine(thread_config cfg, decision_sink* sink = nullptr);
  /// Stops the threads (running what is queued) and destroys the engine.
  ~thread_engine() override;
  thread_engine(const thread_engine&) = delete;
  thread_engine& operator=(const thread_engine&) = delete;

  // -- lifecycle ---------------------------------------------------------

  /// Starts one thread per core. Fails with errc::busy if already started.
  [[nodiscard]] expected<void> start();
  /// Closes submission, waits until every queued item ran, joins the threads.
  void stop();
  /// Waits until every item submitted so far has run.
  void drain();

  // -- actors and work ---------------------------------------------------

  /// Registers `actor` (FCFS, on the NIC).
  [[nodiscard]] expected<void> add_actor(std::uint32_t actor, bool pinned = false);
  /// Queues one item; errc::not_found for an unknown actor, errc::closed
  /// after stop(), errc::not_supported for a host actor without host_forward.
  [[nodiscard]] expected<void> submit(work_item item);
  /// Counts an arrival for `actor` that the engine does not queue (a
  /// message forwarded to the host, or shed), so that demand is offered
  /// load and a pushed actor's stays known to the pull-back rule.
  void note_arrival(std::uint32_t actor);
  /// Pins `actor` where it is, or lets the policy migrate it again.
  [[nodiscard]] expected<void> set_pinned(std::uint32_t actor, bool pinned);
  /// Records that the runtime moved `actor` (after a push or pull).
  [[nodiscard]] expected<void> set_location(std::uint32_t actor, location loc);
  /// Moves `actor` to group `g` at once (operator override).
  [[nodiscard]] expected<void> set_group(std::uint32_t actor, group g);

  /// Runs one dispatch step as core `core` on the calling thread; returns
  /// false if there was nothing to run. Only while the threads are not
  /// started (benchmarks, single-threaded tests).
  bool poll(std::uint32_t core);
  /// Runs the management step now, as core 0 would.
  void manage();

  // -- queries -----------------------------------------------------------

  /// Returns the live thresholds; any thread may change them.
  [[nodiscard]] tunables& tuning() noexcept { return tun_; }
  /// Returns the group of `actor` as the dispatcher currently sees it.
  [[nodiscard]] group group_of(std::uint32_t actor);
  /// Returns the FCFS group size.
  [[nodiscard]] std::uint32_t fcfs_cores() const noexcept {
    return fcfs_cores_.load(std::memory_order_relaxed);
  }
  /// Returns the number of items run so far.
  [[nodiscard]] std::uint64_t executed() const noexcept;

private:
  struct sample {
    std::uint32_t actor;
    bool drr; // served by a DRR lane
    std::uint64_t exec_ns;
    std::uint64_t sojourn_ns;
  };
  // State owned by one core; aligned so cores do not share cache lines.
  struct alignas(64) core_state {
    std::vector<sample> samples;            // statistics not yet given to the policy
    std::uint64_t done = 0;                 // items run but not yet added to completed_
    std::uint64_t last_end = 0;             // end of the previous handler on this core
    bool warm = false;                      // this core has run back to back since last_end
    std::int64_t debt_ns = 0;               // core_slowdown: time to sleep off (< 0: credit)
    std::atomic<std::uint64_t> executed{0}; // written by the core only
    // The FCFS request in progress, for core 0's overrun watch: the start
    // time (0 = none) is published after the actor id.
    std::atomic<std::uint32_t> running_actor{0};
    std::atomic<std::uint64_t> running_since{0};
    std::atomic<std::uint64_t> reported_since{0}; // last overrun reported, by any watcher
  };
  struct actor_q {
    bool known = false;
    group grp = group::fcfs;
    location loc = location::nic;
    fifo<work_item> mailbox;
    std::uint32_t arrivals = 0;
    std::uint32_t since_done = 0; // mailbox arrivals since a DRR lane last completed one
    bool probing = false;
  };
  // What a core took from the queues.
  struct taken {
    work_item item;
    bool drr = false;
    bool probe = false;
    std::uint32_t lane = 0;
  };

  void on_decision(const decision& d) override;
  bool pick(std::uint32_t core, taken& t);
  bool to_mailbox(const work_item& w);
  bool take_drr(taken& t);
  bool take_probe(taken* t);
  bool drr_room(std::uint32_t core, std::uint32_t fcfs, bool in_turn) const;
  bool step(std::uint32_t core, std::uint64_t& last_ns);
  std::uint64_t slow_down(core_state& cs, std::uint64_t exec);
  void flush(std::uint32_t core);
  void worker(std::uint32_t core);
  void finished(std::uint64_t n);
  void watch(std::uint32_t self, std::uint64_t now_ns);
  std::uint64_t now() const noexcept { return clock_(); }

  thread_config cfg_;
  std::uint64_t (*clock_)() noexcept;
  decision_sink* user_sink_;
  tunables tun_;
  const std::uint32_t n_;
  const std::uint32_t lanes_;

  std::mutex policy_mu_; // protects policy_ and the tick schedule
  hybrid_policy policy_;
  std::atomic<std::uint64_t> next_tick_{0};

  std::mutex q_mu_; // protects everything below up to the atomics
  std::condition_variable work_cv_;
  std::condition_variable done_cv_;
  fifo<work_item> central_;
  std::vector<actor_q> actors_;
  drr_queue drr_;
  std::uint32_t sleepers_ = 0;
  std::uint32_t drr_running_ = 0; // cores in a DRR turn or running a probe
  bool closed_ = false;
  bool stopping_ = false;
  // Items accepted; compared with completed_ by drain() and stop(). Counted
  // under q_mu_, which submit() holds anyway: no atomic per message.
  std::uint64_t submitted_ = 0;

  std::atomic<std::uint32_t> fcfs_cores_;
  // Items run (or handed to host_forward), added in batches by finished().
  std::atomic<std::uint64_t> completed_{0};
  // poll() mode: the core polled last. When the caller interleaves cores on
  // one thread, one core's "back to back" spans the others' handlers.
  std::atomic<std::uint32_t> last_polled_{~0U};
  std::unique_ptr<core_state[]> cores_;
  std::vector<std::thread> threads_;
};

} // namespace ipipe::sched
