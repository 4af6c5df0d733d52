#pragma once

#include <linux/ipipe.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace ipipe::nic {

/// What the dispatcher needs to know about one actor.
struct actor_ref {
  std::uint32_t id = 0;       ///< actor id
  std::string type;           ///< registered type name
  std::uint32_t location = 0; ///< enum ipipe_location
  std::uint32_t ring_id = 0;  ///< host-side ring context
};

/// The firmware's actor table: ids 1..max_actors, type names, placement and
/// per-actor counters. Thread safe: the admin queue changes it, NIC cores
/// look actors up.
class actor_table {
public:
  /// A table of `max_actors` entries whose NIC-resident quotas may add up
  /// to `mem_budget` bytes.
  actor_table(std::uint32_t max_actors, std::uint64_t mem_budget);

  /// Creates an actor from a checked ACTOR_CREATE command whose type exists.
  /// Returns IPIPE_STS_OK and the id in `id`, IPIPE_STS_EXISTS,
  /// IPIPE_STS_NO_SPACE (table or memory budget full).
  [[nodiscard]] ipipe_status create(const ipipe_admin_cmd& cmd, std::uint32_t& id);
  /// Removes actor `id`: IPIPE_STS_OK or IPIPE_STS_NOT_FOUND.
  [[nodiscard]] ipipe_status destroy(std::uint32_t id);
  /// Moves actor `id` to `to` (the state transfer itself belongs to the
  /// runtime): IPIPE_STS_OK, IPIPE_STS_NOT_FOUND, or IPIPE_STS_BUSY if it
  /// is pinned, already migrating or already there.
  [[nodiscard]] ipipe_status migrate(std::uint32_t id, std::uint32_t to);
  /// Marks actor `id` as migrating to `to` (the runtime moves it and calls
  /// moved() when done): IPIPE_STS_OK, IPIPE_STS_NOT_FOUND, IPIPE_STS_BUSY
  /// as migrate(), or IPIPE_STS_NO_SPACE (NIC memory budget).
  [[nodiscard]] ipipe_status begin_migrate(std::uint32_t id, std::uint32_t to);
  /// Clears the migrating mark of a migration that did not start.
  void abort_migrate(std::uint32_t id);
  /// Records that actor `id` now runs at `loc`, however the move started;
  /// false if there is no such actor.
  bool moved(std::uint32_t id, std::uint32_t loc);
  /// Drops every actor.
  void clear();

  /// Returns the actor `id` and counts one request for it.
  [[nodiscard]] std::optional<actor_ref> find_for_request(std::uint32_t id);
  /// Returns every actor in ABI form, by id.
  [[nodiscard]] std::vector<ipipe_actor_info> list() const;
  /// Returns the number of actors.
  [[nodiscard]] std::size_t size() const;

private:
  struct entry {
    ipipe_actor_info info{}; // requests is kept in `requests`
    std::uint32_t ring_id = 0;
    std::atomic<std::uint64_t> requests{0};
  };

  mutable std::shared_mutex lock_;            // protects slots_ and quota_used_
  std::vector<std::unique_ptr<entry>> slots_; // slot id-1
  std::uint64_t mem_budget_;
  std::uint64_t quota_used_ = 0;
};

} // namespace ipipe::nic
