// The ipiped program as systemd runs it: a real ipipe-nic, the
// notification socket, SIGHUP with a good and a bad file, SIGTERM.
#include <ipipe/common/unique_fd.hpp>
#include <ipipe/testing/child_process.hpp>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using namespace ipipe;
using namespace std::chrono_literals;

namespace {

std::string base() {
  return "/tmp/ipiped-prog-" + std::to_string(::getpid());
}

bool exists(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0;
}

std::string slurp(const std::string& p) {
  std::ifstream f(p);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

void write_file(const std::string& p, const std::string& text) {
  std::ofstream(p) << text;
}

// `binary` with `args`, stderr to `err_path` (emptied first), with
// NOTIFY_SOCKET set to `notify` or unset.
ipipe::testing::child_process spawn(const char* binary, std::vector<std::string> args,
                                    const std::string& err_path = {},
                                    const std::string& notify = {}) {
  args.insert(args.begin(), binary);
  ipipe::testing::child_options o{.log = err_path, .stderr_only = true, .truncate = true};
  if (notify.empty())
    o.unsetenv = {"NOTIFY_SOCKET"};
  else
    o.setenv = {{"NOTIFY_SOCKET", notify}};
  return ipipe::testing::child_process{std::move(args), o};
}

// The exit status of `binary` with `args`, as spawn() runs it.
int run_to_exit(const char* binary, std::vector<std::string> args, const std::string& err_path) {
  auto c = spawn(binary, std::move(args), err_path);
  return c.wait(20s);
}

// The socket systemd would listen on for sd_notify().
class notify_socket {
public:
  explicit notify_socket(std::string path) : path_(std::move(path)) {
    ::unlink(path_.c_str());
    fd_ = unique_fd{::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)};
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path_.c_str());
    EXPECT_EQ(::bind(fd_.get(), reinterpret_cast<sockaddr*>(&sa), sizeof(sa)), 0);
  }
  ~notify_socket() { ::unlink(path_.c_str()); }

  // Returns the messages received until one contains `what` (or 20 s).
  std::string wait_for(const std::string& what) {
    for (int i = 0; i < 200; ++i) {
      pollfd p{fd_.get(), POLLIN, 0};
      if (::poll(&p, 1, 100) == 1) {
        char buf[4096];
        ssize_t n = ::recv(fd_.get(), buf, sizeof(buf), 0);
        if (n > 0)
          seen_.append(buf, static_cast<std::size_t>(n)).push_back('\n');
      }
      if (seen_.find(what) != std::string::npos)
        break;
    }
    return seen_;
  }
  const std::string& path() const { return path_; }

private:
  std::string path_;
  unique_fd fd_;
  std::string seen_;
};

// A running ipipe-nic with a wire port, for the daemon to attach to.
struct nic_process {
  nic_process()
      : p(spawn(IPIPE_NIC_BINARY,
                {"--socket", sock, "--host-mem", "memfd:32M", "--nic-mem", "16M", "--cores", "2",
                 "--ready-file", ready, "--wire", "127.0.0.1:0"})) {
    for (int i = 0; i < 1000 && !exists(ready); ++i)
      std::this_thread::sleep_for(10ms);
  }
  std::string sock = base() + "-nic.sock", ready = base() + "-nic.ready";
  ipipe::testing::child_process p;
};

std::string config_for(const std::string& socket, const std::string& extra = {}) {
  return "[daemon]\nworkers = 1\nbusy_poll_us = 0\n[[device]]\nsocket = \"" + socket +
         "\"\n[params]\ntail_thresh_ns = 60000\n[[actor]]\ntype = \"echo\"\nmem_quota = "
         "\"64K\"\n[[actor]]\ntype = \"echo\"\nlocation = \"host\"\nmem_quota = \"64K\"\n"
         // the NIC's policy would pull it to the idle NIC at once
         "pinned = true\n" +
         extra;
}

} // namespace

