#include <ipipe/runtime/exec_histogram.hpp>

#include <algorithm>
#include <bit>

namespace ipipe::runtime {

unsigned exec_histogram::bucket_of(std::uint64_t ns) noexcept {
  constexpr std::uint64_t linear = 1U << sub_bits;
  if (ns < linear)
    return static_cast<unsigned>(ns);
  const unsigned msb = 63U - static_cast<unsigned>(std::countl_zero(ns));
  const auto mantissa = static_cast<unsigned>((ns >> (msb - sub_bits)) & (linear - 1));
  return ((msb - sub_bits + 1) << sub_bits) + mantissa;
}

std::uint64_t exec_histogram::bucket_floor(unsigned b) noexcept {
  constexpr unsigned linear = 1U << sub_bits;
  if (b < linear)
    return b;
  const unsigned msb = (b >> sub_bits) + sub_bits - 1;
  return (std::uint64_t{linear} + (b & (linear - 1))) << (msb - sub_bits);
}

std::uint64_t exec_histogram::bucket_width(unsigned b) noexcept {
  constexpr unsigned linear = 1U << sub_bits;
  if (b < linear)
    return 1;
  const unsigned msb = (b >> sub_bits) + sub_bits - 1;
  return std::uint64_t{1} << (msb - sub_bits);
}

void exec_histogram::add(std::uint64_t ns) noexcept {
  if (total_ + 1 >= halve_at) {
    total_ = 0;
    for (auto& n : n_) {
      n /= 2;
      total_ += n;
    }
  }
  ++n_[bucket_of(ns)];
  ++total_;
}

std::uint64_t exec_histogram::percentile(unsigned permille) const noexcept {
  if (total_ == 0)
    return 0;
  // The sample of rank ceil(total * permille / 1000), counting from 1.
  const std::uint64_t rank =
      std::max<std::uint64_t>(1, (std::uint64_t{total_} * permille + 999) / 1000);
  std::uint64_t seen = 0;
  for (unsigned b = 0; b < buckets; ++b) {
    seen += n_[b];
    if (seen >= rank)
      return bucket_floor(b) + bucket_width(b) / 2;
  }
  return bucket_floor(buckets - 1);
}

} // namespace ipipe::runtime
