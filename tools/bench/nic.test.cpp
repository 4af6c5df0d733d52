// ipipe-bench's library end to end: against the real ipipe-nic program
// with an echo actor, against nothing, and against a scripted fake NIC
// that answers wrongly or late.
#include <ipipe/host/device.hpp>

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "echo_workload.hpp"
#include "engine.hpp"
#include "fake_nic.hpp"
#include "report.hpp"
#include "wire_socket.hpp"
#include <csignal>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

using namespace ipipe;
using namespace ipipe::bench;
using namespace std::chrono_literals;
namespace fk = ipipe::bench::testing;

namespace {

std::string base() {
  return "/tmp/ipipe-bench-test-" + std::to_string(::getpid());
}

// The ipipe-nic program, started for one test and stopped with SIGTERM.
class nic_process {
public:
  nic_process() {
    socket_ = base() + ".sock";
    ready_ = base() + ".ready";
    ::unlink(ready_.c_str());
    std::vector<std::string> args{
        IPIPE_NIC_BINARY, "--wire",    "127.0.0.1:0", "--ready-file", ready_, "--host-mem",
        "memfd:32M",      "--nic-mem", "16M",         "--cores",      "2",    "--socket",
        socket_};
    pid_ = ::fork();
    if (pid_ == 0) {
      std::vector<char*> argv;
      for (auto& a : args)
        argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    struct stat st {};
    for (int i = 0; i < 500 && ::stat(ready_.c_str(), &st) != 0; ++i)
      std::this_thread::sleep_for(10ms);
    std::ifstream f(ready_);
    for (std::string line; std::getline(f, line);)
      if (line.rfind("wire_port=", 0) == 0)
        wire_port_ = static_cast<std::uint16_t>(std::stoul(line.substr(10)));
  }
  ~nic_process() {
    if (pid_ <= 0)
      return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 500; ++i) {
      if (::waitpid(pid_, &status, WNOHANG) == pid_)
        return;
      std::this_thread::sleep_for(10ms);
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status, 0);
  }
  nic_process(const nic_process&) = delete;
  nic_process& operator=(const nic_process&) = delete;

  [[nodiscard]] std::uint16_t wire_port() const { return wire_port_; }
  [[nodiscard]] const std::string& socket() const { return socket_; }

private:
  pid_t pid_ = -1;
  std::string socket_, ready_;
  std::uint16_t wire_port_ = 0;
};

target loopback(std::uint16_t port, std::uint32_t actor) {
  return {{INADDR_LOOPBACK, port}, actor};
}

} // namespace

