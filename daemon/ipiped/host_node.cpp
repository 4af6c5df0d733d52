#include "host_node.hpp"

#include <ipipe/common/clock.hpp>
#include <ipipe/common/sys.hpp>

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "log.hpp"
#include <array>
#include <cerrno>

namespace ipipe::daemon {
namespace {

// Ring geometry of the runtime context: message slots hold the largest
// message, migration slots the largest message wrapped in MIG_REQUEST.
constexpr std::uint32_t msg_entries = 256;
constexpr std::uint32_t msg_slot = sizeof(ipipe_msg_hdr) + IPIPE_MSG_MAX_PAYLOAD;
constexpr std::uint32_t mig_entries = 64;
constexpr std::uint32_t mig_slot = 16384;

// While idle the I/O thread still wakes this often: actor ticks and the
// detection of a device that went away.
constexpr int idle_poll_ms = 100;
constexpr std::uint64_t tick_period_ns = 1'000'000;

} // namespace

expected<std::unique_ptr<host_node>> host_node::open(const config::device_config& d,
                                                     const node_settings& s) {
  const bool kernel = d.kind == config::device_kind::kernel;
  auto dev = kernel ? host::device::open_kernel(d.path) : host::device::attach_direct(d.path);
  if (!dev)
    return dev.err();
  std::string name = std::string(kernel ? "kernel " : "direct ") + d.path;
  std::unique_ptr<host_node> n{new host_node{std::move(*dev), std::move(name), s}};
  auto rings = n->dev_->setup_runtime_rings(msg_entries, msg_slot, mig_entries, mig_slot);
  if (!rings) {
    if (rings.err().code() == errc::busy)
      return error{errc::busy, n->name_ + ": another host runtime holds this NIC"};
    return rings.err();
  }
  n->rings_ = *rings;
  if (auto r = n->rt_.attach_peer(host::host_channel(n->rings_)); !r)
    return r.err();
  n->wake_ = unique_fd{::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)};
  if (!n->wake_)
    return sys::last_error("eventfd");
  return n;
}

host_node::host_node(std::unique_ptr<host::device> dev, std::string name, const node_settings& s)
    : dev_(std::move(dev)), name_(std::move(name)), settings_(s),
      rt_({.side = IPIPE_LOC_HOST,
           .mem_limit = s.mem_limit,
           .default_budget_ns = s.budget_ns,
           .outbound_via_peer = true}) {
  // Workers run the mailboxes; what they answer leaves with the next pump.
  rt_.set_ready_hook([this](runtime::actor_id id) { workers_.post(id); });
  rt_.set_peer_signal([this] { (void)dev_->kick(); });
  rt_.set_event_sink(this);
}

void host_node::raise(const ipipe_event& ev) noexcept {
  // Migrations are what an operator watching the journal wants to see.
  if (ev.type == IPIPE_EV_ACTOR_MIGRATED)
    log::info("{}: actor {} {}", name_, ev.actor_id,
              ev.arg0 == IPIPE_LOC_HOST ? "arrived from the NIC" : "went back to the NIC");
  else if (ev.type == IPIPE_EV_ACTOR_KILLED)
    log::warning("{}: actor {} quarantined: its handler overran its budget by {} ns", name_,
                 ev.actor_id, ev.arg0);
}

host_node::~host_node() {
  (void)stop(std::chrono::milliseconds(0));
}

expected<void> host_node::register_actors(const std::vector<config::actor_config>& actors) {
  for (const auto& a : actors) {
    const ipipe_location loc =
        a.location == config::actor_location::host ? IPIPE_LOC_HOST : IPIPE_LOC_NIC;
    // An actor with a configured id outlives the daemon: the NIC keeps
    // serving it while ipiped restarts, and the next ipiped adopts it.
    host::actor_registration reg{a.type, a.id.value_or(0), loc, a.mem_quota, 0};
    if (a.pinned)
      reg.flags |= IPIPE_ACTOR_F_PINNED;
    if (a.id)
      reg.flags |= IPIPE_ACTOR_F_PERSIST;
    auto id = dev_->register_actor(reg);
    const bool exists = !id && (id.err().code() == errc::exists || id.err().sys_errno() == EEXIST);
    if (exists && a.id) {
      if (auto r = rt_.add_remote(*a.id, a.type); !r)
        return error{r.err().code(),
                     fmt::format("actor {} (line {}): {}", a.type, a.line, r.err().message())};
      log::notice("{}: actor {} ({}) was still on the NIC: adopted", name_, *a.id, a.type);
      continue;
    }
    if (!id)
      return error{id.err().code(),
                   fmt::format("actor {} (line {}): {}", a.type, a.line, id.err().message())};
    if (loc == IPIPE_LOC_HOST) {
      auto made = rt_.create_actor({.type = a.type, .id = *id, .mem_quota = a.mem_quota});
      if (!made)
        return error{made.err().code(), fmt::format("actor {} (line {}) on the host: {}", a.type,
                                                    a.line, made.err().message())};
    } else if (auto r = rt_.add_remote(*id, a.type); !r) {
      return error{r.err().code(),
                   fmt::format("actor {} (line {}): {}", a.type, a.line, r.err().message())};
    }
    log::info("{}: actor {} ({}) registered on the {}", name_, *id, a.type,
              loc == IPIPE_LOC_HOST ? "host" : "NIC");
  }
  return {};
}

