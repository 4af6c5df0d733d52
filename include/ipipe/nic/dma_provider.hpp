#pragma once

#include <ipipe/common/expected.hpp>

#include <cstddef>
#include <cstdint>
#include <span>

namespace ipipe::nic {

/// Where the DMA engine finds host memory: translates a bus address range
/// into bytes the emulator can touch, or refuses it.
///
/// Implementations must be safe to call from several threads.
class dma_provider {
public:
  virtual ~dma_provider() = default;

  /// Returns the host bytes [addr, addr + len). Fails with errc::bad_length
  /// if `len` is zero or `addr + len` wraps, and with errc::bad_address if
  /// any byte lies outside host memory.
  [[nodiscard]] virtual expected<std::span<std::byte>> translate(std::uint64_t addr,
                                                                 std::uint64_t len) = 0;

  /// Returns the size of host memory in bytes (0 while not yet available).
  [[nodiscard]] virtual std::uint64_t size() const noexcept = 0;
};

/// Checks [addr, addr + len) against a window of `size` bytes without
/// overflow: errc::none, errc::bad_length or errc::bad_address.
[[nodiscard]] constexpr errc check_range(std::uint64_t addr, std::uint64_t len,
                                         std::uint64_t size) noexcept {
  if (len == 0 || addr + len < addr)
    return errc::bad_length;
  if (addr > size || len > size - addr)
    return errc::bad_address;
  return errc::none;
}

} // namespace ipipe::nic