TEST(bench_nic, echo_against_the_real_nic_is_all_answered_and_correct) {
  nic_process nic;
  ASSERT_NE(nic.wire_port(), 0) << "ipipe-nic did not start";
  auto dev = host::device::attach_direct(nic.socket());
  ASSERT_TRUE(dev) << dev.err().message();
  ASSERT_TRUE((*dev)->setup_rings(0, 0, 0, 0));
  auto actor = (*dev)->register_actor("echo", 0, IPIPE_LOC_NIC, 65536);
  ASSERT_TRUE(actor) << actor.err().message();

  auto sock = wire_socket::open({loopback(nic.wire_port(), *actor)});
  ASSERT_TRUE(sock) << sock.err().message();
  echo_workload wl(256, 1);
  engine_config cfg;
  cfg.schedule = rate_schedule::constant(2000);
  cfg.duration_s = 1.0;
  cfg.timeout_ms = 2000;
  cfg.interval_ms = 250;
  cfg.seed = 3;
  int lines = 0;
  const run_result r = run_load(cfg, wl, *sock, [&](const interval_sample&) { ++lines; });

  EXPECT_GT(r.sent, 1600u);
  EXPECT_LT(r.sent, 2400u);
  EXPECT_EQ(r.ok, r.sent);
  EXPECT_EQ(r.errors(), 0u) << (r.first_errors.empty() ? "" : r.first_errors.front());
  EXPECT_EQ(r.timeouts, 0u);
  EXPECT_EQ(r.bad_frames, 0u);
  EXPECT_EQ(r.stray, 0u);
  const auto p50 = r.latency.percentile(50), p99 = r.latency.percentile(99),
             p999 = r.latency.percentile(99.9);
  EXPECT_GT(p50, 1'000u); // more than 1 us through two sockets and a NIC core
  EXPECT_LE(p50, p99);
  EXPECT_LE(p99, p999);
  EXPECT_LE(p999, r.latency.max());
  EXPECT_LT(r.latency.max(), 2'000'000'000u);
  EXPECT_GE(lines, 4);
  EXPECT_NEAR(r.throughput(), 2000, 400);
  EXPECT_EQ(exit_status(r, true), 0);
  const auto j = to_json({"echo", {}, 3, "rate 2000", 2000}, r);
  EXPECT_EQ(j["verdict"], "ok");
  EXPECT_EQ(j["requests"]["ok"], r.ok);
}

TEST(bench_nic, with_no_nic_everything_times_out_and_the_exit_status_is_1) {
  fk::fake_nic nobody;
  auto sock = wire_socket::open({loopback(nobody.port(), 1)});
  ASSERT_TRUE(sock);
  echo_workload wl(32, 1);
  engine_config cfg;
  cfg.schedule = rate_schedule::constant(500);
  cfg.requests = 50;
  cfg.timeout_ms = 100;
  const run_result r = run_load(cfg, wl, *sock);
  EXPECT_EQ(r.sent, 50u);
  EXPECT_EQ(r.timeouts, 50u);
  EXPECT_EQ(r.ok, 0u);
  EXPECT_EQ(r.latency.count(), 0u);
  EXPECT_EQ(exit_status(r, false), 1);
  EXPECT_EQ(to_json({"echo", {}, 1, "rate 500", 100}, r)["verdict"], "no_answers");
}

// A fake NIC that answers from the wire port: every 10th request with a
// corrupted payload, every 7th of the first 30 too late, the rest right.
TEST(bench_nic, wrong_and_late_answers_are_counted_and_never_latency_samples) {
  fk::fake_nic fake([](const ipipe_msg_hdr& req, std::span<const std::byte> body) {
    fk::fake_answer a;
    a.hdr = req;
    a.hdr.type = IPIPE_MSG_REPLY;
    a.body.assign(body.begin(), body.end());
    if (req.req_id % 10 == 0)
      a.body[0] ^= std::byte{1};
    else if (req.req_id % 7 == 0 && req.req_id <= 30)
      a.delay = 400ms;
    return a;
  });
  auto sock = wire_socket::open({loopback(fake.port(), 1)});
  ASSERT_TRUE(sock);
  echo_workload wl(64, 1);
  engine_config cfg;
  // 1 s of sending: the late answers (sent by about 0.3 s, answered 0.4 s
  // later) arrive while the run still waits for the last requests.
  cfg.schedule = rate_schedule::constant(100);
  cfg.requests = 100;
  cfg.timeout_ms = 200;
  cfg.interval_ms = 100;
  const run_result r = run_load(cfg, wl, *sock);

  EXPECT_EQ(r.sent, 100u);
  EXPECT_EQ(r.wrong, 10u);   // 10, 20, ..., 100
  EXPECT_EQ(r.timeouts, 4u); // 7, 14, 21, 28
  EXPECT_EQ(r.late, 4u);
  EXPECT_EQ(r.ok, 86u);
  EXPECT_EQ(r.latency.count(), 86u);
  EXPECT_EQ(exit_status(r, false), 0);
  EXPECT_EQ(exit_status(r, true), 1);
  // The series accounts for every error and timeout, the drain included.
  std::uint64_t errors = 0, timeouts = 0;
  for (const auto& s : r.intervals) {
    errors += s.errors;
    timeouts += s.timeouts;
  }
  EXPECT_EQ(errors, r.errors());
  EXPECT_EQ(timeouts, r.timeouts);
  ASSERT_FALSE(r.first_errors.empty());
  EXPECT_NE(r.first_errors.front().find("payload differs"), std::string::npos);
}
