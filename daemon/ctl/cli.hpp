#pragma once

#include "invocation.hpp"
#include <optional>
#include <string>
#include <vector>

namespace ipipe::ctl {

/// The result of reading the command line.
struct cli_result {
  /// What to run; absent when the process should just exit with `status`
  /// (after --help, -V, help, or a usage error).
  std::optional<invocation> inv;
  int status = exit_ok;
  std::string out; ///< for stdout (help, version)
  std::string err; ///< for stderr (usage errors)
};

/// Returns the grammar printed by `help` and --help, devlink style.
[[nodiscard]] std::string usage_text();

/// Returns the parsed command line `args` (without the program name).
/// Usage errors give status exit_usage and a message in `err`.
[[nodiscard]] cli_result parse_command_line(const std::vector<std::string>& args);

} // namespace ipipe::ctl
