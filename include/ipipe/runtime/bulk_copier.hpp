#pragma once

#include <cstddef>
#include <cstring>
#include <span>

namespace ipipe::runtime {

/// Moves the bulk bytes of a migration: object data into a ring payload
/// slot on the sending side and out of it on the receiving side.
///
/// The NIC side implements it with its DMA engine (the ring lives in host
/// memory); tests, benchmarks and the host use memcpy_copier. A copy may
/// be asynchronous inside, but must be complete when copy() returns,
/// because the slot is published right after.
class bulk_copier {
public:
  virtual ~bulk_copier() = default;
  /// Copies `src` to `dst`; the spans have the same size and never overlap.
  virtual void copy(std::span<std::byte> dst, std::span<const std::byte> src) = 0;
};

/// A bulk_copier that uses memcpy.
class memcpy_copier final : public bulk_copier {
public:
  /// Copies with memcpy.
  void copy(std::span<std::byte> dst, std::span<const std::byte> src) override {
    if (!src.empty())
      std::memcpy(dst.data(), src.data(), src.size());
  }
};

} // namespace ipipe::runtime
