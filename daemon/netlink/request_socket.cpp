#include <ipipe/netlink/codec.hpp>
#include <ipipe/netlink/nl_error.hpp>
#include <ipipe/netlink/request_socket.hpp>

#include <linux/netlink.h>

#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <netlink/socket.h>

#include "socket_setup.hpp"

namespace ipipe::netlink {

namespace {

// What the callbacks of one transaction share.
struct transaction {
  const std::function<expected<void>(const nlmsghdr*)>* cb = nullptr;
  const nlmsghdr* request = nullptr; // to name the attribute an error points at
  std::optional<error> err;
  bool done = false;
};

int on_valid(nl_msg* msg, void* arg) {
  auto* t = static_cast<transaction*>(arg);
  if (t->err)
    return NL_SKIP; // keep reading to the end, so the next request starts clean
  if (auto r = (*t->cb)(nlmsg_hdr(msg)); !r)
    t->err = r.err();
  return NL_OK;
}

int on_finish(nl_msg* msg, void* arg) {
  auto* t = static_cast<transaction*>(arg);
  const nlmsghdr* h = nlmsg_hdr(msg);
  // A dump that failed half way carries the error in NLMSG_DONE.
  if (!t->err && h->nlmsg_len >= NLMSG_LENGTH(sizeof(int))) {
    const int e = *static_cast<const int*>(NLMSG_DATA(h));
    if (e < 0)
      t->err = kernel_error(-e);
  }
  t->done = true;
  return NL_STOP;
}

int on_ack(nl_msg*, void* arg) {
  static_cast<transaction*>(arg)->done = true;
  return NL_STOP;
}

int on_error(sockaddr_nl*, nlmsgerr* e, void* arg) {
  auto* t = static_cast<transaction*>(arg);
  // libnl hands over the payload; the header sits right before it.
  const auto* hdr =
      reinterpret_cast<const nlmsghdr*>(reinterpret_cast<const char*>(e) - NLMSG_HDRLEN);
  if (!t->err)
    t->err = error_from_nlmsgerr(hdr, t->request);
  t->done = true;
  return NL_STOP;
}

} // namespace

request_socket::request_socket(sock_ptr sock, int family) noexcept
    : sock_(std::move(sock)), family_(family) {}

expected<request_socket> request_socket::open() {
  auto fs = internal::open_family();
  if (!fs)
    return fs.err();
  return request_socket{std::move(fs->sock), fs->family};
}

template <class T>
expected<std::vector<T>> request_socket::collect(expected<msg_ptr> msg,
                                                 expected<T> (*parse)(const nlmsghdr*)) {
  if (!msg)
    return msg.err();
  std::vector<T> out;
  auto r = transact(std::move(*msg), [&](const nlmsghdr* h) -> expected<void> {
    auto v = parse(h);
    if (!v)
      return v.err();
    out.push_back(std::move(*v));
    return {};
  });
  if (!r)
    return r.err();
  return out;
}

expected<void> request_socket::transact(msg_ptr msg, const on_message& cb) {
  transaction t;
  t.cb = &cb;
  t.request = nlmsg_hdr(msg.get());
  cb_ptr nlcb{nl_cb_alloc(NL_CB_DEFAULT)};
  if (!nlcb)
    return error{errc::no_space, "nl_cb_alloc"};
  nl_cb_set(nlcb.get(), NL_CB_VALID, NL_CB_CUSTOM, on_valid, &t);
  nl_cb_set(nlcb.get(), NL_CB_FINISH, NL_CB_CUSTOM, on_finish, &t);
  nl_cb_set(nlcb.get(), NL_CB_ACK, NL_CB_CUSTOM, on_ack, &t);
  nl_cb_err(nlcb.get(), NL_CB_CUSTOM, on_error, &t);

  // nl_send_auto() adds NLM_F_ACK: every request ends with an ack or DONE.
  if (int r = nl_send_auto(sock_.get(), msg.get()); r < 0)
    return libnl_error(r, "sending a netlink request");
  while (!t.done) {
    const int r = nl_recvmsgs(sock_.get(), nlcb.get());
    if (r < 0 && !t.done)
      return t.err ? *t.err : libnl_error(r, "receiving a netlink reply");
  }
  if (t.err)
    return *t.err;
  return {};
}

expected<dev_info> request_socket::dev_get(std::uint32_t index, bool stats) {
  auto devs = collect<dev_info>(build_dev_get(family_, index, stats), parse_dev);
  if (!devs)
    return devs.err();
  if (devs->size() != 1)
    return error{errc::protocol_error, "DEV_GET: expected one reply"};
  return std::move(devs->front());
}

expected<std::vector<dev_info>> request_socket::dev_dump(bool stats) {
  return collect<dev_info>(build_dev_get(family_, std::nullopt, stats), parse_dev);
}

expected<void> request_socket::params_set(std::uint32_t index, const params_update& p) {
  auto msg = build_params_set(family_, index, p);
  if (!msg)
    return msg.err();
  return transact(std::move(*msg), [](const nlmsghdr*) -> expected<void> { return {}; });
}

expected<std::vector<actor_info>> request_socket::actor_dump(std::optional<std::uint32_t> index) {
  return collect<actor_info>(build_actor_dump(family_, index), parse_actor);
}

expected<void> request_socket::actor_migrate(std::uint32_t index, std::uint32_t actor_id,
                                             std::uint32_t to) {
  auto msg = build_actor_migrate(family_, index, actor_id, to);
  if (!msg)
    return msg.err();
  return transact(std::move(*msg), [](const nlmsghdr*) -> expected<void> { return {}; });
}

} // namespace ipipe::netlink
