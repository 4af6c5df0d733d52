#pragma once

#include <linux/ipipe.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ipipe::nic {

/// hdr.client of a message that came from host ring context N is
/// ring_client_base | N; wire endpoints use the handles below it.
inline constexpr std::uint32_t ring_client_base = 0x80000000u;

/// Where messages produced while handling a request go: the N2H ring of the
/// ring context the request came from, or back over the wire.
class message_sink {
public:
  virtual ~message_sink() = default;
  /// Sends one message (`hdr.len` must equal `payload.size()`). Returns
  /// false if it had to be dropped.
  virtual bool send(const ipipe_msg_hdr& hdr, std::span<const std::byte> payload) = 0;
};

/// The rings of the context the host runtime created with
/// IPIPE_RING_CREATE_F_RUNTIME, by enum ipipe_ring_type, already formatted.
struct host_runtime_rings {
  std::array<std::span<std::byte>, IPIPE_RING_TYPE_LAST> region{}; ///< whole ring
  std::array<std::uint32_t, IPIPE_RING_TYPE_LAST> entries{};       ///< descriptors
  std::array<std::uint32_t, IPIPE_RING_TYPE_LAST> slot_size{};     ///< payload slot bytes
};

/// What the firmware offers a dispatcher (bound once, before boot()).
class dispatch_host {
public:
  virtual ~dispatch_host() = default;
  /// Posts an event to the host's event queue.
  virtual bool post_event(ipipe_event_type type, std::uint32_t actor_id, std::uint64_t arg0,
                          std::uint64_t arg1) = 0;
  /// Records that actor `id` now runs at `loc` (a migration completed).
  virtual void actor_moved(std::uint32_t id, ipipe_location loc) = 0;
  /// Interrupts the host on its ring vector (new messages on N2H rings).
  virtual void signal_host() = 0;
  /// Sends a message that leaves the runtime to the endpoint in hdr.client
  /// (a ring context or a wire endpoint): thread safe.
  virtual message_sink& outbound() = 0;
};

/// The seam between the emulated device and the actor runtime: the NIC
/// cores and the wire port hand every validated request to deliver(). The
/// firmware's built-in implementation (builtin_dispatch) knows only simple
/// stateless actors; the real runtime plugs in here.
class actor_dispatch {
public:
  virtual ~actor_dispatch() = default;

  /// Returns true if actors of type `name` can be created.
  [[nodiscard]] virtual bool has_type(std::string_view name) const = 0;
  /// Returns the names of the registered actor types.
  [[nodiscard]] virtual std::vector<std::string> types() const = 0;

  /// Delivers one checked message to its destination actor; anything it
  /// answers goes to `out`. Called from NIC core threads and the wire port
  /// concurrently.
  virtual void deliver(const ipipe_msg_hdr& hdr, std::span<const std::byte> payload,
                       message_sink& out) = 0;

  // A stateless dispatcher (the built-in one) needs none of what follows;
  // the runtime's uses all of it.

  /// Gives the dispatcher the firmware's services; before boot().
  virtual void bind(dispatch_host& host) { (void)host; }
  /// Starts and stops the dispatcher's threads (firmware boot/shutdown).
  virtual void start() {}
  virtual void stop() {}
  /// The admin queue created actor `id` from the checked `cmd`; a status
  /// other than IPIPE_STS_OK undoes the creation.
  virtual ipipe_status actor_created(const ipipe_admin_cmd& cmd, std::uint32_t id) {
    (void)cmd;
    (void)id;
    return IPIPE_STS_OK;
  }
  /// The admin queue destroyed actor `id`.
  virtual void actor_destroyed(std::uint32_t id) { (void)id; }
  /// Returns true if actors have state the dispatcher moves itself
  /// (migrate()); false: the firmware just flips the location.
  [[nodiscard]] virtual bool moves_state() const noexcept { return false; }
  /// Starts moving actor `id` to `to` with its state over the host
  /// runtime's rings; completion (or failure: the location stays) is
  /// reported through dispatch_host::actor_moved().
  virtual ipipe_status migrate(std::uint32_t id, ipipe_location to) {
    (void)id;
    (void)to;
    return IPIPE_STS_BAD_OPCODE;
  }
  /// New scheduling parameters were set.
  virtual void params_changed(const ipipe_params& p) { (void)p; }
  /// The host runtime's ring context appeared (`rings`) or went away
  /// (std::nullopt); on return the dispatcher no longer touches the old
  /// rings. Called from the admin queue thread. A status other than
  /// IPIPE_STS_OK refuses the rings (their RING_CREATE fails with it).
  virtual ipipe_status host_runtime(const std::optional<host_runtime_rings>& rings) {
    (void)rings;
    return IPIPE_STS_OK;
  }
  /// The host rang the ring doorbell: it posted to H2N rings.
  virtual void doorbell() {}
  /// Fills in what the dispatcher knows of a live actor (group, memory,
  /// execution statistics, mailbox) on its ACTOR_LIST entry.
  virtual void refine(ipipe_actor_info& info) const { (void)info; }
  /// Fills in the dispatcher's own counters of GET_STATS.
  virtual void refine(ipipe_fw_stats& stats) const { (void)stats; }
  /// The NIC was reset: forget every actor.
  virtual void reset() {}
};

/// Returns IPIPE_STS_OK if `hdr` describes a well-formed message of exactly
/// `payload_bytes` bytes after the header: known type and flags, reserved
/// field zero, len == payload_bytes <= IPIPE_MSG_MAX_PAYLOAD.
[[nodiscard]] ipipe_status check_msg_hdr(const ipipe_msg_hdr& hdr,
                                         std::size_t payload_bytes) noexcept;

/// Sends an IPIPE_MSG_ERROR reply to `req` carrying `status` as a
/// little-endian __u32 payload, unless the request asked for no reply.
bool send_error_reply(const ipipe_msg_hdr& req, ipipe_status status, message_sink& out);

} // namespace ipipe::nic
