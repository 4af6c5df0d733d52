#include <ipipe/common/sys.hpp>
#include <ipipe/nic/wire_port.hpp>

#include <arpa/inet.h>
#include <sys/socket.h>

#include <array>

namespace ipipe::nic {
namespace {

std::uint64_t addr_key(const sockaddr_in& sa) noexcept {
  return (std::uint64_t{ntohl(sa.sin_addr.s_addr)} << 16) | ntohs(sa.sin_port);
}

sockaddr_in to_sockaddr(const endpoint& at) noexcept {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(at.addr);
  sa.sin_port = htons(at.port);
  return sa;
}

} // namespace

// Answers the datagram in hand (the built-in dispatcher replies at once).
class wire_port::sender_sink final : public message_sink {
public:
  sender_sink(wire_port& port, const route& back) noexcept : port_(port), back_(back) {}
  bool send(const ipipe_msg_hdr& hdr, std::span<const std::byte> payload) override {
    return port_.transmit(back_, hdr, payload);
  }

private:
  wire_port& port_;
  const route& back_;
};

expected<std::unique_ptr<wire_port>> wire_port::open(const endpoint& at, actor_dispatch& d,
                                                     fw_counters& c, std::uint32_t max_clients) {
  if (max_clients == 0)
    return error{errc::invalid_argument, "the wire port needs room for one client"};
  std::unique_ptr<wire_port> w{new wire_port{d, c, max_clients}};
  w->sock_ = unique_fd{::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)};
  if (!w->sock_)
    return sys::last_error("wire socket");
  sockaddr_in sa = to_sockaddr(at);
  if (::bind(w->sock_.get(), reinterpret_cast<const sockaddr*>(&sa), sizeof(sa)) < 0)
    return sys::last_error("wire bind");
  socklen_t len = sizeof(sa);
  if (::getsockname(w->sock_.get(), reinterpret_cast<sockaddr*>(&sa), &len) < 0)
    return sys::last_error("wire getsockname");
  w->local_ = sa;
  w->port_ = ntohs(sa.sin_port);
  return w;
}

expected<void> wire_port::add_peer(std::uint32_t handle, const endpoint& at) {
  if (handle == 0 || handle > max_peer)
    return error{errc::invalid_argument, "peer handles are 1..255"};
  route r;
  r.to = to_sockaddr(at);
  // Node to node, both ends are NIC ports.
  r.frame.src_ip = ntohl(local_.sin_addr.s_addr);
  r.frame.dst_ip = at.addr;
  r.frame.src_port = IPIPE_WIRE_UDP_PORT;
  r.frame.dst_port = IPIPE_WIRE_UDP_PORT;
  r.frame.src_mac = {0x02, 0x1b, 0x00, 0x00, 0x00, static_cast<std::uint8_t>(handle)};
  std::lock_guard g{lock_};
  if (routes_.count(handle) != 0 || by_addr_.count(addr_key(r.to)) != 0)
    return error{errc::exists, "peer handle or address already named"};
  by_addr_[addr_key(r.to)] = handle;
  routes_[handle] = r;
  return {};
}

std::uint32_t wire_port::handle_of(const sockaddr_in& from, const wire::addresses& addr) {
  std::lock_guard g{lock_};
  const std::uint64_t key = addr_key(from);
  if (auto it = by_addr_.find(key); it != by_addr_.end())
    return it->second;
  if (client_order_.size() >= max_clients_) {
    // Recycle the oldest client's handle: a very late reply to it is lost,
    // as it would be behind a NAT that forgot the flow.
    const std::uint32_t old = client_order_.front();
    client_order_.pop_front();
    by_addr_.erase(addr_key(routes_[old].to));
    routes_.erase(old);
  }
  std::uint32_t h = next_client_;
  next_client_ = next_client_ == ring_client_base - 1 ? first_client : next_client_ + 1;
  route r;
  r.to = from;
  r.frame = wire::reply_to(addr);
  routes_[h] = r;
  by_addr_[key] = h;
  client_order_.push_back(h);
  return h;
}

bool wire_port::transmit(const route& r, const ipipe_msg_hdr& in,
                         std::span<const std::byte> payload) {
  ipipe_msg_hdr hdr = in;
  hdr.flags &= static_cast<std::uint16_t>(~IPIPE_MSG_F_WIRE);
  hdr.client = 0; // the receiver names us by our address, not our handle
  std::array<std::byte, wire::max_frame> frame;
  auto n = wire::build(frame, r.frame, hdr, payload);
  if (!n) {
    fw_counters::add(counters_.wire_tx_dropped);
    return false;
  }
  ssize_t s = ::sendto(sock_.get(), frame.data(), *n, MSG_DONTWAIT,
                       reinterpret_cast<const sockaddr*>(&r.to), sizeof(r.to));
  if (s != static_cast<ssize_t>(*n)) {
    fw_counters::add(counters_.wire_tx_dropped);
    return false;
  }
  fw_counters::add(counters_.wire_tx_packets);
  return true;
}

bool wire_port::send(const ipipe_msg_hdr& hdr, std::span<const std::byte> payload) {
  route r;
  {
    std::lock_guard g{lock_};
    auto it = routes_.find(hdr.client);
    if (it == routes_.end()) {
      fw_counters::add(counters_.wire_tx_dropped);
      return false;
    }
    r = it->second;
  }
  return transmit(r, hdr, payload);
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
    // What arrives is addressed to this node; the sender is named by its
    // handle, so answers and the runtime's later replies find it.
    f->hdr.flags &= static_cast<std::uint16_t>(~IPIPE_MSG_F_WIRE);
    f->hdr.client = handle_of(from, f->addr);
    route back;
    back.to = from;
    back.frame = wire::reply_to(f->addr);
    sender_sink sink{*this, back};
    dispatch_.deliver(f->hdr, f->payload, sink);
  }
  return n;
}

} // namespace ipipe::nic
