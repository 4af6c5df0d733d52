#include "socket_setup.hpp"

#include <ipipe/netlink/nl_error.hpp>

#include <linux/ipipe.h>
#include <linux/netlink.h>

#include <netlink/errno.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/socket.h>
#include <sys/socket.h>

#include <cerrno>
#include <string>

namespace ipipe::netlink::internal {

expected<sock_ptr> connect_genl() {
  sock_ptr sock{nl_socket_alloc()};
  if (!sock)
    return error{errc::no_space, "nl_socket_alloc"};
  if (int r = genl_connect(sock.get()); r < 0)
    return libnl_error(r, "connecting a generic netlink socket");
  const int fd = nl_socket_get_fd(sock.get());
  const int one = 1;
  // Without these the kernel's reason for a rejection never arrives.
  if (setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one)) < 0 ||
      setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one)) < 0)
    return error{errc::system_error, "setsockopt NETLINK_EXT_ACK", errno};
  // Dump datagrams may exceed a page; peek to size the buffer.
  nl_socket_enable_msg_peek(sock.get());
  return sock;
}

expected<int> resolve_family(sock_ptr& sock) {
  const int id = genl_ctrl_resolve(sock.get(), IPIPE_GENL_NAME);
  if (id == -NLE_OBJ_NOTFOUND)
    return family_missing();
  if (id < 0)
    return libnl_error(id, "resolving the ipipe family");
  return id;
}

expected<family_socket> open_family() {
  auto sock = connect_genl();
  if (!sock)
    return sock.err();
  auto family = resolve_family(*sock);
  if (!family)
    return family.err();
  return family_socket{std::move(*sock), *family};
}

expected<int> resolve_group(sock_ptr& sock, std::string_view group) {
  const std::string name{group};
  const int id = genl_ctrl_resolve_grp(sock.get(), IPIPE_GENL_NAME, name.c_str());
  if (id == -NLE_OBJ_NOTFOUND)
    return error{errc::not_found, "the ipipe family has no \"" + name + "\" group"};
  if (id < 0)
    return libnl_error(id, "resolving the ipipe events group");
  return id;
}

} // namespace ipipe::netlink::internal
