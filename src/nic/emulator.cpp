#include <ipipe/common/clock.hpp>
#include <ipipe/common/sys.hpp>
#include <ipipe/nic/emulator.hpp>
#include <ipipe/nic/file_host_memory.hpp>
#include <ipipe/nic/memfd_host_memory.hpp>

#include <fmt/core.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>

namespace ipipe::nic {
namespace {

// epoll tags: the kind in the high 32 bits, a peer id or vector below.
enum class tag : std::uint32_t { stop, listen, client, doorbell, timer, wire };

constexpr std::uint64_t make_tag(tag t, std::uint32_t v = 0) noexcept {
  return (std::uint64_t{static_cast<std::uint32_t>(t)} << 32) | v;
}

// The fallback poll of the admin queue and the heartbeat granularity: 10 ms,
// or the heartbeat period if that is shorter.
constexpr long max_tick_ns = 10'000'000;

expected<void> watch(int ep, int fd, std::uint64_t t) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = t;
  if (::epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
    return sys::last_error("epoll_ctl add");
  return {};
}

} // namespace

emulator::emulator(const emulator_config& cfg) : cfg_(cfg) {}

emulator::~emulator() {
  if (fw_)
    fw_->shutdown();
}

expected<std::unique_ptr<emulator>> emulator::create(const emulator_config& cfg) {
  std::unique_ptr<emulator> e{new emulator{cfg}};

  e->bar2_fd_ = unique_fd{::memfd_create("ipipe-nic-bar2", MFD_CLOEXEC)};
  if (!e->bar2_fd_)
    return sys::last_error("memfd_create BAR2");
  if (auto l = make_bar2_layout(cfg.nic_mem_size); !l)
    return l.err();
  if (::ftruncate(e->bar2_fd_.get(), static_cast<off_t>(cfg.nic_mem_size)) < 0)
    return sys::last_error("ftruncate BAR2");
  auto bar2 = guarded_mapping::map(e->bar2_fd_.get(), cfg.nic_mem_size);
  if (!bar2)
    return bar2.err();
  e->bar2_ = std::move(*bar2);

  if (cfg.host_mem.type == host_mem_spec::kind::memfd) {
    auto m = memfd_host_memory::create(cfg.host_mem.size);
    if (!m)
      return m.err();
    e->host_fd_ = (*m)->fd();
    e->host_ = std::move(*m);
  } else {
    auto m = file_host_memory::open(cfg.host_mem.path);
    if (!m)
      return m.err();
    e->host_ = std::move(*m);
  }

  e->stop_event_ = unique_fd{::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)};
  if (!e->stop_event_)
    return sys::last_error("eventfd");

  firmware_config fc = cfg.fw;
  if (cfg.verbose && !fc.log)
    fc.log = [](const std::string& what) { fmt::print(stderr, "ipipe-nic: {}\n", what); };
  auto fw = firmware::create(fc, e->bar2_.bytes(), *e->host_, *e);
  if (!fw)
    return fw.err();
  e->fw_ = std::move(*fw);
  e->fw_->set_dispatch(cfg.dispatch);

  if (cfg.wire) {
    auto w = wire_port::open(*cfg.wire, e->fw_->dispatch(), e->fw_->counters());
    if (!w)
      return w.err();
    e->wire_ = std::move(*w);
    for (const auto& [handle, at] : cfg.peers)
      if (auto r = e->wire_->add_peer(handle, at); !r)
        return r.err();
    e->fw_->set_wire(e->wire_.get());
  }

  ivshmem_server::config sc;
  sc.socket_path = cfg.socket_path;
  sc.vectors = cfg.fw.vectors;
  sc.shm_fd = e->bar2_fd_.get();
  sc.host_mem_fd = e->host_fd_;
  auto server = ivshmem_server::listen(sc);
  if (!server)
    return server.err();
  e->server_ = std::move(*server);
  // Clients are only handshaken by run(), so the header is READY before any
  // of them (QEMU reads it at once) can see BAR2.
  e->fw_->boot();
  return e;
}

std::uint16_t emulator::wire_port_number() const noexcept {
  return wire_ ? wire_->port() : 0;
}

void emulator::request_stop() noexcept {
  const std::uint64_t one = 1;
  [[maybe_unused]] ssize_t r = ::write(stop_event_.get(), &one, sizeof(one));
}

