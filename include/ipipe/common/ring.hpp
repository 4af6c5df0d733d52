#pragma once

#include <linux/ipipe.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <type_traits>

namespace ipipe {

/// Returns the bytes a ring with `entries` descriptors of `Desc` needs
/// before its payload area: header, then the descriptor array.
template <class Desc>
[[nodiscard]] constexpr std::size_t ring_desc_bytes(std::uint32_t entries) noexcept {
  return IPIPE_RING_DESC_OFF + std::size_t{entries} * sizeof(Desc);
}

/// Returns true if `n` is a power of two in [min, max].
[[nodiscard]] constexpr bool ring_entries_valid(std::uint32_t n, std::uint32_t min,
                                                std::uint32_t max) noexcept {
  return n >= min && n <= max && (n & (n - 1)) == 0;
}

namespace internal {

inline std::uint32_t load_acquire(const std::uint32_t& v) noexcept {
  return std::atomic_ref<const std::uint32_t>(v).load(std::memory_order_acquire);
}
inline std::uint32_t load_relaxed(const std::uint32_t& v) noexcept {
  return std::atomic_ref<const std::uint32_t>(v).load(std::memory_order_relaxed);
}
inline void store_release(std::uint32_t& v, std::uint32_t x) noexcept {
  std::atomic_ref<std::uint32_t>(v).store(x, std::memory_order_release);
}
inline void store_relaxed(std::uint32_t& v, std::uint32_t x) noexcept {
  std::atomic_ref<std::uint32_t>(v).store(x, std::memory_order_relaxed);
}

} // namespace internal

/// A view of a ring in shared memory (struct ipipe_ring_hdr followed by a
/// descriptor array), the layout of uapi/linux/ipipe.h.
///
/// The number of entries is the one agreed at creation and passed in here;
/// the copy in the shared header is never trusted. One ring_producer and one
/// ring_consumer may use the same memory from different threads or
/// processes. Descriptors are copied in and out whole, so the consumer reads
/// each untrusted descriptor exactly once.
template <class Desc>
class ring_view {
  static_assert(std::is_trivially_copyable_v<Desc>);

public:
  ring_view() noexcept = default;
  ring_view(void* base, std::uint32_t entries) noexcept
      : hdr_(static_cast<ipipe_ring_hdr*>(base)),
        desc_(reinterpret_cast<Desc*>(static_cast<std::byte*>(base) + IPIPE_RING_DESC_OFF)),
        mask_(entries - 1) {}

  /// Writes a fresh header: zero indices, the geometry, no flags.
  void format() noexcept {
    std::memset(static_cast<void*>(hdr_), 0, sizeof(*hdr_));
    hdr_->entries = mask_ + 1;
    hdr_->desc_size = sizeof(Desc);
  }

  /// Returns the number of descriptor slots.
  [[nodiscard]] std::uint32_t entries() const noexcept { return mask_ + 1; }
  /// Returns the shared header.
  [[nodiscard]] ipipe_ring_hdr* header() const noexcept { return hdr_; }
  /// Returns slot `i & mask`.
  [[nodiscard]] Desc* slot(std::uint32_t i) const noexcept { return &desc_[i & mask_]; }
  explicit operator bool() const noexcept { return hdr_ != nullptr; }

private:
  ipipe_ring_hdr* hdr_ = nullptr;
  Desc* desc_ = nullptr;
  std::uint32_t mask_ = 0;
};

/// The producer side of a ring: owns the producer index.
template <class Desc>
class ring_producer {
public:
  ring_producer() noexcept = default;
  explicit ring_producer(ring_view<Desc> v) noexcept
      : v_(v), prod_(internal::load_relaxed(v.header()->producer)), cached_cons_(prod_) {}

