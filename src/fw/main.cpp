// ipipe-nic: the emulated SmartNIC firmware. QEMU's ivshmem-doorbell device
// (or a direct-attach client) connects to --socket.
#include <ipipe/common/sys.hpp>
#include <ipipe/fw/builtin_actors.hpp>
#include <ipipe/fw/runtime_dispatch.hpp>
#if IPIPE_HAVE_APPS
#include <apps.hpp>
#endif
#include <ipipe/common/unique_fd.hpp>
#include <ipipe/nic/emulator.hpp>
#include <ipipe/nic/options.hpp>

#include <fcntl.h>
#include <fmt/core.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <memory>
#include <vector>

namespace {

// Writes `text` to `path` atomically (temporary file + rename), so a script
// polling for the file never reads it half-written.
bool write_file(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  ipipe::unique_fd fd{::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)};
  if (!fd)
    return false;
  if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()))
    return false;
  fd.reset();
  return ::rename(tmp.c_str(), path.c_str()) == 0;
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"ipipe-nic: emulated iPipe SmartNIC firmware and ivshmem server"};
  std::string socket_path, host_mem, nic_mem = "64M", wire, ready_file, pidfile;
  unsigned cores = 4, vectors = IPIPE_NUM_VECTORS, heartbeat_ms = 100;
  bool verbose = false;
  std::string dispatch = "runtime";
  std::vector<std::string> peers;
  std::uint32_t recovery_log = 4096;
  std::uint32_t budget_ms = 10;
  double slowdown = 1.0;
  std::uint32_t mailbox_limit = 4096;
  std::string recovery_log_size = "16M";
  app.add_option("--socket", socket_path, "ivshmem server unix socket to listen on")->required();
  app.add_option("--host-mem", host_mem,
                 "host memory: file:PATH (QEMU guest RAM file) or memfd:SIZE (direct attach)")
      ->required();
  app.add_option("--nic-mem", nic_mem, "NIC memory (BAR2) size, K/M/G suffixes")
      ->capture_default_str();
  app.add_option("--cores", cores, "NIC core threads")->capture_default_str();
  app.add_option("--vectors", vectors, "doorbell/MSI-X vectors per peer")->capture_default_str();
  app.add_option("--wire", wire, "UDP wire port address, ADDR:PORT");
  app.add_option("--heartbeat-ms", heartbeat_ms, "header heartbeat period")->capture_default_str();
  app.add_option("--ready-file", ready_file, "file written once the socket is listening");
  app.add_option("--pidfile", pidfile, "file to write the process id to");
  app.add_option("--dispatch", dispatch,
                 "runtime: actors with state under the hybrid scheduler; builtin: the "
                 "stateless echo only")
      ->check(CLI::IsMember({"runtime", "builtin"}))
      ->capture_default_str();
  app.add_option("--peer", peers, "peer node on the wire, HANDLE=ADDR:PORT (HANDLE 1..255)");
  app.add_option("--recovery-log", recovery_log,
                 "messages kept per actor pushed to the host, to rebuild it if the host "
                 "runtime dies; 0: no recovery")
      ->capture_default_str();
  app.add_option("--recovery-log-size", recovery_log_size,
                 "bytes those messages may take per actor, K/M/G suffixes")
      ->capture_default_str();
  app.add_option("--handler-budget-ms", budget_ms,
                 "charged time one handler run may take before the actor is quarantined, "
                 "unless its type says otherwise")
      ->check(CLI::Range(1u, 60000u))
      ->capture_default_str();
  app.add_option("--core-slowdown", slowdown,
                 "emulate NIC cores this many times slower than the machine's (a "
                 "SmartNIC's wimpy cores): they serve 1/N of the work and sleep the rest")
      ->check(CLI::Range(1.0, 64.0))
      ->capture_default_str();
  app.add_option("--mailbox-limit", mailbox_limit,
                 "messages an actor's mailbox may hold before more are refused (busy); 0: "
                 "unbounded")
      ->capture_default_str();
  app.add_flag("-v,--verbose", verbose, "log peers and events to stderr");
  CLI11_PARSE(app, argc, argv);

  ipipe::nic::emulator_config cfg;
  cfg.socket_path = socket_path;
  cfg.verbose = verbose;
  cfg.fw.cores = cores;
  cfg.fw.vectors = vectors;
  cfg.fw.heartbeat_ms = heartbeat_ms;
  auto hm = ipipe::nic::parse_host_mem(host_mem);
  auto nm = ipipe::nic::parse_size(nic_mem);
  auto rls = ipipe::nic::parse_size(recovery_log_size);
  if (!hm || !nm) {
    fmt::print(stderr, "ipipe-nic: {}\n", (!hm ? hm.err() : nm.err()).message());
    return 2;
  }
  if (!rls) {
    fmt::print(stderr, "ipipe-nic: --recovery-log-size: {}\n", rls.err().message());
    return 2;
  }
  cfg.host_mem = *hm;
  cfg.nic_mem_size = *nm;
  if (!wire.empty()) {
    auto ep = ipipe::nic::parse_endpoint(wire);
    if (!ep) {
      fmt::print(stderr, "ipipe-nic: --wire: {}\n", ep.err().message());
      return 2;
    }
    cfg.wire = *ep;
    cfg.fw.wire = true;
  }
  for (const auto& p : peers) {
    const auto eq = p.find('=');
    auto ep = ipipe::nic::parse_endpoint(eq == std::string::npos ? "" : p.substr(eq + 1));
    unsigned long handle = 0;
    try {
      handle = eq == std::string::npos ? 0 : std::stoul(p.substr(0, eq));
    } catch (const std::exception&) {
      handle = 0;
    }
    if (!ep || handle == 0 || handle > 255) {
      fmt::print(stderr, "ipipe-nic: --peer {}: expected HANDLE=ADDR:PORT, HANDLE 1..255\n", p);
      return 2;
    }
    cfg.peers.emplace_back(static_cast<std::uint32_t>(handle), *ep);
  }
  if (!cfg.peers.empty() && !cfg.wire) {
    fmt::print(stderr, "ipipe-nic: --peer needs --wire\n");
    return 2;
  }

  // The runtime: every core of the NIC runs actors under the hybrid
  // scheduler. It must outlive the emulator.
  std::unique_ptr<ipipe::fw::runtime_dispatch> rt;
  if (dispatch == "runtime") {
    ipipe::fw::register_builtin_actors();
#if IPIPE_HAVE_APPS
    ipipe::apps::register_all();
#endif
    ipipe::node::node_config nc;
    nc.engine.policy.cores = cores;
    nc.engine.core_slowdown = slowdown;
    nc.engine.policy.max_actors = cfg.fw.max_actors + 1;
    nc.runtime.max_actors = cfg.fw.max_actors;
    nc.runtime.recovery_log = recovery_log;
    nc.runtime.mailbox_limit = mailbox_limit;
    nc.runtime.default_budget_ns = std::uint64_t{budget_ms} * 1'000'000;
    nc.runtime.recovery_log_bytes = *rls;
    rt = std::make_unique<ipipe::fw::runtime_dispatch>(nc);
    cfg.dispatch = rt.get();
  }

  // Block the termination signals before any thread starts, so they all
  // inherit the mask and the signals reach the signalfd only.
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  if (pthread_sigmask(SIG_BLOCK, &mask, nullptr) != 0) {
    fmt::print(stderr, "ipipe-nic: cannot block signals\n");
    return 1;
  }
  ipipe::unique_fd sfd{::signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK)};
  if (!sfd) {
    fmt::print(stderr, "ipipe-nic: signalfd: {}\n", ipipe::sys::last_error("").message());
    return 1;
  }

  auto emu = ipipe::nic::emulator::create(cfg);
  if (!emu) {
    fmt::print(stderr, "ipipe-nic: {}\n", emu.err().message());
    return 1;
  }
  if (!pidfile.empty() && !write_file(pidfile, fmt::format("{}\n", ::getpid()))) {
    fmt::print(stderr, "ipipe-nic: cannot write {}\n", pidfile);
    return 1;
  }
  if (!ready_file.empty() &&
      !write_file(ready_file, fmt::format("socket={}\nwire_port={}\n", socket_path,
                                          (*emu)->wire_port_number()))) {
    fmt::print(stderr, "ipipe-nic: cannot write {}\n", ready_file);
    return 1;
  }
  if (verbose)
    fmt::print(stderr, "ipipe-nic: listening on {}\n", socket_path);
  auto r = (*emu)->run(sfd.get());
  emu->reset();
  // Stale files would tell the next script's wait that we are up.
  if (!pidfile.empty())
    ::unlink(pidfile.c_str());
  if (!ready_file.empty())
    ::unlink(ready_file.c_str());
  if (!r) {
    fmt::print(stderr, "ipipe-nic: {}\n", r.err().message());
    return 1;
  }
  return 0;
}
