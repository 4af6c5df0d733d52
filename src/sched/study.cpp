#include <ipipe/sched/study.hpp>

namespace ipipe::sched {

study_point measure(const sim_config& cfg, const workload& w, double load, const study_options& o) {
  const sim_result r = sim_engine{cfg}.run(w, load, o.duration_ns);
  record_filter all;
  all.from_ns = static_cast<std::uint64_t>(o.warmup * static_cast<double>(o.duration_ns));
  all.short_ns = cfg.short_ns;
  record_filter shorts = all;
  shorts.short_only = true;
  study_point p;
  p.load = load;
  p.p999_slowdown = r.slowdown_quantile(0.999, all);
  p.short_p999_ns = r.latency_quantile(0.999, shorts);
  p.short_p999_slowdown = r.slowdown_quantile(0.999, shorts);
  return p;
}

double max_load(const sim_config& cfg, const workload& w, const study_options& o, double step,
                double max, int refine, std::vector<study_point>* curve) {
  double pass = 0;
  double fail = -1;
  // Grid points are computed as i * step so every run sees the same loads.
  for (int i = 1; i * step <= max + 1e-9; ++i) {
    const study_point p = measure(cfg, w, i * step, o);
    if (curve)
      curve->push_back(p);
    if (p.p999_slowdown <= o.slo) {
      if (fail < 0)
        pass = p.load;
    } else if (fail < 0) {
      fail = p.load;
      if (!curve)
        break; // the rest of the curve is not needed
    }
  }
  if (fail < 0)
    return pass;
  for (int k = 0; k < refine; ++k) {
    const double mid = (pass + fail) / 2;
    if (measure(cfg, w, mid, o).p999_slowdown <= o.slo)
      pass = mid;
    else
      fail = mid;
  }
  return pass;
}

} // namespace ipipe::sched
