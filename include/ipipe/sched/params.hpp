#pragma once

#include <atomic>
#include <cstdint>

namespace ipipe::sched {

/// The run-time tunable thresholds of the hybrid scheduler.
///
/// Field names and units follow `struct ipipe_admin_cmd.params` in
/// `uapi/linux/ipipe.h`, so the firmware copies an IPIPE_ADMIN_SET_PARAMS
/// command into this struct without conversion. Defaults are the ones in
/// Documentation/design/scheduler.rst.
struct params {
  /// Tail execution latency (mean + 3 sigma) above which an actor is
  /// downgraded to the DRR group.
  std::uint64_t tail_thresh_ns = 50'000;
  /// Mean FCFS request latency above which the NIC counts as overloaded
  /// and an actor is pushed to the host.
  std::uint64_t mean_thresh_ns = 20'000;
  /// Hysteresis: upgrade below (1 - alpha) * tail_thresh, pull back below
  /// (1 - alpha) * mean_thresh. In thousandths, 0..1000.
  std::uint32_t alpha_permille = 200;
  /// DRR quantum added to an actor's deficit counter at each turn.
  std::uint32_t drr_quantum_ns = 10'000;
  /// Cores in the FCFS group; 0 lets the scheduler size the groups.
  std::uint32_t fcfs_cores = 0;

  friend bool operator==(const params&, const params&) = default;
};

/// The params of a running scheduler, readable and writable from any thread.
///
/// Each field is its own relaxed atomic: a reader may see a mix of old and
/// new fields while set() runs, which is harmless because every decision
/// reads each threshold once and the thresholds are independent.
class tunables {
public:
  /// Creates tunables holding `initial`.
  explicit tunables(const params& initial = {}) noexcept { set(initial, all_fields); }
  tunables(const tunables&) = delete;
  tunables& operator=(const tunables&) = delete;

  /// Mask selecting every field (IPIPE_PARAM_ALL).
  static constexpr std::uint32_t all_fields = (1U << 5) - 1;

  /// Copies the fields of `p` selected by `mask` (IPIPE_PARAM_* bits).
  /// Alpha is clamped to 1000.
  void set(const params& p, std::uint32_t mask) noexcept;

  /// Returns a copy of the current values.
  [[nodiscard]] params get() const noexcept;

  /// Returns the tail threshold in ns.
  [[nodiscard]] std::uint64_t tail_thresh_ns() const noexcept {
    return tail_.load(std::memory_order_relaxed);
  }
  /// Returns the mean threshold in ns.
  [[nodiscard]] std::uint64_t mean_thresh_ns() const noexcept {
    return mean_.load(std::memory_order_relaxed);
  }
  /// Returns alpha in thousandths.
  [[nodiscard]] std::uint32_t alpha_permille() const noexcept {
    return alpha_.load(std::memory_order_relaxed);
  }
  /// Returns the DRR quantum in ns.
  [[nodiscard]] std::uint32_t drr_quantum_ns() const noexcept {
    return quantum_.load(std::memory_order_relaxed);
  }
  /// Returns the fixed FCFS core count, or 0 for automatic sizing.
  [[nodiscard]] std::uint32_t fcfs_cores() const noexcept {
    return fcfs_cores_.load(std::memory_order_relaxed);
  }

  /// Returns `thresh` scaled by (1 - alpha), the hysteresis floor.
  [[nodiscard]] std::uint64_t lower(std::uint64_t thresh) const noexcept {
    return thresh * (1000 - alpha_permille()) / 1000;
  }

private:
  std::atomic<std::uint64_t> tail_{0};
  std::atomic<std::uint64_t> mean_{0};
  std::atomic<std::uint32_t> alpha_{0};
  std::atomic<std::uint32_t> quantum_{0};
  std::atomic<std::uint32_t> fcfs_cores_{0};
};

} // namespace ipipe::sched
