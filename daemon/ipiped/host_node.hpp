#pragma once

#include <ipipe/common/expected.hpp>
#include <ipipe/common/unique_fd.hpp>
#include <ipipe/config/daemon_config.hpp>
#include <ipipe/host/device.hpp>
#include <ipipe/runtime/event_sink.hpp>
#include <ipipe/runtime/runtime.hpp>

#include "worker_pool.hpp"
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace ipipe::daemon {

/// How a host_node runs.
struct node_settings {
  unsigned workers = 1;                    ///< worker threads
  std::chrono::microseconds busy_poll{50}; ///< spin before sleeping
  std::uint64_t mem_limit = 4ULL << 30;    ///< DMO memory for actors here
  std::uint64_t budget_ns = 10'000'000;    ///< handler budget unless the actor says
};

/// Counters of one host node.
struct node_counters {
  std::uint64_t executed = 0;       ///< handlers run here
  std::uint64_t migrations_in = 0;  ///< actors that arrived from the NIC
  std::uint64_t migrations_out = 0; ///< actors sent back to the NIC
  std::uint64_t wakeups = 0;        ///< times the I/O thread slept and woke
  std::size_t local_actors = 0;     ///< actors running here now
};

/// ipiped's side of one NIC: the device handle (kernel or direct attach),
/// the runtime ring context, the host actor runtime and its workers.
///
/// An I/O thread pumps the runtime's peer rings: it moves what the NIC
/// forwards into the actors' mailboxes (workers run them) and what the
/// actors answer back to the NIC, receives migration streams and sends
/// actors back when the NIC pulls them. It busy-polls while there is
/// traffic and sleeps in poll() on the device when there is none.
class host_node final : private runtime::event_sink {
public:
  /// Opens `dev` and creates the runtime ring context.
  [[nodiscard]] static expected<std::unique_ptr<host_node>> open(const config::device_config& dev,
                                                                 const node_settings& s);
  ~host_node() override;
  host_node(const host_node&) = delete;
  host_node& operator=(const host_node&) = delete;

  /// Registers the configured actors with the NIC; those that start on the
  /// host are created here. An actor the NIC already has (same id) is
  /// taken as it is. Stops at the first error, naming the actor's line.
  [[nodiscard]] expected<void> register_actors(const std::vector<config::actor_config>& actors);
  /// Pushes the thresholds the file sets through the admin queue (direct
  /// attach; with the kernel the daemon uses netlink instead).
  [[nodiscard]] expected<void> apply_params(const config::params_config& p);

  /// Starts the workers and the I/O thread.
  void start();
  /// Sends the actors running here back to the NIC (bounded by `timeout`),
  /// then stops the threads. Returns the actors that could not go back.
  std::size_t stop(std::chrono::milliseconds timeout);

  /// Returns "kernel /dev/ipipe0" or "direct /run/ipipe/nic.sock".
  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  /// Returns the backend.
  [[nodiscard]] host::device& device() noexcept { return *dev_; }
  /// Returns the host runtime.
  [[nodiscard]] runtime::runtime& actors() noexcept { return rt_; }
  /// Returns the counters.
  [[nodiscard]] node_counters counters() const;
  /// Returns true once the NIC went away (its I/O thread ended).
  [[nodiscard]] bool lost() const noexcept { return lost_.load(std::memory_order_acquire); }

private:
  host_node(std::unique_ptr<host::device> dev, std::string name, const node_settings& s);
  void io_loop();
  void wake_io() noexcept;
  void raise(const ipipe_event& ev) noexcept override;

  std::unique_ptr<host::device> dev_;
  std::string name_;
  node_settings settings_;
  host::ring_set rings_;
  runtime::runtime rt_;
  worker_pool workers_;
  unique_fd wake_; // eventfd: workers produced output for the NIC
  std::atomic<bool> io_sleeping_{false};
  std::atomic<bool> stop_{false};
  std::atomic<bool> lost_{false}; // the NIC went away
  std::atomic<std::uint64_t> wakeups_{0};
  std::thread io_;
};

} // namespace ipipe::daemon
