#include <ipipe/common/errc.hpp>
#include <ipipe/common/expected.hpp>

#include <cstring>

namespace ipipe {

std::string_view to_string(errc code) noexcept {
  switch (code) {
  case errc::none:
    return "none";
  case errc::invalid_argument:
    return "invalid_argument";
  case errc::bad_address:
    return "bad_address";
  case errc::bad_length:
    return "bad_length";
  case errc::not_found:
    return "not_found";
  case errc::exists:
    return "exists";
  case errc::no_space:
    return "no_space";
  case errc::permission_denied:
    return "permission_denied";
  case errc::queue_full:
    return "queue_full";
  case errc::queue_empty:
    return "queue_empty";
  case errc::busy:
    return "busy";
  case errc::timed_out:
    return "timed_out";
  case errc::protocol_error:
    return "protocol_error";
  case errc::system_error:
    return "system_error";
  case errc::not_supported:
    return "not_supported";
  case errc::closed:
    return "closed";
  case errc::budget_exceeded:
    return "budget_exceeded";
  case errc::config_error:
    return "config_error";
  }
  return "unknown";
}

std::string error::message() const {
  std::string what = code_ == errc::system_error && errno_ != 0 ? std::string(std::strerror(errno_))
                                                                : std::string(to_string(code_));
  if (context_.empty())
    return what;
  return context_ + ": " + what;
}

} // namespace ipipe
