#pragma once
// Test helper: a client on the NIC's wire port, one UDP socket speaking
// the frame format (nic/wire.hpp).

#include <ipipe/common/unique_fd.hpp>
#include <ipipe/nic/wire.hpp>
#include <ipipe/runtime/message.hpp>

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <array>
#include <cstring>
#include <optional>

namespace ipipe::fw::testing {

// A client on the wire: one UDP socket speaking the frame format.
class wire_client {
public:
  explicit wire_client(std::uint16_t nic_port) {
    sock_ = unique_fd{::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)};
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(sock_.get(), reinterpret_cast<sockaddr*>(&sa), sizeof(sa)), 0);
    socklen_t len = sizeof(sa);
    ::getsockname(sock_.get(), reinterpret_cast<sockaddr*>(&sa), &len);
    nic_.sin_family = AF_INET;
    nic_.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    nic_.sin_port = htons(nic_port);
    addr_.src_ip = addr_.dst_ip = INADDR_LOOPBACK;
    addr_.src_port = ntohs(sa.sin_port);
  }

  void send(std::uint32_t actor, std::uint64_t req_id, std::span<const std::byte> payload = {}) {
    ipipe_msg_hdr h{};
    h.dst_actor = actor;
    h.req_id = req_id;
    h.type = IPIPE_MSG_REQUEST;
    h.len = static_cast<std::uint32_t>(payload.size());
    auto f = nic::wire::build(addr_, h, payload);
    ASSERT_TRUE(f);
    ASSERT_EQ(::sendto(sock_.get(), f->data(), f->size(), 0,
                       reinterpret_cast<const sockaddr*>(&nic_), sizeof(nic_)),
              static_cast<ssize_t>(f->size()));
  }

  // Returns the next answer (header and payload), or nothing after
  // `timeout_ms`.
  std::optional<runtime::message> receive(int timeout_ms = 10'000) {
    pollfd p{sock_.get(), POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) != 1)
      return std::nullopt;
    std::array<std::byte, nic::wire::max_frame> buf;
    ssize_t n = ::recv(sock_.get(), buf.data(), buf.size(), 0);
    auto f =
        nic::wire::parse({buf.data(), static_cast<std::size_t>(n)}, nic::wire::direction::from_nic);
    if (!f)
      return std::nullopt;
    runtime::message m;
    m.hdr = f->hdr;
    m.payload.assign(f->payload.begin(), f->payload.end());
    return m;
  }

  // Sends one request and returns the count it was answered with (0 for an
  // error reply or none).
  std::uint64_t tally(std::uint32_t actor, std::uint64_t req_id) {
    send(actor, req_id);
    auto m = receive();
    if (!m || m->hdr.type != IPIPE_MSG_REPLY || m->hdr.req_id != req_id ||
        m->payload.size() != sizeof(std::uint64_t))
      return 0;
    std::uint64_t n = 0;
    std::memcpy(&n, m->payload.data(), sizeof(n));
    return n;
  }

private:
  unique_fd sock_;
  sockaddr_in nic_{};
  nic::wire::addresses addr_;
};

} // namespace ipipe::fw::testing
