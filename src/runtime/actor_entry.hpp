#pragma once

#include <ipipe/runtime/actor.hpp>
#include <ipipe/runtime/actor_info.hpp>
#include <ipipe/runtime/dmo_format.hpp>
#include <ipipe/runtime/dmo_store.hpp>
#include <ipipe/runtime/message.hpp>
#include <ipipe/runtime/migration.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace ipipe::runtime::internal {

/// A migration being received; touched by the pump thread only.
struct incoming_state {
  wire::mig_begin begin{};
  std::deque<message> reqs;      // MIG_REQUESTs, in stream order
  object_id cur = 0;             // object whose chunks are arriving
  std::span<std::byte> cur_span; // its bytes in the new arena
  std::uint64_t filled = 0;      // bytes of `cur` received
  std::uint64_t objects = 0;
  std::uint64_t bytes = 0;
};

/// One row of the actor table.
struct actor_entry {
  actor_id id = 0;
  std::string type;

  std::mutex m;                 // protects every plain field below
  std::condition_variable idle; // signalled when `running` drops
  actor_state state = actor_state::local;
  ipipe_sched_group group = IPIPE_GROUP_FCFS;
  std::uint64_t quota = 0;
  std::unique_ptr<actor> impl;
  // The store is used without `m` by the one party that owns the actor's
  // execution at that moment: a handler (running), the migration sender
  // (migrating_out, after quiesce) or the pump (incoming).
  std::optional<dmo_store> store;
  std::deque<message> mailbox;
  std::deque<message> held; // buffered while migrating_out or incoming
  bool running = false;
  actor_stats stats;
  std::optional<incoming_state> incoming;
  std::uint64_t next_tick_ns = 0; // 0: not yet scheduled on this side

  std::atomic<std::uint64_t> budget_ns{0};
  std::atomic<std::uint64_t> running_since{0}; // 0: idle; read by the watchdog
  std::atomic<bool> stop{false};               // set once quarantined
};

/// A migration being sent; touched under runtime::mig_mtx_.
struct outgoing_migration {
  enum class phase { quiesce, collect, begin, objects, fence, requests, ack };
  std::shared_ptr<actor_entry> e;
  phase ph = phase::quiesce;
  std::vector<dmo_entry> objs;
  std::size_t idx = 0;
  std::uint64_t chunk_off = 0;
  bool fence_seen = false;
  std::uint64_t t_mark = 0; // start of the current phase
  migration_record rec;
};

} // namespace ipipe::runtime::internal
