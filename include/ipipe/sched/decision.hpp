#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ipipe::sched {

/// What the policy decided.
enum class decision_kind : std::uint8_t {
  /// FCFS -> DRR (IPIPE_EV_ACTOR_DOWNGRADED); value_ns = tail estimate.
  downgrade = 0,
  /// DRR -> FCFS (IPIPE_EV_ACTOR_UPGRADED); value_ns = tail estimate.
  upgrade = 1,
  /// Cores moved between groups; see fcfs_cores and drr_cores.
  regroup = 2,
  /// Migrate the actor NIC -> host (IPIPE_EV_MIGRATE_REQUEST, to = host);
  /// value_ns = FCFS mean latency of the window that triggered it.
  push_to_host = 3,
  /// Migrate the actor host -> NIC; value_ns as for push_to_host.
  pull_to_nic = 4,
};

/// Returns "downgrade", "upgrade", "regroup", "push" or "pull".
[[nodiscard]] const char* to_string(decision_kind k) noexcept;

/// One scheduling decision, as emitted to a decision_sink.
struct decision {
  /// Policy time at which it was taken (engine clock, ns).
  std::uint64_t at_ns = 0;
  /// What was decided.
  decision_kind kind = decision_kind::regroup;
  /// The actor concerned; 0 for regroup.
  std::uint32_t actor_id = 0;
  /// The statistic that triggered it (see decision_kind).
  std::uint64_t value_ns = 0;
  /// FCFS group size after the decision.
  std::uint32_t fcfs_cores = 0;
  /// DRR group size after the decision.
  std::uint32_t drr_cores = 0;

  friend bool operator==(const decision&, const decision&) = default;
};

/// Returns one line describing `d`, e.g. "1.000000 ms downgrade actor 2 (tail 500000 ns)".
[[nodiscard]] std::string to_string(const decision& d);

/// Receives the policy's decisions, in order, on the thread that runs the
/// policy. The firmware raises uapi events and starts migrations from here;
/// engines apply group and core changes. Must not call back into the policy.
class decision_sink {
public:
  virtual ~decision_sink() = default;
  /// Called once per decision.
  virtual void on_decision(const decision& d) = 0;
};

/// A sink that records every decision, for tests and the simulator.
class decision_log final : public decision_sink {
public:
  void on_decision(const decision& d) override { log_.push_back(d); }
  /// Returns the decisions so far.
  [[nodiscard]] const std::vector<decision>& entries() const noexcept { return log_; }
  /// Returns how many decisions of kind `k` were logged.
  [[nodiscard]] std::size_t count(decision_kind k) const noexcept;
  /// Forgets every decision.
  void clear() noexcept { log_.clear(); }

private:
  std::vector<decision> log_;
};

} // namespace ipipe::sched
