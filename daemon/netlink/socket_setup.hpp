#pragma once

#include <ipipe/common/expected.hpp>
#include <ipipe/netlink/nl_ptr.hpp>

#include <string_view>

namespace ipipe::netlink::internal {

/// Returns a generic netlink socket, connected, with extended acks on and
/// requests not echoed in errors (NETLINK_EXT_ACK, NETLINK_CAP_ACK).
[[nodiscard]] expected<sock_ptr> connect_genl();

/// Returns the id of the "ipipe" family, or family_missing().
[[nodiscard]] expected<int> resolve_family(sock_ptr& sock);

/// A connected socket and the id of the "ipipe" family.
struct family_socket {
  sock_ptr sock;
  int family = 0;
};

/// Returns connect_genl() with the family resolved.
[[nodiscard]] expected<family_socket> open_family();

/// Returns the id of multicast group `group` of the "ipipe" family.
[[nodiscard]] expected<int> resolve_group(sock_ptr& sock, std::string_view group);

} // namespace ipipe::netlink::internal
