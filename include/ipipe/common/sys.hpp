#pragma once

#include <ipipe/common/expected.hpp>

#include <cerrno>
#include <string>

/// The one place where errno becomes an ipipe::error.
namespace ipipe::sys {

/// Returns an error with errc::system_error, the current errno and `what`.
[[nodiscard]] inline error last_error(std::string what) {
  return error{errc::system_error, std::move(what), errno};
}

/// Returns `r` if it is not negative, else the errno as an error naming `what`.
[[nodiscard]] inline expected<int> check(int r, const char* what) {
  if (r < 0)
    return last_error(what);
  return r;
}

} // namespace ipipe::sys
