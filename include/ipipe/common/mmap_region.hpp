#pragma once

#include <ipipe/common/expected.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>

namespace ipipe {

/// Owns a memory mapping; unmaps it on destruction. Move-only.
class mmap_region {
public:
  mmap_region() noexcept = default;
  mmap_region(void* addr, std::size_t size) noexcept : addr_(addr), size_(size) {}
  mmap_region(const mmap_region&) = delete;
  mmap_region& operator=(const mmap_region&) = delete;
  mmap_region(mmap_region&& o) noexcept
      : addr_(std::exchange(o.addr_, nullptr)), size_(std::exchange(o.size_, 0)) {}
  mmap_region& operator=(mmap_region&& o) noexcept;
  ~mmap_region() { reset(); }

  /// Maps `size` bytes of `fd` at `offset`, shared and read-write.
  [[nodiscard]] static expected<mmap_region> map_shared(int fd, std::size_t size,
                                                        std::uint64_t offset = 0);
  /// Maps `size` bytes of anonymous private memory.
  [[nodiscard]] static expected<mmap_region> map_anonymous(std::size_t size);

  /// Returns the start of the mapping.
  [[nodiscard]] std::byte* data() const noexcept { return static_cast<std::byte*>(addr_); }
  /// Returns the size of the mapping in bytes.
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  /// Returns the mapping as a span of bytes.
  [[nodiscard]] std::span<std::byte> bytes() const noexcept { return {data(), size_}; }
  explicit operator bool() const noexcept { return addr_ != nullptr; }

  /// Unmaps the region.
  void reset() noexcept;

private:
  void* addr_ = nullptr;
  std::size_t size_ = 0;
};

} // namespace ipipe
