#pragma once

#include <ipipe/common/expected.hpp>

#include <cstdint>

namespace ipipe::nic {

/// Where the firmware puts its queues inside BAR2: the header page, the
/// admin submission and completion rings, the event ring, then the
/// page-aligned NIC data area that DMA commands target.
struct bar2_layout {
  std::uint64_t nic_mem_size = 0;   ///< BAR2 bytes
  std::uint32_t adminq_off = 0;     ///< admin SQ ring (header + commands)
  std::uint32_t adminq_entries = 0; ///< power of two
  std::uint32_t admincq_off = 0;    ///< admin CQ ring, adminq_entries entries
  std::uint32_t eventq_off = 0;     ///< event ring
  std::uint32_t eventq_entries = 0; ///< power of two
  std::uint64_t nic_data_off = 0;   ///< page aligned
  std::uint64_t nic_data_size = 0;  ///< everything after it
};

/// Smallest BAR2 the layout accepts (queues plus 64 KiB of data area).
inline constexpr std::uint64_t min_nic_mem = 128 * 1024;
/// Largest BAR2 (queue offsets are 32 bit, the data area is not).
inline constexpr std::uint64_t max_nic_mem = 16ULL << 30;

/// Returns the layout for a BAR2 of `nic_mem_size` bytes, which must be a
/// multiple of 4 KiB within [min_nic_mem, max_nic_mem].
[[nodiscard]] expected<bar2_layout> make_bar2_layout(std::uint64_t nic_mem_size);

} // namespace ipipe::nic
