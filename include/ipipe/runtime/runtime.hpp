#pragma once

#include <ipipe/common/expected.hpp>
#include <ipipe/runtime/actor_info.hpp>
#include <ipipe/runtime/bulk_copier.hpp>
#include <ipipe/runtime/dmo_store.hpp>
#include <ipipe/runtime/event_sink.hpp>
#include <ipipe/runtime/ids.hpp>
#include <ipipe/runtime/message.hpp>
#include <ipipe/runtime/migration.hpp>
#include <ipipe/runtime/peer_channel.hpp>

#include <linux/ipipe.h>

#include <sys/types.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

namespace ipipe::runtime {

namespace internal {
struct actor_entry;
struct outgoing_migration;
struct outgoing_checkpoint;
} // namespace internal

/// Settings of one runtime instance.
struct runtime_config {
  ipipe_location side = IPIPE_LOC_NIC;          ///< which side this runtime is
  std::uint64_t mem_limit = 1ULL << 30;         ///< sum of all actors' quotas
  std::uint32_t max_actors = 1024;              ///< actor table size
  std::uint64_t default_budget_ns = 10'000'000; ///< handler budget unless set per actor
  std::uint32_t arena_pool = 4; ///< retired arenas kept for reuse (NIC memory is a fixed pool)
  /// Messages leaving the node (to clients, or IPIPE_MSG_F_WIRE) go to the
  /// peer instead of the client sink while a peer is attached: the host
  /// runtime reaches the network only through its NIC.
  bool outbound_via_peer = false;
  /// NIC side: keep what is needed to rebuild each actor pushed to the peer
  /// if the peer dies: its state as pushed (later, as last checkpointed by
  /// the peer) and up to `recovery_log` messages forwarded to it since,
  /// `recovery_log_bytes` in all. A client's request that would overflow
  /// the log is refused (IPIPE_STS_BUSY, counted in recovery_refused); an
  /// actor's message is logged anyway (its work is acknowledged); at half full
  /// the peer is asked for a checkpoint. 0: no recovery, and the actors of
  /// a dead peer are lost.
  std::uint32_t recovery_log = 0;
  std::uint64_t recovery_log_bytes = 16ULL << 20;
  /// Client requests an actor's mailbox may hold; one more is refused with
  /// IPIPE_STS_BUSY (counted in runtime_stats::shed), so that an overload
  /// sheds requests instead of queueing them past every client's timeout.
  /// Not applied to a recoverable actor at the host: the NIC bounds its
  /// inputs (recovery_log) and must see every one it logged handled. The
  /// same limit bounds the messages waiting for the peer's ring, so that a
  /// stalled host runtime sheds its actors' requests at the NIC. 0:
  /// unbounded.
  std::uint32_t mailbox_limit = 0;
};

/// What create_actor() needs.
struct actor_spec {
  std::string type;                           ///< registered type name
  actor_id id = 0;                            ///< 0: the runtime picks one
  std::uint64_t mem_quota = 1 << 20;          ///< DMO arena bytes
  ipipe_sched_group group = IPIPE_GROUP_FCFS; ///< initial scheduling group
  std::uint64_t budget_ns = 0;                ///< 0: runtime_config default
};

/// What happened to a message handed to the runtime.
enum class route : std::uint8_t {
  /// In the destination's mailbox; the ready hook was called.
  queued = 0,
  /// Held while the destination migrates; it will run exactly once later.
  buffered = 1,
  /// Sent to the peer runtime, where the destination runs.
  forwarded = 2,
  /// Not delivered: an IPIPE_MSG_ERROR went back to the sender.
  rejected = 3,
  /// Leaving the node (a client, or IPIPE_MSG_F_WIRE): handed to the
  /// client sink, or to the peer with runtime_config::outbound_via_peer.
  to_client = 4,
};

/// The outcome of execute() / run_next().
struct exec_result {
  bool executed = false;        ///< a handler ran (false: nothing to run, or routed)
  std::uint64_t exec_ns = 0;    ///< handler time, for the scheduler's statistics
  route routed = route::queued; ///< when not executed: where the message went
};

/// Counters of one runtime.
struct runtime_stats {
  std::uint64_t executed = 0;           ///< handler runs
  std::uint64_t rejected = 0;           ///< messages answered with IPIPE_MSG_ERROR
  std::uint64_t forwarded = 0;          ///< messages sent to the peer
  std::uint64_t buffered = 0;           ///< messages held by migrations
  std::uint64_t killed = 0;             ///< actors quarantined by the watchdog
  std::uint64_t peer_bad_desc = 0;      ///< peer ring descriptors failing validation
  std::uint64_t peer_protocol = 0;      ///< valid messages that broke the protocol
  std::uint64_t migrations_out = 0;     ///< completed outgoing migrations
  std::uint64_t migrations_in = 0;      ///< completed incoming migrations
  std::uint64_t migrations_refused = 0; ///< outgoing migrations the peer refused
  std::uint64_t peer_dropped = 0;       ///< messages dropped when the peer went away
  std::uint64_t pulls_refused = 0;      ///< MIG_PULL requests that could not start
  std::uint64_t recovered = 0;          ///< actors rebuilt here after the peer died
  std::uint64_t recovery_refused = 0;   ///< messages refused: recovery log full
  std::uint64_t replay_suppressed = 0;  ///< replayed outputs not sent again
  std::uint64_t checkpoints = 0;        ///< checkpoints sent (host) or taken (NIC)
  std::uint64_t shed = 0;               ///< messages refused: mailbox full
};

/// One side's actor runtime: the actor table, the actors' DMO memory, the
/// dispatch boundary the scheduler drives, and the migration engine.
///
/// **Dispatch boundary** (for `ipipe::sched`). Two ways, per actor pick one:
/// - mailbox: submit() routes a message into its actor's mailbox and calls
///   the ready hook once per queued message; a core later calls
///   run_next(actor) which runs the head of that mailbox. The default ready
///   hook feeds an internal FIFO read by next_ready() / run_until_idle().
/// - direct: the scheduler keeps its own queues and calls execute(actor, m).
///
/// Both are thread safe; handlers of one actor never run concurrently
/// (a second core waits), different actors run in parallel. Per-actor order
/// is the order of submit()/execute() calls. A message for an actor that is
/// not local is routed instead of run (exec_result::routed).
///
/// **Peer and migration.** attach_peer() connects the rings to the other
/// side; pump() (one thread at a time, typically the management core)
/// moves messages over them and advances migrations. migrate(a) pushes a
/// local actor to the peer; pulling back is migrate(a) on the other side.
///
/// **Isolation.** watchdog_tick() (see class watchdog) quarantines actors
/// whose running handler exceeded its budget and raises
/// IPIPE_EV_ACTOR_KILLED. The budget is charged time: wall time less the
/// time the handler's thread waited for a CPU, so an emulated NIC core
/// that the host's scheduler preempts does not kill its actor. Budgets
/// are enforced only where a watchdog runs.
class runtime {
public:
  /// Client sink: receives the messages that leave the node: replies and
  /// errors addressed to actor 0 and messages flagged IPIPE_MSG_F_WIRE.
  using client_sink = std::function<void(message&&)>;
  /// Ready hook: one call per message queued in `actor`'s mailbox.
  using ready_hook = std::function<void(actor_id)>;

