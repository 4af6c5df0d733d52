#include <ipipe/sched/decision.hpp>

#include <algorithm>
#include <cstdio>

namespace ipipe::sched {

const char* to_string(decision_kind k) noexcept {
  switch (k) {
  case decision_kind::downgrade:
    return "downgrade";
  case decision_kind::upgrade:
    return "upgrade";
  case decision_kind::regroup:
    return "regroup";
  case decision_kind::push_to_host:
    return "push";
  case decision_kind::pull_to_nic:
    return "pull";
  }
  return "?";
}

std::string to_string(const decision& d) {
  char buf[160];
  if (d.kind == decision_kind::regroup)
    std::snprintf(buf, sizeof buf, "%.6f ms regroup fcfs %u drr %u", d.at_ns / 1e6, d.fcfs_cores,
                  d.drr_cores);
  else
    std::snprintf(buf, sizeof buf, "%.6f ms %s actor %u (%llu ns)", d.at_ns / 1e6,
                  to_string(d.kind), d.actor_id, static_cast<unsigned long long>(d.value_ns));
  return buf;
}

std::size_t decision_log::count(decision_kind k) const noexcept {
  return static_cast<std::size_t>(
      std::count_if(log_.begin(), log_.end(), [k](const decision& d) { return d.kind == k; }));
}

} // namespace ipipe::sched
