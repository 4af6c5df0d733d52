#pragma once

#include <chrono>
#include <string_view>

namespace ipipe::daemon {

/// The daemon's side of systemd's notification protocol (sd_notify(3)):
/// READY, STATUS, RELOADING, STOPPING and the watchdog keep-alive. Without
/// $NOTIFY_SOCKET (not started by systemd) every call does nothing.
class notifier {
public:
  notifier();

  /// Startup finished: READY=1 with a STATUS line.
  void ready(std::string_view status) const;
  /// A free-form STATUS line (what systemctl status shows).
  void status(std::string_view status) const;
  /// A reload (SIGHUP) begins / ended.
  void reloading() const;
  /// Shutdown begins.
  void stopping() const;
  /// The watchdog keep-alive.
  void watchdog() const;
  /// Returns how often watchdog() must be called (half the unit's
  /// WatchdogSec=), or zero when no watchdog is armed.
  [[nodiscard]] std::chrono::microseconds watchdog_period() const noexcept { return period_; }

private:
  std::chrono::microseconds period_{0};
};

} // namespace ipipe::daemon
