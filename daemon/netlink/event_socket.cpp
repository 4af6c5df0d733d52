#include <ipipe/netlink/codec.hpp>
#include <ipipe/netlink/event_socket.hpp>
#include <ipipe/netlink/nl_error.hpp>

#include <linux/genetlink.h>
#include <linux/ipipe.h>
#include <linux/netlink.h>

#include <netlink/socket.h>
#include <sys/socket.h>

#include "socket_setup.hpp"
#include <array>
#include <cerrno>

namespace ipipe::netlink {

event_socket::event_socket(sock_ptr sock, int family) noexcept
    : sock_(std::move(sock)), family_(family) {}

expected<event_socket> event_socket::open() {
  auto fs = internal::open_family();
  if (!fs)
    return fs.err();
  nl_sock* sock = fs->sock.get();
  auto group = internal::resolve_group(fs->sock, IPIPE_GENL_MCGRP_EVENTS);
  if (!group)
    return group.err();
  // Notifications carry sequence number 0: nothing to check.
  nl_socket_disable_seq_check(sock);
  if (int r = nl_socket_add_membership(sock, *group); r < 0)
    return libnl_error(r, "joining the ipipe events group");
  if (int r = nl_socket_set_nonblocking(sock); r < 0)
    return libnl_error(r, "making the event socket non-blocking");
  return event_socket{std::move(fs->sock), fs->family};
}

int event_socket::fd() const noexcept {
  return nl_socket_get_fd(sock_.get());
}

expected<std::vector<event>> event_socket::receive() {
  // Events are small and the kernel sends each in its own datagram.
  alignas(nlmsghdr) std::array<char, 16384> buf;
  const ssize_t n = recv(fd(), buf.data(), buf.size(), 0);
  std::vector<event> out;
  if (n < 0) {
    if (errno == EAGAIN || errno == EINTR)
      return out;
    return kernel_error(errno, errno == ENOBUFS ? "events lost: receive buffer overrun" : "");
  }
  int len = static_cast<int>(n);
  for (auto* h = reinterpret_cast<nlmsghdr*>(buf.data()); NLMSG_OK(h, len);
       h = NLMSG_NEXT(h, len)) {
    if (h->nlmsg_type != family_ || genl_cmd(h) != IPIPE_CMD_EVENT)
      continue;
    auto ev = parse_event(h);
    if (!ev)
      return ev.err();
    out.push_back(std::move(*ev));
  }
  return out;
}

} // namespace ipipe::netlink
