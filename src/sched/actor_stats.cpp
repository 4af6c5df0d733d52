#include <ipipe/sched/actor_stats.hpp>

#include <algorithm>
#include <cmath>

namespace ipipe::sched {

actor_stats::actor_stats(std::uint32_t capacity) : ring_(std::max<std::uint32_t>(capacity, 1)) {}

void actor_stats::add(std::uint64_t exec_ns) noexcept {
  if (count_ == ring_.size()) {
    const std::uint64_t old = ring_[head_];
    sum_ -= old;
    sum_sq_ -= static_cast<unsigned __int128>(old) * old;
    above_ -= old > mark_;
  } else {
    ++count_;
  }
  ring_[head_] = exec_ns;
  sum_ += exec_ns;
  sum_sq_ += static_cast<unsigned __int128>(exec_ns) * exec_ns;
  above_ += exec_ns > mark_;
  head_ = head_ + 1 == ring_.size() ? 0 : head_ + 1;
  ++total_;
}

void actor_stats::clear() noexcept {
  head_ = count_ = above_ = 0;
  sum_ = 0;
  sum_sq_ = 0;
}

void actor_stats::keep_newest(std::uint32_t n) noexcept {
  if (n >= count_)
    return;
  // Lay the window out oldest first from index 0, then slide the newest n
  // samples to the front and recompute the sums over them (no allocation).
  if (count_ == ring_.size())
    std::rotate(ring_.begin(), ring_.begin() + head_, ring_.end());
  std::copy(ring_.begin() + (count_ - n), ring_.begin() + count_, ring_.begin());
  count_ = n;
  head_ = n == ring_.size() ? 0 : n;
  sum_ = 0;
  sum_sq_ = 0;
  above_ = 0;
  for (std::uint32_t i = 0; i < n; ++i) {
    sum_ += ring_[i];
    sum_sq_ += static_cast<unsigned __int128>(ring_[i]) * ring_[i];
    above_ += ring_[i] > mark_;
  }
}

void actor_stats::set_mark(std::uint64_t mark_ns) noexcept {
  if (mark_ns == mark_)
    return;
  mark_ = mark_ns;
  const auto cap = static_cast<std::uint32_t>(ring_.size());
  above_ = 0;
  for (std::uint32_t i = 0; i < count_; ++i)
    above_ += ring_[(head_ + cap - 1 - i) % cap] > mark_;
}

std::uint64_t actor_stats::mean_ns() const noexcept {
  return count_ ? sum_ / count_ : 0;
}

std::uint64_t actor_stats::sigma_ns() const noexcept {
  if (count_ < 2)
    return 0;
  // n * sum_sq - sum^2 is n^2 * variance, computed exactly in integers.
  const unsigned __int128 n = count_;
  const unsigned __int128 s = sum_;
  const unsigned __int128 num = n * sum_sq_ - s * s;
  const long double var = static_cast<long double>(num) / static_cast<long double>(n * n);
  return static_cast<std::uint64_t>(std::sqrt(var));
}

namespace {

// Sign of (mean + 3 sigma) - t, times n: compares 3 sqrt(nQ - S^2) with
// nt - S, squaring both sides once the signs are known.
int tail_cmp(std::uint64_t n64, std::uint64_t sum, unsigned __int128 sum_sq, std::uint64_t t) {
  using u128 = unsigned __int128;
  const u128 n = n64;
  const u128 s = sum;
  const u128 nt = n * t;
  if (s > nt)
    return 1;                                   // the mean alone is above
  const u128 spread = 9 * (n * sum_sq - s * s); // (3 n sigma)^2
  const u128 gap = (nt - s) * (nt - s);         // (n (t - mean))^2
  return spread > gap ? 1 : spread < gap ? -1 : 0;
}

} // namespace

bool actor_stats::tail_above(std::uint64_t thresh_ns) const noexcept {
  return count_ > 0 && tail_cmp(count_, sum_, sum_sq_, thresh_ns) > 0;
}

bool actor_stats::tail_below(std::uint64_t thresh_ns) const noexcept {
  return count_ > 0 && tail_cmp(count_, sum_, sum_sq_, thresh_ns) < 0;
}

} // namespace ipipe::sched
