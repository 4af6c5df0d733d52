#include <ipipe/common/sys.hpp>
#include <ipipe/nic/attach.hpp>
#include <ipipe/nic/ivshmem_proto.hpp>

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <thread>

namespace ipipe::nic {
namespace {

using clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

template <class T>
T load(const T& field) noexcept {
  return std::atomic_ref<const T>(field).load(std::memory_order_acquire);
}

milliseconds left(clock::time_point deadline) {
  auto d = std::chrono::duration_cast<milliseconds>(deadline - clock::now());
  return d.count() < 0 ? milliseconds{0} : d;
}

expected<guarded_mapping> map_fd(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) < 0)
    return sys::last_error("fstat shared memory");
  if (st.st_size <= 0)
    return error{errc::protocol_error, "shared memory has no size"};
  return guarded_mapping::map(fd, static_cast<std::size_t>(st.st_size));
}

// How often a waiter looks at the completion queue even without an
// interrupt: MSI-X can be lost (and the FAULT command can drop it).
constexpr milliseconds recheck{10};

} // namespace

attachment::~attachment() = default;

ipipe_hw_header* attachment::header() const noexcept {
  return reinterpret_cast<ipipe_hw_header*>(bar2_.data());
}

std::span<std::byte> attachment::nic_data() const noexcept {
  const ipipe_hw_header* h = header();
  return bar2_.bytes().subspan(h->nic_data_off, h->nic_data_size);
}

expected<std::unique_ptr<attachment>> attachment::connect(const std::string& socket_path,
                                                          const attach_options& opt) {
  sockaddr_un addr{};
  if (socket_path.empty() || socket_path.size() >= sizeof(addr.sun_path))
    return error{errc::invalid_argument, "socket path empty or too long"};
  std::unique_ptr<attachment> a{new attachment};
  a->sock_ = unique_fd{::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  if (!a->sock_)
    return sys::last_error("socket");
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, socket_path.data(), socket_path.size());
  if (::connect(a->sock_.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) < 0)
    return sys::last_error("connect " + socket_path);
  if (auto r = a->handshake(opt); !r)
    return r.err();
  return a;
}

expected<void> attachment::handshake(const attach_options& opt) {
  const auto deadline = clock::now() + opt.timeout;
  auto next = [&]() { return ivshmem::receive(sock_.get(), left(deadline)); };

  auto ver = next();
  if (!ver)
    return ver.err();
  if (ver->value != ivshmem::protocol_version)
    return error{errc::protocol_error, "unexpected ivshmem protocol version"};
  auto id = next();
  if (!id)
    return id.err();
  if (id->value < 0 || id->value > 0xffff || id->fd)
    return error{errc::protocol_error, "bad peer id"};
  id_ = static_cast<std::uint32_t>(id->value);
  auto shm = next();
  if (!shm)
    return shm.err();
  if (shm->value != ivshmem::shm_tag || !shm->fd)
    return error{errc::protocol_error, "expected the shared memory fd"};
  auto bar2 = map_fd(shm->fd.get());
  if (!bar2)
    return bar2.err();
  bar2_ = std::move(*bar2);
  if (bar2_.size() < IPIPE_PAGE_SIZE || load(header()->magic) != IPIPE_HW_MAGIC)
    return error{errc::protocol_error, "no ipipe firmware header in BAR2"};
  vectors_ = load(header()->num_vectors);
  if (vectors_ < IPIPE_NUM_VECTORS || vectors_ > 64)
    return error{errc::protocol_error, "bad vector count in the header"};

  // Peer eventfds until we hold the firmware's and all of our own.
  for (;;) {
    {
      std::lock_guard g{peers_lock_};
      if (peers_[IPIPE_FW_PEER].size() == vectors_ && peers_[id_].size() == vectors_)
        break;
    }
    auto m = next();
    if (!m)
      return m.err();
    if (m->value == ivshmem::host_mem_tag && m->fd) {
      auto host = map_fd(m->fd.get());
      if (!host)
        return host.err();
      host_ = std::move(*host);
    } else if (m->value >= 0 && m->value <= 0xffff) {
      std::lock_guard g{peers_lock_};
      auto p = static_cast<std::uint32_t>(m->value);
      if (m->fd)
        peers_[p].push_back(std::move(m->fd));
      else
        peers_.erase(p);
    } else {
      return error{errc::protocol_error, "unexpected ivshmem message"};
    }
  }

  while (load(header()->state) != IPIPE_FW_STATE_READY) {
    if (clock::now() >= deadline)
      return error{errc::timed_out, "firmware not READY"};
    std::this_thread::sleep_for(milliseconds{1});
  }
  const ipipe_hw_header* h = header();
  const std::uint64_t entries = h->adminq_entries;
  auto inside = [&](std::uint64_t off, std::uint64_t bytes) {
    return off <= bar2_.size() && bytes <= bar2_.size() - off;
  };
  if (!ring_entries_valid(h->adminq_entries, 1, IPIPE_ADMINQ_MAX_ENTRIES) ||
      !inside(h->adminq_off, ring_desc_bytes<ipipe_admin_cmd>(h->adminq_entries)) ||
      !inside(h->admincq_off, ring_desc_bytes<ipipe_admin_cqe>(h->adminq_entries)) ||
      !inside(h->nic_data_off, h->nic_data_size) || entries == 0)
    return error{errc::protocol_error, "header describes queues outside BAR2"};
  sq_view_ = ring_view<ipipe_admin_cmd>{bar2_.data() + h->adminq_off, h->adminq_entries};
  cq_view_ = ring_view<ipipe_admin_cqe>{bar2_.data() + h->admincq_off, h->adminq_entries};
  resync_admin();

  if (opt.claim_host) {
    std::atomic_ref<std::uint32_t>(header()->host_abi_version)
        .store(IPIPE_ABI_VERSION, std::memory_order_release);
    std::atomic_ref<std::uint32_t>(header()->host_peer).store(id_, std::memory_order_release);
  }
  if (host_)
    free_.emplace(0, host_.size());
  return {};
}

