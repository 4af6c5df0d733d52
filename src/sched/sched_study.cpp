// The scheduler study of issue 7: every policy on every workload in the
// same simulation harness, 14 NIC cores, open-loop Poisson arrivals.
//
//   sched_study [--quick] [--cross-only] [--csv DIR] [--costs FILE]
//
// Prints the table; with --csv writes DIR/curves.csv (one row per load
// point) and DIR/shift.csv (p99.9 slowdown per 1 ms after the mix shift)
// for src/sched/plot_study.py. --cross-only runs only the real-thread
// cross-check; --quick shortens every run to a quarter. The APPS
// workloads take the applications' handler costs from FILE (written by
// app_cost_bench), by default from the table built in (app_costs.csv).
#include <ipipe/sched/cost_table.hpp>
#include <ipipe/sched/fast_clock.hpp>
#include <ipipe/sched/study.hpp>
#include <ipipe/sched/thread_engine.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <future>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

using namespace ipipe::sched;
using ipipe::errc;
using ipipe::error;
using ipipe::expected;

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

void run_job(job& j) {
  j.best = max_load(config_for(j.d), j.w, j.o, 0.05, 1.0, 3, &j.curve);
}

// Cross-check: one Poisson trace (SBIM2 scaled x20: 10 us / 10 ms, so a
// real handler's dispatch cost is small against it) played on the real
// thread engine with 2 cores and on the simulator with 2 cores.
struct cross_result {
  double sim_short = 0, real_short = 0, sim_all = 0, real_all = 0;
  double sim_short_p50 = 0, real_short_p50 = 0, sim_short_p99 = 0, real_short_p99 = 0;
  std::size_t sim_downgrades = 0, real_downgrades = 0, requests = 0;
  std::uint64_t sim_first = 0, real_first = 0; // first downgrade, ns into the run
  std::vector<decision> real_log;
  std::uint64_t real_t0 = 0;
};

double pq(std::vector<double> v, double q) {
  if (v.empty())
    return 0;
  const auto k = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size()))) - 1;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

