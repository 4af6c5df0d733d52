// ipiped: the host side of ipipe. Hosts the actors the NICs push to the
// host, registers the configured actors and pushes the scheduling
// thresholds. Run by systemd (ipiped.service, Type=notify).
#include <ipipe/common/unique_fd.hpp>
#include <ipipe/fw/builtin_actors.hpp>
#if IPIPE_HAVE_APPS
#include <apps.hpp>
#endif

#include <poll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "daemon.hpp"
#include "log.hpp"
#include <CLI/CLI.hpp>
#include <array>
#include <csignal>

using namespace ipipe;

namespace {

// Every actor type a NIC may push here must exist here too.
void register_actor_types() {
  fw::register_builtin_actors();
#if IPIPE_HAVE_APPS
  apps::register_all();
#endif
}

int run(daemon::ipiped& d) {
  sigset_t mask;
  sigemptyset(&mask);
  for (int s : {SIGTERM, SIGINT, SIGHUP})
    sigaddset(&mask, s);
  unique_fd sfd{::signalfd(-1, &mask, SFD_CLOEXEC)};
  unique_fd timer{::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK)};
  if (!sfd || !timer) {
    daemon::log::err("signalfd/timerfd: {}", std::strerror(errno));
    return 1;
  }
  // One second, or faster when the unit's watchdog wants it.
  auto period = std::chrono::microseconds(1'000'000);
  if (d.notify().watchdog_period().count() != 0)
    period = std::min(period, d.notify().watchdog_period());
  itimerspec its{};
  its.it_interval.tv_sec = period.count() / 1'000'000;
  its.it_interval.tv_nsec = (period.count() % 1'000'000) * 1000;
  its.it_value = its.it_interval;
  ::timerfd_settime(timer.get(), 0, &its, nullptr);

  for (;;) {
    std::array<pollfd, 3> fds{
        {{sfd.get(), POLLIN, 0}, {timer.get(), POLLIN, 0}, {d.event_fd(), POLLIN, 0}}};
    const int n = ::poll(fds.data(), fds[2].fd >= 0 ? 3 : 2, -1);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      daemon::log::err("poll: {}", std::strerror(errno));
      return 1;
    }
    if (fds[0].revents != 0) {
      signalfd_siginfo si{};
      if (::read(sfd.get(), &si, sizeof(si)) == sizeof(si)) {
        if (si.ssi_signo == SIGHUP) {
          d.reload();
        } else {
          daemon::log::info("stopping on signal {}", si.ssi_signo);
          return 0;
        }
      }
    }
    if (fds[1].revents != 0) {
      std::uint64_t expirations = 0;
      [[maybe_unused]] ssize_t r = ::read(timer.get(), &expirations, sizeof(expirations));
      // A NIC that went away does not come back under this process: exit
      // with an error, and systemd's Restart=on-failure starts afresh.
      if (!d.tick()) {
        daemon::log::err("a NIC went away; exiting");
        return 1;
      }
      d.notify().watchdog();
    }
    if (fds[2].fd >= 0 && fds[2].revents != 0)
      d.on_events();
  }
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"ipiped: the ipipe host runtime daemon"};
  std::string config_path{config::default_path};
  bool check = false, verbose = false;
  app.add_option("-c,--config", config_path, "configuration file")->capture_default_str();
  app.add_flag("--check", check, "validate the configuration file and exit");
  app.add_flag("-v,--verbose", verbose, "log debug messages");
  CLI11_PARSE(app, argc, argv);
  if (verbose)
    daemon::log::set_max(daemon::log::level::debug);

  if (check) {
    auto cfg = config::load_config(config_path);
    if (!cfg) {
      daemon::log::err("{}", cfg.err().message());
      return 1;
    }
    daemon::log::info("{}: OK", config_path);
    return 0;
  }

  // Signals go to the signalfd only: block them before any thread starts.
  sigset_t mask;
  sigemptyset(&mask);
  for (int s : {SIGTERM, SIGINT, SIGHUP})
    sigaddset(&mask, s);
  pthread_sigmask(SIG_BLOCK, &mask, nullptr);

  register_actor_types();
  daemon::ipiped d{config_path};
  if (auto r = d.start(); !r) {
    daemon::log::err("{}", r.err().message());
    return 1;
  }
  const int rc = run(d);
  d.stop();
  return rc;
}
