#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace ipipe::bench {

/// A latency histogram with HDR-style log-linear buckets: values below
/// 2^sub_bits are counted exactly, every power of two above that is split
/// into 2^(sub_bits - 1) equal buckets. A percentile is therefore within a
/// relative error of 2^-(sub_bits - 1) (0.78 % with the default 8) of the
/// exact one, never below it, and the memory is fixed (about 58 KB for the
/// whole u64 range) however many samples are recorded.
class histogram {
public:
  /// Creates an empty histogram; `sub_bits` is 2..16.
  explicit histogram(unsigned sub_bits = 8);

  /// Counts one value.
  void record(std::uint64_t v) noexcept;
  /// Adds every count of `o` (same sub_bits).
  void merge(const histogram& o) noexcept;
  /// Forgets every value.
  void clear() noexcept;

  /// Returns the number of recorded values.
  [[nodiscard]] std::uint64_t count() const noexcept { return count_; }
  /// Returns the smallest recorded value (0 if empty).
  [[nodiscard]] std::uint64_t min() const noexcept { return count_ ? min_ : 0; }
  /// Returns the largest recorded value (0 if empty).
  [[nodiscard]] std::uint64_t max() const noexcept { return max_; }
  /// Returns the mean of the recorded values (exact; 0 if empty).
  [[nodiscard]] double mean() const noexcept;
  /// Returns the value at percentile `p` (0..100) by the nearest-rank rule
  /// (the ceil(p/100 * count)-th smallest, at least the first): the highest
  /// value of its bucket, clamped to max(). 0 if empty.
  [[nodiscard]] std::uint64_t percentile(double p) const noexcept;

  /// Returns the bucket index of `v`.
  [[nodiscard]] std::size_t bucket_of(std::uint64_t v) const noexcept;
  /// Returns the highest value that falls into bucket `b`.
  [[nodiscard]] std::uint64_t bucket_high(std::size_t b) const noexcept;

private:
  unsigned sub_bits_;
  std::vector<std::uint64_t> counts_;
  std::uint64_t count_ = 0;
  std::uint64_t min_ = 0;
  std::uint64_t max_ = 0;
  long double sum_ = 0;
};

} // namespace ipipe::bench
