#pragma once

#include <cstddef>
#include <cstdint>

/// CRC32C (Castagnoli, reflected polynomial 0x82f63b78), the checksum the
/// emulated DMA engine reports in every DMA completion.
namespace ipipe::nic {

/// Returns the CRC32C of `n` bytes at `data`, continuing from `crc` (the
/// result of a previous call, 0 to start): crc32c(b, crc32c(a)) equals the
/// CRC of a followed by b. Uses the SSE4.2 crc32 instruction when the CPU
/// has it.
[[nodiscard]] std::uint32_t crc32c(const void* data, std::size_t n,
                                   std::uint32_t crc = 0) noexcept;

/// Copies `n` bytes from `src` to `dst` (which must not overlap) and returns
/// the CRC32C of those bytes continuing from `crc`, in one pass over memory.
[[nodiscard]] std::uint32_t copy_crc32c(void* dst, const void* src, std::size_t n,
                                        std::uint32_t crc = 0) noexcept;

/// Returns the CRC32C computed with the portable table code only (for tests
/// and for CPUs without SSE4.2).
[[nodiscard]] std::uint32_t crc32c_portable(const void* data, std::size_t n,
                                            std::uint32_t crc = 0) noexcept;

/// Returns true if crc32c() uses the hardware instruction on this CPU.
[[nodiscard]] bool crc32c_hardware() noexcept;

} // namespace ipipe::nic