void emulator::log(const std::string& what) const {
  if (cfg_.verbose)
    fmt::print(stderr, "ipipe-nic: {}\n", what);
}

bool emulator::raise(unsigned vec) {
  const auto* h = reinterpret_cast<const ipipe_hw_header*>(bar2_.data());
  if (!server_)
    return false;
  std::uint32_t peer =
      std::atomic_ref<const std::uint32_t>(h->host_peer).load(std::memory_order_acquire);
  if (peer == IPIPE_FW_PEER || !server_->connected(peer))
    peer = server_->newest_peer();
  return peer != 0 && server_->signal(peer, vec);
}

void emulator::on_client_hangup(std::uint32_t peer) {
  log(fmt::format("peer {} disconnected", peer));
  server_->drop_client(peer);
  // The host is gone (QEMU exited, or the direct-attach process died): its
  // rings live in memory nobody serves now. Actors stay.
  if (server_->newest_peer() == 0)
    fw_->host_gone();
}

expected<void> emulator::run(int stop_fd) {
  unique_fd ep{::epoll_create1(EPOLL_CLOEXEC)};
  if (!ep)
    return sys::last_error("epoll_create1");
  unique_fd timer{::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK)};
  if (!timer)
    return sys::last_error("timerfd_create");
  const long tick_ns = std::min<long>(max_tick_ns, long{cfg_.fw.heartbeat_ms} * 1'000'000);
  itimerspec its{};
  its.it_interval.tv_nsec = tick_ns;
  its.it_value.tv_nsec = tick_ns;
  if (::timerfd_settime(timer.get(), 0, &its, nullptr) < 0)
    return sys::last_error("timerfd_settime");

  if (auto r = watch(ep.get(), stop_event_.get(), make_tag(tag::stop)); !r)
    return r;
  if (stop_fd >= 0)
    if (auto r = watch(ep.get(), stop_fd, make_tag(tag::stop)); !r)
      return r;
  if (auto r = watch(ep.get(), server_->listen_fd(), make_tag(tag::listen)); !r)
    return r;
  if (auto r = watch(ep.get(), timer.get(), make_tag(tag::timer)); !r)
    return r;
  for (unsigned v = 0; v < server_->vectors(); ++v)
    if (auto r = watch(ep.get(), server_->doorbell_fd(v), make_tag(tag::doorbell, v)); !r)
      return r;
  if (wire_)
    if (auto r = watch(ep.get(), wire_->fd(), make_tag(tag::wire)); !r)
      return r;

  std::array<epoll_event, 32> evs;
  for (;;) {
    int n = ::epoll_wait(ep.get(), evs.data(), static_cast<int>(evs.size()), -1);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return sys::last_error("epoll_wait");
    }
    for (int i = 0; i < n; ++i) {
      const auto kind = static_cast<tag>(evs[i].data.u64 >> 32);
      const auto val = static_cast<std::uint32_t>(evs[i].data.u64);
      switch (kind) {
      case tag::stop:
        log("stopping");
        return {};
      case tag::listen: {
        auto c = server_->accept_client();
        if (!c) {
          log("accept: " + c.err().message());
          break;
        }
        log(fmt::format("peer {} connected", c->peer));
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLRDHUP;
        ev.data.u64 = make_tag(tag::client, c->peer);
        if (::epoll_ctl(ep.get(), EPOLL_CTL_ADD, c->sock, &ev) < 0)
          server_->drop_client(c->peer);
        break;
      }
      case tag::client:
        // Clients never send anything: data or hang-up both end the peer.
        // Closing its socket (in drop_client) also removes it from epoll.
        on_client_hangup(val);
        break;
      case tag::doorbell: {
        std::uint64_t count = 0;
        if (::read(server_->doorbell_fd(val), &count, sizeof(count)) == sizeof(count))
          fw_->on_doorbell(val, count);
        break;
      }
      case tag::timer: {
        std::uint64_t expirations = 0;
        [[maybe_unused]] ssize_t r = ::read(timer.get(), &expirations, sizeof(expirations));
        fw_->tick(monotonic_ns());
        break;
      }
      case tag::wire:
        wire_->on_readable();
        break;
      }
    }
  }
}

} // namespace ipipe::nic
