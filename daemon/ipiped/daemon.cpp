#include "daemon.hpp"

#include <ipipe/netlink/nl_error.hpp>

#include "log.hpp"
#include <algorithm>

namespace ipipe::daemon {

expected<void> ipiped::start() {
  auto cfg = config::load_config(path_);
  if (!cfg)
    return cfg.err();
  cfg_ = std::move(*cfg);
  node_settings s;
  s.workers = cfg_.daemon.workers;
  s.busy_poll = std::chrono::microseconds(cfg_.daemon.busy_poll_us);
  s.budget_ns = std::uint64_t{cfg_.daemon.handler_budget_ms} * 1'000'000;
  std::vector<std::unique_ptr<host_node>> nodes;
  for (const auto& d : cfg_.devices) {
    auto n = host_node::open(d, s);
    if (!n)
      return error{n.err().code(),
                   fmt::format("{} (line {}): {}", d.path, d.line, n.err().message())};
    if (auto r = (*n)->register_actors(cfg_.actors); !r)
      return r.err();
    nodes.push_back(std::move(*n));
  }
  nodes_ = std::move(nodes);
  // Netlink is the kernel's: direct-attached NICs need none of it.
  uses_netlink_ = std::any_of(cfg_.devices.begin(), cfg_.devices.end(),
                              [](const auto& d) { return d.kind == config::device_kind::kernel; });
  if (uses_netlink_)
    ctl_.connect();
  if (auto r = push_params(cfg_.params); !r)
    return r.err();
  for (auto& n : nodes_) {
    n->start();
    log::info("{}: serving", n->name());
  }
  notify_.ready(status_line());
  return {};
}

expected<void> ipiped::push_params(const config::params_config& p) {
  params_pending_ = false;
  for (auto& n : nodes_) {
    const auto& d = n->name();
    if (n->device().backend() == "direct") {
      if (auto r = n->apply_params(p); !r)
        return error{r.err().code(), d + ": thresholds: " + r.err().message()};
      continue;
    }
    auto idx = device_index(d.substr(d.find(' ') + 1));
    if (!idx) {
      log::warning("{}: not a /dev/ipipeN path, thresholds not pushed", d);
      continue;
    }
    if (!ctl_.connected()) {
      params_pending_ = true; // pushed once netlink is there
      continue;
    }
    if (auto r = ctl_.push_params(*idx, p); !r)
      return error{r.err().code(), d + ": thresholds: " + netlink::describe(r.err())};
  }
  return {};
}

void ipiped::reload() {
  notify_.reloading();
  auto cfg = config::load_config(path_);
  if (!cfg) {
    log::err("reload: {}; keeping the running configuration", cfg.err().message());
    notify_.ready(status_line());
    return;
  }
  if (cfg->devices != cfg_.devices || cfg->actors != cfg_.actors || cfg->daemon != cfg_.daemon)
    log::notice("reload: devices, actors and [daemon] change on restart only");
  if (auto r = push_params(cfg->params); !r)
    log::err("reload: {}", r.err().message());
  else
    cfg_.params = cfg->params;
  log::info("reloaded {}", path_.string());
  notify_.ready(status_line());
}

void ipiped::stop() {
  notify_.stopping();
  for (auto& n : nodes_) {
    const std::size_t left = n->stop(std::chrono::seconds(5));
    if (left != 0)
      log::warning("{}: {} actors could not go back to the NIC", n->name(), left);
  }
  nodes_.clear();
}

bool ipiped::tick() {
  for (const auto& n : nodes_)
    if (n->lost())
      return false;
  if (uses_netlink_ && !ctl_.connected() && ctl_.connect() && params_pending_)
    if (auto r = push_params(cfg_.params); !r)
      log::err("{}", r.err().message());
  notify_.status(status_line());
  return true;
}

std::string ipiped::status_line() const {
  std::size_t local = 0;
  std::uint64_t executed = 0;
  for (const auto& n : nodes_) {
    const auto c = n->counters();
    local += c.local_actors;
    executed += c.executed;
  }
  return fmt::format("{} NIC(s), {} actor(s) on the host, {} requests handled", nodes_.size(),
                     local, executed);
}

} // namespace ipipe::daemon
