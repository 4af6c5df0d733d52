// ipipe-bench: the open-loop load generator and answer checker (issue #6).
#include "echo_workload.hpp"
#include "options.hpp"
#include "report.hpp"
#ifdef IPIPE_BENCH_RKV
#include "rkv_workload.hpp"
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
  const run_result r = run_load(p->engine, *wl, *sock, live);

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
