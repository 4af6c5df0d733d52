#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace ipipe::runtime {

class runtime;

/// A thread that calls runtime::watchdog_tick() every `period`, so a
/// handler that overruns its budget is noticed while it still runs.
///
/// A C++ handler cannot be preempted safely inside one process; the
/// watchdog quarantines its actor (no further dispatch, requests answered
/// with errors, IPIPE_EV_ACTOR_KILLED raised) and makes every runtime call
/// the handler still makes fail with errc::budget_exceeded. Stops and joins
/// on destruction.
class watchdog {
public:
  /// Starts watching `rt`, which must outlive this object.
  watchdog(runtime& rt, std::chrono::nanoseconds period);
  ~watchdog();
  watchdog(const watchdog&) = delete;
  watchdog& operator=(const watchdog&) = delete;

  /// Returns the number of actors this watchdog stopped.
  [[nodiscard]] std::size_t stopped() const;

private:
  void run();

  runtime& rt_;
  std::chrono::nanoseconds period_;
  mutable std::mutex m_;       // protects stop_ and stopped_
  std::condition_variable cv_; // wakes run() early on shutdown
  bool stop_ = false;
  std::size_t stopped_ = 0;
  std::thread thread_; // last: started after every other member exists
};

} // namespace ipipe::runtime
