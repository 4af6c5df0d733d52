#pragma once

#include <ipipe/common/expected.hpp>
#include <ipipe/runtime/msg_ring.hpp>
#include <ipipe/runtime/peer_channel.hpp>

#include <linux/ipipe.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace ipipe::host {

/// What the NIC reports about itself.
struct device_info {
  std::string fw_name;           ///< firmware name
  std::uint32_t fw_version = 0;  ///< (major << 16) | (minor << 8) | patch
  std::uint32_t abi_version = 0; ///< IPIPE_ABI_VERSION of the firmware
  std::uint32_t nic_cores = 0;   ///< NIC cores
  std::uint64_t nic_mem = 0;     ///< bytes of NIC memory
  std::uint64_t nic_data = 0;    ///< bytes DMA may address
  std::uint32_t max_dma_len = 0; ///< bytes per dma() call
};

/// The four rings of one ring context, mapped into this process.
struct ring_set {
  std::uint32_t ring_id = 0;                      ///< the context the NIC knows
  runtime::msg_ring_geometry msg;                 ///< both message rings
  runtime::msg_ring_geometry mig;                 ///< both migration rings
  std::array<void*, IPIPE_RING_TYPE_LAST> base{}; ///< by enum ipipe_ring_type

  /// Returns the geometry of ring `type`.
  [[nodiscard]] const runtime::msg_ring_geometry& geometry(unsigned type) const noexcept {
    return type == IPIPE_RING_MSG_H2N || type == IPIPE_RING_MSG_N2H ? msg : mig;
  }
};

/// What registering an actor takes.
struct actor_registration {
  std::string_view type;                   ///< registered type name
  std::uint32_t id = 0;                    ///< 0: the NIC picks
  ipipe_location location = IPIPE_LOC_NIC; ///< where it starts
  std::uint64_t mem_quota = 0;             ///< DMO bytes, > 0
  std::uint32_t flags = 0;                 ///< IPIPE_ACTOR_F_PINNED, IPIPE_ACTOR_F_PERSIST
};

/// Returns the host runtime's ends of a runtime ring context: it produces
/// on the H2N rings and consumes the N2H ones.
[[nodiscard]] runtime::peer_channel host_channel(const ring_set& rings) noexcept;

/// A handle on one ipipe NIC, through the kernel driver (/dev/ipipeN) or
/// attached directly to the emulator. The same ring code runs above both.
class device {
public:
  virtual ~device() = default;

  /// Opens /dev/ipipeN through the kernel driver.
  [[nodiscard]] static expected<std::unique_ptr<device>> open_kernel(const std::string& path);
  /// Attaches to an ipipe-nic emulator as an ivshmem peer, with no kernel.
  [[nodiscard]] static expected<std::unique_ptr<device>> attach_direct(const std::string& socket);

  /// Returns "kernel" or "direct".
  [[nodiscard]] virtual std::string_view backend() const noexcept = 0;
  /// Returns what the NIC reports.
  [[nodiscard]] virtual expected<device_info> info() = 0;
  /// Creates and maps this handle's ring context (0 = defaults).
  [[nodiscard]] virtual expected<ring_set> setup_rings(std::uint32_t msg_entries,
                                                       std::uint32_t msg_slot,
                                                       std::uint32_t mig_entries,
                                                       std::uint32_t mig_slot) = 0;
  /// Creates and maps this handle's ring context as the host runtime's:
  /// the NIC's runtime forwards requests, replies and migration streams
  /// over it (IPIPE_RING_SETUP_F_RUNTIME; one per NIC, errc::busy for a
  /// second). Slots must hold the largest message: 0 picks sizes that do.
  [[nodiscard]] virtual expected<ring_set> setup_runtime_rings(std::uint32_t msg_entries,
                                                               std::uint32_t msg_slot,
                                                               std::uint32_t mig_entries,
                                                               std::uint32_t mig_slot) = 0;
  /// Creates an actor as `a` says. Returns its id.
  [[nodiscard]] virtual expected<std::uint32_t> register_actor(const actor_registration& a) = 0;
  /// Creates an actor of `type`; id 0 lets the NIC choose. Returns the id.
  [[nodiscard]] expected<std::uint32_t> register_actor(std::string_view type, std::uint32_t id,
                                                       ipipe_location loc,
                                                       std::uint64_t mem_quota) {
    return register_actor(actor_registration{type, id, loc, mem_quota, 0});
  }
  /// Destroys an actor this handle registered.
  [[nodiscard]] virtual expected<void> unregister_actor(std::uint32_t id) = 0;
  /// Moves an actor to `to`.
  [[nodiscard]] virtual expected<void> migrate(std::uint32_t id, ipipe_location to) = 0;
  /// Tells the NIC that host-to-NIC rings have new messages.
  [[nodiscard]] virtual expected<void> kick() = 0;
  /// Sleeps until the NIC signals its rings or `timeout` passes; returns
  /// true if it signalled.
  [[nodiscard]] virtual expected<bool> wait(std::chrono::milliseconds timeout) = 0;
  /// Returns a file descriptor that polls readable (POLLIN or POLLPRI)
  /// while the NIC has signalled its rings; after poll() said so, call
  /// ack_event() before looking at the rings.
  [[nodiscard]] virtual int event_fd() const noexcept = 0;
  /// Consumes a ring signal seen on event_fd() (a no-op where readiness
  /// is level-triggered on the rings themselves, as with the kernel).
  virtual void ack_event() noexcept = 0;
  /// Returns a file descriptor to poll for the NIC going away where
  /// event_fd() does not report it as POLLHUP (direct attach: the
  /// emulator's socket), or -1. When it polls readable, call
  /// check_alive().
  [[nodiscard]] virtual int control_fd() const noexcept { return -1; }
  /// Handles what control_fd() reported; returns false once the NIC is
  /// gone.
  [[nodiscard]] virtual bool check_alive() noexcept { return true; }
  /// Sets the scheduling parameters selected by `mask` (IPIPE_PARAM_*)
  /// through the admin queue. Direct attach only: with the kernel the
  /// operator's interfaces are netlink and sysfs (errc::not_supported).
  [[nodiscard]] virtual expected<void> set_params(const ipipe_params& p, std::uint32_t mask) = 0;
  /// Copies `buf` to (to_nic) or from NIC memory at `nic_off` through the
  /// NIC's DMA engine. Returns the CRC32C the NIC computed.
  [[nodiscard]] virtual expected<std::uint32_t> dma(bool to_nic, std::span<std::byte> buf,
                                                    std::uint64_t nic_off) = 0;
  /// Returns the firmware's counters.
  [[nodiscard]] virtual expected<ipipe_fw_stats> fw_stats() = 0;
};

} // namespace ipipe::host