  // -- lifecycle --------------------------------------------------------------
  // The set_* calls and attach_peer() wire the runtime up: make them before
  // any traffic, they are not synchronised with dispatch.

  /// Creates an empty runtime.
  explicit runtime(runtime_config cfg = {});
  ~runtime();
  runtime(const runtime&) = delete;
  runtime& operator=(const runtime&) = delete;

  /// Sets where replies to external clients go (default: dropped, counted
  /// nowhere). Called from the thread that produced the reply.
  void set_client_sink(client_sink sink);
  /// Sets what pump() calls after it published messages to the peer (the
  /// peer's interrupt: the NIC raises the host's ring vector, the host
  /// rings the NIC's doorbell).
  void set_peer_signal(std::function<void()> signal) { peer_signal_ = std::move(signal); }
  /// Sets the event sink (not owned; may be null).
  void set_event_sink(event_sink* sink) noexcept { events_ = sink; }
  /// Sets the bulk copier for migrations (not owned; null = memcpy).
  void set_bulk_copier(bulk_copier* copier) noexcept;
  /// Replaces the internal ready FIFO by `hook` (the scheduler's queue).
  void set_ready_hook(ready_hook hook);
  /// Sets what is called once per message for an actor that the ready
  /// hook does not see: forwarded to the actor at the peer, or shed for
  /// lack of room. The scheduler's demand is then the offered load, also
  /// of the actors it pushed.
  void set_arrival_hook(ready_hook hook) { unqueued_ = std::move(hook); }
  /// Connects this runtime to its peer, before any traffic. Every slot of
  /// both rings must hold a message of IPIPE_MSG_MAX_PAYLOAD bytes (and a
  /// migration slot that message wrapped in a MIG_REQUEST), else
  /// errc::invalid_argument.
  [[nodiscard]] expected<void> attach_peer(peer_channel ch);
  /// Disconnects the peer (it went away: its rings are about to be freed);
  /// returns once pump() can no longer touch them. Outgoing migrations not
  /// yet taken over resume here; actors arriving from the peer go back to
  /// remote; messages waiting for the peer are dropped and counted. Actors
  /// with a recovery record (runtime_config::recovery_log) are rebuilt
  /// here from it: their last image, then their logged inputs replayed,
  /// with the outputs the peer had already sent suppressed. The others stay
  /// remote: their requests are rejected until a peer is attached again.
  /// Returns the ids of the actors rebuilt.
  std::vector<actor_id> detach_peer();
  /// Returns true while a peer is attached.
  [[nodiscard]] bool peer_attached() const noexcept { return peer_attached_; }
  /// Returns this runtime's side.
  [[nodiscard]] ipipe_location side() const noexcept { return cfg_.side; }

