// ipipe-probe: sends requests to one actor over a NIC's wire port, one at
// a time, and checks the answers: the echo of its payload, or a counter
// that must go up by one per acknowledged request. For operators ("is this
// actor answering?") and for system tests (was acknowledged state lost?).
#include <ipipe/common/clock.hpp>
#include <ipipe/common/unique_fd.hpp>
#include <ipipe/nic/options.hpp>
#include <ipipe/nic/wire.hpp>

#include <arpa/inet.h>
#include <fmt/core.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <CLI/CLI.hpp>
#include <array>
#include <chrono>
#include <cstring>
#include <thread>

using namespace ipipe;

namespace {

struct result {
  std::uint64_t sent = 0, answered = 0, errors = 0, timeouts = 0, regressions = 0, skips = 0;
  std::uint64_t first = 0, last = 0; // counter values seen
  std::uint64_t max_rtt_us = 0;
};

struct probe {
  unique_fd sock;
  sockaddr_in nic{};
  nic::wire::addresses addr;
};

expected<probe> open_probe(const nic::endpoint& at) {
  probe p;
  p.sock = unique_fd{::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)};
  if (!p.sock)
    return error{errc::system_error, "socket", errno};
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  if (::bind(p.sock.get(), reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) < 0)
    return error{errc::system_error, "bind", errno};
  // connect() picks our source address towards the NIC and filters
  // datagrams from anyone else.
  p.nic.sin_family = AF_INET;
  p.nic.sin_addr.s_addr = htonl(at.addr);
  p.nic.sin_port = htons(at.port);
  if (::connect(p.sock.get(), reinterpret_cast<sockaddr*>(&p.nic), sizeof(p.nic)) < 0)
    return error{errc::system_error, "connect", errno};
  socklen_t len = sizeof(sa);
  ::getsockname(p.sock.get(), reinterpret_cast<sockaddr*>(&sa), &len);
  p.addr.src_ip = ntohl(sa.sin_addr.s_addr);
  p.addr.src_port = ntohs(sa.sin_port);
  p.addr.dst_ip = at.addr;
  return p;
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"ipipe-probe: request an actor over a NIC's wire port and check the answers"};
  std::string target, kind = "echo";
  std::uint32_t actor = 0;
  std::uint64_t count = 10, interval_ms = 0, timeout_ms = 1000, first_req = 1;
  bool json = false;
  app.add_option("-t,--target", target, "the NIC's wire port, ADDR:PORT")->required();
  app.add_option("-a,--actor", actor, "actor id")->required()->check(CLI::Range(1u, 0xffffffffu));
  app.add_option("-n,--count", count, "requests to send")->capture_default_str();
  app.add_option("-k,--kind", kind, "echo: payload comes back; counter: 1, 2, 3...")
      ->check(CLI::IsMember({"echo", "counter"}))
      ->capture_default_str();
  app.add_option("-i,--interval-ms", interval_ms, "pause between requests")->capture_default_str();
  app.add_option("--timeout-ms", timeout_ms, "wait per request")->capture_default_str();
  app.add_option("--req-id", first_req, "first request id")->capture_default_str();
  app.add_flag("-j,--json", json, "print the result as JSON");
  CLI11_PARSE(app, argc, argv);

  auto at = nic::parse_endpoint(target);
  if (!at) {
    fmt::print(stderr, "ipipe-probe: --target: {}\n", at.err().message());
    return 2;
  }
  auto p = open_probe(*at);
  if (!p) {
    fmt::print(stderr, "ipipe-probe: {}\n", p.err().message());
    return 1;
  }
  const bool counter = kind == "counter";
  result r;
  std::array<std::byte, nic::wire::max_frame> buf;
  for (std::uint64_t i = 0; i < count; ++i) {
    const std::uint64_t req = first_req + i;
    ipipe_msg_hdr h{};
    h.dst_actor = actor;
    h.req_id = req;
    h.type = IPIPE_MSG_REQUEST;
    const std::uint64_t pattern[2] = {req, ~req};
    std::span<const std::byte> payload;
    if (!counter)
      payload = std::as_bytes(std::span{pattern});
    h.len = static_cast<std::uint32_t>(payload.size());
    auto f = nic::wire::build(p->addr, h, payload);
    if (!f || ::send(p->sock.get(), f->data(), f->size(), 0) != static_cast<ssize_t>(f->size())) {
      ++r.errors;
      continue;
    }
    ++r.sent;
    const std::uint64_t t0 = monotonic_ns();
    bool done = false;
    while (!done) {
      const std::uint64_t waited_ms = (monotonic_ns() - t0) / 1'000'000;
      if (waited_ms >= timeout_ms) {
        ++r.timeouts;
        break;
      }
      pollfd pf{p->sock.get(), POLLIN, 0};
      if (::poll(&pf, 1, static_cast<int>(timeout_ms - waited_ms)) != 1)
        continue;
      const ssize_t n = ::recv(p->sock.get(), buf.data(), buf.size(), 0);
      auto m = nic::wire::parse({buf.data(), static_cast<std::size_t>(std::max<ssize_t>(n, 0))},
                                nic::wire::direction::from_nic);
      if (!m || m->hdr.req_id != req)
        continue; // a late answer to an earlier request, or noise
      done = true;
      r.max_rtt_us = std::max(r.max_rtt_us, (monotonic_ns() - t0) / 1000);
      if (m->hdr.type != IPIPE_MSG_REPLY) {
        ++r.errors;
        break;
      }
      ++r.answered;
      if (!counter) {
        if (m->payload.size() != payload.size() ||
            std::memcmp(m->payload.data(), payload.data(), payload.size()) != 0)
          ++r.errors;
        break;
      }
      std::uint64_t v = 0;
      if (m->payload.size() != sizeof(v)) {
        ++r.errors;
        break;
      }
      std::memcpy(&v, m->payload.data(), sizeof(v));
      if (r.first == 0)
        r.first = v;
      // Each acknowledged request adds exactly one; a timed-out one may or
      // may not have run (a skip), but the count never goes back.
      if (r.last != 0 && v <= r.last)
        ++r.regressions;
      else if (r.last != 0 && v > r.last + 1)
        ++r.skips;
      r.last = v;
    }
    if (interval_ms != 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(interval_ms));
  }
  if (json)
    fmt::print("{{\"sent\":{},\"answered\":{},\"errors\":{},\"timeouts\":{},\"regressions\":{},"
               "\"skips\":{},\"first\":{},\"last\":{},\"max_rtt_us\":{}}}\n",
               r.sent, r.answered, r.errors, r.timeouts, r.regressions, r.skips, r.first, r.last,
               r.max_rtt_us);
  else
    fmt::print("{} sent, {} answered, {} errors, {} timeouts{}, max rtt {} us\n", r.sent,
               r.answered, r.errors, r.timeouts,
               counter ? fmt::format(", count {}..{}, {} regressions, {} skips", r.first, r.last,
                                     r.regressions, r.skips)
                       : "",
               r.max_rtt_us);
  return r.errors == 0 && r.regressions == 0 && r.answered != 0 ? 0 : 1;
}
