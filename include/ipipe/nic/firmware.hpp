#pragma once

#include <ipipe/common/expected.hpp>
#include <ipipe/common/ring.hpp>
#include <ipipe/nic/actor_table.hpp>
#include <ipipe/nic/admin_checks.hpp>
#include <ipipe/nic/bar2_layout.hpp>
#include <ipipe/nic/builtin_dispatch.hpp>
#include <ipipe/nic/dma_engine.hpp>
#include <ipipe/nic/event_queue.hpp>
#include <ipipe/nic/fw_counters.hpp>
#include <ipipe/nic/interrupt_line.hpp>
#include <ipipe/nic/nic_cores.hpp>
#include <ipipe/nic/ring_table.hpp>

#include <linux/ipipe.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>

namespace ipipe::nic {

/// The firmware's version, (major << 16) | (minor << 8) | patch.
inline constexpr std::uint32_t fw_version = (0u << 16) | (1u << 8) | 0u;
/// The name IDENTIFY reports.
inline constexpr const char* fw_name = "ipipe-nic emulator";

/// What the firmware is built with.
struct firmware_config {
  unsigned cores = 4;                   ///< NIC core threads
  unsigned vectors = IPIPE_NUM_VECTORS; ///< doorbell/MSI-X vectors
  unsigned heartbeat_ms = 100;          ///< header heartbeat period
  std::uint32_t max_rings = 64;         ///< ring contexts
  std::uint32_t max_actors = 256;       ///< actor table entries
  bool wire = false;                    ///< a wire port is attached (IPIPE_CAP_WIRE)
  /// Where notable firmware happenings (resets, broken queues, faults) are
  /// reported; empty: nowhere. Called from the event loop thread.
  std::function<void(const std::string&)> log;
};

/// The emulated SmartNIC firmware: the BAR2 header page, the admin queue,
/// the event queue, the DMA engine, the actor and ring tables and the NIC
/// core threads.
///
/// The admin queue is served by one thread (the caller of
/// service_admin()/on_doorbell()/tick(), the event loop); the NIC cores run
/// on their own threads.
class firmware final : private dispatch_host {
public:
  firmware(const firmware&) = delete;
  firmware& operator=(const firmware&) = delete;
  ~firmware() override;

  // -- lifecycle ----------------------------------------------------------

  /// Creates the firmware over `bar2` (the whole NIC memory, zeroed), with
  /// `host` for DMA and `irq` to interrupt the host. All three must outlive
  /// the firmware.
  [[nodiscard]] static expected<std::unique_ptr<firmware>> create(const firmware_config& cfg,
                                                                  std::span<std::byte> bar2,
                                                                  dma_provider& host,
                                                                  interrupt_line& irq);

  /// Writes the header (OFF -> BOOTING), formats the queues, starts the NIC
  /// cores, and goes READY.
  void boot();
  /// Stops the NIC cores and sets the state to OFF.
  void shutdown();

  // -- event loop entry points --------------------------------------------

  /// Handles `count` coalesced doorbells on vector `vec`.
  void on_doorbell(unsigned vec, std::uint64_t count = 1);
  /// Serves a pending reset request, then drains the admin queue.
  void service_admin();
  /// The host went away without tearing down: forgets its ring contexts
  /// (detaching the host runtime first). Actors stay.
  void host_gone();
  /// Periodic work at monotonic time `now_ns`: heartbeat and the fallback
  /// admin poll.
  void tick(std::uint64_t now_ns);

  // -- for the runtime and the wire port ----------------------------------

