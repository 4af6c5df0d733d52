// The scheduler study of issue 7: every policy on every workload in the
// same simulation harness, 14 NIC cores, open-loop Poisson arrivals.
//
//   sched_study [--quick] [--csv DIR]
//
// Prints the table; with --csv writes DIR/curves.csv (one row per load
// point) and DIR/shift.csv (p99.9 slowdown per 1 ms after the mix shift)
// for Documentation/images/plot-scheduler.py.
#include <ipipe/sched/study.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <future>
#include <mutex>
#include <string>
#include <vector>

using namespace ipipe::sched;

namespace {

constexpr std::uint64_t ms = 1'000'000;

struct job {
  workload w;
  discipline d;
  study_options o;
  double best = 0;
  std::vector<study_point> curve;
};

sim_config config_for(discipline d) {
  sim_config c;
  c.disc = d;
  c.policy.cores = 14;
  c.ps_quantum_ns = 5'000;
  c.ps_preempt_ns = 1'000; // stated preemption cost of the PS baseline
  return c;
}

void run_job(job& j) { j.best = max_load(config_for(j.d), j.w, j.o, 0.05, 1.0, 3, &j.curve); }

} // namespace

int main(int argc, char** argv) {
  bool quick = false;
  const char* csv = nullptr;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--quick"))
      quick = true;
    else if (!std::strcmp(argv[i], "--csv") && i + 1 < argc)
      csv = argv[++i];
    else {
      std::fprintf(stderr, "usage: sched_study [--quick] [--csv DIR]\n");
      return 2;
    }
  }
  const auto t0 = std::chrono::steady_clock::now();
  const double scale = quick ? 0.25 : 1.0;
  const std::uint64_t shift_at = static_cast<std::uint64_t>(50 * ms * scale);
  struct wl {
    workload w;
    std::uint64_t duration;
  };
  const std::vector<wl> workloads{{sbim2(), static_cast<std::uint64_t>(100 * ms * scale)},
                                  {disp2(), static_cast<std::uint64_t>(1000 * ms * scale)},
                                  {shifting_mix(shift_at), static_cast<std::uint64_t>(100 * ms * scale)}};
  const discipline policies[] = {discipline::c_fcfs, discipline::d_fcfs, discipline::drr_only,
                                 discipline::ps,     discipline::darc,   discipline::hybrid};
  std::vector<job> jobs;
  for (const auto& w : workloads)
    for (auto d : policies) {
      study_options o;
      o.duration_ns = w.duration;
      jobs.push_back(job{w.w, d, o, 0, {}});
    }
  // Two workers: the runs are independent and each is deterministic, so
  // the figures do not depend on the interleaving.
  std::size_t next = 0;
  std::mutex mu;
  auto worker = [&] {
    for (;;) {
      std::size_t k;
      {
        std::lock_guard l{mu};
        if (next == jobs.size())
          return;
        k = next++;
      }
      run_job(jobs[k]);
    }
  };
  auto f = std::async(std::launch::async, worker);
  worker();
  f.get();

  std::printf("Scheduler study: 14 NIC cores, open-loop Poisson, SLO p99.9 slowdown <= 10%s\n",
              quick ? " (quick)" : "");
  std::printf("%-7s %-8s %9s %22s %20s\n", "load", "policy", "max load", "short p99.9 @0.8 (us)",
              "p99.9 slowdown @0.8");
  for (const auto& j : jobs) {
    const study_point* at08 = nullptr;
    for (const auto& p : j.curve)
      if (p.load > 0.79 && p.load < 0.81)
        at08 = &p;
    std::printf("%-7s %-8s %9.3f %22.1f %20.1f\n", j.w.name.c_str(), to_string(j.d), j.best,
                at08 ? at08->short_p999_ns / 1e3 : 0.0, at08 ? at08->p999_slowdown : 0.0);
  }

  // Adaptivity: the hybrid after the mix shift, at 0.8 load.
  sim_config hc = config_for(discipline::hybrid);
  const std::uint64_t shift_dur = static_cast<std::uint64_t>(100 * ms * scale);
  const sim_result sr = sim_engine{hc}.run(shifting_mix(shift_at), 0.8, shift_dur);
  std::vector<double> bins;
  std::uint64_t recovered = 0;
  for (std::uint64_t t = shift_at; t + ms <= shift_dur; t += ms) {
    record_filter f1;
    f1.from_ns = t;
    f1.to_ns = t + ms;
    bins.push_back(sr.slowdown_quantile(0.999, f1));
    if (bins.back() > 10)
      recovered = t + ms - shift_at;
  }
  std::size_t changes = 0;
  for (const auto& d : sr.decisions)
    if (d.at_ns >= shift_at &&
        (d.kind == decision_kind::downgrade || d.kind == decision_kind::upgrade))
      ++changes;
  std::printf("\nShift (hybrid, 0.8 load): p99.9 slowdown per 1 ms bin back <= 10 after %.1f ms; "
              "%zu group changes after the shift\n",
              recovered / 1e6, changes);

  // Overload: offered load above NIC capacity, with and without a host.
  std::printf("\nOverload (hybrid, SBIM2): short p99.9 slowdown on the NIC\n");
  std::printf("%-6s %14s %8s %16s\n", "load", "with host", "pushes", "without host");
  for (double load : {1.0, 1.25, 1.5}) {
    sim_config with = config_for(discipline::hybrid);
    with.host_cores = 16;
    sim_config without = config_for(discipline::hybrid);
    study_options o;
    o.duration_ns = static_cast<std::uint64_t>(100 * ms * scale);
    o.warmup = 0.2;
    const sim_result a = sim_engine{with}.run(sbim2(), load, o.duration_ns);
    record_filter shorts;
    shorts.from_ns = static_cast<std::uint64_t>(o.warmup * static_cast<double>(o.duration_ns));
    shorts.short_only = true;
    const study_point b = measure(without, sbim2(), load, o);
    std::printf("%-6.2f %14.1f %8zu %16.1f\n", load, a.slowdown_quantile(0.999, shorts),
                a.count(decision_kind::push_to_host), b.short_p999_slowdown);
  }

  if (csv) {
    const std::string dir = csv;
    if (FILE* out = std::fopen((dir + "/curves.csv").c_str(), "w")) {
      std::fprintf(out, "workload,policy,load,p999_slowdown,short_p999_ns\n");
      for (const auto& j : jobs)
        for (const auto& p : j.curve)
          std::fprintf(out, "%s,%s,%.3f,%.4f,%llu\n", j.w.name.c_str(), to_string(j.d), p.load,
                       p.p999_slowdown, static_cast<unsigned long long>(p.short_p999_ns));
      std::fclose(out);
    }
    if (FILE* out = std::fopen((dir + "/shift.csv").c_str(), "w")) {
      std::fprintf(out, "ms_after_shift,p999_slowdown\n");
      for (std::size_t i = 0; i < bins.size(); ++i)
        std::fprintf(out, "%zu,%.4f\n", i, bins[i]);
      std::fclose(out);
    }
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("\n(%.1f s wall time)\n", secs);
  return 0;
}
