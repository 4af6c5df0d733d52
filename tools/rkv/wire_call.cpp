#include "wire_call.hpp"

#include <ipipe/common/clock.hpp>

#include <arpa/inet.h>
#include <fmt/core.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <array>
#include <cstring>
#include <random>

namespace ipipe::tools {

expected<wire_caller> wire_caller::open(const nic::endpoint& at) {
  wire_caller c;
  c.sock_ = unique_fd{::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)};
  if (!c.sock_)
    return error{errc::system_error, "socket", errno};
  sockaddr_in nic{};
  nic.sin_family = AF_INET;
  nic.sin_addr.s_addr = htonl(at.addr);
  nic.sin_port = htons(at.port);
  // connect() picks the source address and filters other senders out.
  if (::connect(c.sock_.get(), reinterpret_cast<sockaddr*>(&nic), sizeof(nic)) < 0)
    return error{errc::system_error, "connect", errno};
  sockaddr_in me{};
  socklen_t len = sizeof(me);
  if (::getsockname(c.sock_.get(), reinterpret_cast<sockaddr*>(&me), &len) < 0)
    return error{errc::system_error, "getsockname", errno};
  c.addr_.src_ip = ntohl(me.sin_addr.s_addr);
  c.addr_.src_port = ntohs(me.sin_port);
  c.addr_.dst_ip = at.addr;
  // Random request ids: an answer to an earlier run's request is ignored.
  c.next_req_ = (std::uint64_t{std::random_device{}()} << 32) | 1;
  return c;
}

expected<std::vector<std::byte>> wire_caller::call(std::uint32_t actor,
                                                   std::span<const std::byte> payload,
                                                   std::chrono::milliseconds wait,
                                                   unsigned attempts) {
  std::array<std::byte, nic::wire::max_frame> buf;
  for (unsigned a = 0; a < attempts; ++a) {
    const std::uint64_t req = next_req_++;
    ipipe_msg_hdr h{};
    h.dst_actor = actor;
    h.req_id = req;
    h.type = IPIPE_MSG_REQUEST;
    h.len = static_cast<std::uint32_t>(payload.size());
    auto f = nic::wire::build(addr_, h, payload);
    if (!f)
      return f.err();
    // A refused send (nobody listening yet: ECONNREFUSED) is one more attempt.
    (void)::send(sock_.get(), f->data(), f->size(), 0);
    const std::uint64_t deadline =
        monotonic_ns() + static_cast<std::uint64_t>(wait.count()) * 1'000'000;
    for (std::uint64_t now = monotonic_ns(); now < deadline; now = monotonic_ns()) {
      pollfd pf{sock_.get(), POLLIN, 0};
      const int ms = static_cast<int>((deadline - now + 999'999) / 1'000'000);
      if (::poll(&pf, 1, ms) != 1)
        continue;
      const ssize_t n = ::recv(sock_.get(), buf.data(), buf.size(), 0);
      if (n <= 0)
        continue; // ECONNREFUSED from an earlier send: wait on
      auto m = nic::wire::parse({buf.data(), static_cast<std::size_t>(n)},
                                nic::wire::direction::from_nic);
      if (!m || m->hdr.req_id != req)
        continue;
      if (m->hdr.type == IPIPE_MSG_ERROR) {
        std::uint32_t st = 0;
        std::memcpy(&st, m->payload.data(), std::min(sizeof(st), m->payload.size()));
        return error{errc::protocol_error,
                     fmt::format("actor {} answered IPIPE_MSG_ERROR {}", actor, st)};
      }
      if (m->hdr.type != IPIPE_MSG_REPLY && m->hdr.type != IPIPE_MSG_ACTOR)
        continue;
      return std::vector<std::byte>(m->payload.begin(), m->payload.end());
    }
  }
  return error{errc::timed_out,
               fmt::format("actor {}: no answer after {} attempts", actor, attempts)};
}

} // namespace ipipe::tools
