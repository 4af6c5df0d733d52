#pragma once

#include <ipipe/runtime/exec_histogram.hpp>
#include <ipipe/runtime/ids.hpp>

#include <linux/ipipe.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ipipe::runtime {

/// Where an actor stands in one runtime's table.
enum class actor_state : std::uint8_t {
  /// Runs here.
  local = 0,
  /// Runs at the peer; its messages are forwarded over the message ring.
  remote = 1,
  /// Leaving: quiesced, its new requests are buffered until the peer took over.
  migrating_out = 2,
  /// Arriving: its state is being rebuilt here, its requests are held.
  incoming = 3,
  /// Stopped by the watchdog; every request is answered with an error.
  quarantined = 4,
};

/// Returns a short name for `s` ("migrating_out").
[[nodiscard]] std::string_view to_string(actor_state s) noexcept;

/// Execution statistics of an actor; they travel with it when it migrates.
struct actor_stats {
  std::uint64_t requests = 0;      ///< handler runs completed
  std::uint64_t exec_ns_sum = 0;   ///< sum of execution times
  std::uint64_t exec_ns_sumsq = 0; ///< sum of squares (saturating), for sigma
  std::uint64_t exec_ns_max = 0;   ///< longest execution seen here
  std::uint64_t migrations = 0;    ///< completed migrations
  std::uint64_t rejected = 0;      ///< requests answered with an error
  exec_histogram exec_hist;        ///< recent execution times (not migrated)
};

/// A snapshot of one actor table row.
struct actor_info {
  actor_id id = 0;                            ///< actor id
  std::string type;                           ///< registered type name
  actor_state state = actor_state::local;     ///< see actor_state
  ipipe_location location = IPIPE_LOC_NIC;    ///< where it runs now
  ipipe_sched_group group = IPIPE_GROUP_FCFS; ///< scheduling group
  std::uint64_t mem_quota = 0;                ///< DMO arena bytes
  std::uint64_t mem_used = 0;                 ///< DMO bytes allocated here
  std::uint64_t objects = 0;                  ///< DMOs held here
  std::uint64_t budget_ns = 0;                ///< handler budget
  std::size_t mailbox_len = 0;                ///< queued requests here
  std::size_t buffered_len = 0;               ///< requests held by a migration
  actor_stats stats;                          ///< statistics
};

/// Returns `i` as the uapi's IPIPE_ADMIN_ACTOR_LIST entry: mean and tail
/// (mean + 3 sigma) from the execution sums, p50 and p99 from the
/// histogram, state as IPIPE_ACTOR_S_* bits.
[[nodiscard]] ipipe_actor_info to_uapi(const actor_info& i) noexcept;

} // namespace ipipe::runtime
