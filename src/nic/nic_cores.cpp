#include <ipipe/nic/nic_cores.hpp>

#include <pthread.h>

#include <chrono>
#include <string>

namespace ipipe::nic {
namespace {

constexpr auto poll_interval = std::chrono::milliseconds(5);

} // namespace

void nic_cores::start(unsigned count, work_fn work) {
  stop();
  {
    std::lock_guard g{lock_};
    stop_ = false;
  }
  work_ = std::move(work);
  for (unsigned i = 0; i < count; ++i) {
    threads_.emplace_back([this, i] { run(i); });
    std::string name = "nic-core-" + std::to_string(i);
    pthread_setname_np(threads_.back().native_handle(), name.c_str());
  }
}

void nic_cores::kick() {
  {
    std::lock_guard g{lock_};
    ++gen_;
  }
  cv_.notify_all();
}

void nic_cores::stop() {
  {
    std::lock_guard g{lock_};
    stop_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_)
    t.join();
  threads_.clear();
}

void nic_cores::run(unsigned core) {
  std::unique_lock g{lock_};
  while (!stop_) {
    const std::uint64_t seen = gen_;
    g.unlock();
    const std::size_t done = work_(core);
    g.lock();
    if (done == 0 && !stop_ && gen_ == seen)
      cv_.wait_for(g, poll_interval, [&] { return stop_ || gen_ != seen; });
  }
}

} // namespace ipipe::nic
