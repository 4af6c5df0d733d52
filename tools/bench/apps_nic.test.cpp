// The DT and RTA workloads end to end against the real programs: ipipe-nic
// with two NIC cores and a wire port, ipiped attached directly (it hosts
// the DT log), the actors registered by ipiped and configured over the
// wire as ipipe-bench --configure does. apps/dt and apps/rta test the
// actors in one process; this tests them behind the wire, with the
// bench's checks.
#include <ipipe/testing/child_process.hpp>

#include <gtest/gtest.h>

#include <unistd.h>

#include "dt_workload.hpp"
#include "engine.hpp"
#include "rta_workload.hpp"
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

using namespace ipipe;
using namespace ipipe::bench;
using namespace std::chrono_literals;
namespace fk = ipipe::testing;
namespace fs = std::filesystem;

namespace {

constexpr std::uint32_t coordinator = 1, participant_a = 2, participant_b = 3, dt_log = 4;
constexpr std::uint32_t filter = 11, rank = 12, count_a = 13, count_b = 14;

std::string slurp(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// One node: ipipe-nic and ipiped with both applications' actors, all on the
// NIC but the DT log, which is pinned to the host.
class app_node {
public:
  app_node()
      : dir_(fs::temp_directory_path() / ("ipipe-bench-apps-" + std::to_string(::getpid()))) {
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "dt");
    const auto ready = dir_ / "nic.ready", sock = dir_ / "nic.sock";
    nic_ = std::make_unique<fk::child_process>(
        std::vector<std::string>{IPIPE_NIC_BINARY, "--socket", sock, "--host-mem", "memfd:64M",
                                 "--nic-mem", "64M", "--cores", "2", "--wire", "127.0.0.1:0",
                                 "--ready-file", ready},
        fk::child_options{.log = dir_ / "nic.log"});
    if (!fk::wait_until([&] { return slurp(ready).find("wire_port=") != std::string::npos; },
                        [&] { return nic_->running(); }, 10s))
      return;
    const auto text = slurp(ready);
    port_ = static_cast<std::uint16_t>(std::stoul(text.substr(text.find("wire_port=") + 10)));
    std::ofstream(dir_ / "ipiped.conf")
        << "[daemon]\nworkers = 1\nstate_dir = \"" << dir_.string() << "\"\n"
        << "[[device]]\nsocket = \"" << sock.string() << "\"\n"
        << actor("dt_coordinator", coordinator, "1M")
        << actor("dt_participant", participant_a, "4M")
        << actor("dt_participant", participant_b, "4M") << actor("dt_log", dt_log, "64K")
        << "location = \"host\"\npinned = true\n"
        << actor("rta_filter", filter, "64K") << actor("rta_rank", rank, "4M")
        << actor("rta_count", count_a, "4M") << actor("rta_count", count_b, "4M");
    ipiped_ = std::make_unique<fk::child_process>(
        std::vector<std::string>{IPIPED_BINARY, "--config", dir_ / "ipiped.conf"},
        fk::child_options{.log = dir_ / "ipiped.log"});
    serving_ = fk::wait_until(
        [&] { return slurp(dir_ / "ipiped.log").find("serving") != std::string::npos; },
        [&] { return ipiped_->running(); }, 20s);
  }
  ~app_node() {
    ipiped_.reset(); // before the NIC it is attached to
    nic_.reset();
    fs::remove_all(dir_);
  }
  app_node(const app_node&) = delete;
  app_node& operator=(const app_node&) = delete;

  [[nodiscard]] bool up() const { return serving_; }
  [[nodiscard]] nic::endpoint at() const { return {INADDR_LOOPBACK, port_}; }
  [[nodiscard]] fs::path dir() const { return dir_; }
  /// Returns both programs' logs, for a failure message.
  [[nodiscard]] std::string logs() const {
    return "ipipe-nic:\n" + slurp(dir_ / "nic.log") + "ipiped:\n" + slurp(dir_ / "ipiped.log");
  }

private:
  static std::string actor(const char* type, std::uint32_t id, const char* quota) {
    return "[[actor]]\ntype = \"" + std::string(type) + "\"\nid = " + std::to_string(id) +
           "\nmem_quota = \"" + quota + "\"\n";
  }

  fs::path dir_;
  std::unique_ptr<fk::child_process> nic_, ipiped_;
  std::uint16_t port_ = 0;
  bool serving_ = false;
};

std::string first_error(const run_result& r) {
  return r.first_errors.empty() ? "" : r.first_errors.front();
}

engine_config load(double rate, std::uint64_t requests, std::uint64_t seed) {
  engine_config cfg;
  cfg.schedule = rate_schedule::constant(rate);
  cfg.requests = requests;
  cfg.timeout_ms = 5000; // generous: a slow machine must not fail a correct node
  cfg.seed = seed;
  return cfg;
}

} // namespace

