#pragma once

#include <memory>

struct nl_sock;
struct nl_msg;
struct nl_cb;

/// Owners of libnl objects: no raw owning pointer leaves the library.
namespace ipipe::netlink {

/// Frees an nl_sock with nl_socket_free().
struct sock_deleter {
  void operator()(nl_sock* s) const noexcept;
};
/// Frees an nl_msg with nlmsg_free().
struct msg_deleter {
  void operator()(nl_msg* m) const noexcept;
};
/// Drops an nl_cb reference with nl_cb_put().
struct cb_deleter {
  void operator()(nl_cb* c) const noexcept;
};

using sock_ptr = std::unique_ptr<nl_sock, sock_deleter>;
using msg_ptr = std::unique_ptr<nl_msg, msg_deleter>;
using cb_ptr = std::unique_ptr<nl_cb, cb_deleter>;

} // namespace ipipe::netlink
