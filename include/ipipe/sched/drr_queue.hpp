#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

namespace ipipe::sched {

/// The runnable queue of the DRR group: deficit round robin (Shreedhar and
/// Varghese, SIGCOMM'95) over actors, not packets.
///
/// A handler's cost is known only after it ran, so the classic rule "serve
/// the head while its size fits the deficit" becomes "serve while the
/// deficit is positive, then charge the measured cost": an actor may
/// overdraw by at most one request, and the overdraft is carried into its
/// next turn, so long-run shares stay equal. As in DRR, an actor whose
/// mailbox empties loses its deficit. An actor is either queued, in service
/// on exactly one core, or idle, which is what keeps per-actor order on many
/// DRR cores. Not thread-safe: the engine serialises calls.
class drr_queue {
public:
  /// Creates a queue for actor ids below `max_actors`.
  explicit drr_queue(std::uint32_t max_actors);

  /// Marks `actor` runnable: appends it unless it is queued or in service.
  void activate(std::uint32_t actor);

  /// Starts the turn of the next actor with a positive deficit, adding
  /// `quantum_ns` per round it waited; returns nullopt when none is queued.
  /// The actor is in service until charge() returns false.
  [[nodiscard]] std::optional<std::uint32_t> begin_turn(std::uint32_t quantum_ns);

  /// Charges `exec_ns` to the actor in service; `has_more` says whether its
  /// mailbox still holds work. Returns true if the same core should serve it
  /// again; otherwise the actor is re-queued at the tail (has_more) or idle.
  [[nodiscard]] bool charge(std::uint32_t actor, std::uint64_t exec_ns, bool has_more);

  /// Ends the turn of the actor in service early (its core left the DRR
  /// group): it goes to the tail and keeps its deficit.
  void yield(std::uint32_t actor);

  /// Takes `actor` out of the queue and clears its deficit (upgrade or
  /// migration). An actor in service stays in service until charged.
  void remove(std::uint32_t actor);

  /// Returns the deficit counter of `actor` in ns (negative = overdraft).
  [[nodiscard]] std::int64_t deficit(std::uint32_t actor) const { return deficit_.at(actor); }
  /// Returns true if `actor` is neither queued nor in service.
  [[nodiscard]] bool idle(std::uint32_t actor) const { return state_.at(actor) == st_idle; }
  /// Returns true if `actor` is waiting in the queue.
  [[nodiscard]] bool queued(std::uint32_t actor) const { return state_.at(actor) == st_queued; }
  /// Returns the number of queued actors.
  [[nodiscard]] std::size_t size() const noexcept { return order_.size(); }
  /// Returns true if no actor is queued.
  [[nodiscard]] bool empty() const noexcept { return order_.empty(); }

private:
  static constexpr std::uint8_t st_idle = 0;
  static constexpr std::uint8_t st_queued = 1;
  static constexpr std::uint8_t st_serving = 2;

  std::deque<std::uint32_t> order_;
  std::vector<std::int64_t> deficit_;
  std::vector<std::uint8_t> state_;
};

} // namespace ipipe::sched