expected<void> host_node::apply_params(const config::params_config& p) {
  ipipe_params v{};
  std::uint32_t mask = 0;
  if (p.tail_thresh_ns) {
    v.tail_thresh_ns = *p.tail_thresh_ns;
    mask |= IPIPE_PARAM_TAIL_THRESH;
  }
  if (p.mean_thresh_ns) {
    v.mean_thresh_ns = *p.mean_thresh_ns;
    mask |= IPIPE_PARAM_MEAN_THRESH;
  }
  if (p.alpha_permille) {
    v.alpha_permille = *p.alpha_permille;
    mask |= IPIPE_PARAM_ALPHA;
  }
  if (p.drr_quantum_ns) {
    v.drr_quantum_ns = *p.drr_quantum_ns;
    mask |= IPIPE_PARAM_DRR_QUANTUM;
  }
  if (p.fcfs_cores) {
    v.fcfs_cores = *p.fcfs_cores;
    mask |= IPIPE_PARAM_FCFS_CORES;
  }
  if (mask == 0)
    return {};
  return dev_->set_params(v, mask);
}

void host_node::start() {
  stop_.store(false);
  workers_.start(settings_.workers, settings_.busy_poll, [this](std::uint32_t id) {
    (void)rt_.run_next(id);
    wake_io();
  });
  io_ = std::thread([this] { io_loop(); });
}

void host_node::wake_io() noexcept {
  if (!io_sleeping_.load(std::memory_order_acquire))
    return;
  const std::uint64_t one = 1;
  [[maybe_unused]] ssize_t r = ::write(wake_.get(), &one, sizeof(one));
}

std::size_t host_node::stop(std::chrono::milliseconds timeout) {
  if (!io_.joinable())
    return 0;
  // Everything here goes home first: the NIC keeps serving it.
  for (auto id : rt_.actor_ids())
    if (auto i = rt_.info(id); i && i->state == runtime::actor_state::local)
      (void)rt_.migrate(id);
  const std::uint64_t until =
      monotonic_ns() + static_cast<std::uint64_t>(timeout.count()) * 1'000'000;
  while (!rt_.quiet() && monotonic_ns() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  stop_.store(true);
  const std::uint64_t one = 1;
  [[maybe_unused]] ssize_t r = ::write(wake_.get(), &one, sizeof(one));
  io_.join();
  workers_.stop();
  std::size_t left = 0;
  for (auto id : rt_.actor_ids())
    if (auto i = rt_.info(id); i && i->state != runtime::actor_state::remote)
      ++left;
  return left;
}

node_counters host_node::counters() const {
  const auto s = rt_.stats();
  node_counters c;
  c.executed = s.executed;
  c.migrations_in = s.migrations_in;
  c.migrations_out = s.migrations_out;
  c.wakeups = wakeups_.load(std::memory_order_relaxed);
  for (auto id : rt_.actor_ids())
    if (auto i = rt_.info(id); i && i->state == runtime::actor_state::local)
      ++c.local_actors;
  return c;
}

void host_node::io_loop() {
  const std::uint64_t spin_ns =
      static_cast<std::uint64_t>(std::chrono::nanoseconds(settings_.busy_poll).count());
  std::uint64_t last_work = monotonic_ns();
  std::uint64_t next_tick = 0;
  while (!stop_.load(std::memory_order_acquire)) {
    std::size_t n = rt_.pump();
    const std::uint64_t now = monotonic_ns();
    if (now >= next_tick) {
      n += rt_.tick(now);
      // The watchdog too: a handler overrunning its budget holds a worker.
      // An idle loop looks less often, and then nothing runs anyway.
      (void)rt_.watchdog_tick(now);
      next_tick = now + tick_period_ns;
    }
    if (n != 0) {
      last_work = now;
      continue;
    }
    if (now - last_work < spin_ns) {
      std::this_thread::yield();
      continue;
    }
    // Idle: sleep until the NIC signals, a worker has output, or the tick.
    io_sleeping_.store(true, std::memory_order_release);
    if (rt_.pump() != 0) { // raced with a worker or the NIC
      io_sleeping_.store(false, std::memory_order_relaxed);
      last_work = monotonic_ns();
      continue;
    }
    std::array<pollfd, 3> fds{{{dev_->event_fd(), POLLIN | POLLPRI, 0},
                               {wake_.get(), POLLIN, 0},
                               {dev_->control_fd(), POLLIN, 0}}};
    const int r = ::poll(fds.data(), fds[2].fd >= 0 ? 3 : 2, idle_poll_ms);
    io_sleeping_.store(false, std::memory_order_release);
    wakeups_.fetch_add(1, std::memory_order_relaxed);
    if (r < 0)
      continue;
    if ((fds[0].revents & (POLLERR | POLLHUP)) != 0 ||
        (fds[2].revents != 0 && !dev_->check_alive())) {
      log::err("{}: the NIC went away", name_);
      rt_.detach_peer();
      lost_.store(true, std::memory_order_release);
      return;
    }
    if (fds[0].revents != 0)
      dev_->ack_event();
    if (fds[1].revents != 0) {
      std::uint64_t v;
      [[maybe_unused]] ssize_t rr = ::read(wake_.get(), &v, sizeof(v));
    }
    last_work = monotonic_ns();
  }
}

} // namespace ipipe::daemon
