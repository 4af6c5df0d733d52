#pragma once

#include <cstdint>
#include <limits>
#include <vector>

namespace ipipe::sched {

/// Execution-time statistics of one actor over a sliding window of its last
/// `capacity` requests.
///
/// The tail estimate is mean + 3 sigma (population sigma) of the window, the
/// estimator the paper's bookkeeping step uses and the one reported in
/// `ipipe_actor_info.tail_ns`. A window counted in requests, not in time,
/// makes the estimate equally fresh for a 0.5 us actor and a 500 us actor,
/// and costs O(1) per sample. Sums are exact integers (the square sum is
/// 128-bit), so the result never drifts and is identical on every run.
class actor_stats {
public:
  /// Creates an empty window of `capacity` samples (at least 1).
  explicit actor_stats(std::uint32_t capacity = 64);

  /// Adds one execution time, evicting the oldest sample when full.
  void add(std::uint64_t exec_ns) noexcept;

  /// Forgets every sample.
  void clear() noexcept;

  /// Forgets every sample but the newest `n` (a change point: the older
  /// ones describe behaviour the actor no longer has).
  void keep_newest(std::uint32_t n) noexcept;

  /// Sets the mark that above_mark() counts against, recounting the window
  /// if it changed (O(window) then, O(1) when it did not).
  void set_mark(std::uint64_t mark_ns) noexcept;

  /// Returns the number of samples in the window.
  [[nodiscard]] std::uint32_t count() const noexcept { return count_; }
  /// Returns the window capacity.
  [[nodiscard]] std::uint32_t capacity() const noexcept {
    return static_cast<std::uint32_t>(ring_.size());
  }
  /// Returns the mean of the window in ns, 0 when empty.
  [[nodiscard]] std::uint64_t mean_ns() const noexcept;
  /// Returns the population standard deviation of the window in ns.
  [[nodiscard]] std::uint64_t sigma_ns() const noexcept;
  /// Returns mean + 3 sigma in ns, 0 when empty.
  [[nodiscard]] std::uint64_t tail_ns() const noexcept { return mean_ns() + 3 * sigma_ns(); }
  /// Returns true if mean + 3 sigma > `thresh_ns`, compared exactly in
  /// integers (no square root: this runs after every request).
  [[nodiscard]] bool tail_above(std::uint64_t thresh_ns) const noexcept;
  /// Returns true if mean + 3 sigma < `thresh_ns`, compared exactly.
  [[nodiscard]] bool tail_below(std::uint64_t thresh_ns) const noexcept;
  /// Returns the number of samples ever added.
  [[nodiscard]] std::uint64_t total() const noexcept { return total_; }
  /// Returns how many samples of the window are above the mark (set_mark).
  [[nodiscard]] std::uint32_t above_mark() const noexcept { return above_; }

private:
  std::vector<std::uint64_t> ring_;
  std::uint32_t head_ = 0;
  std::uint32_t count_ = 0;
  std::uint64_t total_ = 0;
  std::uint64_t mark_ = std::numeric_limits<std::uint64_t>::max();
  std::uint32_t above_ = 0;
  std::uint64_t sum_ = 0;
  unsigned __int128 sum_sq_ = 0;
};

} // namespace ipipe::sched
