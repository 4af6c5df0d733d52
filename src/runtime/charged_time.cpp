#include "charged_time.hpp"

#include <ipipe/common/unique_fd.hpp>

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <cstring>

namespace ipipe::runtime::internal {
namespace {

// Reads a small /proc file of thread `tid` into `buf`; returns its length.
ssize_t read_task_file(pid_t tid, const char* name, char* buf, std::size_t size) {
  char path[64];
  std::snprintf(path, sizeof(path), "/proc/self/task/%d/%s", static_cast<int>(tid), name);
  unique_fd fd{::open(path, O_RDONLY | O_CLOEXEC)};
  if (!fd)
    return -1;
  const ssize_t n = ::read(fd.get(), buf, size - 1);
  if (n > 0)
    buf[n] = '\0';
  return n;
}

} // namespace

pid_t this_tid() noexcept {
  thread_local const pid_t tid = static_cast<pid_t>(::syscall(SYS_gettid));
  return tid;
}

std::optional<thread_sample> sample_thread(pid_t tid) noexcept {
  char buf[512];
  // "<ns on a CPU> <ns waiting on a run queue> <time slices>"
  if (read_task_file(tid, "schedstat", buf, sizeof(buf)) <= 0)
    return std::nullopt;
  thread_sample s;
  if (std::sscanf(buf, "%" SCNu64 " %" SCNu64, &s.on_cpu_ns, &s.waited_ns) != 2)
    return std::nullopt;
  // "pid (comm) state ...": the name may hold anything, the state follows
  // the last parenthesis.
  if (read_task_file(tid, "stat", buf, sizeof(buf)) <= 0)
    return std::nullopt;
  const char* close = std::strrchr(buf, ')');
  if (close == nullptr || close[1] != ' ')
    return std::nullopt;
  s.sleeping = close[2] == 'S' || close[2] == 'D';
  return s;
}

std::uint64_t charged_ns(const thread_sample& from, const thread_sample& to, std::uint64_t wall_ns,
                         bool running_now) noexcept {
  const auto delta = [](std::uint64_t a, std::uint64_t b) { return b > a ? b - a : 0; };
  const std::uint64_t cpu = delta(from.on_cpu_ns, to.on_cpu_ns);
  if (!running_now && !to.sleeping)
    return cpu;
  const std::uint64_t waited = delta(from.waited_ns, to.waited_ns);
  const std::uint64_t charged = wall_ns > waited ? wall_ns - waited : 0;
  return charged > cpu ? charged : cpu;
}

} // namespace ipipe::runtime::internal
