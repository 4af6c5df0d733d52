#include <ipipe/common/clock.hpp>
#include <ipipe/sched/fast_clock.hpp>

#if defined(__x86_64__)
#include <cpuid.h>
#include <x86intrin.h>
#endif

namespace ipipe::sched {

namespace {

#if defined(__x86_64__)
struct tsc_scale {
  bool usable = false;
  std::uint64_t base_tsc = 0;
  std::uint64_t base_ns = 0;
  std::uint64_t mult = 0; // ns per tick, 32.32 fixed point

  tsc_scale() {
    unsigned a = 0, b = 0, c = 0, d = 0;
    // CPUID 0x80000007 EDX bit 8: invariant TSC (constant rate, never stops).
    if (!__get_cpuid(0x80000007, &a, &b, &c, &d) || !(d & (1U << 8)))
      return;
    const std::uint64_t t0 = __rdtsc();
    const std::uint64_t n0 = monotonic_ns();
    std::uint64_t n1 = n0;
    while (n1 - n0 < 2'000'000)
      n1 = monotonic_ns();
    const std::uint64_t t1 = __rdtsc();
    if (t1 <= t0)
      return;
    mult = static_cast<std::uint64_t>((static_cast<unsigned __int128>(n1 - n0) << 32) / (t1 - t0));
    base_tsc = t1;
    base_ns = n1;
    usable = mult != 0;
  }
};
#endif

} // namespace

std::uint64_t fast_now_ns() noexcept {
#if defined(__x86_64__)
  static const tsc_scale s;
  if (s.usable) {
    const std::uint64_t dt = __rdtsc() - s.base_tsc;
    return s.base_ns +
           static_cast<std::uint64_t>((static_cast<unsigned __int128>(dt) * s.mult) >> 32);
  }
#endif
  return monotonic_ns();
}

} // namespace ipipe::sched
