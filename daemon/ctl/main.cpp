#include <ipipe/netlink/request_socket.hpp>

#include <unistd.h>

#include "cli.hpp"
#include "commands.hpp"
#include "follow.hpp"
#include <atomic>
#include <csignal>
#include <cstdio>

namespace {

std::atomic<bool> stop_requested{false};

extern "C" void on_signal(int) {
  stop_requested = true;
}

// The netlink socket behind the control interface.
class netlink_control final : public ipipe::ctl::control {
public:
  explicit netlink_control(ipipe::netlink::request_socket s) : sock_(std::move(s)) {}

  ipipe::expected<ipipe::netlink::dev_info> dev_get(std::uint32_t index, bool stats) override {
    return sock_.dev_get(index, stats);
  }
  ipipe::expected<std::vector<ipipe::netlink::dev_info>> dev_dump(bool stats) override {
    return sock_.dev_dump(stats);
  }
  ipipe::expected<void> params_set(std::uint32_t index,
                                   const ipipe::netlink::params_update& p) override {
    return sock_.params_set(index, p);
  }
  ipipe::expected<std::vector<ipipe::netlink::actor_info>>
  actor_dump(std::optional<std::uint32_t> index) override {
    return sock_.actor_dump(index);
  }
  ipipe::expected<void> actor_migrate(std::uint32_t index, std::uint32_t actor_id,
                                      std::uint32_t to) override {
    return sock_.actor_migrate(index, actor_id, to);
  }

private:
  ipipe::netlink::request_socket sock_;
};

void write_out(std::string_view s) {
  std::fwrite(s.data(), 1, s.size(), stdout);
  std::fflush(stdout);
}

// SIGINT and SIGTERM end `events` and `top` cleanly: no SA_RESTART, so a
// blocked poll() returns at once.
void catch_stop_signals() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

} // namespace

int main(int argc, char** argv) {
  using namespace ipipe::ctl;
  const std::vector<std::string> args(argv + 1, argv + argc);
  cli_result cli = parse_command_line(args);
  std::fputs(cli.out.c_str(), stdout);
  std::fputs(cli.err.c_str(), stderr);
  if (!cli.inv)
    return cli.status;
  const invocation& inv = *cli.inv;

  auto fail = [&](const ipipe::error& e) {
    std::fputs(error_line(inv, e).c_str(), stderr);
    return static_cast<int>(exit_failure);
  };
  catch_stop_signals();
  if (inv.cmd == command::events) {
    auto r = run_events(inv, write_out, stop_requested);
    return r ? exit_ok : fail(r.err());
  }
  auto sock = ipipe::netlink::request_socket::open();
  if (!sock)
    return fail(sock.err());
  netlink_control ctl{std::move(*sock)};
  if (inv.cmd == command::top) {
    auto r = run_top(inv, ctl, write_out, stop_requested, isatty(STDOUT_FILENO) != 0);
    return r ? exit_ok : fail(r.err());
  }
  auto text = run_command(inv, ctl);
  if (!text)
    return fail(text.err());
  write_out(*text);
  return exit_ok;
}
