#include "histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace ipipe::bench {

namespace {

// Values below 2^sub_bits have their own buckets; above, each octave
// [2^m, 2^(m+1)) has `half` buckets, the value shifted right by
// (m - sub_bits + 1) bits picking one.
std::size_t buckets_for(unsigned sub_bits) {
  const std::size_t half = std::size_t{1} << (sub_bits - 1);
  return (64 - sub_bits + 2) * half;
}

} // namespace

histogram::histogram(unsigned sub_bits)
    : sub_bits_(std::clamp(sub_bits, 2u, 16u)), counts_(buckets_for(sub_bits_)) {}

std::size_t histogram::bucket_of(std::uint64_t v) const noexcept {
  if (v < (std::uint64_t{1} << sub_bits_))
    return static_cast<std::size_t>(v);
  const unsigned msb = 63 - static_cast<unsigned>(std::countl_zero(v));
  const unsigned shift = msb - (sub_bits_ - 1);
  const std::uint64_t half = std::uint64_t{1} << (sub_bits_ - 1);
  const std::uint64_t top = v >> shift; // in [half, 2 * half)
  return static_cast<std::size_t>((shift + 1) * half + (top - half));
}

std::uint64_t histogram::bucket_high(std::size_t b) const noexcept {
  const std::uint64_t half = std::uint64_t{1} << (sub_bits_ - 1);
  if (b < 2 * half)
    return b;
  const std::uint64_t shift = b / half - 1;
  const std::uint64_t top = half + b % half;
  const std::uint64_t low = top << shift;
  return low + ((std::uint64_t{1} << shift) - 1);
}

void histogram::record(std::uint64_t v) noexcept {
  ++counts_[bucket_of(v)];
  if (count_ == 0 || v < min_)
    min_ = v;
  max_ = std::max(max_, v);
  ++count_;
  sum_ += static_cast<long double>(v);
}

void histogram::merge(const histogram& o) noexcept {
  if (o.count_ == 0 || o.sub_bits_ != sub_bits_)
    return;
  for (std::size_t i = 0; i < counts_.size(); ++i)
    counts_[i] += o.counts_[i];
  min_ = count_ == 0 ? o.min_ : std::min(min_, o.min_);
  max_ = std::max(max_, o.max_);
  count_ += o.count_;
  sum_ += o.sum_;
}

void histogram::clear() noexcept {
  std::fill(counts_.begin(), counts_.end(), 0);
  count_ = min_ = max_ = 0;
  sum_ = 0;
}

double histogram::mean() const noexcept {
  return count_ ? static_cast<double>(sum_ / static_cast<long double>(count_)) : 0.0;
}

std::uint64_t histogram::percentile(double p) const noexcept {
  if (count_ == 0)
    return 0;
  p = std::clamp(p, 0.0, 100.0);
  auto rank = static_cast<std::uint64_t>(std::ceil(p / 100.0 * static_cast<double>(count_) - 1e-9));
  rank = std::clamp<std::uint64_t>(rank, 1, count_);
  std::uint64_t seen = 0;
  for (std::size_t b = 0; b < counts_.size(); ++b) {
    seen += counts_[b];
    if (seen >= rank)
      return std::min(bucket_high(b), max_);
  }
  return max_;
}

} // namespace ipipe::bench
