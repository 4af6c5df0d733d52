#include "log.hpp"

#include <atomic>
#include <cstdio>
#include <mutex>

namespace ipipe::daemon::log {
namespace {
std::atomic<int> max_level{static_cast<int>(level::info)};
std::mutex out; // one line at a time from any thread
} // namespace

void set_max(level l) noexcept {
  max_level.store(static_cast<int>(l), std::memory_order_relaxed);
}

void write(level l, std::string_view text) noexcept {
  if (static_cast<int>(l) > max_level.load(std::memory_order_relaxed))
    return;
  std::lock_guard g{out};
  std::fprintf(stderr, "<%d>%.*s\n", static_cast<int>(l), static_cast<int>(text.size()),
               text.data());
  std::fflush(stderr);
}

} // namespace ipipe::daemon::log
