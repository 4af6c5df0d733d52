#include "worker_pool.hpp"

#include <ipipe/common/clock.hpp>

namespace ipipe::daemon {

void worker_pool::start(unsigned count, std::chrono::microseconds busy_poll, run_fn run) {
  busy_poll_ = busy_poll;
  run_ = std::move(run);
  stop_.store(false);
  for (unsigned i = 0; i < count; ++i)
    workers_.push_back(std::make_unique<worker>());
  for (auto& w : workers_)
    w->t = std::thread([this, p = w.get()] { loop(*p); });
}

void worker_pool::post(std::uint32_t id) {
  worker& w = *workers_[id % workers_.size()];
  bool wake;
  {
    std::lock_guard l{w.m};
    w.q.push_back(id);
    w.pending.store(w.q.size(), std::memory_order_release);
    wake = w.sleeping;
  }
  if (wake)
    w.cv.notify_one();
}

void worker_pool::stop() {
  if (workers_.empty())
    return;
  stop_.store(true);
  for (auto& w : workers_) {
    { std::lock_guard l{w->m}; }
    w->cv.notify_one();
  }
  for (auto& w : workers_)
    w->t.join();
  workers_.clear();
}

void worker_pool::loop(worker& w) {
  const std::uint64_t spin_ns =
      static_cast<std::uint64_t>(std::chrono::nanoseconds(busy_poll_).count());
  for (;;) {
    std::uint32_t id;
    {
      std::unique_lock l{w.m};
      if (w.q.empty()) {
        // Busy-poll without the lock first; then sleep until posted to.
        l.unlock();
        const std::uint64_t until = monotonic_ns() + spin_ns;
        while (w.pending.load(std::memory_order_acquire) == 0 &&
               !stop_.load(std::memory_order_relaxed) && monotonic_ns() < until)
          std::this_thread::yield();
        l.lock();
        w.sleeping = true;
        w.cv.wait(l, [&] { return !w.q.empty() || stop_.load(); });
        w.sleeping = false;
        if (w.q.empty())
          return; // stopping, and everything queued has run
      }
      id = w.q.front();
      w.q.pop_front();
      w.pending.store(w.q.size(), std::memory_order_release);
    }
    run_(id);
    items_.fetch_add(1, std::memory_order_relaxed);
  }
}

} // namespace ipipe::daemon
