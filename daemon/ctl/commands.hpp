#pragma once

#include <ipipe/common/expected.hpp>

#include "control.hpp"
#include "invocation.hpp"
#include <string>

namespace ipipe::ctl {

/// Runs one request-reply command (everything but `events` and `top`) and
/// returns what it prints on stdout.
[[nodiscard]] expected<std::string> run_command(const invocation& inv, control& ctl);

/// Returns the line ipipectl prints for an error of command `inv.cmd`:
/// "ipipectl: params set: <extack text> (<strerror>)".
[[nodiscard]] std::string error_line(const invocation& inv, const error& e);

} // namespace ipipe::ctl
