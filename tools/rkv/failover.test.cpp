// RKV on real processes: three replicas, each an ipipe-nic and an ipiped
// (scripts/ipipe-rkv-cluster), loaded by ipipe-bench while the leader's
// node is killed with SIGKILL and restarted; then the other leader is
// killed, so that every majority needs the restarted replica, and every
// key is read back. The merged history must be linearizable: no
// acknowledged write lost, no stale read. Correctness only: budgets are
// generous and nothing depends on how fast the machine is.
// IPIPE_RKV_KEEP=1 keeps the run directory of a failed run.
#include <gtest/gtest.h>

#include <fmt/core.h>
#include <unistd.h>

#include "history.hpp"
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace ipipe::tools::rkvctl {
namespace {

namespace fs = std::filesystem;

// Runs a shell command; returns its exit status and its stdout.
std::pair<int, std::string> shell(const std::string& cmd) {
  std::unique_ptr<FILE, int (*)(FILE*)> p{::popen(cmd.c_str(), "r"), &::pclose};
  if (!p)
    return {-1, {}};
  std::string out;
  char buf[512];
  while (std::fgets(buf, sizeof(buf), p.get()))
    out += buf;
  const int st = ::pclose(p.release());
  return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
}

// The cluster of one test, stopped and removed whatever happens.
class cluster {
public:
  cluster() {
    // Memory, not disk, where there is some: the sstables fsync inside
    // their handlers, and on a disk shared with other builds one fsync can
    // outlast the handler budget that ipiped gives every actor (the
    // sstable would need a second, Documentation/design/apps.rst).
    std::string tmpl = ::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    tmpl += "/ipipe-rkv-test.XXXXXX";
    dir_ = ::mkdtemp(tmpl.data()) ? tmpl : "";
  }
  ~cluster() {
    if (dir_.empty())
      return;
    const bool failed = ::testing::Test::HasFailure();
    if (failed) {
      fmt::print(stderr, "--- cluster status\n{}", run("status").second);
      for (int i = 0; i < 3; ++i)
        fmt::print(stderr, "--- replica {}: ipiped log (tail)\n{}", i,
                   shell(fmt::format("tail -15 {}/r{}/ipiped.log", dir_, i)).second);
    }
    (void)run("stop");
    if (failed && std::getenv("IPIPE_RKV_KEEP") != nullptr)
      fmt::print(stderr, "--- kept {}\n", dir_);
    else
      fs::remove_all(dir_);
  }
  [[nodiscard]] const std::string& dir() const { return dir_; }

  // Runs `ipipe-rkv-cluster COMMAND` on this cluster.
  std::pair<int, std::string> run(const std::string& command) const {
    return shell(fmt::format("{} --dir {} --build {} --timeout 30 -q {} 2>&1",
                             IPIPE_RKV_CLUSTER_SCRIPT, dir_, IPIPE_BUILD_DIR, command));
  }
  // Returns ipipe-bench's arguments to reach the replicas, replica
  // `first` first: the bench sends there until an answer or a timeout
  // names another.
  [[nodiscard]] std::string bench_args(int first) const {
    std::istringstream ports{
        shell(fmt::format(". {}/env && echo \"$IPIPE_RKV_PORTS\"", dir_)).second};
    std::vector<std::string> port{std::istream_iterator<std::string>{ports}, {}};
    if (port.size() != 3 || first < 0 || first > 2)
      return "--no-cluster";
    std::string a = fmt::format("-w rkv -t 127.0.0.1:{}/1", port[first]);
    for (int i = 0; i < 3; ++i)
      a += fmt::format(" --replica {}=127.0.0.1:{}/1", i + 1, port[i]);
    return a;
  }
  // Runs ipipe-bench from replica `first` on; returns its JSON summary.
  nlohmann::json bench(int first, const std::string& args, const std::string& name) const {
    const auto [st, out] = shell(fmt::format("{}/bin/ipipe-bench {} {} -j 2>{}/{}.err",
                                             IPIPE_BUILD_DIR, bench_args(first), args, dir_, name));
    auto j = nlohmann::json::parse(out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << "ipipe-bench " << args << " (status " << st << "): " << out
                                   << shell("cat " + dir_ + "/" + name + ".err").second;
    return j;
  }

private:
  std::string dir_;
};

int leader_of(const cluster& c) {
  const auto [st, out] = c.run("wait-leader");
  EXPECT_EQ(st, 0) << out;
  return st == 0 ? std::stoi(out) : -1;
}

TEST(rkv_failover, a_killed_and_restarted_leader_loses_no_acknowledged_write) {
  cluster c;
  ASSERT_FALSE(c.dir().empty());
  {
    const auto [st, out] = c.run("start");
    ASSERT_EQ(st, 0) << out;
  }
  const int first = leader_of(c);
  ASSERT_GE(first, 0);

  // About 8000 operations on 200 keys over 20 s; the leader dies after 5
  // s and comes back 3 s later. Requests caught by the crash time out
  // (their writes may or may not have taken effect); none may be answered
  // wrongly. The timeout is what moves the bench off a dead leader; 200
  // keys keep the few operations of one key that overlap in time few
  // enough for the checker's search.
  auto load = std::async(std::launch::async, [&] {
    return c.bench(first,
                   "--rate 400 --duration 20 --keys 200 --mix 50:45:5 --timeout-ms 1000 "
                   "--max-attempts 50 --history " +
                       c.dir() + "/load.history",
                   "load");
  });
  std::this_thread::sleep_for(std::chrono::seconds(5));
  {
    const auto [st, out] = c.run(fmt::format("kill {}", first));
    EXPECT_EQ(st, 0) << out;
  }
  std::this_thread::sleep_for(std::chrono::seconds(3));
  {
    const auto [st, out] = c.run(fmt::format("restart {}", first));
    EXPECT_EQ(st, 0) << "the killed leader did not rejoin: " << out;
  }
  const auto j = load.get();
  ASSERT_TRUE(j.is_object());
  const auto& rq = j["requests"];
  EXPECT_EQ(rq["wrong"], 0) << j["first_errors"].dump();
  EXPECT_GE(rq["ok"].get<std::uint64_t>(), 1000u) << j.dump();
  EXPECT_GT(j["workload_counters"]["checked_gets"].get<std::uint64_t>(), 0u);

  // The second leader dies too: the restarted replica is now in every
  // majority, so what follows is served only if it learned the log.
  const int second = leader_of(c);
  ASSERT_GE(second, 0);
  {
    const auto [st, out] = c.run(fmt::format("kill {}", second));
    EXPECT_EQ(st, 0) << out;
  }
  const int third = leader_of(c);
  ASSERT_GE(third, 0);
  EXPECT_NE(third, second);

  // Every key read back (6 reads per key on average).
  const auto r = c.bench(third,
                         "--rate 400 --requests 1200 --keys 200 --mix 100:0:0 --timeout-ms 1000 "
                         "--max-attempts 50 --history " +
                             c.dir() + "/read.history",
                         "read");
  ASSERT_TRUE(r.is_object());
  EXPECT_EQ(r["requests"]["wrong"], 0) << r["first_errors"].dump();
  EXPECT_GE(r["requests"]["ok"].get<std::uint64_t>(), 600u) << r.dump();

  std::vector<apps::rkv::testing::operation> ops;
  ASSERT_TRUE(read_history(c.dir() + "/load.history", ops));
  ASSERT_TRUE(read_history(c.dir() + "/read.history", ops));
  // A key takes tens of search steps; the budget only bounds a bad run.
  const auto v = check(ops, 100'000);
  EXPECT_GE(v.operations, 4000u);
  EXPECT_GE(v.keys, 190u);
  EXPECT_GT(v.acked_writes, 400u);
  EXPECT_GT(v.reads_with_value, 400u) << "a history of absent reads checks little";
  EXPECT_TRUE(v.bad_keys.empty()) << "not linearizable, first key " << v.bad_keys.front();
  EXPECT_TRUE(v.undecided_keys.empty()) << "not decided, first key " << v.undecided_keys.front();
}

} // namespace
} // namespace ipipe::tools::rkvctl
