#pragma once

#include <ipipe/runtime/actor.hpp>
#include <ipipe/runtime/actor_info.hpp>
#include <ipipe/runtime/dmo_format.hpp>
#include <ipipe/runtime/dmo_store.hpp>
#include <ipipe/runtime/message.hpp>
#include <ipipe/runtime/migration.hpp>

#include <sys/types.h>

#include "charged_time.hpp"
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

/// What a NIC keeps of an actor it pushed to the host, to rebuild it if
/// the host runtime dies (runtime_config::recovery_log): the actor's state
/// as of input `base` and every input forwarded to it since, in order.
/// Under the entry's lock.
struct recovery_record {
  std::optional<dmo_store> image; // the state before input `base`
  std::deque<message> log;        // inputs base, base + 1, ...
  std::uint64_t log_bytes = 0;
  std::uint64_t base = 0;         // input index of log.front()
  std::uint64_t outputs_seen = 0; // messages from the actor that reached us
  std::uint64_t outputs_base = 0; // of which the image had produced
  bool ckpt_asked = false;        // a checkpoint request is out
  // A checkpoint on its way in (pump thread).
  std::optional<wire::ckpt_begin> ckpt;
  std::vector<std::byte> ckpt_image;
  // A complete checkpoint that counts outputs not yet seen here: the
  // message ring is behind the migration ring. It replaces the image once
  // they arrived; until then, the older image and the longer log stand.
  std::optional<wire::ckpt_begin> pending;
  std::optional<dmo_store> pending_image;
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
  bool destroyed = false; // out of the table; a running handler frees the store
  actor_stats stats;
  std::optional<incoming_state> incoming;
  std::uint64_t next_tick_ns = 0;       // 0: not yet scheduled on this side
  std::unique_ptr<recovery_record> rec; // NIC: pushed and recoverable
  // Host: a recoverable actor (mig_f_recoverable). Its inputs all come from
  // the peer, ticks included, and so do its outputs go; the counts place
  // a checkpoint in those streams.
  bool peer_driven = false;
  std::uint64_t inputs_handled = 0;

  std::atomic<std::uint64_t> budget_ns{0};
  std::atomic<std::uint64_t> running_since{0}; // 0: idle; read by the watchdog
  std::atomic<pid_t> running_tid{0};           // the thread running the handler
  // The watchdog's first look at a long handler (under `m`): which run it
  // was (its running_since), when, and what the scheduler said then.
  std::uint64_t mark_since = 0;
  std::uint64_t mark_ns = 0;
  std::optional<thread_sample> mark_sample;
  std::atomic<bool> stop{false};              // set once quarantined
  std::atomic<std::uint64_t> outputs_sent{0}; // host: see peer_driven
  std::atomic<std::uint64_t> suppress{0};     // NIC: replayed outputs to drop
};

/// A checkpoint being sent by the host (pump thread).
struct outgoing_checkpoint {
  actor_id id = 0;
  wire::ckpt_begin begin{};
  std::vector<std::byte> image;
  std::uint64_t off = 0;
  bool begun = false;
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
  std::vector<message> streamed; // held requests already sent in the stream
  std::uint64_t t_mark = 0;      // start of the current phase
  migration_record rec;
};

} // namespace ipipe::runtime::internal
