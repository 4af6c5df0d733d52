#pragma once

#include <cstdint>
#include <string_view>

namespace ipipe {

/// Error codes of the runtime, the emulator and the daemon.
///
/// The numbers travel in logs and on rings, so they are anchored: never
/// renumber an entry, only append.
enum class errc : std::uint8_t {
  /// Not an error.
  none = 0,
  /// An argument is out of range or malformed.
  invalid_argument = 1,
  /// An address or offset lies outside the memory it must stay in.
  bad_address = 2,
  /// A length is zero, too large, or overflows when added to an offset.
  bad_length = 3,
  /// The named actor, object, ring or type does not exist.
  not_found = 4,
  /// The id is already taken.
  exists = 5,
  /// A memory quota or table is full.
  no_space = 6,
  /// The caller does not own the object it named.
  permission_denied = 7,
  /// A ring or queue is full; try again later.
  queue_full = 8,
  /// A ring or queue is empty.
  queue_empty = 9,
  /// The target is busy (for example, migrating).
  busy = 10,
  /// The operation timed out.
  timed_out = 11,
  /// The peer sent data that failed validation.
  protocol_error = 12,
  /// A system call failed; see the attached errno.
  system_error = 13,
  /// The operation is not supported.
  not_supported = 14,
  /// The object was shut down.
  closed = 15,
  /// A handler exceeded its execution budget.
  budget_exceeded = 16,
  /// A configuration file is invalid.
  config_error = 17,
};

/// Returns a short, stable name for `code` ("queue_full").
[[nodiscard]] std::string_view to_string(errc code) noexcept;

} // namespace ipipe
