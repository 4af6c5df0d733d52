#pragma once

#include <ipipe/common/expected.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <utility>

namespace ipipe::runtime {

/// An allocator of byte ranges inside a fixed-size region [0, capacity).
///
/// It hands out offsets, never pointers, and keeps all of its bookkeeping
/// outside the region: the region is actor memory (and, on the NIC, a DMA
/// target), so a stray write there can never corrupt the allocator.
///
/// The policy is dlmalloc's for large chunks: best fit (smallest free block
/// that is large enough, lowest address on a tie), splitting the rest off,
/// and immediate coalescing of a freed block with both free neighbours.
/// Every block is a multiple of `alignment` bytes. Both operations are
/// O(log n) in the number of blocks.
class arena {
public:
  /// Every allocation is rounded up to, and aligned on, this many bytes.
  static constexpr std::uint64_t alignment = 16;

  /// Creates an arena covering [0, capacity), rounded down to `alignment`.
  explicit arena(std::uint64_t capacity = 0);

  /// Returns the offset of a new block of at least `size` bytes, or
  /// errc::bad_length for size 0, errc::no_space if no free block fits.
  [[nodiscard]] expected<std::uint64_t> allocate(std::uint64_t size);

  /// Frees the block that starts at `offset`; errc::not_found if no block
  /// starts there.
  [[nodiscard]] expected<void> release(std::uint64_t offset);

  /// Returns the size of the allocated block at `offset`, or 0 if none.
  [[nodiscard]] std::uint64_t block_size(std::uint64_t offset) const noexcept;

  /// Returns the bytes handed out (after rounding).
  [[nodiscard]] std::uint64_t used() const noexcept { return used_; }
  /// Returns the size of the region.
  [[nodiscard]] std::uint64_t capacity() const noexcept { return capacity_; }
  /// Returns the number of free blocks (1 for an empty arena).
  [[nodiscard]] std::size_t free_blocks() const noexcept { return free_by_off_.size(); }
  /// Returns the size of the largest free block.
  [[nodiscard]] std::uint64_t largest_free() const noexcept;
  /// Returns the number of allocated blocks.
  [[nodiscard]] std::size_t allocated_blocks() const noexcept { return used_blocks_.size(); }

private:
  void insert_free(std::uint64_t off, std::uint64_t size);
  void erase_free(std::map<std::uint64_t, std::uint64_t>::iterator it);

  std::uint64_t capacity_ = 0;
  std::uint64_t used_ = 0;
  std::map<std::uint64_t, std::uint64_t> free_by_off_;             // offset -> size
  std::set<std::pair<std::uint64_t, std::uint64_t>> free_by_size_; // (size, offset)
  std::map<std::uint64_t, std::uint64_t> used_blocks_;             // offset -> size
};

} // namespace ipipe::runtime