  // -- actor table --------------------------------------------------------------

  /// Creates a local actor of a registered type and runs its init().
  /// errc::not_found (type), errc::exists (id), errc::no_space (table or
  /// mem_limit), or init()'s error.
  [[nodiscard]] expected<actor_id> create_actor(const actor_spec& spec);
  /// Records that actor `id` of `type` runs at the peer (routing only).
  [[nodiscard]] expected<void> add_remote(actor_id id, std::string_view type);
  /// Removes a local, remote or quarantined actor; errc::busy while
  /// migrating. A handler still running finishes (its actor unreachable);
  /// the actor's memory goes back when it returns.
  [[nodiscard]] expected<void> destroy_actor(actor_id id);
  /// Returns a snapshot of one actor's row.
  [[nodiscard]] expected<actor_info> info(actor_id id) const;
  /// Returns the ids in the table, ascending.
  [[nodiscard]] std::vector<actor_id> actor_ids() const;
  /// Moves an actor between the FCFS and DRR groups (the scheduler's call).
  [[nodiscard]] expected<void> set_group(actor_id id, ipipe_sched_group g);
  /// Sets an actor's handler budget.
  [[nodiscard]] expected<void> set_budget(actor_id id, std::uint64_t ns);
  /// Calls `fn` with a local actor's objects while no handler runs (tests,
  /// admin tools); errc::busy if the actor is not local.
  [[nodiscard]] expected<void> with_objects(actor_id id, const std::function<void(dmo_store&)>& fn);

  // -- dispatch ------------------------------------------------------------------

