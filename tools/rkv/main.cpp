// ipipe-rkvctl: configures the three actors of one RKV replica and reads an
// actor's counters, over the replica's NIC wire port (apps.rst, "Deploying
// a replica"). Used by scripts/ipipe-rkv-cluster.
#include <fmt/core.h>

#include "history.hpp"
#include "rkvctl.hpp"
#include "wire_call.hpp"
#include <CLI/CLI.hpp>
#include <chrono>

using namespace ipipe;
using namespace ipipe::tools;

namespace {

struct common_opts {
  std::string target;
  unsigned timeout_ms = 500;
  unsigned attempts = 20;
};

int configure(const common_opts& c, const rkvctl::replica_setup& s) {
  auto steps = rkvctl::configure_steps(s);
  if (!steps) {
    fmt::print(stderr, "Error: {}\n", steps.err().context());
    return 2;
  }
  auto w = wire_caller::open(*nic::parse_endpoint(c.target));
  if (!w) {
    fmt::print(stderr, "ipipe-rkvctl: {}\n", w.err().message());
    return 1;
  }
  // CONFIGURE with the same identity is answered OK again: resending is safe.
  for (const auto& st : *steps) {
    auto r = w->call(st.actor, st.payload, std::chrono::milliseconds(c.timeout_ms), c.attempts);
    std::string why;
    if (!r) {
      fmt::print(stderr, "ipipe-rkvctl: {} (actor {}): {}\n", st.what, st.actor, r.err().message());
      return 1;
    }
    if (!rkvctl::configure_ok(*r, why)) {
      fmt::print(stderr, "ipipe-rkvctl: {} (actor {}) refused CONFIGURE: {}\n", st.what, st.actor,
                 why);
      return 1;
    }
  }
  return 0;
}

int stats(const common_opts& c, std::uint32_t actor, bool json) {
  auto w = wire_caller::open(*nic::parse_endpoint(c.target));
  if (!w) {
    fmt::print(stderr, "ipipe-rkvctl: {}\n", w.err().message());
    return 1;
  }
  auto r = w->call(actor, apps::rkv::stats_request(), std::chrono::milliseconds(c.timeout_ms),
                   c.attempts);
  if (!r) {
    fmt::print(stderr, "ipipe-rkvctl: {}\n", r.err().message());
    return 1;
  }
  auto v = apps::rkv::decode_stats(*r);
  if (!v) {
    fmt::print(stderr, "ipipe-rkvctl: actor {}: a reply that is no STATS answer\n", actor);
    return 1;
  }
  fmt::print("{}\n", rkvctl::render_stats(*v, json));
  return 0;
}

int check_history(const std::vector<std::string>& files) {
  std::vector<apps::rkv::testing::operation> ops;
  for (const auto& f : files)
    if (auto r = rkvctl::read_history(f, ops); !r) {
      fmt::print(stderr, "ipipe-rkvctl: {}\n", r.err().context());
      return 2;
    }
  const auto v = rkvctl::check(ops);
  const char* verdict = !v.bad_keys.empty()         ? "NOT linearizable"
                        : !v.undecided_keys.empty() ? "undecided"
                                                    : "linearizable";
  fmt::print("{} operations on {} keys ({} acknowledged writes, {} reads of a written value): {}\n",
             v.operations, v.keys, v.acked_writes, v.reads_with_value, verdict);
  for (std::size_t i = 0; i < v.bad_keys.size() && i < 10; ++i)
    fmt::print("  key {}: no order of its operations explains the answers\n", v.bad_keys[i]);
  for (std::size_t i = 0; i < v.undecided_keys.size() && i < 10; ++i)
    fmt::print("  key {}: too many orders to search; not decided\n", v.undecided_keys[i]);
  return v.bad_keys.empty() && v.undecided_keys.empty() ? 0 : 1;
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"ipipe-rkvctl: configure an RKV replica's actors and read their counters"};
  app.require_subcommand(1);
  common_opts c;
  const auto endpoint_check = CLI::Validator(
      [](std::string& s) {
        auto e = nic::parse_endpoint(s);
        return e ? std::string{} : e.err().context();
      },
      "ADDR:PORT");
  auto add_common = [&](CLI::App* sub) {
    sub->add_option("-t,--target", c.target, "the replica's NIC wire port, ADDR:PORT")
        ->required()
        ->check(endpoint_check);
    sub->add_option("--timeout-ms", c.timeout_ms, "wait per attempt")->capture_default_str();
    sub->add_option("--attempts", c.attempts, "sends before giving up")
        ->check(CLI::Range(1u, 1000u))
        ->capture_default_str();
  };

  rkvctl::replica_setup s;
  auto* cfg = app.add_subcommand("configure", "send CONFIGURE to sstable, memtable, consensus");
  add_common(cfg);
  cfg->add_option("--replica", s.self, "this replica's index")->required()->check(CLI::Range(0, 2));
  cfg->add_option("--endpoints", s.endpoints, "wire handle of replicas 0,1,2 (as in --peer)")
      ->required()
      ->delimiter(',')
      ->expected(3);
  cfg->add_option("--dir", s.dir, "the sstable's directory")->required();
  cfg->add_option("--consensus", s.consensus, "consensus actor id")->capture_default_str();
  cfg->add_option("--memtable", s.memtable, "memtable actor id")->capture_default_str();
  cfg->add_option("--sstable", s.sstable, "sstable actor id")->capture_default_str();
  cfg->add_flag("--rejoin", s.rejoin, "the replica restarted empty: learn the log first");
  cfg->add_option("--flush-bytes", s.flush_bytes, "memtable flush threshold")
      ->capture_default_str();
  cfg->add_option("--max-files", s.max_files, "sstable files before compaction")
      ->capture_default_str();
  cfg->add_option("--log-capacity", s.log_capacity, "log ring slots (power of two)")
      ->capture_default_str();
  cfg->add_option("--election-ticks", s.election_ticks, "election timeout in 10 ms ticks")
      ->capture_default_str();

  std::uint32_t actor = 1;
  bool json = false;
  auto* st = app.add_subcommand("stats", "print an actor's STATS counters (role: consensus)");
  add_common(st);
  st->add_option("-a,--actor", actor, "actor id")->capture_default_str();
  st->add_flag("-j,--json", json, "one JSON object");

  std::vector<std::string> files;
  auto* ch = app.add_subcommand(
      "check-history", "check ipipe-bench --history files (merged by time) for linearizability");
  ch->add_option("FILE", files, "history files")->required()->check(CLI::ExistingFile);

  CLI11_PARSE(app, argc, argv);
  if (ch->parsed())
    return check_history(files);
  if (cfg->parsed())
    return configure(c, s);
  return stats(c, actor, json);
}
