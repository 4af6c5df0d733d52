#pragma once

#include <ipipe/common/unique_fd.hpp>
#include <ipipe/nic/dma_provider.hpp>
#include <ipipe/nic/guarded_mapping.hpp>

#include <memory>

namespace ipipe::nic {

/// Host memory for direct attach: a memfd the emulator creates and hands to
/// the attached client; a bus address is an offset in it.
class memfd_host_memory final : public dma_provider {
public:
  /// Creates a memfd of `size` bytes and maps it.
  [[nodiscard]] static expected<std::unique_ptr<memfd_host_memory>> create(std::uint64_t size);

  expected<std::span<std::byte>> translate(std::uint64_t addr, std::uint64_t len) override;
  std::uint64_t size() const noexcept override { return map_.size(); }

  /// Returns the memfd, to pass to the client.
  [[nodiscard]] int fd() const noexcept { return fd_.get(); }

private:
  unique_fd fd_;
  guarded_mapping map_;
};

} // namespace ipipe::nic
