#pragma once

#include <ipipe/common/ring.hpp>
#include <ipipe/nic/actor_dispatch.hpp>
#include <ipipe/nic/fw_counters.hpp>

#include <linux/ipipe.h>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
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
    actor_dispatch* dispatch = nullptr;  ///< where requests go
    fw_counters* counters = nullptr;     ///< statistics
    event_queue* events = nullptr;       ///< for IPIPE_EV_FW_ERROR
    std::function<void(unsigned)> raise; ///< MSI-X towards the host
  };

  /// A table of `max_rings` contexts.
  explicit ring_table(std::uint32_t max_rings);
  ~ring_table();

  /// Creates the ring a checked RING_CREATE names over `region` (the host
  /// bytes [addr, addr + size), already translated) and formats its header.
  /// Returns IPIPE_STS_OK, IPIPE_STS_EXISTS, IPIPE_STS_BUSY (a second
  /// runtime context) or IPIPE_STS_BAD_FIELD (the context's rings disagree
  /// on IPIPE_RING_CREATE_F_RUNTIME).
  [[nodiscard]] ipipe_status create(const ipipe_admin_cmd& cmd, std::span<std::byte> region);
  /// Forgets ring (`ring_id`, `type`): IPIPE_STS_OK or IPIPE_STS_NOT_FOUND.
  [[nodiscard]] ipipe_status destroy(std::uint32_t ring_id, std::uint32_t type);
  /// Returns true if context `ring_id` has a ring of `type`.
  [[nodiscard]] bool has(std::uint32_t ring_id, std::uint32_t type) const;
  /// Forgets every ring.
  void clear();
  /// Returns true if context `ring_id` is the host runtime's.
  [[nodiscard]] bool is_runtime(std::uint32_t ring_id) const;
  /// Returns the host runtime's rings once all four exist.
  [[nodiscard]] std::optional<host_runtime_rings> runtime_rings() const;
  /// Writes a message to the IPIPE_RING_MSG_N2H ring of context `ring_id`
  /// (a reply produced after the request's serve() returned) and raises
  /// the ring vector through `raise`. Thread safe. False if it was dropped
  /// (counted in host_backlog_dropped).
  bool send_to_ring(std::uint32_t ring_id, const ipipe_msg_hdr& hdr,
                    std::span<const std::byte> payload, fw_counters& counters,
                    const std::function<void(unsigned)>& raise);

  /// Drains the H2N message rings of the contexts core `core` of `cores`
  /// owns, at most `budget` messages per ring. Returns the number of
  /// descriptors consumed.
  std::size_t serve(unsigned core, unsigned cores, const env& e, std::size_t budget = 256);

private:
  struct host_ring;
  struct context {
    std::array<std::unique_ptr<host_ring>, IPIPE_RING_TYPE_LAST> rings;
    bool runtime = false; // IPIPE_RING_CREATE_F_RUNTIME
  };
  class reply_sink;

  std::size_t serve_ring(std::uint32_t id, context& ctx, const env& e, std::size_t budget);

  mutable std::shared_mutex lock_; // exclusive: create/destroy/clear; shared: serve
  std::vector<context> ctx_;
};

} // namespace ipipe::nic