  /// Interrupts the host on `vec` (subject to injected faults).
  void raise(unsigned vec);
  /// Posts an event and raises IPIPE_VEC_EVENT.
  bool post_event(ipipe_event_type type, std::uint32_t actor_id, std::uint64_t arg0,
                  std::uint64_t arg1 = 0) override;
  /// Replaces the dispatcher (nullptr: back to the built-in one) and binds
  /// it to this firmware. Call before boot().
  void set_dispatch(actor_dispatch* d);
  /// Sets where messages for wire endpoints go (the wire port; nullptr:
  /// nowhere, counted as dropped). Call before boot().
  void set_wire(message_sink* wire) noexcept { router_.wire = wire; }
  /// Returns the current dispatcher.
  [[nodiscard]] actor_dispatch& dispatch() noexcept { return *dispatch_; }
  /// Returns the statistics counters.
  [[nodiscard]] fw_counters& counters() noexcept { return counters_; }
  /// Returns the actor table.
  [[nodiscard]] actor_table& actors() noexcept { return actors_; }
  /// Returns the limits advertised in the header.
  [[nodiscard]] const fw_limits& limits() const noexcept { return lim_; }
  /// Returns the BAR2 layout.
  [[nodiscard]] const bar2_layout& layout() const noexcept { return layout_; }
  /// Returns the current scheduling parameters.
  [[nodiscard]] ipipe_params params() const;

private:
  struct exec_result {
    ipipe_status status = IPIPE_STS_OK;
    std::uint32_t result = 0;
    std::uint64_t value = 0;
  };

  firmware(const firmware_config& cfg, const bar2_layout& layout, std::span<std::byte> bar2,
           dma_provider& host, interrupt_line& irq);

  // Routes messages leaving the runtime by hdr.client.
  struct client_router final : message_sink {
    explicit client_router(firmware& f) noexcept : fw(f) {}
    bool send(const ipipe_msg_hdr& hdr, std::span<const std::byte> payload) override;
    firmware& fw;
    message_sink* wire = nullptr;
  };

  // dispatch_host
  void actor_moved(std::uint32_t id, ipipe_location loc) override;
  message_sink& outbound() override { return router_; }
  void signal_host() override { raise(IPIPE_VEC_RING); }
  void host_runtime_changed();

  ipipe_hw_header* header() const noexcept;
  void write_header();
  void set_state(ipipe_fw_state s) noexcept;
  void format_admin_queues();
  void reset();
  bool sq_broken_check();
  void log(const std::string& what) const;

  exec_result execute(const ipipe_admin_cmd& cmd);
  exec_result write_host(std::uint64_t addr, std::uint32_t len, const void* data, std::size_t size);
  exec_result identify(const ipipe_admin_cmd& cmd);
  exec_result set_params(const ipipe_admin_cmd& cmd);
  exec_result get_params(const ipipe_admin_cmd& cmd);
  exec_result actor_create(const ipipe_admin_cmd& cmd);
  exec_result ring_create(const ipipe_admin_cmd& cmd);
  exec_result dma(const ipipe_admin_cmd& cmd);
  exec_result migrate(const ipipe_admin_cmd& cmd);
  exec_result actor_list(const ipipe_admin_cmd& cmd);
  exec_result fault(const ipipe_admin_cmd& cmd);

  firmware_config cfg_;
  bar2_layout layout_;
  fw_limits lim_;
  std::span<std::byte> bar2_;
  dma_provider& host_;
  interrupt_line& irq_;

  fw_counters counters_;
  actor_table actors_;
  builtin_dispatch builtin_;
  actor_dispatch* dispatch_;
  client_router router_{*this};
  ring_table rings_;
  event_queue events_;
  dma_engine dma_;
  nic_cores cores_;

  // admin queue state, event loop thread only
  ring_view<ipipe_admin_cmd> sq_view_;
  ring_view<ipipe_admin_cqe> cq_view_;
  ring_consumer<ipipe_admin_cmd> sq_;
  ring_producer<ipipe_admin_cqe> cq_;
  bool sq_broken_ = false;
  bool hang_ = false;
  std::uint32_t delay_cq_ms_ = 0;
  std::uint32_t fail_dma_ = 0;
  std::atomic<std::uint32_t> drop_irq_{0};
  std::uint64_t next_heartbeat_ns_ = 0;

  mutable std::mutex params_lock_; // protects params_
  ipipe_params params_{};
};

} // namespace ipipe::nic