  /// Routes `m` by its destination: mailbox, migration buffer, peer,
  /// client sink, or rejection with an error reply to the sender.
  route submit(message m);
  /// Runs `m` on actor `id` now if it is local (blocking while another
  /// handler of the same actor runs), else routes it like submit().
  [[nodiscard]] exec_result execute(actor_id id, message m);
  /// Runs the head of `id`'s mailbox; executed = false if it is empty or the
  /// actor is no longer local.
  [[nodiscard]] exec_result run_next(actor_id id);
  /// Returns the next actor id from the internal ready FIFO.
  [[nodiscard]] std::optional<actor_id> next_ready();
  /// Single-threaded dispatcher: run_next() over the ready FIFO until it is
  /// empty or `max` handlers ran. Returns the handlers run.
  std::size_t run_until_idle(std::size_t max = SIZE_MAX);
  /// Queues a tick (see is_tick()) for every local actor whose
  /// tick_period_ns() has passed since its last one, at CLOCK_MONOTONIC
  /// `now_ns`; the first tick after creation or arrival comes one period
  /// later. Ticks missed while nobody called tick() are not made up. Returns
  /// the ticks queued.
  std::size_t tick(std::uint64_t now_ns);
  /// Returns the number of messages in `id`'s mailbox.
  [[nodiscard]] std::size_t mailbox_size(actor_id id) const;

  // -- peer and migration ------------------------------------------------------------

  /// Starts pushing local actor `id` to the peer (phase 1 happens now: new
  /// requests are buffered from this call on). errc::not_found, errc::busy
  /// (already moving), errc::invalid_argument (not local or no peer),
  /// errc::permission_denied (quarantined).
  [[nodiscard]] expected<void> migrate(actor_id id);
  /// Asks the peer to migrate actor `id`, which runs there, back here
  /// (IPIPE_MSG_MIG_PULL): the pull of a peer in another process.
  /// errc::invalid_argument if no peer is attached or the actor is not
  /// remote, errc::not_found if unknown.
  [[nodiscard]] expected<void> request_pull(actor_id id);
  /// Moves messages over the peer rings and advances migrations. Returns
  /// the units of work done (0: nothing to do). One caller at a time; a
  /// concurrent call returns 0 at once.
  std::size_t pump();
  /// Returns true when no migration is under way in either direction here
  /// and nothing waits to be sent to the peer.
  [[nodiscard]] bool quiet() const;
  /// Returns the records of the completed outgoing migrations, oldest first.
  [[nodiscard]] std::vector<migration_record> migrations() const;

  // -- isolation and statistics -----------------------------------------------------

  /// Looks at the running handlers at `now_ns` (CLOCK_MONOTONIC): the
  /// first look at one running for more than a quarter of its budget marks
  /// it; a later look quarantines its actor once the handler was charged
  /// more than the budget since the mark. Returns the actors stopped.
  std::size_t watchdog_tick(std::uint64_t now_ns);
  /// Returns the runtime's counters.
  [[nodiscard]] runtime_stats stats() const;

private:
  friend class actor_context;
  using entry_ptr = std::shared_ptr<internal::actor_entry>;

  [[nodiscard]] entry_ptr find(actor_id id) const;
  route route_locked(internal::actor_entry& e, message& m, std::vector<actor_id>& ready,
                     bool* full = nullptr);
  route dispatch(message m, bool from_peer);
  route emit(internal::actor_entry& e, message m);
  [[nodiscard]] static std::optional<message> error_for(const message& m, std::uint32_t status,
                                                        errc code);
  void reject(const message& m, std::uint32_t status, errc code);
  void count_output(actor_id src);
  void log_input(internal::actor_entry& e, const message& m);
  [[nodiscard]] bool log_full(const internal::actor_entry& e, const message& m) const;
  void recover_locked(internal::actor_entry& e, std::unique_lock<std::mutex>& lk,
                      std::vector<message> after, std::vector<actor_id>& ready);
  [[nodiscard]] std::uint64_t drop_record_locked(internal::actor_entry& e);
  bool release_if_destroyed_locked(internal::actor_entry& e);
  [[nodiscard]] static std::uint64_t charged_since_mark(const internal::actor_entry& e,
                                                        std::uint64_t now_ns, pid_t tid,
                                                        bool running_now);
  void ckpt_in(const ipipe_msg_hdr& h, std::span<const std::byte> p);
  [[nodiscard]] std::pair<std::uint64_t, std::uint64_t>
  apply_checkpoint_locked(internal::actor_entry& e);
  std::size_t pump_checkpoints();
  void to_client(message&& m);
  void enqueue_peer(message&& m);
  [[nodiscard]] std::size_t peer_backlog() const; // messages waiting for the peer's ring
  [[nodiscard]] static bool from_client(const message& m);
  [[nodiscard]] bool sheddable(const message& m) const;
  void notify_ready(const std::vector<actor_id>& ids);
  exec_result run_handler(const entry_ptr& e, std::unique_lock<std::mutex>& lk, const message& m);
  void quarantine_locked(internal::actor_entry& e, std::uint64_t overrun_ns,
                         std::vector<message>& flushed);
  void raise(std::uint16_t type, actor_id id, std::uint64_t a0, std::uint64_t a1);
  std::size_t pump_in_msgs();
  std::size_t pump_in_mig();
  std::size_t pump_out_msgs();
  std::size_t pump_outgoing();
  void mig_begin(const ipipe_msg_hdr& h, std::span<const std::byte> p);
  void mig_object(const ipipe_msg_hdr& h, std::span<const std::byte> p);
  void mig_request(const ipipe_msg_hdr& h, std::span<const std::byte> p);
  void mig_end(const ipipe_msg_hdr& h, std::span<const std::byte> p);
  void install(const ipipe_msg_hdr& h);
  void mig_ack(const ipipe_msg_hdr& h, bool fence);
  void mig_refused(const ipipe_msg_hdr& h);
  void refuse(actor_id id);

