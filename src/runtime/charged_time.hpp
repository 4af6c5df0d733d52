#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>

namespace ipipe::runtime::internal {

/// Returns the calling thread's kernel id (cached per thread).
[[nodiscard]] pid_t this_tid() noexcept;

/// What the kernel's scheduler says of one thread of this process.
struct thread_sample {
  std::uint64_t on_cpu_ns = 0; ///< time run on a CPU (updated at ticks)
  std::uint64_t waited_ns = 0; ///< time runnable but waiting for a CPU, finished waits
  bool sleeping = false;       ///< blocked now (S or D): no wait under way
};

/// Samples thread `tid` of this process (/proc/self/task/TID/schedstat and
/// stat), or nullopt if the kernel does not tell.
[[nodiscard]] std::optional<thread_sample> sample_thread(pid_t tid) noexcept;

/// Time a handler is charged between two samples of its thread `wall_ns`
/// apart: the wall time less the time its thread waited for a CPU. A NIC
/// core of the emulation that the host's scheduler preempts is not the
/// actor's fault; a handler that spins or sleeps is. A wait still under
/// way is not in `waited_ns` yet, so unless the thread sleeps (then no
/// wait is under way) only the CPU time is known to be charged: the
/// result never exceeds what the handler used.
[[nodiscard]] std::uint64_t charged_ns(const thread_sample& from, const thread_sample& to,
                                       std::uint64_t wall_ns, bool running_now) noexcept;

} // namespace ipipe::runtime::internal
