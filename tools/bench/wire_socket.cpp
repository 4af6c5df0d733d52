#include "wire_socket.hpp"

#include <ipipe/common/sys.hpp>

#include <arpa/inet.h>
#include <sys/socket.h>

namespace ipipe::bench {

namespace {

sockaddr_in to_sockaddr(const nic::endpoint& e) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(e.addr);
  sa.sin_port = htons(e.port);
  return sa;
}

// Returns the local address the kernel would use towards `to` (the
// connect() trick on a scratch socket), for the frame's source IP.
std::uint32_t local_ip_towards(const sockaddr_in& to) {
  unique_fd s{::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)};
  sockaddr_in me{};
  socklen_t len = sizeof(me);
  if (!s || ::connect(s.get(), reinterpret_cast<const sockaddr*>(&to), sizeof(to)) != 0 ||
      ::getsockname(s.get(), reinterpret_cast<sockaddr*>(&me), &len) != 0)
    return INADDR_LOOPBACK;
  return ntohl(me.sin_addr.s_addr);
}

} // namespace

expected<wire_socket> wire_socket::open(std::vector<target> targets) {
  if (targets.empty())
    return error{errc::invalid_argument, "no target"};
  wire_socket w;
  w.sock_ = unique_fd{::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)};
  if (!w.sock_)
    return sys::last_error("socket");
  // Deep buffers: an open-loop burst must not be dropped by our own kernel.
  const int buf = 8 << 20;
  ::setsockopt(w.sock_.get(), SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
  ::setsockopt(w.sock_.get(), SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  if (::bind(w.sock_.get(), reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0)
    return sys::last_error("bind");
  socklen_t len = sizeof(sa);
  if (::getsockname(w.sock_.get(), reinterpret_cast<sockaddr*>(&sa), &len) != 0)
    return sys::last_error("getsockname");
  w.port_ = ntohs(sa.sin_port);
  for (const auto& t : targets) {
    const sockaddr_in to = to_sockaddr(t.at);
    nic::wire::addresses a;
    a.src_ip = local_ip_towards(to);
    a.dst_ip = t.at.addr;
    a.src_port = w.port_;
    w.to_.push_back(to);
    w.addr_.push_back(a);
  }
  w.targets_ = std::move(targets);
  w.rx_.resize(nic::wire::max_frame + 64);
  return w;
}

expected<std::size_t> wire_socket::frame(std::span<std::byte> out, std::size_t t,
                                         std::uint64_t req_id,
                                         std::span<const std::byte> payload) const {
  ipipe_msg_hdr h{};
  h.dst_actor = targets_[t].actor;
  h.req_id = req_id;
  h.type = IPIPE_MSG_REQUEST;
  h.len = static_cast<std::uint32_t>(payload.size());
  return nic::wire::build(out, addr_[t], h, payload);
}

bool wire_socket::send(std::size_t t, std::span<const std::byte> frame) const noexcept {
  const ssize_t n = ::sendto(sock_.get(), frame.data(), frame.size(), 0,
                             reinterpret_cast<const sockaddr*>(&to_[t]), sizeof(to_[t]));
  return n == static_cast<ssize_t>(frame.size());
}

wire_socket::rx wire_socket::receive(answer& a) {
  const ssize_t n = ::recv(sock_.get(), rx_.data(), rx_.size(), MSG_DONTWAIT | MSG_TRUNC);
  if (n < 0)
    return rx::empty;
  if (static_cast<std::size_t>(n) > rx_.size())
    return rx::bad;
  auto f =
      nic::wire::parse({rx_.data(), static_cast<std::size_t>(n)}, nic::wire::direction::from_nic);
  if (!f)
    return rx::bad;
  a.hdr = f->hdr;
  a.body = f->payload;
  return rx::frame;
}

} // namespace ipipe::bench