TEST(bench_apps_nic, concurrent_conflicting_transfers_conserve_the_total) {
  app_node n;
  ASSERT_TRUE(n.up()) << n.logs();
  dt_setup s;
  s.coordinator = coordinator;
  s.participants = {participant_a, participant_b};
  s.log = dt_log;
  s.accounts = 8; // few accounts: concurrent transfers collide
  s.initial = 1000;
  s.log_dir = (n.dir() / "dt").string();
  s.sync = false;
  auto c = configure_dt(n.at(), s, 3000);
  ASSERT_TRUE(c) << c.err().message() << "\n" << n.logs();

  // Two clients at once, each with its own socket and seed.
  run_result r[2];
  std::thread clients[2];
  for (int i = 0; i < 2; ++i)
    clients[i] = std::thread([&, i] {
      auto sock = wire_socket::open({{n.at(), coordinator}});
      ASSERT_TRUE(sock);
      dt_params p;
      p.accounts = s.accounts;
      p.max_amount = 400;
      p.seed = 11 + i;
      dt_workload wl(p);
      r[i] = run_load(load(500, 1000, 11 + i), wl, *sock);
    });
  for (auto& t : clients)
    t.join();
  std::uint64_t committed = 0, conflicts = 0, insufficient = 0;
  for (const auto& x : r) {
    EXPECT_EQ(x.errors(), 0u) << first_error(x) << "\n" << n.logs();
    EXPECT_EQ(x.timeouts, 0u);
    EXPECT_EQ(x.ok, 1000u);
    committed += x.extra.at("committed");
    conflicts += x.extra.at("aborted_conflict");
    insufficient += x.extra.at("aborted_insufficient");
  }
  EXPECT_GT(committed, 100u);
  EXPECT_GT(conflicts, 0u) << "two clients on 8 accounts must collide";
  EXPECT_GT(insufficient, 0u) << "up to 400 a transfer from 1000";

  auto sock = wire_socket::open({{n.at(), coordinator}});
  ASSERT_TRUE(sock);
  auto a = dt_audit(*sock, 0, 3000);
  ASSERT_TRUE(a) << a.err().message() << "\n" << n.logs();
  EXPECT_EQ(a->accounts, 8u);
  EXPECT_EQ(a->in_doubt, 0u);
  EXPECT_EQ(a->total, 8000);
  EXPECT_TRUE(a->conserved());

  // The same configuration again is harmless; another one is refused.
  EXPECT_TRUE(configure_dt(n.at(), s, 3000));
  s.accounts = 9;
  auto refused = configure_dt(n.at(), s, 3000);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.err().message().find("refused"), std::string::npos) << refused.err().message();
}

TEST(bench_apps_nic, rta_answers_match_the_reference_from_the_seed) {
  app_node n;
  ASSERT_TRUE(n.up()) << n.logs();
  rta_params p;
  p.seed = 5;
  p.window_us = 10'000; // 100 tweets a window
  p.query_every = 20;
  apps::rta::filter_config c;
  c.window_us = p.window_us;
  c.lateness = p.lateness;
  c.k = p.k;
  c.lang_mask = p.lang_mask;
  c.rank = rank;
  c.counts = {count_a, count_b};
  auto cfg = configure_rta(n.at(), filter, c, 3000);
  ASSERT_TRUE(cfg) << cfg.err().message() << "\n" << n.logs();

  auto sock = wire_socket::open({{n.at(), filter}, {n.at(), rank}});
  ASSERT_TRUE(sock);
  // The first run's stream starts an hour ahead of the wall clock, as a
  // run whose tweets outran the clock leaves the filter; the second must
  // start past it, or every tweet of it would be late.
  auto base = rta_fresh_base(n.at(), filter, p, 3000);
  ASSERT_TRUE(base) << base.err().message();
  for (int run = 0; run < 2; ++run) {
    SCOPED_TRACE(run == 0 ? "the first run" : "the second run");
    if (run == 1) {
      base = rta_fresh_base(n.at(), filter, p, 3000);
      ASSERT_TRUE(base) << base.err().message();
    }
    p.base_us = run == 0 ? *base + 3'600'000'000 : *base;
    rta_workload wl(p);
    const auto r = run_load(load(2000, 2000, 5), wl, *sock);
    EXPECT_EQ(r.errors(), 0u) << first_error(r) << "\n" << n.logs();
    EXPECT_EQ(r.timeouts, 0u);
    const auto& x = r.extra;
    EXPECT_EQ(x.at("counted") + x.at("filtered"), x.at("tweets"));
    EXPECT_EQ(x.at("late"), 0u);
    EXPECT_GT(x.at("checked_queries"), 70u) << "of about 90 queries";
    EXPECT_EQ(x.at("unverified_queries"), 0u);
    EXPECT_EQ(x.at("inexact_windows"), 0u);
    if (run == 0) {
      const auto last = wl.tweets().at(x.at("tweets") - 1).time_us;
      auto next = rta_fresh_base(n.at(), filter, p, 3000);
      ASSERT_TRUE(next) << next.err().message();
      EXPECT_GT(*next, last);
    }
  }

  c.k = 5; // another configuration is refused
  EXPECT_FALSE(configure_rta(n.at(), filter, c, 3000));
}
