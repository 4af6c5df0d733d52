#include "notifier.hpp"

#include <systemd/sd-daemon.h>

#include <string>

namespace ipipe::daemon {

notifier::notifier() {
  std::uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) > 0)
    period_ = std::chrono::microseconds(usec / 2);
}

void notifier::ready(std::string_view status) const {
  const std::string s = "READY=1\nSTATUS=" + std::string(status);
  (void)sd_notify(0, s.c_str());
}

void notifier::status(std::string_view status) const {
  const std::string s = "STATUS=" + std::string(status);
  (void)sd_notify(0, s.c_str());
}

void notifier::reloading() const {
  (void)sd_notify(0, "RELOADING=1");
}

void notifier::stopping() const {
  (void)sd_notify(0, "STOPPING=1");
}

void notifier::watchdog() const {
  (void)sd_notify(0, "WATCHDOG=1");
}

} // namespace ipipe::daemon