void attachment::resync_admin() {
  sq_ = ring_producer<ipipe_admin_cmd>{sq_view_};
  cq_ = ring_consumer<ipipe_admin_cqe>{cq_view_};
}

bool attachment::poll_server() {
  std::lock_guard s{server_lock_};
  while (!gone()) {
    auto m = ivshmem::receive(sock_.get(), milliseconds{0});
    if (!m) {
      // Nothing more to read, or the server (the NIC) is gone for good.
      if (m.err().code() != errc::timed_out)
        gone_.store(true, std::memory_order_release);
      break;
    }
    if (m->value < 0 || m->value > 0xffff)
      continue;
    std::lock_guard g{peers_lock_};
    auto p = static_cast<std::uint32_t>(m->value);
    if (m->fd)
      peers_[p].push_back(std::move(m->fd));
    else
      peers_.erase(p);
  }
  return !gone();
}

expected<void> attachment::doorbell(unsigned vec, std::uint32_t peer) {
  std::lock_guard g{peers_lock_};
  auto it = peers_.find(peer);
  // Like the hardware doorbell: a write to an unknown peer or vector is lost.
  if (it == peers_.end() || vec >= it->second.size())
    return {};
  const std::uint64_t one = 1;
  if (::write(it->second[vec].get(), &one, sizeof(one)) < 0 && errno != EAGAIN)
    return sys::last_error("doorbell write");
  return {};
}

int attachment::irq_fd(unsigned vec) const noexcept {
  std::lock_guard g{peers_lock_};
  auto it = peers_.find(id_);
  if (it == peers_.end() || vec >= it->second.size())
    return -1;
  return it->second[vec].get();
}

expected<std::uint64_t> attachment::wait_irq(unsigned vec, std::chrono::milliseconds timeout) {
  const int fd = irq_fd(vec);
  if (fd < 0)
    return error{errc::invalid_argument, "no such vector"};
  const auto deadline = clock::now() + timeout;
  for (;;) {
    if (gone())
      return error{errc::closed, "the NIC went away"};
    // The server's socket too: it closes when the NIC's process ends, and
    // nothing else would tell a waiter that no interrupt will ever come.
    std::array<pollfd, 2> p{{{fd, POLLIN, 0}, {sock_.get(), POLLIN, 0}}};
    int r;
    do {
      r = ::poll(p.data(), p.size(), static_cast<int>(left(deadline).count()));
    } while (r < 0 && errno == EINTR);
    if (r < 0)
      return sys::last_error("poll irq");
    if (r == 0)
      return error{errc::timed_out, "irq wait"};
    if (p[1].revents != 0 && !poll_server())
      return error{errc::closed, "the NIC went away"};
    if (p[0].revents == 0)
      continue;
    std::uint64_t count = 0;
    if (::read(fd, &count, sizeof(count)) != sizeof(count))
      return std::uint64_t{0}; // another waiter took it
    return count;
  }
}

