#pragma once

#include <ipipe/nic/admin_checks.hpp>
#include <ipipe/nic/dma_provider.hpp>

#include <linux/ipipe.h>

#include <cstddef>
#include <cstdint>
#include <span>

namespace ipipe::nic {

/// The outcome of one DMA command.
struct dma_result {
  ipipe_status status = IPIPE_STS_OK; ///< completion status
  std::uint64_t bytes = 0;            ///< bytes moved (0 on error)
  std::uint32_t crc = 0;              ///< CRC32C of the bytes moved
};

/// The scatter-gather DMA engine: copies between host memory segments (a
/// list that itself lives in host memory) and one contiguous range of the
/// NIC data area, computing the CRC32C of the bytes on the way.
class dma_engine {
public:
  /// Uses `host` for host memory and `nic_data` as the NIC data area.
  dma_engine(dma_provider& host, std::span<std::byte> nic_data, const fw_limits& lim) noexcept
      : host_(host), nic_(nic_data), lim_(lim) {}

  /// Runs a DMA command that already passed check_admin_cmd(): reads the
  /// segment list once, checks every segment and the NIC range, then copies.
  /// Nothing is copied unless every check passes.
  [[nodiscard]] dma_result run(const ipipe_admin_cmd& cmd) const;

private:
  dma_provider& host_;
  std::span<std::byte> nic_;
  fw_limits lim_;
};

/// Maps errc::bad_length / errc::bad_address to the completion status.
[[nodiscard]] ipipe_status status_of(errc e) noexcept;

} // namespace ipipe::nic
