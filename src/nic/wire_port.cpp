#include <ipipe/nic/wire_port.hpp>

#include <ipipe/common/sys.hpp>
#include <ipipe/nic/wire.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>

namespace ipipe::nic {
namespace {

// Sends replies to the datagram's sender as frames addressed back to the
// frame's sender.
class wire_sink final : public message_sink {
public:
  wire_sink(int sock, const sockaddr_in& to, const wire::addresses& addr, fw_counters& c)
    : sock_(sock), to_(to), addr_(wire::reply_to(addr)), counters_(c) {}

  bool send(const ipipe_msg_hdr& hdr, std::span<const std::byte> payload) override {
    std::array<std::byte, wire::max_frame> frame;
    auto n = wire::build(frame, addr_, hdr, payload);
    if (!n)
      return false;
    ssize_t r = ::sendto(sock_, frame.data(), *n, MSG_DONTWAIT,
                         reinterpret_cast<const sockaddr*>(&to_), sizeof(to_));
    if (r != static_cast<ssize_t>(*n))
      return false;
    fw_counters::add(counters_.wire_tx_packets);
    return true;
  }

private:
  int sock_;
  sockaddr_in to_;
  wire::addresses addr_;
  fw_counters& counters_;
};

} // namespace

expected<std::unique_ptr<wire_port>> wire_port::open(const endpoint& at, actor_dispatch& d,
                                                     fw_counters& c) {
  std::unique_ptr<wire_port> w{new wire_port{d, c}};
  w->sock_ = unique_fd{::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)};
  if (!w->sock_)
    return sys::last_error("wire socket");
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(at.addr);
  sa.sin_port = htons(at.port);
  if (::bind(w->sock_.get(), reinterpret_cast<const sockaddr*>(&sa), sizeof(sa)) < 0)
    return sys::last_error("wire bind");
  socklen_t len = sizeof(sa);
  if (::getsockname(w->sock_.get(), reinterpret_cast<sockaddr*>(&sa), &len) < 0)
    return sys::last_error("wire getsockname");
  w->port_ = ntohs(sa.sin_port);
  return w;
}

std::size_t wire_port::on_readable(std::size_t budget) {
  // One byte more than the largest valid frame, to see oversized ones.
  std::array<std::byte, wire::max_frame + 65> buf;
  std::size_t n = 0;
  for (; n < budget; ++n) {
    sockaddr_in from{};
    socklen_t flen = sizeof(from);
    ssize_t r = ::recvfrom(sock_.get(), buf.data(), buf.size(), MSG_DONTWAIT | MSG_TRUNC,
                           reinterpret_cast<sockaddr*>(&from), &flen);
    if (r < 0)
      break;
    fw_counters::add(counters_.wire_rx_packets);
    if (static_cast<std::size_t>(r) > buf.size() || flen != sizeof(from)) {
      fw_counters::add(counters_.wire_rx_dropped);
      continue;
    }
    auto f = wire::parse({buf.data(), static_cast<std::size_t>(r)});
    if (!f) {
      fw_counters::add(counters_.wire_rx_dropped);
      continue;
    }
    wire_sink sink{sock_.get(), from, f->addr, counters_};
    dispatch_.deliver(f->hdr, f->payload, sink);
  }
  return n;
}

} // namespace ipipe::nic