expected<host_buffer> attachment::alloc(std::size_t size, std::size_t align) {
  if (!host_)
    return error{errc::not_supported, "no host memory (server not in memfd mode)"};
  if (size == 0 || align < 8 || (align & (align - 1)) != 0)
    return error{errc::invalid_argument, "alloc size or alignment"};
  std::lock_guard g{alloc_lock_};
  for (auto it = free_.begin(); it != free_.end(); ++it) {
    const std::uint64_t start = it->first, len = it->second;
    const std::uint64_t aligned = (start + align - 1) & ~std::uint64_t{align - 1};
    if (aligned - start > len || len - (aligned - start) < size)
      continue;
    free_.erase(it);
    if (aligned > start)
      free_.emplace(start, aligned - start);
    if (start + len > aligned + size)
      free_.emplace(aligned + size, start + len - aligned - size);
    return host_buffer{host_.data() + aligned, aligned, size};
  }
  return error{errc::no_space, "host memory"};
}

void attachment::free(const host_buffer& b) {
  if (b.size == 0)
    return;
  std::lock_guard g{alloc_lock_};
  std::uint64_t start = b.bus, len = b.size;
  // Merge with the neighbours so the free list does not fragment.
  auto next = free_.lower_bound(start);
  if (next != free_.end() && next->first == start + len) {
    len += next->second;
    next = free_.erase(next);
  }
  if (next != free_.begin()) {
    auto prev = std::prev(next);
    if (prev->first + prev->second == start) {
      start = prev->first;
      len += prev->second;
      free_.erase(prev);
    }
  }
  free_.emplace(start, len);
}

expected<std::uint16_t> attachment::post(const ipipe_admin_cmd& cmd) {
  if (gone())
    return error{errc::closed, "the NIC went away"};
  ipipe_admin_cmd c = cmd;
  c.cmd_id = next_cmd_id_++;
  if (!sq_.push(c))
    return error{errc::queue_full, "admin queue"};
  sq_.publish();
  return c.cmd_id;
}

expected<ipipe_admin_cqe> attachment::reap(std::chrono::milliseconds timeout) {
  const auto deadline = clock::now() + timeout;
  for (;;) {
    ipipe_admin_cqe cqe;
    if (cq_.pop(cqe)) {
      cq_.release();
      return cqe;
    }
    if (gone())
      return error{errc::closed, "the NIC went away"};
    if (cq_.broken())
      return error{errc::protocol_error, "admin CQ producer index is impossible"};
    auto rest = left(deadline);
    if (rest.count() == 0)
      return error{errc::timed_out, "admin completion"};
    auto w = wait_irq(IPIPE_VEC_ADMIN, std::min(rest, recheck));
    if (!w && w.err().code() != errc::timed_out)
      return w.err();
  }
}

expected<void> attachment::wait_reset_done(std::uint32_t before,
                                           std::chrono::milliseconds timeout) {
  const auto deadline = clock::now() + timeout;
  while (load(header()->reset_count) == before || load(header()->state) != IPIPE_FW_STATE_READY) {
    if (clock::now() >= deadline)
      return error{errc::timed_out, "NIC reset"};
    std::this_thread::sleep_for(milliseconds{1});
  }
  resync_admin();
  return {};
}

expected<ipipe_admin_cqe> attachment::submit(const ipipe_admin_cmd& cmd,
                                             std::chrono::milliseconds timeout) {
  const std::uint32_t resets = load(header()->reset_count);
  auto id = post(cmd);
  if (!id)
    return id.err();
  if (auto r = doorbell(IPIPE_VEC_ADMIN); !r)
    return r.err();
  const auto deadline = clock::now() + timeout;
  if (cmd.opcode == IPIPE_ADMIN_RESET) {
    // An accepted RESET reformats both queues and completes as the first
    // entry of the fresh CQ; a rejected one completes in the CQ as it is.
    for (;;) {
      if (load(header()->reset_count) != resets && load(header()->state) == IPIPE_FW_STATE_READY) {
        resync_admin();
        break;
      }
      ipipe_admin_cqe cqe;
      if (cq_.pop(cqe)) {
        cq_.release();
        if (cqe.cmd_id == *id) {
          if (cqe.status == IPIPE_STS_OK)
            resync_admin(); // the reset is complete before its completion
          return cqe;
        }
      }
      auto rest = left(deadline);
      if (rest.count() == 0)
        return error{errc::timed_out, "NIC reset"};
      (void)wait_irq(IPIPE_VEC_ADMIN, std::min(rest, milliseconds{1}));
    }
  }
  for (;;) {
    auto cqe = reap(left(deadline));
    if (!cqe)
      return cqe.err();
    if (cqe->cmd_id == *id)
      return cqe;
    // A completion of a command posted earlier with post(): not ours.
  }
}

expected<void> attachment::reset(std::chrono::milliseconds timeout) {
  const std::uint32_t before = load(header()->reset_count);
  std::atomic_ref<std::uint32_t>(header()->reset_request).store(1, std::memory_order_release);
  if (auto r = doorbell(IPIPE_VEC_ADMIN); !r)
    return r;
  return wait_reset_done(before, timeout);
}

} // namespace ipipe::nic
