#include "report.hpp"

#include <ipipe/common/sys.hpp>

#include <fmt/core.h>

#include <cstdio>
#include <memory>

namespace ipipe::bench {

namespace {

double us(std::uint64_t ns) {
  return static_cast<double>(ns) / 1000.0;
}

// Rounds to three decimals so that the JSON stays readable.
double r3(double v) {
  return static_cast<double>(static_cast<std::int64_t>(v * 1000 + 0.5)) / 1000;
}

const char* verdict_of(const run_result& r) {
  if (r.ok + r.wrong + r.error_replies == 0)
    return "no_answers";
  return r.errors() ? "errors" : "ok";
}

// The human table: (label, JSON pointer, unit), in order. An empty pointer
// is a section heading.
struct row {
  const char* label;
  const char* ptr;
  const char* unit;
};
constexpr row rows[] = {
    {"load", "", ""},
    {"workload", "/workload", ""},
    {"offered load", "/load", ""},
    {"elapsed", "/elapsed_s", "s"},
    {"offered rate", "/offered_rate", "req/s"},
    {"throughput", "/throughput", "answers/s"},
    {"requests", "", ""},
    {"sent", "/requests/sent", ""},
    {"answered ok", "/requests/ok", ""},
    {"errors", "/requests/errors", ""},
    {"  wrong answers", "/requests/wrong", ""},
    {"  error replies", "/requests/error_replies", ""},
    {"  gave up", "/requests/gave_up", ""},
    {"timeouts", "/requests/timeouts", ""},
    {"late answers", "/requests/late", ""},
    {"redirects", "/requests/redirects", ""},
    {"stray answers", "/requests/stray", ""},
    {"bad frames", "/requests/bad_frames", ""},
    {"send failures", "/requests/send_failures", ""},
    {"latency", "", ""},
    {"min", "/latency_us/min", "us"},
    {"mean", "/latency_us/mean", "us"},
    {"p50", "/latency_us/p50", "us"},
    {"p90", "/latency_us/p90", "us"},
    {"p99", "/latency_us/p99", "us"},
    {"p99.9", "/latency_us/p99_9", "us"},
    {"max", "/latency_us/max", "us"},
    {"send lag p99", "/send_lag_us/p99", "us"},
    {"send lag max", "/send_lag_us/max", "us"},
};

std::string cell(const nlohmann::json& v) {
  if (v.is_string())
    return v.get<std::string>();
  if (v.is_number_float())
    return fmt::format("{:.1f}", v.get<double>());
  return v.dump();
}

} // namespace

nlohmann::json to_json(const run_info& info, const run_result& r) {
  using nlohmann::json;
  json j;
  j["schema"] = 1;
  j["tool"] = "ipipe-bench";
  j["workload"] = info.workload;
  j["targets"] = info.targets;
  j["seed"] = info.seed;
  j["load"] = info.load;
  j["timeout_ms"] = info.timeout_ms;
  j["elapsed_s"] = r3(r.elapsed_s);
  j["send_window_s"] = r3(r.send_window_s);
  j["offered_rate"] = r3(r.offered());
  j["throughput"] = r3(r.throughput());
  j["requests"] = {{"sent", r.sent},
                   {"frames_sent", r.frames_sent},
                   {"ok", r.ok},
                   {"errors", r.errors()},
                   {"wrong", r.wrong},
                   {"error_replies", r.error_replies},
                   {"gave_up", r.gave_up},
                   {"timeouts", r.timeouts},
                   {"late", r.late},
                   {"redirects", r.redirects},
                   {"stray", r.stray},
                   {"bad_frames", r.bad_frames},
                   {"send_failures", r.send_failures}};
  const auto& h = r.latency;
  j["latency_us"] = {{"samples", h.count()},
                     {"min", us(h.min())},
                     {"mean", r3(h.mean() / 1000.0)},
                     {"p50", us(h.percentile(50))},
                     {"p90", us(h.percentile(90))},
                     {"p99", us(h.percentile(99))},
                     {"p99_9", us(h.percentile(99.9))},
                     {"max", us(h.max())}};
  j["send_lag_us"] = {{"p50", us(r.send_lag.percentile(50))},
                      {"p99", us(r.send_lag.percentile(99))},
                      {"max", us(r.send_lag.max())}};
  j["workload_counters"] = json::object();
  for (const auto& [k, v] : r.extra)
    j["workload_counters"][k] = v;
  j["first_errors"] = r.first_errors;
  j["verdict"] = verdict_of(r);
  return j;
}

std::string to_text(const nlohmann::json& j) {
  std::string out;
  for (const auto& rw : rows) {
    if (!*rw.ptr) {
      out += fmt::format("{}\n", rw.label);
      continue;
    }
    const auto& v = j.at(nlohmann::json::json_pointer(rw.ptr));
    if (v.is_string())
      out += fmt::format("  {:<18} {}\n", rw.label, cell(v));
    else if (*rw.unit)
      out += fmt::format("  {:<18} {:>14} {}\n", rw.label, cell(v), rw.unit);
    else
      out += fmt::format("  {:<18} {:>14}\n", rw.label, cell(v));
  }
  if (!j["workload_counters"].empty()) {
    out += fmt::format("{}\n", j["workload"].get<std::string>());
    for (const auto& [k, v] : j["workload_counters"].items())
      out += fmt::format("  {:<18} {:>14}\n", k, cell(v));
  }
  for (const auto& e : j["first_errors"])
    out += fmt::format("error: {}\n", e.get<std::string>());
  out += fmt::format("verdict: {}\n", j["verdict"].get<std::string>());
  return out;
}

std::string live_line(const interval_sample& s) {
  return fmt::format("t={:7.2f}s offered={:9.1f}/s achieved={:9.1f}/s p99={:9.1f}us "
                     "errors={} timeouts={}",
                     s.t, s.offered, s.achieved, us(s.p99_ns), s.errors, s.timeouts);
}

expected<void> write_csv(const std::string& path, const std::vector<interval_sample>& series) {
  std::unique_ptr<FILE, int (*)(FILE*)> f{std::fopen(path.c_str(), "w"), &std::fclose};
  if (!f)
    return sys::last_error("open " + path);
  fmt::print(f.get(), "t,offered,achieved,p50_us,p99_us,errors,timeouts\n");
  for (const auto& s : series)
    fmt::print(f.get(), "{:.3f},{:.1f},{:.1f},{:.1f},{:.1f},{},{}\n", s.t, s.offered, s.achieved,
               us(s.p50_ns), us(s.p99_ns), s.errors, s.timeouts);
  if (std::fflush(f.get()) != 0)
    return sys::last_error("write " + path);
  return {};
}

int exit_status(const run_result& r, bool fail_on_error) noexcept {
  if (r.ok + r.wrong + r.error_replies == 0)
    return 1;
  return fail_on_error && r.errors() ? 1 : 0;
}

} // namespace ipipe::bench
