#pragma once

#include <ipipe/common/unique_fd.hpp>
#include <ipipe/nic/dma_provider.hpp>
#include <ipipe/nic/guarded_mapping.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

namespace ipipe::nic {

/// Host memory of a QEMU guest: the file behind its shared
/// memory-backend-file. A bus address is an offset in the file (no vIOMMU,
/// guest RAM below the PCI hole).
///
/// The emulator starts before QEMU, which creates and sizes the file, so the
/// file is mapped on first use once it exists with a non-zero size, and never
/// remapped afterwards (translated spans stay valid).
class file_host_memory final : public dma_provider {
public:
  /// Returns a provider for `path`; maps it now if it already has a size.
  [[nodiscard]] static expected<std::unique_ptr<file_host_memory>> open(std::string path);

  expected<std::span<std::byte>> translate(std::uint64_t addr, std::uint64_t len) override;
  std::uint64_t size() const noexcept override { return size_.load(std::memory_order_acquire); }

private:
  explicit file_host_memory(std::string path) : path_(std::move(path)) {}
  expected<void> try_map();

  std::string path_;
  std::mutex lock_; // protects map_ while it is being created
  guarded_mapping map_;
  std::atomic<std::uint64_t> size_{0};
};

} // namespace ipipe::nic
