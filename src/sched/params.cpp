#include <ipipe/sched/params.hpp>

#include <linux/ipipe.h>

#include <algorithm>

namespace ipipe::sched {

static_assert(tunables::all_fields == IPIPE_PARAM_ALL, "one mask bit per params field");

void tunables::set(const params& p, std::uint32_t mask) noexcept {
  constexpr auto r = std::memory_order_relaxed;
  if (mask & IPIPE_PARAM_TAIL_THRESH)
    tail_.store(p.tail_thresh_ns, r);
  if (mask & IPIPE_PARAM_MEAN_THRESH)
    mean_.store(p.mean_thresh_ns, r);
  if (mask & IPIPE_PARAM_ALPHA)
    alpha_.store(std::min<std::uint32_t>(p.alpha_permille, 1000), r);
  if (mask & IPIPE_PARAM_DRR_QUANTUM)
    quantum_.store(p.drr_quantum_ns, r);
  if (mask & IPIPE_PARAM_FCFS_CORES)
    fcfs_cores_.store(p.fcfs_cores, r);
}

params tunables::get() const noexcept {
  params p;
  p.tail_thresh_ns = tail_thresh_ns();
  p.mean_thresh_ns = mean_thresh_ns();
  p.alpha_permille = alpha_permille();
  p.drr_quantum_ns = drr_quantum_ns();
  p.fcfs_cores = fcfs_cores();
  return p;
}

} // namespace ipipe::sched
