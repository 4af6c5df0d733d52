#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace ipipe::nic {

/// The NIC core threads. Each runs `work(core)` until it reports nothing
/// done, then sleeps until kick() (the ring doorbell) or a short poll
/// interval passes: doorbells may be lost or coalesced, so polling is the
/// fallback, never the only wake-up.
class nic_cores {
public:
  /// The work of one pass on core `core`; returns the items handled.
  using work_fn = std::function<std::size_t(unsigned core)>;

  nic_cores() = default;
  nic_cores(const nic_cores&) = delete;
  nic_cores& operator=(const nic_cores&) = delete;
  ~nic_cores() { stop(); }

  /// Starts `count` threads running `work`.
  void start(unsigned count, work_fn work);
  /// Wakes every core.
  void kick();
  /// Stops and joins the threads.
  void stop();
  /// Returns the number of running cores.
  [[nodiscard]] unsigned count() const noexcept { return static_cast<unsigned>(threads_.size()); }

private:
  void run(unsigned core);

  std::mutex lock_; // protects gen_ and stop_
  std::condition_variable cv_;
  std::uint64_t gen_ = 0;
  bool stop_ = false;
  work_fn work_;
  std::vector<std::thread> threads_;
};

} // namespace ipipe::nic
