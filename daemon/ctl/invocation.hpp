#pragma once

#include <ipipe/netlink/types.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ipipe::ctl {

/// Exit statuses of ipipectl.
enum exit_status : int {
  exit_ok = 0,
  exit_failure = 1, ///< netlink or kernel error (the extack text is printed)
  exit_usage = 2,   ///< bad arguments
};

/// What ipipectl was asked to do.
enum class command : std::uint8_t {
  status,
  dev_show,
  params_show,
  params_set,
  actor_list,
  actor_show,
  actor_migrate,
  events,
  top,
};

/// Returns the words that name `c` in messages: "params set".
[[nodiscard]] std::string_view command_name(command c) noexcept;

/// A parsed command line.
struct invocation {
  bool json = false;
  bool pretty = false;
  bool stats = false;
  command cmd = command::status;
  /// The device: given to the command, or -d; absent means every device
  /// (show commands) or ipipe0 (commands that change something).
  std::optional<std::uint32_t> dev;
  netlink::params_update params;      ///< params set
  std::uint32_t actor_id = 0;         ///< actor show, actor migrate
  std::uint32_t to = 0;               ///< actor migrate: enum ipipe_location
  double interval_s = 1.0;            ///< top
  std::optional<std::uint64_t> count; ///< top: frames; events: events
};

} // namespace ipipe::ctl
