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
