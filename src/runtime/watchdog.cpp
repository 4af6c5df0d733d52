#include <ipipe/common/clock.hpp>
#include <ipipe/runtime/runtime.hpp>
#include <ipipe/runtime/watchdog.hpp>

namespace ipipe::runtime {

watchdog::watchdog(runtime& rt, std::chrono::nanoseconds period)
    : rt_(rt), period_(period), thread_([this] { run(); }) {}

watchdog::~watchdog() {
  {
    std::lock_guard l(m_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

std::size_t watchdog::stopped() const {
  std::lock_guard l(m_);
  return stopped_;
}

void watchdog::run() {
  std::unique_lock l(m_);
  while (!stop_) {
    cv_.wait_for(l, period_, [this] { return stop_; });
    if (stop_)
      break;
    l.unlock();
    const std::size_t n = rt_.watchdog_tick(monotonic_ns());
    l.lock();
    stopped_ += n;
  }
}

} // namespace ipipe::runtime
