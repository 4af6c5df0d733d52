#include "options.hpp"

#include <fmt/core.h>

#include <charconv>

namespace ipipe::bench {

namespace {

error wrong(std::string_view arg, std::string_view reason) {
  return error{errc::invalid_argument, fmt::format("argument \"{}\" is wrong: {}", arg, reason)};
}

// A validator whose description does not clutter --help (the type name
// and the option's text say it).
CLI::Validator quiet(CLI::Validator v) {
  return v.description("");
}

template <class T>
bool to_number(std::string_view s, T& out) {
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && r.ec == std::errc{} && r.ptr == s.data() + s.size();
}

// "ADDR:PORT" or "ADDR:PORT/ACTOR".
expected<target> parse_target(std::string_view s, std::uint32_t actor) {
  target t;
  t.actor = actor;
  if (const auto slash = s.find('/'); slash != std::string_view::npos) {
    if (!to_number(s.substr(slash + 1), t.actor) || t.actor == 0)
      return error{errc::invalid_argument, "ACTOR must be a non-zero actor id"};
    s = s.substr(0, slash);
  }
  auto ep = nic::parse_endpoint(s);
  if (!ep)
    return error{errc::invalid_argument, "expected ADDR:PORT[/ACTOR]"};
  t.at = *ep;
  return t;
}

// The options of the dt and rta workloads and of their --configure.
void add_app_options(CLI::App& app, options& o) {
  app.add_flag("--configure", o.configure,
               "dt, rta: send the actors their CONFIGURE first (idempotent)");
  app.add_option("--accounts", o.accounts, "dt: accounts (default: as AUDIT says)")
      ->type_name("N")
      ->check(quiet(CLI::Range(2u, 1u << 20)));
  app.add_option("--max-amount", o.max_amount, "dt: a transfer moves 1..N")
      ->capture_default_str()
      ->type_name("N")
      ->check(quiet(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 40)));
  app.add_option("--initial", o.initial, "dt --configure: every account's initial balance")
      ->capture_default_str()
      ->type_name("N")
      ->check(quiet(CLI::Range(std::int64_t{0}, std::int64_t{1} << 40)));
  app.add_option("--participants", o.participants, "dt --configure: the participant actors")
      ->type_name("ID,...")
      ->delimiter(',');
  app.add_option("--log-actor", o.log_actor, "dt --configure: the dt_log actor")
      ->type_name("ID")
      ->check(quiet(CLI::Range(1u, 0xffffffffu)));
  app.add_option("--log-dir", o.log_dir, "dt --configure: the log's directory on the host")
      ->type_name("DIR");
  app.add_flag("--no-sync", o.no_sync, "dt --configure: the log does not fsync");
  app.add_option("--counts", o.counts, "rta --configure: the count actors")
      ->type_name("ID,...")
      ->delimiter(',');
  app.add_option("--window-us", o.window_us, "rta: tumbling window, event-time us")
      ->capture_default_str()
      ->type_name("US")
      ->check(quiet(CLI::Range(std::uint64_t{1000}, std::uint64_t{3'600'000'000})));
  app.add_option("--lateness", o.lateness, "rta: windows kept open behind the newest")
      ->capture_default_str()
      ->type_name("N")
      ->check(quiet(CLI::Range(0u, 7u)));
  app.add_option("--top-k", o.top_k, "rta: length of a window's top list")
      ->capture_default_str()
      ->type_name("K")
      ->check(quiet(CLI::Range(1u, 64u)));
  app.add_option("--lang-mask", o.lang_mask, "rta: languages counted, a bit per language")
      ->capture_default_str()
      ->type_name("MASK");
  app.add_flag("--hashtags-only", o.hashtags_only, "rta: count only hashtags");
  app.add_option("--max-terms", o.max_terms,
                 "rta --configure: distinct terms per window per count actor")
      ->capture_default_str()
      ->type_name("N")
      ->check(quiet(CLI::Range(1u, 1u << 20)));
  app.add_option("--retain", o.retain, "rta --configure: closed windows the rank actor keeps")
      ->capture_default_str()
      ->type_name("N")
      ->check(quiet(CLI::Range(1u, 4096u)));
  app.add_option("--gap-us", o.gap_us, "rta: event time between two tweets")
      ->capture_default_str()
      ->type_name("US")
      ->check(quiet(CLI::Range(1u, 1'000'000u)));
  app.add_option("--query-every", o.query_every, "rta: every N-th request is a query (0: none)")
      ->capture_default_str()
      ->type_name("N");
}

// What the dt workload needs beyond the common options.
expected<void> check_dt(const options& o, const plan& p) {
  if (!have_dt())
    return wrong("--workload", "this ipipe-bench was built without apps/dt");
  if (!o.configure)
    return {};
  if (p.targets.size() != 1)
    return wrong("--target", "dt --configure sets up one node: give its coordinator only");
  if (o.accounts == 0)
    return wrong("--accounts", "dt --configure needs the number of accounts");
  if (o.participants.empty() || o.participants.size() > 8)
    return wrong("--participants", "dt --configure needs 1 to 8 participant actors");
  for (auto id : o.participants)
    if (id == 0)
      return wrong("--participants", "actor ids are non-zero");
  if (o.log_actor == 0)
    return wrong("--log-actor", "dt --configure needs the dt_log actor");
  if (o.log_dir.empty() || o.log_dir.front() != '/')
    return wrong("--log-dir", "dt --configure needs an absolute directory");
  return {};
}

// What the rta workload needs beyond the common options.
expected<void> check_rta(const options& o, const plan& p) {
  if (!have_rta())
    return wrong("--workload", "this ipipe-bench was built without apps/rta");
  if (p.targets.size() != 2)
    return wrong("--target", "rta takes two: the filter actor, then the rank actor");
  if (o.lang_mask == 0)
    return wrong("--lang-mask", "no language would be counted");
  if (!o.configure)
    return {};
  if (p.targets[0].at.addr != p.targets[1].at.addr || p.targets[0].at.port != p.targets[1].at.port)
    return wrong("--target", "rta --configure sets up one node: filter and rank behind one port");
  if (o.counts.empty() || o.counts.size() > 16)
    return wrong("--counts", "rta --configure needs 1 to 16 count actors");
  for (auto id : o.counts)
    if (id == 0)
      return wrong("--counts", "actor ids are non-zero");
  return {};
}

} // namespace

bool have_rkv() noexcept {
#ifdef IPIPE_BENCH_RKV
  return true;
#else
  return false;
#endif
}

bool have_dt() noexcept {
#ifdef IPIPE_BENCH_DT
  return true;
#else
  return false;
#endif
}

bool have_rta() noexcept {
#ifdef IPIPE_BENCH_RTA
  return true;
#else
  return false;
#endif
}

void add_options(CLI::App& app, options& o) {
  app.name("ipipe-bench");
  app.get_formatter()->column_width(34);
  app.description(
      "ipipe-bench: open-loop load generator and answer checker for ipipe NICs.\n"
      "Sends requests as wire frames (Ethernet/IPv4/UDP in UDP) to the wire port of one or\n"
      "more ipipe-nic instances at Poisson arrival times, checks every answer, and reports\n"
      "latency percentiles, throughput, errors and timeouts.");
  app.footer(
      "Examples:\n"
      "  ipipe-bench --target 127.0.0.1:7000 --actor 1 --rate 5000 --duration 10\n"
      "  ipipe-bench --target 127.0.0.1:7000 --ramp 1000:20000:2:1000 --interval 500 -j\n"
      "  ipipe-bench --workload rkv --target 127.0.0.1:7001/3 --target 127.0.0.1:7002/3 \\\n"
      "      --target 127.0.0.1:7003/3 --replica 1=127.0.0.1:7001 --replica 2=127.0.0.1:7002 \\\n"
      "      --replica 3=127.0.0.1:7003 --rate 2000 --duration 30 --fail-on-error\n"
      "  ipipe-bench -w dt -t 127.0.0.1:7000/1 --configure --participants 2,3 --log-actor 4 \\\n"
      "      --accounts 1000 --log-dir /tmp/dt --rate 2000 --fail-on-error\n"
      "  ipipe-bench -w rta -t 127.0.0.1:7000/1 -t 127.0.0.1:7000/2 --configure --counts 3,4\n"
      "Exit status: 0 ok; 1 wrong answers with --fail-on-error, or nothing answered at all;\n"
      "2 usage error. See Documentation/userspace-api/ipipe-bench.rst.");
  app.add_option("-t,--target", o.targets,
                 "a NIC's wire port to send to, and the actor there (repeatable; for rkv, "
                 "the replicas)")
      ->type_name("ADDR:PORT[/ACTOR]")
      ->required();
  app.add_option("-a,--actor", o.actor, "destination actor id, unless a target names its own")
      ->capture_default_str()
      ->type_name("ID")
      ->check(quiet(CLI::Range(1u, 0xffffffffu)));
  app.add_option("--replica", o.replicas,
                 "rkv: the replica that leader_hint HANDLE of a NOT_LEADER answer names "
                 "(repeatable; added as a target if not one already)")
      ->type_name("HANDLE=ADDR:PORT[/ACTOR]");
  auto* rate = app.add_option("-r,--rate", o.rate, "offered load, requests/s (Poisson)")
                   ->capture_default_str()
                   ->type_name("R")
                   ->check(quiet(CLI::PositiveNumber));
  app.add_option("--ramp", o.ramp,
                 "instead of --rate: start at FROM requests/s, change by STEP_RATE every "
                 "STEP_SECONDS until TO, then hold")
      ->type_name("FROM:TO:STEP_SECONDS:STEP_RATE")
      ->excludes(rate);
  app.add_option("-d,--duration", o.duration_s,
                 "seconds to send for (default: 10, or the ramp's length)")
      ->type_name("S")
      ->check(quiet(CLI::PositiveNumber));
  app.add_option("-n,--requests", o.requests, "requests to send (with --duration: whichever first)")
      ->type_name("N")
      ->check(quiet(CLI::PositiveNumber));
  app.add_option("--timeout-ms", o.timeout_ms, "a request unanswered this long is a timeout")
      ->capture_default_str()
      ->type_name("MS")
      ->check(quiet(CLI::Range(std::uint64_t{1}, std::uint64_t{3'600'000})));
  app.add_option("-i,--interval", o.interval_ms,
                 "print a live line on stderr every MS milliseconds (and sample the CSV)")
      ->type_name("MS")
      ->check(quiet(CLI::Range(std::uint64_t{10}, std::uint64_t{3'600'000})));
  app.add_option("-s,--seed", o.seed, "seed of arrivals and requests")
      ->type_name("N")
      ->capture_default_str();
  app.add_option("-w,--workload", o.workload, "echo, or rkv, dt, rta (when built in)")
      ->capture_default_str()
      ->type_name("NAME")
      ->check(quiet(CLI::IsMember({"echo", "rkv", "dt", "rta"})));
  app.add_option("--size", o.size, "echo: payload bytes")
      ->capture_default_str()
      ->type_name("BYTES")
      ->check(quiet(CLI::Range(std::size_t{0}, std::size_t{IPIPE_MSG_MAX_PAYLOAD})));
  app.add_option("--mix", o.mix, "rkv: GET:PUT:DEL weights")
      ->type_name("G:P:D")
      ->capture_default_str();
  app.add_option("--keys", o.keys, "rkv: keyspace size")
      ->capture_default_str()
      ->type_name("N")
      ->check(quiet(CLI::Range(1u, 100'000'000u)));
  app.add_option("--value-size", o.value_size, "rkv: PUT value bytes")
      ->capture_default_str()
      ->type_name("BYTES")
      ->check(quiet(CLI::Range(std::size_t{16}, std::size_t{4000})));
  app.add_option("--max-attempts", o.max_attempts, "rkv: sends per request, redirects included")
      ->capture_default_str()
      ->type_name("N")
      ->check(quiet(CLI::Range(1u, 1000u)));
  app.add_flag("-j,--json", o.json, "print the summary as one JSON object");
  app.add_option("--csv", o.csv, "write the per-interval series to FILE")->type_name("FILE");
  app.add_option("--history", o.history,
                 "rkv: write every operation (key, value, invoke and answer times) to FILE")
      ->type_name("FILE");
  app.add_flag("--fail-on-error", o.fail_on_error, "exit 1 if any answer was wrong or an error");
  add_app_options(app, o);
}

expected<plan> make_plan(const options& o) {
  plan p;
  for (const auto& s : o.targets) {
    auto t = parse_target(s, o.actor);
    if (!t)
      return wrong("--target", t.err().context());
    p.targets.push_back(*t);
  }
  for (const auto& s : o.replicas) {
    const auto eq = s.find('=');
    std::uint32_t handle = 0;
    if (eq == std::string::npos || !to_number(std::string_view{s}.substr(0, eq), handle) ||
        handle == 0)
      return wrong("--replica", "expected HANDLE=ADDR:PORT[/ACTOR], HANDLE non-zero");
    auto t = parse_target(std::string_view{s}.substr(eq + 1), o.actor);
    if (!t)
      return wrong("--replica", t.err().context());
    std::size_t i = 0;
    while (i < p.targets.size() &&
           (p.targets[i].at.addr != t->at.addr || p.targets[i].at.port != t->at.port))
      ++i;
    if (i == p.targets.size())
      p.targets.push_back(*t);
    p.replica_of[handle] = i;
  }

  auto& e = p.engine;
  e.schedule = rate_schedule::constant(o.rate);
  if (!o.ramp.empty()) {
    auto r = rate_schedule::parse_ramp(o.ramp);
    if (!r)
      return wrong("--ramp", r.err().context());
    e.schedule = *r;
  }
  e.duration_s = o.duration_s;
  e.requests = o.requests;
  if (e.duration_s == 0 && e.requests == 0)
    e.duration_s = o.ramp.empty() ? 10 : e.schedule.ramp_length();
  e.timeout_ms = o.timeout_ms;
  e.interval_ms = o.interval_ms ? o.interval_ms : 1000;
  e.seed = o.seed;
  e.max_attempts = o.max_attempts;

  if (o.workload == "rkv") {
    if (!have_rkv())
      return wrong("--workload", "this ipipe-bench was built without apps/rkv");
    const auto a = o.mix.find(':'), b = o.mix.rfind(':');
    std::string_view m{o.mix};
    if (a == std::string::npos || a == b || !to_number(m.substr(0, a), p.mix[0]) ||
        !to_number(m.substr(a + 1, b - a - 1), p.mix[1]) || !to_number(m.substr(b + 1), p.mix[2]))
      return wrong("--mix", "expected GET:PUT:DEL, three integer weights");
    if (p.mix[0] + p.mix[1] + p.mix[2] == 0)
      return wrong("--mix", "the weights add up to 0");
  }
  if (o.workload == "dt")
    if (auto c = check_dt(o, p); !c)
      return c.err();
  if (o.workload == "rta")
    if (auto c = check_rta(o, p); !c)
      return c.err();
  return p;
}

} // namespace ipipe::bench
