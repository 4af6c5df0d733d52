#pragma once

#include <cstddef>
#include <cstdint>

/// CRC32C (Castagnoli, reflected polynomial 0x82f63b78), the checksum the
/// emulated DMA engine reports in every DMA completion.
namespace ipipe::nic {

/// The ways this CPU can compute a CRC32C, slowest first.
enum class crc32c_engine : std::uint8_t {
  /// Slicing-by-8 tables, any CPU.
  portable = 0,
  /// SSE4.2 crc32 instruction, three interleaved chains.
  crc32_insn = 1,
  /// PCLMULQDQ folding of four 128-bit lanes.
  clmul128 = 2,
  /// VPCLMULQDQ folding of eight 128-bit lanes in AVX2 registers.
  clmul256 = 3,
};

/// Returns the fastest engine this CPU supports (the one crc32c() uses).
[[nodiscard]] crc32c_engine crc32c_best() noexcept;

/// Returns the CRC32C of `n` bytes at `data`, continuing from `crc` (the
/// result of a previous call, 0 to start): crc32c(b, crc32c(a)) equals the
/// CRC of a followed by b.
[[nodiscard]] std::uint32_t crc32c(const void* data, std::size_t n, std::uint32_t crc = 0) noexcept;

/// Copies `n` bytes from `src` to `dst` (which must not overlap) and returns
/// the CRC32C of those bytes continuing from `crc`, in one pass over memory.
[[nodiscard]] std::uint32_t copy_crc32c(void* dst, const void* src, std::size_t n,
                                        std::uint32_t crc = 0) noexcept;

/// As crc32c(), with engine `e`, which must be supported (<= crc32c_best()).
[[nodiscard]] std::uint32_t crc32c_with(crc32c_engine e, const void* data, std::size_t n,
                                        std::uint32_t crc = 0) noexcept;

/// As copy_crc32c(), with engine `e`, which must be supported.
[[nodiscard]] std::uint32_t copy_crc32c_with(crc32c_engine e, void* dst, const void* src,
                                             std::size_t n, std::uint32_t crc = 0) noexcept;

} // namespace ipipe::nic
