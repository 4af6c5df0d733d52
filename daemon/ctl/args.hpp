#pragma once

#include <ipipe/netlink/types.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

/// The values of ipipectl's arguments. Each parser returns the value or
/// the one-line usage message (iproute2's wording), never both.
namespace ipipe::ctl {

/// A usage error: the message to print before exiting with status 2.
struct usage_error {
  std::string message;
};

template <class T>
struct parsed {
  std::optional<T> value;
  usage_error error;
  explicit operator bool() const noexcept { return value.has_value(); }
};

/// Returns the index of "ipipeN", "/dev/ipipeN" or "N".
[[nodiscard]] parsed<std::uint32_t> parse_dev(std::string_view text);
/// Returns an actor id (1..2^32-1).
[[nodiscard]] parsed<std::uint32_t> parse_actor_id(std::string_view text);
/// Returns the parameters of "key value [key value ...]"; keys are the
/// netlink/sysfs names (tail_thresh_ns, ...), '-' may stand for '_'.
[[nodiscard]] parsed<netlink::params_update> parse_param_pairs(std::span<const std::string> words);

/// The usage message for a value that does not parse.
[[nodiscard]] usage_error invalid_argument(std::string_view arg, std::string_view why);
/// The usage message for a command line that stops too early.
[[nodiscard]] usage_error incomplete_command();

} // namespace ipipe::ctl
