// ipipe-bench: the open-loop load generator and answer checker (issue #6).
#include "echo_workload.hpp"
#include "options.hpp"
#include "report.hpp"
#ifdef IPIPE_BENCH_RKV
#include "rkv_workload.hpp"
#endif
#ifdef IPIPE_BENCH_DT
#include "dt_workload.hpp"
#endif
#ifdef IPIPE_BENCH_RTA
#include "rta_workload.hpp"
#endif

#include <arpa/inet.h>
#include <fmt/core.h>

#include <csignal>
#include <memory>

namespace {

std::atomic<bool> stop_requested{false};

void on_signal(int) {
  stop_requested = true;
}

std::string describe(const ipipe::bench::target& t) {
  return fmt::format("{}.{}.{}.{}:{}/{}", t.at.addr >> 24, (t.at.addr >> 16) & 0xff,
                     (t.at.addr >> 8) & 0xff, t.at.addr & 0xff, t.at.port, t.actor);
}

#ifdef IPIPE_BENCH_DT
// Configures the DT node if asked, learns the accounts if not given.
ipipe::expected<std::unique_ptr<ipipe::bench::workload>> make_dt(const ipipe::bench::options& o,
                                                                 const ipipe::bench::plan& p,
                                                                 ipipe::bench::wire_socket& sock) {
  using namespace ipipe::bench;
  if (o.configure) {
    dt_setup s;
    s.coordinator = p.targets[0].actor;
    s.participants = o.participants;
    s.log = o.log_actor;
    s.accounts = o.accounts;
    s.initial = o.initial;
    s.log_dir = o.log_dir;
    s.sync = !o.no_sync;
    if (auto c = configure_dt(p.targets[0].at, s, o.timeout_ms); !c)
      return c.err();
  }
  dt_params dp;
  dp.accounts = o.accounts;
  if (dp.accounts == 0) {
    auto a = dt_audit(sock, 0, o.timeout_ms);
    if (!a)
      return a.err();
    dp.accounts = a->accounts;
  }
  if (dp.accounts < 2)
    return ipipe::error{ipipe::errc::invalid_argument, "the coordinator has fewer than 2 accounts"};
  dp.max_amount = o.max_amount;
  dp.targets = p.targets.size();
  dp.seed = o.seed;
  return std::unique_ptr<workload>(std::make_unique<dt_workload>(dp));
}
#endif

#ifdef IPIPE_BENCH_RTA
// Configures the RTA pipeline if asked; the workload expects the same values.
ipipe::expected<std::unique_ptr<ipipe::bench::workload>> make_rta(const ipipe::bench::options& o,
                                                                  const ipipe::bench::plan& p) {
  using namespace ipipe::bench;
  namespace rta = ipipe::apps::rta;
  rta_params rp;
  rp.seed = o.seed;
  rp.window_us = o.window_us;
  rp.lateness = o.lateness;
  rp.k = o.top_k;
  rp.lang_mask = o.lang_mask;
  rp.flags = o.hashtags_only ? rta::cfg_hashtags_only : 0;
  rp.gap_us = o.gap_us;
  rp.query_every = o.query_every;
  if (o.configure) {
    rta::filter_config c;
    c.window_us = rp.window_us;
    c.lateness = rp.lateness;
    c.flags = rp.flags;
    c.lang_mask = rp.lang_mask;
    c.k = rp.k;
    c.max_terms = o.max_terms;
    c.retain = o.retain;
    c.rank = p.targets[1].actor;
    c.counts = o.counts;
    if (auto r = configure_rta(p.targets[0].at, p.targets[0].actor, c, o.timeout_ms); !r)
      return r.err();
  }
  auto base = rta_fresh_base(p.targets[0].at, p.targets[0].actor, rp, o.timeout_ms);
  if (!base)
    return base.err();
  rp.base_us = *base;
  return std::unique_ptr<workload>(std::make_unique<rta_workload>(rp));
}
#endif

} // namespace

int main(int argc, char** argv) {
  using namespace ipipe::bench;
  CLI::App app;
  options o;
  add_options(app, o);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    fmt::print(stderr, "Error: {}\nTry \"ipipe-bench --help\".\n", e.what());
    return 2;
  }
  auto p = make_plan(o);
  if (!p) {
    fmt::print(stderr, "Error: {}\n", p.err().context());
    return 2;
  }
  auto sock = wire_socket::open(p->targets);
  if (!sock) {
    fmt::print(stderr, "ipipe-bench: {}\n", sock.err().message());
    return 1;
  }

  std::unique_ptr<workload> wl;
#ifdef IPIPE_BENCH_RKV
  rkv_workload* rkv = nullptr; // for --history
#endif
  if (o.workload == "echo") {
    wl = std::make_unique<echo_workload>(o.size, p->targets.size());
  } else if (o.workload == "dt" || o.workload == "rta") {
    ipipe::expected<std::unique_ptr<workload>> w = ipipe::errc::not_supported;
#ifdef IPIPE_BENCH_DT
    if (o.workload == "dt")
      w = make_dt(o, *p, *sock);
#endif
#ifdef IPIPE_BENCH_RTA
    if (o.workload == "rta")
      w = make_rta(o, *p);
#endif
    if (!w) {
      fmt::print(stderr, "ipipe-bench: {}\n", w.err().message());
      return 1;
    }
    wl = std::move(*w);
  } else {
#ifdef IPIPE_BENCH_RKV
    rkv_params rp;
    rp.get = p->mix[0];
    rp.put = p->mix[1];
    rp.del = p->mix[2];
    rp.keys = o.keys;
    rp.value_size = o.value_size;
    rp.targets = p->targets.size();
    rp.replica_of = p->replica_of;
    rp.seed = o.seed;
    auto w = std::make_unique<rkv_workload>(rp);
    rkv = w.get();
    if (!o.history.empty())
      rkv->record_history();
    wl = std::move(w);
#endif
  }

  // Ctrl-C stops sending; what is in flight is still waited for.
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  p->engine.stop = &stop_requested;
  interval_callback live;
  if (o.interval_ms)
    live = [](const interval_sample& s) { fmt::print(stderr, "{}\n", live_line(s)); };
  run_result r = run_load(p->engine, *wl, *sock, live);
#ifdef IPIPE_BENCH_DT
  // Money is checked once, at the end: the total must be what it was.
  if (o.workload == "dt")
    apply_audit(r, dt_audit(*sock, 0, o.timeout_ms));
#endif

  run_info info;
  info.workload = o.workload;
  for (const auto& t : p->targets)
    info.targets.push_back(describe(t));
  info.seed = o.seed;
  info.load = o.ramp.empty() ? fmt::format("rate {}", o.rate) : "ramp " + o.ramp;
  info.timeout_ms = o.timeout_ms;
  const auto j = to_json(info, r);
  if (o.json)
    fmt::print("{}\n", j.dump());
  else
    fmt::print("{}", to_text(j));
  if (!o.csv.empty()) {
    if (auto w = write_csv(o.csv, r.intervals); !w) {
      fmt::print(stderr, "ipipe-bench: {}\n", w.err().message());
      return 1;
    }
  }
#ifdef IPIPE_BENCH_RKV
  if (rkv && !o.history.empty()) {
    if (auto w = rkv->write_history(o.history); !w) {
      fmt::print(stderr, "ipipe-bench: {}\n", w.err().message());
      return 1;
    }
  }
#endif
  return exit_status(r, o.fail_on_error);
}
