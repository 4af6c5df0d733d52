#pragma once

#include <ipipe/common/ring.hpp>
#include <ipipe/nic/actor_dispatch.hpp>
#include <ipipe/nic/fw_counters.hpp>

#include <linux/ipipe.h>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <shared_mutex>
#include <span>
#include <vector>

namespace ipipe::nic {

class event_queue;

/// The ring contexts the host created with RING_CREATE: per context id up
/// to one ring of each enum ipipe_ring_type, each in host memory. NIC core
/// k serves the H2N message rings of the contexts with id % cores == k,
/// so every ring has exactly one firmware thread on it.
class ring_table {
public:
  /// What serving a ring needs from the firmware.
  struct env {
    actor_dispatch* dispatch = nullptr;     ///< where requests go
    fw_counters* counters = nullptr;        ///< statistics
    event_queue* events = nullptr;          ///< for IPIPE_EV_FW_ERROR
    std::function<void(unsigned)> raise;    ///< MSI-X towards the host
  };

  /// A table of `max_rings` contexts.
  explicit ring_table(std::uint32_t max_rings);
  ~ring_table();

  /// Creates the ring a checked RING_CREATE names over `region` (the host
  /// bytes [addr, addr + size), already translated) and formats its header.
  /// Returns IPIPE_STS_OK or IPIPE_STS_EXISTS.
  [[nodiscard]] ipipe_status create(const ipipe_admin_cmd& cmd, std::span<std::byte> region);
  /// Forgets ring (`ring_id`, `type`): IPIPE_STS_OK or IPIPE_STS_NOT_FOUND.
  [[nodiscard]] ipipe_status destroy(std::uint32_t ring_id, std::uint32_t type);
  /// Returns true if context `ring_id` has a ring of `type`.
  [[nodiscard]] bool has(std::uint32_t ring_id, std::uint32_t type) const;
  /// Forgets every ring.
  void clear();

  /// Drains the H2N message rings of the contexts core `core` of `cores`
  /// owns, at most `budget` messages per ring. Returns the number of
  /// descriptors consumed.
  std::size_t serve(unsigned core, unsigned cores, const env& e, std::size_t budget = 256);

private:
  struct host_ring;
  struct context {
    std::array<std::unique_ptr<host_ring>, IPIPE_RING_TYPE_LAST> rings;
  };
  class reply_sink;

  std::size_t serve_ring(std::uint32_t id, context& ctx, const env& e, std::size_t budget);

  mutable std::shared_mutex lock_; // exclusive: create/destroy/clear; shared: serve
  std::vector<context> ctx_;
};

} // namespace ipipe::nic
