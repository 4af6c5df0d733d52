#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

/// Plain structs mirroring the attributes of the "ipipe" generic netlink
/// family (uapi/linux/ipipe.h, section 5). A field the kernel did not send
/// keeps its default.
namespace ipipe::netlink {

/// The scheduling parameters of a NIC as the firmware reports them.
struct sched_params {
  std::uint64_t tail_thresh_ns = 0;
  std::uint64_t mean_thresh_ns = 0;
  std::uint32_t alpha_permille = 0;
  std::uint32_t drr_quantum_ns = 0;
  std::uint32_t fcfs_cores = 0; ///< configured, 0 = automatic
  std::uint32_t fcfs_cores_now = 0;
  std::uint32_t drr_cores_now = 0;

  friend bool operator==(const sched_params&, const sched_params&) = default;
};

/// One IPIPE_CMD_DEV_GET reply.
struct dev_info {
  std::uint32_t index = 0; ///< N of /dev/ipipeN
  std::string name;        ///< "ipipe0"
  std::string bus_name;    ///< PCI address
  std::string fw_name;
  std::uint32_t fw_version = 0; ///< (major << 16) | (minor << 8) | patch
  std::uint32_t abi_version = 0;
  std::optional<std::uint32_t> fw_state; ///< enum ipipe_fw_state, if reported
  std::uint32_t nic_cores = 0;
  std::uint64_t nic_mem = 0; ///< bytes
  sched_params params;
  /// IPIPE_A_STATS, if asked for: (spec name, value) in attribute order.
  std::vector<std::pair<std::string, std::uint64_t>> stats;

  friend bool operator==(const dev_info&, const dev_info&) = default;
};

/// An IPIPE_CMD_PARAMS_SET request: only the fields that hold a value are sent.
struct params_update {
  std::optional<std::uint64_t> tail_thresh_ns;
  std::optional<std::uint64_t> mean_thresh_ns;
  std::optional<std::uint32_t> alpha_permille;
  std::optional<std::uint32_t> drr_quantum_ns;
  std::optional<std::uint32_t> fcfs_cores;

  /// Returns true if no field is set.
  [[nodiscard]] bool empty() const noexcept {
    return !tail_thresh_ns && !mean_thresh_ns && !alpha_permille && !drr_quantum_ns && !fcfs_cores;
  }
  friend bool operator==(const params_update&, const params_update&) = default;
};

/// One IPIPE_CMD_ACTOR_GET dump entry.
struct actor_info {
  std::uint32_t dev_index = 0;
  std::uint32_t id = 0;
  std::string type;
  std::uint32_t location = 0; ///< enum ipipe_location
  std::uint32_t group = 0;    ///< enum ipipe_sched_group
  std::uint32_t flags = 0;    ///< IPIPE_ACTOR_F_* | IPIPE_ACTOR_S_*
  std::uint64_t requests = 0;
  std::uint64_t migrations = 0;
  std::uint64_t mean_ns = 0;           ///< execution latency, current window
  std::uint64_t tail_ns = 0;           ///< mean + 3 sigma, current window
  std::optional<std::uint64_t> p50_ns; ///< execution time percentiles, if measured
  std::optional<std::uint64_t> p99_ns;
  std::uint32_t mailbox_len = 0;
  std::uint64_t mem_used = 0;
  std::uint64_t mem_quota = 0;

  friend bool operator==(const actor_info&, const actor_info&) = default;
};

/// One IPIPE_CMD_EVENT notification of the "events" group.
struct event {
  std::uint32_t dev_index = 0;
  std::string dev_name;
  std::uint32_t type = 0; ///< enum ipipe_event_type
  std::uint32_t actor_id = 0;
  std::uint64_t ts_ns = 0; ///< firmware clock
  std::uint64_t arg0 = 0;
  std::uint64_t arg1 = 0;

  friend bool operator==(const event&, const event&) = default;
};

/// Returns "nic" or "host" (or "?" for an unknown value).
[[nodiscard]] std::string_view location_name(std::uint32_t location) noexcept;
/// Returns "fcfs" or "drr" (or "?").
[[nodiscard]] std::string_view group_name(std::uint32_t group) noexcept;
/// Returns the spec's name of an event type ("actor-migrated"), or "?".
[[nodiscard]] std::string_view event_name(std::uint32_t type) noexcept;
/// Returns the name of an IPIPE_A_STATS_* counter as struct ipipe_fw_stats
/// spells it ("actors_recovered"), or "?".
[[nodiscard]] std::string_view stats_name(std::uint32_t attr) noexcept;
/// Returns the spec's name of a firmware state ("ready"), or "?".
[[nodiscard]] std::string_view fw_state_name(std::uint32_t state) noexcept;
/// Returns the location named "nic" or "host".
[[nodiscard]] std::optional<std::uint32_t> parse_location(std::string_view name) noexcept;

} // namespace ipipe::netlink