  /// Returns how many descriptors can be reserved without blocking. A
  /// consumer index that claims more than was produced reads as "no room".
  [[nodiscard]] std::uint32_t free_slots() noexcept {
    std::uint32_t used = prod_ - cached_cons_;
    if (used >= v_.entries()) {
      cached_cons_ = internal::load_acquire(v_.header()->consumer);
      used = prod_ - cached_cons_;
      if (used > v_.entries())
        return 0;
    }
    return v_.entries() - used;
  }

  /// Copies `d` into the next slot without publishing it. Returns false
  /// when the ring is full.
  [[nodiscard]] bool push(const Desc& d) noexcept {
    if (free_slots() == 0)
      return false;
    std::memcpy(static_cast<void*>(v_.slot(prod_)), &d, sizeof(Desc));
    ++prod_;
    return true;
  }

  /// Returns the index the next push() will use (for payload slot choice).
  [[nodiscard]] std::uint32_t next_index() const noexcept { return prod_; }

  /// Makes every pushed descriptor visible to the consumer.
  void publish() noexcept { internal::store_release(v_.header()->producer, prod_); }

  /// Returns true if the consumer asked to be woken after a publish.
  [[nodiscard]] bool needs_wakeup() const noexcept {
    std::atomic_thread_fence(std::memory_order_seq_cst);
    return (internal::load_relaxed(v_.header()->flags) & IPIPE_RING_F_NEED_WAKEUP) != 0;
  }

  /// Counts a descriptor the producer had to drop.
  void count_drop() noexcept {
    auto& d = v_.header()->dropped;
    internal::store_relaxed(d, internal::load_relaxed(d) + 1);
  }

  [[nodiscard]] const ring_view<Desc>& view() const noexcept { return v_; }

private:
  ring_view<Desc> v_;
  std::uint32_t prod_ = 0;
  std::uint32_t cached_cons_ = 0;
};

/// The consumer side of a ring: owns the consumer index.
template <class Desc>
class ring_consumer {
public:
  ring_consumer() noexcept = default;
  explicit ring_consumer(ring_view<Desc> v) noexcept
      : v_(v), cons_(internal::load_relaxed(v.header()->consumer)), cached_prod_(cons_) {}

  /// Returns how many descriptors are ready, or 0 if the producer index is
  /// impossible (more than `entries` ahead), in which case broken() is set.
  [[nodiscard]] std::uint32_t available() noexcept {
    std::uint32_t n = cached_prod_ - cons_;
    if (n == 0) {
      cached_prod_ = internal::load_acquire(v_.header()->producer);
      n = cached_prod_ - cons_;
    }
    if (n > v_.entries()) {
      broken_ = true;
      cached_prod_ = cons_;
      return 0;
    }
    return n;
  }

  /// Copies the next descriptor out into `d` and advances the local index;
  /// release() hands the slots back. Returns false when the ring is empty.
  [[nodiscard]] bool pop(Desc& d) noexcept {
    if (available() == 0)
      return false;
    std::memcpy(&d, static_cast<const void*>(v_.slot(cons_)), sizeof(Desc));
    ++cons_;
    return true;
  }

  /// Publishes the consumer index: the popped slots may be reused.
  void release() noexcept { internal::store_release(v_.header()->consumer, cons_); }

  /// Sets or clears IPIPE_RING_F_NEED_WAKEUP before sleeping / after waking.
  void set_need_wakeup(bool on) noexcept {
    auto& f = v_.header()->flags;
    std::uint32_t old = internal::load_relaxed(f);
    internal::store_relaxed(f,
                            on ? old | IPIPE_RING_F_NEED_WAKEUP : old & ~IPIPE_RING_F_NEED_WAKEUP);
    std::atomic_thread_fence(std::memory_order_seq_cst);
  }

  /// Returns true once the producer published an impossible index.
  [[nodiscard]] bool broken() const noexcept { return broken_; }

  [[nodiscard]] const ring_view<Desc>& view() const noexcept { return v_; }

private:
  ring_view<Desc> v_;
  std::uint32_t cons_ = 0;
  std::uint32_t cached_prod_ = 0;
  bool broken_ = false;
};

} // namespace ipipe
