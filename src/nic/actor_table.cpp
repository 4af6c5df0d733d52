#include <ipipe/nic/actor_table.hpp>

#include <algorithm>
#include <cstring>
#include <mutex>

namespace ipipe::nic {

actor_table::actor_table(std::uint32_t max_actors, std::uint64_t mem_budget)
    : slots_(max_actors), mem_budget_(mem_budget) {}

ipipe_status actor_table::create(const ipipe_admin_cmd& cmd, std::uint32_t& id) {
  const auto& a = cmd.actor;
  std::unique_lock g{lock_};
  std::uint32_t slot;
  if (a.actor_id != 0) {
    if (a.actor_id > slots_.size())
      return IPIPE_STS_BAD_INDEX;
    slot = a.actor_id - 1;
    if (slots_[slot])
      return IPIPE_STS_EXISTS;
  } else {
    slot = 0;
    while (slot < slots_.size() && slots_[slot])
      ++slot;
    if (slot == slots_.size())
      return IPIPE_STS_NO_SPACE;
  }
  // Only NIC-resident actors use NIC memory for their objects.
  const std::uint64_t quota = a.location == IPIPE_LOC_NIC ? a.mem_quota : 0;
  if (quota > mem_budget_ - quota_used_)
    return IPIPE_STS_NO_SPACE;

  auto e = std::make_unique<entry>();
  e->info.actor_id = slot + 1;
  e->info.location = a.location;
  e->info.group = IPIPE_GROUP_FCFS;
  e->info.flags = a.flags;
  std::memcpy(e->info.type, a.type, sizeof(e->info.type));
  e->info.mem_quota = a.mem_quota;
  e->ring_id = a.ring_id;
  quota_used_ += quota;
  slots_[slot] = std::move(e);
  id = slot + 1;
  return IPIPE_STS_OK;
}

ipipe_status actor_table::destroy(std::uint32_t id) {
  std::unique_lock g{lock_};
  if (id == 0 || id > slots_.size() || !slots_[id - 1])
    return IPIPE_STS_NOT_FOUND;
  const auto& info = slots_[id - 1]->info;
  if (info.location == IPIPE_LOC_NIC)
    quota_used_ -= info.mem_quota;
  slots_[id - 1].reset();
  return IPIPE_STS_OK;
}

ipipe_status actor_table::migrate(std::uint32_t id, std::uint32_t to) {
  std::unique_lock g{lock_};
  if (id == 0 || id > slots_.size() || !slots_[id - 1])
    return IPIPE_STS_NOT_FOUND;
  auto& info = slots_[id - 1]->info;
  if ((info.flags & (IPIPE_ACTOR_F_PINNED | IPIPE_ACTOR_S_MIGRATING)) != 0 || info.location == to)
    return IPIPE_STS_BUSY;
  if (to == IPIPE_LOC_NIC) {
    if (info.mem_quota > mem_budget_ - quota_used_)
      return IPIPE_STS_NO_SPACE;
    quota_used_ += info.mem_quota;
  } else {
    quota_used_ -= info.mem_quota;
  }
  info.location = to;
  ++info.migrations;
  return IPIPE_STS_OK;
}

ipipe_status actor_table::begin_migrate(std::uint32_t id, std::uint32_t to) {
  std::unique_lock g{lock_};
  if (id == 0 || id > slots_.size() || !slots_[id - 1])
    return IPIPE_STS_NOT_FOUND;
  auto& info = slots_[id - 1]->info;
  if ((info.flags & (IPIPE_ACTOR_F_PINNED | IPIPE_ACTOR_S_MIGRATING)) != 0 || info.location == to)
    return IPIPE_STS_BUSY;
  if (to == IPIPE_LOC_NIC && info.mem_quota > mem_budget_ - quota_used_)
    return IPIPE_STS_NO_SPACE;
  info.flags |= IPIPE_ACTOR_S_MIGRATING;
  return IPIPE_STS_OK;
}

void actor_table::abort_migrate(std::uint32_t id) {
  std::unique_lock g{lock_};
  if (id != 0 && id <= slots_.size() && slots_[id - 1])
    slots_[id - 1]->info.flags &= ~IPIPE_ACTOR_S_MIGRATING;
}

bool actor_table::moved(std::uint32_t id, std::uint32_t loc) {
  std::unique_lock g{lock_};
  if (id == 0 || id > slots_.size() || !slots_[id - 1])
    return false;
  auto& info = slots_[id - 1]->info;
  info.flags &= ~IPIPE_ACTOR_S_MIGRATING;
  if (info.location == loc)
    return true; // a refused move: it stayed
  // The runtime already holds the memory; the budget follows it even if
  // that overshoots (the policy, not the operator, moved it).
  if (loc == IPIPE_LOC_NIC)
    quota_used_ += info.mem_quota;
  else
    quota_used_ -= std::min<std::uint64_t>(quota_used_, info.mem_quota);
  info.location = loc;
  ++info.migrations;
  return true;
}

void actor_table::clear() {
  std::unique_lock g{lock_};
  for (auto& s : slots_)
    s.reset();
  quota_used_ = 0;
}

std::optional<actor_ref> actor_table::find_for_request(std::uint32_t id) {
  // Shared lock: the request counter is the only thing written, atomically.
  std::shared_lock g{lock_};
  if (id == 0 || id > slots_.size() || !slots_[id - 1])
    return std::nullopt;
  auto& e = *slots_[id - 1];
  e.requests.fetch_add(1, std::memory_order_relaxed);
  return actor_ref{e.info.actor_id, std::string(e.info.type), e.info.location, e.ring_id};
}

std::vector<ipipe_actor_info> actor_table::list() const {
  std::shared_lock g{lock_};
  std::vector<ipipe_actor_info> out;
  for (const auto& s : slots_) {
    if (!s)
      continue;
    ipipe_actor_info info = s->info;
    info.requests = s->requests.load(std::memory_order_relaxed);
    out.push_back(info);
  }
  return out;
}

std::size_t actor_table::size() const {
  std::shared_lock g{lock_};
  std::size_t n = 0;
  for (const auto& s : slots_)
    n += s ? 1 : 0;
  return n;
}

} // namespace ipipe::nic
