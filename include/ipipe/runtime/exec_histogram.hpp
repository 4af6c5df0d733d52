#pragma once

#include <array>
#include <cstdint>

namespace ipipe::runtime {

/// Execution times of one actor, for its percentiles: log-linear buckets,
/// four per power of two (a percentile is off by at most 12.5 %), whose
/// counts are halved each time their total reaches 2^16, so that recent
/// runs weigh the most. Fixed size: it lives in the actor's table row and
/// adding a sample is a few instructions under the row's lock.
class exec_histogram {
public:
  /// Counts one execution of `ns` nanoseconds.
  void add(std::uint64_t ns) noexcept;
  /// Returns the `permille`-th per mille of what was counted (500: the
  /// median), as the middle of its bucket; 0 if nothing was.
  [[nodiscard]] std::uint64_t percentile(unsigned permille) const noexcept;
  /// Returns the samples counted, after halvings.
  [[nodiscard]] std::uint32_t count() const noexcept { return total_; }

  /// Returns the bucket of `ns`, and the smallest value of bucket `b`.
  [[nodiscard]] static unsigned bucket_of(std::uint64_t ns) noexcept;
  [[nodiscard]] static std::uint64_t bucket_floor(unsigned b) noexcept;
  /// Returns how many values bucket `b` holds.
  [[nodiscard]] static std::uint64_t bucket_width(unsigned b) noexcept;

private:
  static constexpr unsigned sub_bits = 2;
  // Bucket 0..3 hold 0..3; then four for each msb from 2 to 63.
  static constexpr unsigned buckets = (64U - sub_bits + 1) << sub_bits;
  static constexpr std::uint32_t halve_at = 1U << 16;

  std::array<std::uint32_t, buckets> n_{};
  std::uint32_t total_ = 0;
};

} // namespace ipipe::runtime
