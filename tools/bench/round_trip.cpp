#include "round_trip.hpp"

#include <ipipe/common/clock.hpp>

#include <poll.h>

#include <random>

namespace ipipe::bench {

expected<reply> round_trip(wire_socket& sock, std::size_t t, std::uint64_t req_id,
                           std::span<const std::byte> payload, std::uint64_t timeout_ms,
                           unsigned attempts) {
  std::vector<std::byte> frame(nic::wire::max_frame);
  auto len = sock.frame(frame, t, req_id, payload);
  if (!len)
    return len.err();
  for (unsigned a = 0; a < attempts; ++a) {
    if (!sock.send(t, std::span(frame).first(*len)))
      return error{errc::system_error, "send to the wire port"};
    const std::uint64_t deadline = monotonic_ns() + timeout_ms * 1'000'000;
    while (monotonic_ns() < deadline) {
      pollfd p{sock.fd(), POLLIN, 0};
      (void)::poll(&p, 1, 10);
      wire_socket::answer got;
      for (auto rx = sock.receive(got); rx != wire_socket::rx::empty; rx = sock.receive(got))
        if (rx == wire_socket::rx::frame && got.hdr.req_id == req_id)
          return reply{got.hdr, {got.body.begin(), got.body.end()}};
    }
  }
  return error{errc::timed_out, "no answer"};
}

std::uint64_t random_req_base() {
  return std::uint64_t{std::random_device{}()} << 32;
}

} // namespace ipipe::bench
