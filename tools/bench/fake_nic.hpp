#pragma once
// Test helper: a scripted stand-in for a NIC's wire port. A thread reads
// request frames and answers each as the test's handler says: a reply
// (header and payload), maybe after a delay, or nothing.

#include <ipipe/common/unique_fd.hpp>
#include <ipipe/nic/wire.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <thread>
#include <vector>

namespace ipipe::bench::testing {

/// An answer the handler wants sent.
struct fake_answer {
  ipipe_msg_hdr hdr{};
  std::vector<std::byte> body;
  std::chrono::milliseconds delay{0};
};

/// Returns the answer to one request (header, payload), or nothing.
using fake_handler =
    std::function<std::optional<fake_answer>(const ipipe_msg_hdr&, std::span<const std::byte>)>;

/// A UDP port on 127.0.0.1 that answers like a NIC. Without a handler it
/// reads nothing: a NIC that is not there.
class fake_nic {
public:
  explicit fake_nic(fake_handler h = {}) : fd_(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_.get(), reinterpret_cast<sockaddr*>(&sa), sizeof(sa));
    socklen_t len = sizeof(sa);
    ::getsockname(fd_.get(), reinterpret_cast<sockaddr*>(&sa), &len);
    port_ = ntohs(sa.sin_port);
    if (h)
      thread_ = std::thread([this, h = std::move(h)] { serve(h); });
  }
  ~fake_nic() {
    stop_ = true;
    if (thread_.joinable())
      thread_.join();
  }
  fake_nic(const fake_nic&) = delete;
  fake_nic& operator=(const fake_nic&) = delete;

  /// Returns the UDP port.
  [[nodiscard]] std::uint16_t port() const { return port_; }

private:
  using clock = std::chrono::steady_clock;
  struct queued {
    sockaddr_in to;
    std::vector<std::byte> frame;
  };

  void send(const queued& q) {
    ::sendto(fd_.get(), q.frame.data(), q.frame.size(), 0, reinterpret_cast<const sockaddr*>(&q.to),
             sizeof(q.to));
  }

  void serve(const fake_handler& h) {
    std::vector<std::byte> buf(nic::wire::max_frame);
    std::multimap<clock::time_point, queued> later;
    while (!stop_) {
      const auto now = clock::now();
      while (!later.empty() && later.begin()->first <= now) {
        send(later.begin()->second);
        later.erase(later.begin());
      }
      pollfd p{fd_.get(), POLLIN, 0};
      if (::poll(&p, 1, 2) <= 0)
        continue;
      sockaddr_in from{};
      socklen_t len = sizeof(from);
      const ssize_t n = ::recvfrom(fd_.get(), buf.data(), buf.size(), 0,
                                   reinterpret_cast<sockaddr*>(&from), &len);
      if (n <= 0)
        continue;
      auto f = nic::wire::parse({buf.data(), static_cast<std::size_t>(n)});
      if (!f)
        continue;
      auto a = h(f->hdr, f->payload);
      if (!a)
        continue;
      a->hdr.len = static_cast<std::uint32_t>(a->body.size());
      auto frame = nic::wire::build(nic::wire::reply_to(f->addr), a->hdr, a->body);
      if (!frame)
        continue;
      queued q{from, std::move(*frame)};
      if (a->delay.count() > 0)
        later.emplace(now + a->delay, std::move(q));
      else
        send(q);
    }
  }

  unique_fd fd_;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

} // namespace ipipe::bench::testing