cross_result cross_check(std::uint64_t duration_ns, double load) {
  std::mt19937_64 rng{7};
  std::vector<scripted_request> trace;
  const double mean = 0.995 * 10'000 + 0.005 * 10'000'000;
  const double gap = mean / (load * 2);
  double t = 0;
  for (;;) {
    t += -std::log((static_cast<double>(rng() >> 11) + 1) / 9007199254740992.0) * gap;
    if (t >= static_cast<double>(duration_ns))
      break;
    const bool is_long = rng() % 1000 < 5;
    trace.push_back(
        {static_cast<std::uint64_t>(t), is_long ? 1U : 0U, is_long ? 10'000'000ULL : 10'000ULL});
  }
  cross_result out;
  out.requests = trace.size();
  record_filter warm;
  warm.from_ns = duration_ns / 5;
  // Algorithm 1 as published in both engines: the real engine measures
  // handler CPU time (this VM is shared) and so has no wall-clock watchdog.
  sim_config sc;
  sc.policy.cores = 2;
  sc.policy.early_downgrade = false;
  sc.policy.suspect_factor = 0;
  sc.policy.overrun_quorum = 0;
  const sim_result sr = sim_engine{sc}.run(trace);
  out.sim_all = sr.slowdown_quantile(0.999, warm);
  warm.short_only = true;
  out.sim_short = sr.slowdown_quantile(0.999, warm);
  out.sim_short_p50 = sr.slowdown_quantile(0.5, warm);
  out.sim_short_p99 = sr.slowdown_quantile(0.99, warm);
  out.sim_downgrades = sr.count(decision_kind::downgrade);
  for (const auto& d : sr.decisions)
    if (d.kind == decision_kind::downgrade) {
      out.sim_first = d.at_ns;
      break;
    }

  std::vector<std::uint64_t> done(trace.size(), 0);
  std::vector<std::uint64_t> enq(trace.size(), 0);
  struct spin {
    const std::vector<scripted_request>* tr;
    std::vector<std::uint64_t>* done;
    void operator()(std::uint64_t i) const {
      const std::uint64_t until = fast_now_ns() + (*tr)[i].service_ns;
      while (fast_now_ns() < until) {
      }
      (*done)[i] = fast_now_ns();
    }
  } handler{&trace, &done};
  decision_log log;
  thread_config tc;
  tc.policy.cores = 2;
  tc.policy.max_actors = 2;
  tc.policy.early_downgrade = false;
  tc.policy.overrun_quorum = 0;
  tc.exec_clock = &thread_cpu_ns;
  {
    thread_engine e{tc, &log};
    (void)e.add_actor(0);
    (void)e.add_actor(1);
    (void)e.start();
    const std::uint64_t t0 = fast_now_ns();
    out.real_t0 = t0;
    // The producer sleeps between batches (a spinning producer would take
    // one of this machine's two CPUs from the cores) and stamps each item
    // when it submits it, so its own lateness is not counted as latency.
    for (std::size_t i = 0; i < trace.size();) {
      const std::uint64_t now = fast_now_ns();
      if (now < t0 + trace[i].arrival_ns) {
        std::this_thread::sleep_for(std::chrono::nanoseconds(t0 + trace[i].arrival_ns - now));
        continue;
      }
      for (; i < trace.size() && t0 + trace[i].arrival_ns <= now; ++i) {
        work_item w = make_work_item(trace[i].actor, handler, i);
        w.enqueue_ns = fast_now_ns();
        enq[i] = w.enqueue_ns;
        (void)e.submit(w);
      }
    }
    e.stop();
  }
  std::vector<double> all, shorts;
  for (std::size_t i = 0; i < trace.size(); ++i) {
    if (trace[i].arrival_ns < duration_ns / 5)
      continue;
    const double sd =
        static_cast<double>(done[i] - enq[i]) / static_cast<double>(trace[i].service_ns);
    all.push_back(sd);
    if (trace[i].actor == 0)
      shorts.push_back(sd);
  }
  out.real_all = pq(all, 0.999);
  out.real_short = pq(shorts, 0.999);
  out.real_short_p99 = pq(shorts, 0.99);
  out.real_short_p50 = pq(shorts, 0.5);
  out.real_downgrades = log.count(decision_kind::downgrade);
  out.real_log = log.entries();
  for (const auto& d : out.real_log)
    if (d.kind == decision_kind::downgrade) {
      out.real_first = d.at_ns - std::min(d.at_ns, out.real_t0);
      break;
    }
  return out;
}

// The policy table: every policy on every workload, in two worker threads.
// The runs are independent and each is deterministic, so the figures do
// not depend on the interleaving.
std::vector<job> run_table(double scale, std::uint64_t shift_at, const cost_table& costs) {
  const std::vector<std::pair<workload, std::uint64_t>> workloads{
      {sbim2(), static_cast<std::uint64_t>(100 * ms * scale)},
      {disp2(), static_cast<std::uint64_t>(1000 * ms * scale)},
      {shifting_mix(shift_at), static_cast<std::uint64_t>(100 * ms * scale)},
      {apps_workload(costs, apps_grain::kind), static_cast<std::uint64_t>(100 * ms * scale)},
      {apps_workload(costs, apps_grain::actor), static_cast<std::uint64_t>(100 * ms * scale)}};
  const discipline policies[] = {discipline::c_fcfs, discipline::d_fcfs, discipline::drr_only,
                                 discipline::ps,     discipline::darc,   discipline::hybrid};
  std::vector<job> jobs;
  for (const auto& [w, duration] : workloads)
    for (auto d : policies) {
      study_options o;
      o.duration_ns = duration;
      jobs.push_back(job{w, d, o, 0, {}});
    }
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
  auto other = std::async(std::launch::async, worker);
  worker();
  other.get();

  std::printf("%-8s %-8s %9s %22s %20s\n", "workload", "policy", "max load",
              "short p99.9 @0.8 (us)", "p99.9 slowdown @0.8");
  for (const auto& j : jobs) {
    const study_point* at08 = nullptr;
    for (const auto& p : j.curve)
      if (p.load > 0.79 && p.load < 0.81)
        at08 = &p;
    std::printf("%-8s %-8s %9.3f %22.1f %20.1f\n", j.w.name.c_str(), to_string(j.d), j.best,
                at08 ? at08->short_p999_ns / 1e3 : 0.0, at08 ? at08->p999_slowdown : 0.0);
  }
  return jobs;
}

// Adaptivity: the hybrid after the mix shift, at 0.8 load. Returns the
// p99.9 slowdown of each 1 ms bin (by arrival) after the shift.
std::vector<double> run_shift(double scale, std::uint64_t shift_at) {
  const auto duration = static_cast<std::uint64_t>(100 * ms * scale);
  const sim_result r =
      sim_engine{config_for(discipline::hybrid)}.run(shifting_mix(shift_at), 0.8, duration);
  std::vector<double> bins;
  std::uint64_t recovered = 0;
  for (std::uint64_t t = shift_at; t + ms <= duration; t += ms) {
    record_filter f;
    f.from_ns = t;
    f.to_ns = t + ms;
    bins.push_back(r.slowdown_quantile(0.999, f));
    if (bins.back() > 10)
      recovered = t + ms - shift_at;
  }
  std::size_t changes = 0;
  for (const auto& d : r.decisions)
    if (d.at_ns >= shift_at &&
        (d.kind == decision_kind::downgrade || d.kind == decision_kind::upgrade))
      ++changes;
  std::printf("\nShift (hybrid, 0.8 load): p99.9 slowdown per 1 ms bin back <= 10 after %.1f ms; "
              "%zu group changes after the shift\n",
              recovered / 1e6, changes);
  return bins;
}

// Overload: offered load above NIC capacity, with and without a host.
void run_overload(double scale) {
  std::printf("\nOverload (hybrid, SBIM2, 16 host cores at 2x NIC speed): p99.9 slowdown\n");
  std::printf("%-6s %12s %12s %8s %14s %14s\n", "load", "short/host", "all/host", "pushes",
              "short/no-host", "all/no-host");
  for (double load : {1.0, 1.25, 1.5}) {
    sim_config with = config_for(discipline::hybrid);
    with.host_cores = 16;
    const sim_config without = config_for(discipline::hybrid);
    const auto dur = static_cast<std::uint64_t>(100 * ms * scale);
    const sim_result a = sim_engine{with}.run(sbim2(), load, dur);
    const sim_result b = sim_engine{without}.run(sbim2(), load, dur);
    record_filter all;
    all.from_ns = dur / 5;
    record_filter shorts = all;
    shorts.short_only = true;
    std::printf("%-6.2f %12.1f %12.1f %8zu %14.1f %14.1f\n", load,
                a.slowdown_quantile(0.999, shorts), a.slowdown_quantile(0.999, all),
                a.count(decision_kind::push_to_host), b.slowdown_quantile(0.999, shorts),
                b.slowdown_quantile(0.999, all));
  }
}

// Cross-check against real threads on this machine's core count.
void run_cross(double scale) {
  const cross_result x = cross_check(static_cast<std::uint64_t>(2'000 * ms * scale), 0.4);
  std::printf(
      "\nCross-check, 2 cores, SBIM2 x20 (10 us / 10 ms) at 0.4 load, %zu requests, same trace "
      "(slowdowns):\n",
      x.requests);
  std::printf("%-13s %9s %9s %10s %10s %11s %14s\n", "engine", "short p50", "short p99",
              "short p99.9", "all p99.9", "downgrades", "first at (ms)");
  std::printf("%-13s %9.2f %9.2f %10.2f %10.2f %11zu %14.1f\n", "simulation", x.sim_short_p50,
              x.sim_short_p99, x.sim_short, x.sim_all, x.sim_downgrades, x.sim_first / 1e6);
  std::printf("%-13s %9.2f %9.2f %10.2f %10.2f %11zu %14.1f\n", "real threads", x.real_short_p50,
              x.real_short_p99, x.real_short, x.real_all, x.real_downgrades, x.real_first / 1e6);
  for (std::size_t i = 0; i < x.real_log.size() && i < 8; ++i) {
    decision d = x.real_log[i];
    d.at_ns -= std::min(d.at_ns, x.real_t0);
    std::printf("  real: %s\n", to_string(d).c_str());
  }
}

expected<cost_table> read_cost_table(const char* path) {
  std::FILE* f = std::fopen(path, "r");
  if (!f)
    return error{errc::system_error, std::string{"open "} + path, errno};
  std::string text;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;)
    text.append(buf, n);
  std::fclose(f);
  return parse_cost_table(text);
}

void write_csv(const std::string& dir, const std::vector<job>& jobs,
               const std::vector<double>& bins) {
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

} // namespace

int main(int argc, char** argv) {
  bool quick = false;
  bool cross_only = false;
  const char* csv = nullptr;
  const char* costs_file = nullptr;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--quick"))
      quick = true;
    else if (!std::strcmp(argv[i], "--cross-only"))
      cross_only = true;
    else if (!std::strcmp(argv[i], "--csv") && i + 1 < argc)
      csv = argv[++i];
    else if (!std::strcmp(argv[i], "--costs") && i + 1 < argc)
      costs_file = argv[++i];
    else {
      std::fprintf(stderr,
                   "usage: sched_study [--quick] [--cross-only] [--csv DIR] [--costs FILE]\n");
      return 2;
    }
  }
  cost_table costs = default_cost_table();
  if (costs_file) {
    auto t = read_cost_table(costs_file);
    if (!t) {
      std::fprintf(stderr, "sched_study: %s\n", t.err().message().c_str());
      return 1;
    }
    costs = std::move(*t);
  }
  const auto t0 = std::chrono::steady_clock::now();
  const double scale = quick ? 0.25 : 1.0;
  const auto shift_at = static_cast<std::uint64_t>(50 * ms * scale);
  if (!cross_only) {
    std::printf("Scheduler study: 14 NIC cores, open-loop Poisson, SLO p99.9 slowdown <= 10%s\n",
                quick ? " (quick)" : "");
    const std::vector<job> jobs = run_table(scale, shift_at, costs);
    const std::vector<double> bins = run_shift(scale, shift_at);
    run_overload(scale);
    if (csv)
      write_csv(csv, jobs, bins);
  }
  run_cross(scale);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("\n(%.1f s wall time)\n", secs);
  return 0;
}