TEST(ipiped_program, check_accepts_a_good_file_and_names_the_line_of_a_bad_one) {
  const std::string conf = base() + "-check.conf", err = base() + "-check.err";
  write_file(conf, config_for("/run/whatever.sock"));
  EXPECT_EQ(run_to_exit(IPIPED_BINARY, {"--check", "--config", conf}, err), 0);
  write_file(conf, config_for("/run/whatever.sock", "[[actor]]\ntype = \"echo\"\n"
                                                    "location = \"disk\"\nmem_quota = 1\n"));
  EXPECT_EQ(run_to_exit(IPIPED_BINARY, {"--check", "--config", conf}, err), 1);
  const std::string text = slurp(err);
  EXPECT_NE(text.find(":18: actor[2].location"), std::string::npos) << text;
  EXPECT_NE(text.find("location"), std::string::npos) << text;
  EXPECT_EQ(text.rfind("<3>", 0), 0u) << "an error, at error priority: " << text;
  ::unlink(conf.c_str());
  ::unlink(err.c_str());
}

TEST(ipiped_program, a_missing_nic_or_bad_file_at_start_exits_1) {
  const std::string conf = base() + "-bad.conf", err = base() + "-bad.err";
  write_file(conf, config_for(base() + "-nonexistent.sock"));
  EXPECT_EQ(run_to_exit(IPIPED_BINARY, {"--config", conf}, err), 1);
  EXPECT_NE(slurp(err).find("nonexistent.sock"), std::string::npos) << slurp(err);
  EXPECT_EQ(run_to_exit(IPIPED_BINARY, {"--config", base() + "-absent.conf"}, err), 1);
  EXPECT_NE(run_to_exit(IPIPED_BINARY, {"--no-such-option"}, err), 0);
  ::unlink(conf.c_str());
  ::unlink(err.c_str());
}

TEST(ipiped_program, runs_under_the_notify_protocol_reloads_and_stops_cleanly) {
  nic_process nic;
  ASSERT_TRUE(exists(nic.ready));
  const std::string conf = base() + "-run.conf", err = base() + "-run.err";
  write_file(conf, config_for(nic.sock));
  notify_socket ns{base() + "-notify.sock"};
  auto d = spawn(IPIPED_BINARY, {"--config", conf}, err, ns.path());
  std::string seen = ns.wait_for("READY=1");
  ASSERT_NE(seen.find("READY=1"), std::string::npos) << seen << slurp(err);
  EXPECT_NE(seen.find("STATUS=1 NIC(s), 1 actor(s) on the host"), std::string::npos) << seen;

  // A broken file on SIGHUP: reported with its line, nothing changes.
  write_file(conf, config_for(nic.sock, "[params]\nbogus = 1\n"));
  d.signal(SIGHUP);
  seen = ns.wait_for("RELOADING=1");
  std::this_thread::sleep_for(300ms);
  EXPECT_TRUE(d.running());
  EXPECT_NE(slurp(err).find("keeping the running configuration"), std::string::npos) << slurp(err);

  // A good one is taken.
  write_file(conf, config_for(nic.sock));
  d.signal(SIGHUP);
  std::this_thread::sleep_for(300ms);
  EXPECT_NE(slurp(err).find("reloaded"), std::string::npos) << slurp(err);

  d.signal(SIGTERM);
  EXPECT_EQ(d.wait(20s), 0) << slurp(err);
  EXPECT_NE(ns.wait_for("STOPPING=1").find("STOPPING=1"), std::string::npos);
  ::unlink(conf.c_str());
  ::unlink(err.c_str());
}

TEST(ipiped_program, a_nic_that_dies_makes_it_exit_1_at_once_for_a_restart) {
  auto nic = std::make_unique<nic_process>();
  ASSERT_TRUE(exists(nic->ready));
  const std::string conf = base() + "-lost.conf", err = base() + "-lost.err";
  write_file(conf, config_for(nic->sock));
  notify_socket ns{base() + "-lost-notify.sock"};
  auto d = spawn(IPIPED_BINARY, {"--config", conf}, err, ns.path());
  ASSERT_NE(ns.wait_for("READY=1").find("READY=1"), std::string::npos) << slurp(err);
  nic->p.signal(SIGKILL);
  // The tick notices within a second; tearing down must not wait out the
  // admin queue's timeouts on a NIC that is not there (5 s per command).
  EXPECT_EQ(d.wait(4s), 1) << slurp(err);
  const std::string text = slurp(err);
  EXPECT_NE(text.find("the NIC went away"), std::string::npos) << text;
  EXPECT_NE(text.find("<3>a NIC went away; exiting"), std::string::npos) << text;
  nic.reset();
  ::unlink(conf.c_str());
  ::unlink(err.c_str());
}
