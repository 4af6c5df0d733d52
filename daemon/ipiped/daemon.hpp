#pragma once

#include <ipipe/config/daemon_config.hpp>

#include "control.hpp"
#include "host_node.hpp"
#include "notifier.hpp"
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace ipipe::daemon {

/// The whole of ipiped: the configuration, one host_node per device, the
/// netlink control and systemd notification.
class ipiped {
public:
  /// A daemon for the file at `config_path` (read by start() and reload()).
  explicit ipiped(std::filesystem::path config_path) : path_(std::move(config_path)) {}

  /// Loads the file, opens every device, registers the actors, pushes the
  /// thresholds and starts the nodes. Any error leaves nothing running.
  [[nodiscard]] expected<void> start();
  /// SIGHUP: re-reads the file; a bad file is reported and changes
  /// nothing, a good one updates the thresholds (devices and actors need a
  /// restart, which is said).
  void reload();
  /// Sends the host actors back to their NICs and stops.
  void stop();
  /// Periodic work (every second): netlink reconnect, STATUS. Returns
  /// false if a NIC went away.
  [[nodiscard]] bool tick();
  /// Returns the netlink event fd to poll, or -1.
  [[nodiscard]] int event_fd() const noexcept { return ctl_.event_fd(); }
  /// Handles readable netlink events.
  void on_events() { ctl_.drain_events(); }
  /// Returns the notifier (its watchdog period sets the timer).
  [[nodiscard]] const notifier& notify() const noexcept { return notify_; }

private:
  [[nodiscard]] expected<void> push_params(const config::params_config& p);
  [[nodiscard]] std::string status_line() const;

  std::filesystem::path path_;
  config::daemon_config cfg_;
  std::vector<std::unique_ptr<host_node>> nodes_;
  control ctl_;
  notifier notify_;
  bool params_pending_ = false; // kernel thresholds still to push
  bool uses_netlink_ = false;   // some device is a kernel one
};

} // namespace ipipe::daemon
