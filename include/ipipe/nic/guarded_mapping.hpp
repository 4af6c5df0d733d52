#pragma once

#include <ipipe/common/expected.hpp>

#include <cstddef>
#include <span>
#include <utility>

namespace ipipe::nic {

/// A shared read-write mapping of a file with an inaccessible (PROT_NONE)
/// page on each side, so that an access just outside the window faults
/// instead of silently touching a neighbouring mapping. Move-only; unmaps
/// on destruction.
class guarded_mapping {
public:
  guarded_mapping() noexcept = default;
  guarded_mapping(const guarded_mapping&) = delete;
  guarded_mapping& operator=(const guarded_mapping&) = delete;
  guarded_mapping(guarded_mapping&& o) noexcept
      : base_(std::exchange(o.base_, nullptr)), total_(std::exchange(o.total_, 0)),
        size_(std::exchange(o.size_, 0)) {}
  guarded_mapping& operator=(guarded_mapping&& o) noexcept;
  ~guarded_mapping() { reset(); }

  /// Maps the first `size` bytes of `fd` shared, between two guard pages.
  [[nodiscard]] static expected<guarded_mapping> map(int fd, std::size_t size);

  /// Returns the first byte of the window.
  [[nodiscard]] std::byte* data() const noexcept;
  /// Returns the window size in bytes.
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  /// Returns the window as bytes.
  [[nodiscard]] std::span<std::byte> bytes() const noexcept { return {data(), size_}; }
  explicit operator bool() const noexcept { return base_ != nullptr; }

  /// Unmaps the window and its guards.
  void reset() noexcept;

private:
  void* base_ = nullptr;  // start of the leading guard page
  std::size_t total_ = 0; // guards included
  std::size_t size_ = 0;
};

} // namespace ipipe::nic
