#pragma once

#include <linux/ipipe.h>

#include <cstdint>

namespace ipipe::nic {

/// The limits the firmware advertises in its header; admin commands are
/// checked against them.
struct fw_limits {
  std::uint32_t nic_cores = 4;                     ///< NIC core threads
  std::uint32_t max_rings = 64;                    ///< ring contexts, ids 0..max_rings-1
  std::uint32_t max_actors = 256;                  ///< actor ids 1..max_actors
  std::uint32_t max_dma_segs = IPIPE_DMA_MAX_SEGS; ///< segments per DMA command
  std::uint32_t max_dma_len = IPIPE_DMA_MAX_LEN;   ///< bytes per DMA command
  std::uint64_t nic_data_size = 0;                 ///< DMA target area in BAR2
};

/// Returns the offset of a ring's payload area from its start: header and
/// descriptors, rounded up to a page.
[[nodiscard]] constexpr std::uint64_t ring_payload_off(std::uint32_t entries) noexcept {
  return (IPIPE_RING_DESC_OFF + std::uint64_t{entries} * sizeof(ipipe_ring_desc) + IPIPE_PAGE_SIZE -
          1) &
         ~std::uint64_t{IPIPE_PAGE_SIZE - 1};
}

/// Returns the bytes a RING_CREATE region needs: ring_payload_off() plus
/// `entries * slot_size` bytes of payload.
[[nodiscard]] constexpr std::uint64_t ring_region_bytes(std::uint32_t entries,
                                                        std::uint32_t slot_size) noexcept {
  return ring_payload_off(entries) + std::uint64_t{entries} * slot_size;
}

/// Checks everything about `cmd` that needs no firmware state and no host
/// memory: opcode, flags, reserved fields, enumerations, ids and indices
/// against `lim`, lengths and their overflow. Host addresses are checked
/// when the command runs. Returns IPIPE_STS_OK or the status of the first
/// failed check, in the order Documentation/hw/ipipe-nic.rst lists.
[[nodiscard]] ipipe_status check_admin_cmd(const ipipe_admin_cmd& cmd,
                                           const fw_limits& lim) noexcept;

/// Returns true if the NUL-terminated actor type name is well formed: not
/// empty, terminated within IPIPE_ACTOR_NAME_LEN, zero after the NUL.
[[nodiscard]] bool actor_type_valid(const char (&name)[IPIPE_ACTOR_NAME_LEN]) noexcept;

} // namespace ipipe::nic
