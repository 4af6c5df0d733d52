#include <ipipe/common/sys.hpp>
#include <ipipe/nic/ivshmem_proto.hpp>
#include <ipipe/nic/ivshmem_server.hpp>

#include <linux/ipipe.h>

#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

namespace ipipe::nic {
namespace {

constexpr std::uint32_t max_peer_id = 0xffff; // the doorbell has 16 bits

expected<std::vector<unique_fd>> make_eventfds(unsigned n) {
  std::vector<unique_fd> fds;
  for (unsigned i = 0; i < n; ++i) {
    unique_fd fd{::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)};
    if (!fd)
      return sys::last_error("eventfd");
    fds.push_back(std::move(fd));
  }
  return fds;
}

} // namespace

ivshmem_server::~ivshmem_server() {
  if (listen_)
    ::unlink(cfg_.socket_path.c_str());
}

expected<std::unique_ptr<ivshmem_server>> ivshmem_server::listen(config cfg) {
  if (cfg.vectors == 0 || cfg.vectors > 64)
    return error{errc::invalid_argument, "vectors must be 1..64"};
  if (cfg.shm_fd < 0)
    return error{errc::invalid_argument, "no shared memory fd"};
  sockaddr_un addr{};
  if (cfg.socket_path.empty() || cfg.socket_path.size() >= sizeof(addr.sun_path))
    return error{errc::invalid_argument, "socket path empty or too long"};

  std::unique_ptr<ivshmem_server> s{new ivshmem_server{std::move(cfg)}};
  auto fw = make_eventfds(s->cfg_.vectors);
  if (!fw)
    return fw.err();
  s->fw_fds_ = std::move(*fw);

  unique_fd sock{::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)};
  if (!sock)
    return sys::last_error("socket");
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, s->cfg_.socket_path.data(), s->cfg_.socket_path.size());
  // A socket file left by a previous run would make bind fail; replace it,
  // but never remove anything that is not a socket.
  struct stat st {};
  if (::lstat(s->cfg_.socket_path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode))
    ::unlink(s->cfg_.socket_path.c_str());
  if (::bind(sock.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) < 0)
    return sys::last_error("bind " + s->cfg_.socket_path);
  if (::listen(sock.get(), 16) < 0) {
    auto err = sys::last_error("listen " + s->cfg_.socket_path);
    ::unlink(s->cfg_.socket_path.c_str());
    return err;
  }
  s->listen_ = std::move(sock);
  return s;
}

std::uint32_t ivshmem_server::pick_id() const {
  std::uint32_t id = next_id_;
  for (std::uint32_t tries = 0; tries < max_peer_id; ++tries) {
    if (id == 0 || id > max_peer_id)
      id = 1;
    if (peers_.find(id) == peers_.end())
      return id;
    ++id;
  }
  return 0;
}

expected<void> ivshmem_server::handshake(std::uint32_t id, peer_state& p) {
  const int sock = p.sock.get();
  const unsigned n = cfg_.vectors;
  if (auto r = ivshmem::send(sock, ivshmem::protocol_version); !r)
    return r;
  if (auto r = ivshmem::send(sock, id); !r)
    return r;
  if (auto r = ivshmem::send(sock, ivshmem::shm_tag, cfg_.shm_fd); !r)
    return r;
  if (cfg_.host_mem_fd >= 0) {
    if (auto r = ivshmem::send(sock, ivshmem::host_mem_tag, cfg_.host_mem_fd); !r)
      return r;
  }
  // Peer 0 (the firmware) first, then every other client, then the new
  // client's own eventfds: QEMU knows its own id and waits for those.
  for (unsigned v = 0; v < n; ++v)
    if (auto r = ivshmem::send(sock, IPIPE_FW_PEER, fw_fds_[v].get()); !r)
      return r;
  for (const auto& [other, st] : peers_) {
    if (other == id)
      continue;
    for (unsigned v = 0; v < n; ++v)
      if (auto r = ivshmem::send(sock, other, st.fds[v].get()); !r)
        return r;
  }
  for (unsigned v = 0; v < n; ++v)
    if (auto r = ivshmem::send(sock, id, p.fds[v].get()); !r)
      return r;
  return {};
}

expected<ivshmem_server::client> ivshmem_server::accept_client() {
  unique_fd sock{::accept4(listen_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK)};
  if (!sock)
    return sys::last_error("accept");
  auto fds = make_eventfds(cfg_.vectors);
  if (!fds)
    return fds.err();

  std::vector<std::uint32_t> broken;
  client out;
  {
    std::lock_guard g{lock_};
    const std::uint32_t id = pick_id();
    if (id == 0)
      return error{errc::no_space, "no free ivshmem peer id"};
    peer_state p{std::move(sock), std::move(*fds)};
    if (auto r = handshake(id, p); !r)
      return r.err();
    // Tell every existing client how to interrupt the new one.
    for (auto& [other, st] : peers_) {
      for (unsigned v = 0; v < cfg_.vectors; ++v) {
        if (!ivshmem::send(st.sock.get(), id, p.fds[v].get())) {
          broken.push_back(other);
          break;
        }
      }
    }
    out = client{id, p.sock.get()};
    peers_.emplace(id, std::move(p));
    newest_ = id;
    next_id_ = id + 1;
  }
  for (std::uint32_t b : broken)
    drop_client(b);
  return out;
}

void ivshmem_server::drop_client(std::uint32_t peer) {
  std::vector<std::uint32_t> broken;
  {
    std::lock_guard g{lock_};
    if (peers_.erase(peer) == 0)
      return;
    if (newest_ == peer)
      newest_ = peers_.empty() ? 0 : peers_.rbegin()->first;
    for (auto& [other, st] : peers_)
      if (!ivshmem::send(st.sock.get(), peer))
        broken.push_back(other);
  }
  for (std::uint32_t b : broken)
    drop_client(b);
}

bool ivshmem_server::signal(std::uint32_t peer, unsigned vec) {
  std::lock_guard g{lock_};
  auto it = peers_.find(peer);
  if (it == peers_.end() || vec >= cfg_.vectors)
    return false;
  const std::uint64_t one = 1;
  // A full counter (EAGAIN) means the peer has interrupts pending anyway.
  ssize_t r = ::write(it->second.fds[vec].get(), &one, sizeof(one));
  return r == sizeof(one) || (r < 0 && errno == EAGAIN);
}

bool ivshmem_server::connected(std::uint32_t peer) const {
  std::lock_guard g{lock_};
  return peers_.find(peer) != peers_.end();
}

std::uint32_t ivshmem_server::newest_peer() const {
  std::lock_guard g{lock_};
  return newest_;
}

std::size_t ivshmem_server::client_count() const {
  std::lock_guard g{lock_};
  return peers_.size();
}

} // namespace ipipe::nic
