#pragma once

#include <ipipe/common/expected.hpp>
#include <ipipe/common/mmap_region.hpp>
#include <ipipe/common/ring.hpp>
#include <ipipe/runtime/message.hpp>

#include <linux/ipipe.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace ipipe::runtime {

/// The geometry of a message or migration ring (uapi section 2):
/// header at 0, descriptors at IPIPE_RING_DESC_OFF, then a payload area of
/// `entries` slots of `slot_size` bytes starting on a 4 KiB boundary.
/// Descriptor i always uses payload slot `i & (entries - 1)`, so a payload
/// slot is free exactly when its descriptor slot is.
struct msg_ring_geometry {
  std::uint32_t entries = 0;   ///< power of two
  std::uint32_t slot_size = 0; ///< payload bytes per slot, header included

  /// Returns a checked geometry: entries a power of two in
  /// [IPIPE_RING_MIN_ENTRIES, IPIPE_RING_MAX_ENTRIES], slot_size a multiple
  /// of 8 in [64, IPIPE_RING_MAX_SLOT]; errc::invalid_argument otherwise.
  [[nodiscard]] static expected<msg_ring_geometry> make(std::uint32_t entries,
                                                        std::uint32_t slot_size);

  /// Returns the offset of the payload area from the ring start.
  [[nodiscard]] std::size_t data_off() const noexcept {
    return (ring_desc_bytes<ipipe_ring_desc>(entries) + IPIPE_PAGE_SIZE - 1) &
           ~std::size_t{IPIPE_PAGE_SIZE - 1};
  }
  /// Returns the size of the payload area.
  [[nodiscard]] std::size_t area_bytes() const noexcept { return std::size_t{entries} * slot_size; }
  /// Returns the bytes the whole ring occupies.
  [[nodiscard]] std::size_t total_bytes() const noexcept { return data_off() + area_bytes(); }
  /// Returns the largest payload after the message header.
  [[nodiscard]] std::uint32_t max_payload() const noexcept {
    return slot_size - static_cast<std::uint32_t>(sizeof(ipipe_msg_hdr));
  }
};

/// Owns the memory of one ring (tests, benchmarks and the direct-attach
/// mode; with the kernel the memory comes from an mmap of /dev/ipipeN).
class msg_ring_buffer {
public:
  /// Maps and formats a ring of geometry `g`.
  [[nodiscard]] static expected<msg_ring_buffer> create(msg_ring_geometry g);

  /// Returns the start of the ring.
  [[nodiscard]] void* base() const noexcept { return mem_.data(); }
  /// Returns the geometry.
  [[nodiscard]] msg_ring_geometry geometry() const noexcept { return g_; }

private:
  msg_ring_buffer(mmap_region mem, msg_ring_geometry g) : mem_(std::move(mem)), g_(g) {}
  mmap_region mem_;
  msg_ring_geometry g_;
};

/// The producer end of a message ring. One thread at a time.
///
/// Messages are written into their payload slot and pushed; nothing is
/// visible to the consumer until publish(), so a batch costs one release
/// store.
class msg_ring_producer {
public:
  msg_ring_producer() noexcept = default;
  /// Attaches to a formatted ring at `base` of geometry `g`.
  msg_ring_producer(void* base, msg_ring_geometry g) noexcept;

  /// Copies `hdr` (with `len` set to the payload size) and `payload` into
  /// the next slot. errc::bad_length if it does not fit a slot,
  /// errc::queue_full if the ring is full.
  [[nodiscard]] expected<void> post(const ipipe_msg_hdr& hdr, std::span<const std::byte> payload);

  /// Like post(), but `fill(std::span<std::byte>)` writes the `len` payload
  /// bytes straight into the slot (no staging copy; the migration engine
  /// hands the span to a bulk copier).
  template <class Fill>
  [[nodiscard]] expected<void> post_with(ipipe_msg_hdr hdr, std::uint32_t len, Fill&& fill) {
    if (len > g_.max_payload())
      return error{errc::bad_length, "message larger than a ring slot"};
    if (ring_.free_slots() == 0)
      return errc::queue_full;
    const std::uint64_t off = std::uint64_t{ring_.next_index() & (g_.entries - 1)} * g_.slot_size;
    std::byte* slot = data_ + off;
    hdr.len = len;
    std::memcpy(slot, &hdr, sizeof(hdr));
    fill(std::span<std::byte>{slot + sizeof(hdr), len});
    ipipe_ring_desc d{};
    d.off = off;
    d.len = static_cast<std::uint32_t>(sizeof(hdr)) + len;
    d.user_data = hdr.req_id;
    (void)ring_.push(d); // cannot fail: free_slots() said there is room
    return {};
  }

  /// Makes every posted message visible to the consumer.
  void publish() noexcept { ring_.publish(); }
  /// Returns how many messages can be posted now.
  [[nodiscard]] std::uint32_t free_slots() noexcept { return ring_.free_slots(); }
  /// Returns the geometry.
  [[nodiscard]] const msg_ring_geometry& geometry() const noexcept { return g_; }
  explicit operator bool() const noexcept { return data_ != nullptr; }

private:
  ring_producer<ipipe_ring_desc> ring_;
  std::byte* data_ = nullptr;
  msg_ring_geometry g_;
};

/// The consumer end of a message ring. One thread at a time.
///
/// Each descriptor and message header is copied out of shared memory once
/// and then validated: the payload must lie inside the payload area and
/// inside one slot, and the header's length must match the descriptor's.
/// A message that fails is skipped and counted, never delivered.
class msg_ring_consumer {
public:
  msg_ring_consumer() noexcept = default;
  /// Attaches to a formatted ring at `base` of geometry `g`.
  msg_ring_consumer(void* base, msg_ring_geometry g) noexcept;

  /// Returns the next valid message: its header copied into `hdr` and its
  /// payload in place in `payload`, valid until release(). Returns false
  /// when no valid message is ready.
  [[nodiscard]] bool next(ipipe_msg_hdr& hdr, std::span<const std::byte>& payload);
  /// Returns the next valid message copied into `out`; false when empty.
  [[nodiscard]] bool pop(message& out);
  /// Hands every consumed slot back to the producer.
  void release() noexcept { ring_.release(); }

  /// Returns the number of descriptors that failed validation.
  [[nodiscard]] std::uint64_t bad_descriptors() const noexcept { return bad_; }
  /// Returns true once the producer published an impossible index.
  [[nodiscard]] bool broken() const noexcept { return ring_.broken(); }
  /// Returns the geometry.
  [[nodiscard]] const msg_ring_geometry& geometry() const noexcept { return g_; }
  explicit operator bool() const noexcept { return data_ != nullptr; }

private:
  ring_consumer<ipipe_ring_desc> ring_;
  const std::byte* data_ = nullptr;
  msg_ring_geometry g_;
  std::uint64_t slot_mask_ = 0; // slot_size - 1 when a power of two, else 0
  std::uint64_t bad_ = 0;
};

} // namespace ipipe::runtime
