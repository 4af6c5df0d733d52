#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <type_traits>

namespace ipipe::sched {

/// A growable FIFO of trivially copyable values in one power-of-two ring.
///
/// The dispatch path's queues: unlike std::deque, which allocates and frees
/// a block every few hundred bytes of traffic, push_back() and pop_front()
/// never allocate once the ring has grown to the queue's high-water mark.
/// Not thread safe; the engine's queue lock protects it.
template <class T>
class fifo {
  static_assert(std::is_trivially_copyable_v<T>);

public:
  /// Creates an empty FIFO with room for `capacity` values (rounded up to a
  /// power of two, at least 16) before it first grows.
  explicit fifo(std::size_t capacity = 16) { grow_to(capacity < 16 ? 16 : capacity); }
  fifo(fifo&&) noexcept = default;
  fifo& operator=(fifo&&) noexcept = default;

  /// Returns true if the FIFO holds no value.
  [[nodiscard]] bool empty() const noexcept { return head_ == tail_; }
  /// Returns the number of values held.
  [[nodiscard]] std::size_t size() const noexcept {
    return static_cast<std::size_t>(tail_ - head_);
  }
  /// Returns the oldest value; the FIFO must not be empty.
  [[nodiscard]] const T& front() const noexcept { return buf_[head_ & mask_]; }
  /// Returns the newest value; the FIFO must not be empty.
  [[nodiscard]] const T& back() const noexcept { return buf_[(tail_ - 1) & mask_]; }
  /// Returns the `i`-th oldest value (0 = front); `i` must be below size().
  [[nodiscard]] const T& operator[](std::size_t i) const noexcept {
    return buf_[(head_ + i) & mask_];
  }

  /// Appends `v`, doubling the ring when it is full.
  void push_back(const T& v) {
    if (size() == mask_ + 1)
      grow_to(2 * (mask_ + 1));
    buf_[tail_++ & mask_] = v;
  }
  /// Removes the oldest value; the FIFO must not be empty.
  void pop_front() noexcept { ++head_; }
  /// Removes the newest value; the FIFO must not be empty.
  void pop_back() noexcept { --tail_; }
  /// Removes every value.
  void clear() noexcept { head_ = tail_ = 0; }
  /// Removes the values for which `pred` is true, in order, passing each to
  /// `out`; the others keep their order.
  template <class Pred, class Out>
  void extract_if(Pred pred, Out out) {
    std::uint64_t w = head_;
    for (std::uint64_t r = head_; r != tail_; ++r) {
      const T v = buf_[r & mask_];
      if (pred(v))
        out(v);
      else
        buf_[w++ & mask_] = v;
    }
    tail_ = w;
  }

private:
  void grow_to(std::size_t want) {
    std::size_t cap = 1;
    while (cap < want)
      cap <<= 1;
    auto nb = std::make_unique<T[]>(cap);
    const std::size_t n = size();
    for (std::size_t i = 0; i < n; ++i)
      nb[i] = buf_[(head_ + i) & mask_];
    buf_ = std::move(nb);
    mask_ = cap - 1;
    head_ = 0;
    tail_ = n;
  }

  std::unique_ptr<T[]> buf_;
  std::uint64_t mask_ = 0;
  std::uint64_t head_ = 0; // free-running indices; tail_ - head_ = size
  std::uint64_t tail_ = 0;
};

} // namespace ipipe::sched
