#include <ipipe/netlink/types.hpp>

#include <linux/ipipe.h>

#include <array>

namespace ipipe::netlink {

namespace {

template <std::size_t N>
std::string_view pick(const std::array<std::string_view, N>& names, std::uint32_t v) noexcept {
  return v < N ? names[v] : std::string_view{"?"};
}

} // namespace

std::string_view location_name(std::uint32_t location) noexcept {
  static constexpr std::array<std::string_view, 2> names{"nic", "host"};
  return pick(names, location);
}

std::string_view group_name(std::uint32_t group) noexcept {
  static constexpr std::array<std::string_view, 2> names{"fcfs", "drr"};
  return pick(names, group);
}

std::string_view event_name(std::uint32_t type) noexcept {
  static constexpr std::array<std::string_view, IPIPE_EV_LAST> names{
      "none",         "actor-migrated", "actor-downgraded", "actor-upgraded",
      "actor-killed", "fw-error",       "migrate-request"};
  return pick(names, type);
}

std::string_view stats_name(std::uint32_t attr) noexcept {
  static constexpr std::array<std::string_view, IPIPE_A_STATS_MAX + 1> names{"?",
                                                                             "?", // pad
                                                                             "admin_cmds",
                                                                             "admin_errors",
                                                                             "dma_cmds",
                                                                             "dma_bytes",
                                                                             "dma_errors",
                                                                             "irqs_raised",
                                                                             "doorbells",
                                                                             "wire_rx_packets",
                                                                             "wire_rx_dropped",
                                                                             "wire_tx_packets",
                                                                             "ring_rx_msgs",
                                                                             "ring_tx_msgs",
                                                                             "ring_bad_desc",
                                                                             "migrations_to_host",
                                                                             "migrations_to_nic",
                                                                             "host_backlog_dropped",
                                                                             "watchdog_kills",
                                                                             "wire_tx_dropped",
                                                                             "actors_recovered",
                                                                             "recovery_refused",
                                                                             "recovery_checkpoints",
                                                                             "admin_timeouts",
                                                                             "events",
                                                                             "mailbox_full"};
  return pick(names, attr);
}

std::string_view fw_state_name(std::uint32_t state) noexcept {
  static constexpr std::array<std::string_view, 5> names{"off", "booting", "ready", "resetting",
                                                         "failed"};
  return pick(names, state);
}

std::optional<std::uint32_t> parse_location(std::string_view name) noexcept {
  if (name == "nic")
    return IPIPE_LOC_NIC;
  if (name == "host")
    return IPIPE_LOC_HOST;
  return std::nullopt;
}

} // namespace ipipe::netlink
