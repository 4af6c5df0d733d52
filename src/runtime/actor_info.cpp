#include <ipipe/runtime/actor_info.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace ipipe::runtime {

std::string_view to_string(actor_state s) noexcept {
  switch (s) {
  case actor_state::local:
    return "local";
  case actor_state::remote:
    return "remote";
  case actor_state::migrating_out:
    return "migrating_out";
  case actor_state::incoming:
    return "incoming";
  case actor_state::quarantined:
    return "quarantined";
  }
  return "unknown";
}

ipipe_actor_info to_uapi(const actor_info& i) noexcept {
  ipipe_actor_info u{};
  u.actor_id = i.id;
  u.location = i.location;
  u.group = i.group;
  if (i.state == actor_state::migrating_out || i.state == actor_state::incoming)
    u.flags |= IPIPE_ACTOR_S_MIGRATING;
  if (i.state == actor_state::quarantined)
    u.flags |= IPIPE_ACTOR_S_QUARANTINED;
  std::snprintf(u.type, sizeof(u.type), "%s", i.type.c_str());
  u.mem_quota = i.mem_quota;
  u.mem_used = i.mem_used;
  u.requests = i.stats.requests;
  u.migrations = i.stats.migrations;
  if (i.stats.requests > 0) {
    const double n = static_cast<double>(i.stats.requests);
    const double mean = static_cast<double>(i.stats.exec_ns_sum) / n;
    const double var = std::max(0.0, static_cast<double>(i.stats.exec_ns_sumsq) / n - mean * mean);
    u.mean_ns = static_cast<std::uint64_t>(mean);
    u.tail_ns = static_cast<std::uint64_t>(mean + 3.0 * std::sqrt(var));
  }
  u.p50_ns = i.stats.exec_hist.percentile(500);
  u.p99_ns = i.stats.exec_hist.percentile(990);
  u.mailbox_len = static_cast<std::uint32_t>(std::min<std::size_t>(i.mailbox_len, UINT32_MAX));
  return u;
}

} // namespace ipipe::runtime