  runtime_config cfg_;
  event_sink* events_ = nullptr;
  bulk_copier* copier_;
  memcpy_copier default_copier_;
  client_sink client_;
  ready_hook ready_;
  ready_hook unqueued_;
  std::function<void()> peer_signal_;

  mutable std::shared_mutex table_mtx_; // protects table_ and quota_total_
  std::map<actor_id, entry_ptr> table_;
  std::uint64_t quota_total_ = 0;
  actor_id next_id_ = 1;

  mutable std::mutex ready_mtx_; // protects ready_fifo_
  std::deque<actor_id> ready_fifo_;

  mutable std::mutex peer_mtx_;    // protects to_peer_, mig_ctrl_ and peer_out_seq_
  std::deque<message> to_peer_;    // for msg_out, in order
  std::deque<message> mig_ctrl_;   // takeover acks for mig_out
  std::uint64_t peer_out_seq_ = 0; // messages ever queued in to_peer_ (this attachment)
  std::atomic<bool> peer_attached_{false};

  std::mutex pump_mtx_; // one pump at a time; owns chan_ and what follows
  peer_channel chan_;
  std::uint64_t peer_in_good_ = 0; // messages taken from msg_in (bad ones apart)
  // A MIG_END waiting for the messages the sender queued before it.
  std::optional<std::pair<ipipe_msg_hdr, std::uint64_t>> pending_end_;

  [[nodiscard]] mmap_region take_region(std::uint64_t quota);
  void give_region(mmap_region r);

  std::mutex pool_mtx_;           // protects pool_
  std::vector<mmap_region> pool_; // retired arenas, reused before mmap

  mutable std::mutex mig_mtx_; // protects outgoing_ and records_
  std::deque<std::unique_ptr<internal::outgoing_migration>> outgoing_;
  std::vector<migration_record> records_;

  // Host: checkpoints the NIC asked for, and the one being sent (pump).
  std::deque<actor_id> ckpt_wanted_;
  std::unique_ptr<internal::outgoing_checkpoint> ckpt_out_;

  struct counters {
    std::atomic<std::uint64_t> executed{0}, rejected{0}, forwarded{0}, buffered{0}, killed{0},
        peer_bad_desc{0}, peer_protocol{0}, migrations_out{0}, migrations_in{0},
        migrations_refused{0}, peer_dropped{0}, pulls_refused{0}, recovered{0}, recovery_refused{0},
        replay_suppressed{0}, checkpoints{0}, shed{0};
  };
  counters ctr_;
  std::atomic<std::uint32_t> peer_max_payload_{0}; // msg ring payload limit, set at attach
};

} // namespace ipipe::runtime
