#include <ipipe/sched/drr_queue.hpp>

#include <algorithm>

namespace ipipe::sched {

drr_queue::drr_queue(std::uint32_t max_actors)
    : deficit_(max_actors, 0), state_(max_actors, st_idle) {}

void drr_queue::activate(std::uint32_t actor) {
  if (state_.at(actor) != st_idle)
    return;
  state_[actor] = st_queued;
  order_.push_back(actor);
}

std::optional<std::uint32_t> drr_queue::begin_turn(std::uint32_t quantum_ns) {
  if (order_.empty())
    return std::nullopt;
  const std::int64_t q = std::max<std::uint32_t>(quantum_ns, 1);
  // Fast-forward over rounds in which every queued actor is still in
  // overdraft: each would merely gain one quantum and be skipped, so add
  // the rounds in one step instead of spinning through them.
  std::int64_t best = deficit_[order_.front()];
  for (auto a : order_)
    best = std::max(best, deficit_[a]);
  if (best + q <= 0) {
    const std::int64_t rounds = (-best) / q; // best + rounds * q stays <= 0
    for (auto a : order_)
      deficit_[a] += rounds * q;
  }
  for (;;) {
    const std::uint32_t a = order_.front();
    order_.pop_front();
    deficit_[a] += q;
    if (deficit_[a] > 0) {
      state_[a] = st_serving;
      return a;
    }
    order_.push_back(a);
  }
}

bool drr_queue::charge(std::uint32_t actor, std::uint64_t exec_ns, bool has_more) {
  if (state_.at(actor) != st_serving)
    return false;
  deficit_[actor] -= static_cast<std::int64_t>(exec_ns);
  if (!has_more) {
    deficit_[actor] = 0;
    state_[actor] = st_idle;
    return false;
  }
  if (deficit_[actor] > 0)
    return true;
  state_[actor] = st_queued;
  order_.push_back(actor);
  return false;
}

void drr_queue::yield(std::uint32_t actor) {
  if (state_.at(actor) != st_serving)
    return;
  state_[actor] = st_queued;
  order_.push_back(actor);
}

void drr_queue::remove(std::uint32_t actor) {
  if (state_.at(actor) == st_queued) {
    order_.erase(std::find(order_.begin(), order_.end(), actor));
    state_[actor] = st_idle;
  }
  deficit_[actor] = 0;
}

} // namespace ipipe::sched
