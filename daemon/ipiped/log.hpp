#pragma once

#include <fmt/core.h>

#include <string_view>

/// Logging in the manner of systemd's own daemons: one line per message on
/// stderr with a "<N>" syslog priority prefix, which journald turns into
/// the entry's priority (and strips).
namespace ipipe::daemon::log {

/// syslog(3) priorities.
enum class level : int { err = 3, warning = 4, notice = 5, info = 6, debug = 7 };

/// Sets the most verbose level printed (default info).
void set_max(level l) noexcept;

/// Prints `text` at `l`.
void write(level l, std::string_view text) noexcept;

template <class... Args>
void err(fmt::format_string<Args...> f, Args&&... args) {
  write(level::err, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void warning(fmt::format_string<Args...> f, Args&&... args) {
  write(level::warning, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void notice(fmt::format_string<Args...> f, Args&&... args) {
  write(level::notice, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void info(fmt::format_string<Args...> f, Args&&... args) {
  write(level::info, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void debug(fmt::format_string<Args...> f, Args&&... args) {
  write(level::debug, fmt::format(f, std::forward<Args>(args)...));
}

} // namespace ipipe::daemon::log
