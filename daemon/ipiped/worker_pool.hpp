#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace ipipe::daemon {

/// The host cores that run migrated actors: one queue per worker thread,
/// an actor always on the same worker (its id modulo the worker count), so
/// its handlers stay on one core's cache. A worker that runs out of work
/// spins for `busy_poll` before it sleeps, NAPI style: under load it never
/// pays a wake-up, idle it costs nothing.
class worker_pool {
public:
  /// Runs one queued item of actor `id` (runtime::run_next).
  using run_fn = std::function<void(std::uint32_t id)>;

  worker_pool() = default;
  worker_pool(const worker_pool&) = delete;
  worker_pool& operator=(const worker_pool&) = delete;
  ~worker_pool() { stop(); }

  /// Starts `count` workers calling `run`.
  void start(unsigned count, std::chrono::microseconds busy_poll, run_fn run);
  /// Queues one item of actor `id`. Any thread.
  void post(std::uint32_t id);
  /// Runs what is queued, then joins the workers.
  void stop();
  /// Returns the items run so far.
  [[nodiscard]] std::uint64_t items() const noexcept {
    return items_.load(std::memory_order_relaxed);
  }

private:
  struct worker {
    std::mutex m; // protects q and sleeping
    std::condition_variable cv;
    std::deque<std::uint32_t> q;
    std::atomic<std::size_t> pending{0}; // q.size(), read while spinning
    bool sleeping = false;
    std::thread t;
  };

  void loop(worker& w);

  std::vector<std::unique_ptr<worker>> workers_;
  std::chrono::microseconds busy_poll_{0};
  run_fn run_;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> items_{0};
};

} // namespace ipipe::daemon
