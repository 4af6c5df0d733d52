#include "control.hpp"

#include <ipipe/netlink/nl_error.hpp>
#include <ipipe/netlink/types.hpp>

#include "log.hpp"
#include <charconv>

namespace ipipe::daemon {

bool control::connect() {
  if (connected())
    return true;
  auto req = netlink::request_socket::open();
  if (!req) {
    if (!said_missing_) {
      if (netlink::is_family_missing(req.err()))
        log::warning("the ipipe netlink family is not there (ipipe.ko not loaded?); retrying");
      else
        log::warning("netlink: {}; retrying", req.err().message());
      said_missing_ = true;
    }
    return false;
  }
  auto ev = netlink::event_socket::open();
  if (!ev) {
    log::warning("netlink events: {}", ev.err().message());
    return false;
  }
  req_.emplace(std::move(*req));
  ev_.emplace(std::move(*ev));
  if (said_missing_)
    log::notice("the ipipe netlink family is there now");
  said_missing_ = false;
  return true;
}

expected<void> control::push_params(std::uint32_t index, const config::params_config& p) {
  if (!req_)
    return error{errc::not_found, "netlink not connected"};
  netlink::params_update u;
  u.tail_thresh_ns = p.tail_thresh_ns;
  u.mean_thresh_ns = p.mean_thresh_ns;
  u.alpha_permille = p.alpha_permille;
  u.drr_quantum_ns = p.drr_quantum_ns;
  u.fcfs_cores = p.fcfs_cores;
  if (u.empty())
    return {};
  return req_->params_set(index, u);
}

void control::drain_events() {
  if (!ev_)
    return;
  auto evs = ev_->receive();
  if (!evs) {
    log::warning("netlink events: {}", evs.err().message());
    return;
  }
  for (const auto& e : *evs)
    log::info("{}: event {} actor {} arg0 {} arg1 {}", e.dev_name, netlink::event_name(e.type),
              e.actor_id, e.arg0, e.arg1);
}

std::optional<std::uint32_t> device_index(std::string_view path) noexcept {
  constexpr std::string_view prefix = "/dev/ipipe";
  if (path.substr(0, prefix.size()) != prefix || path.size() == prefix.size())
    return std::nullopt;
  std::uint32_t n = 0;
  const char* first = path.data() + prefix.size();
  const char* last = path.data() + path.size();
  auto [p, ec] = std::from_chars(first, last, n);
  if (ec != std::errc{} || p != last)
    return std::nullopt;
  return n;
}

} // namespace ipipe::daemon
