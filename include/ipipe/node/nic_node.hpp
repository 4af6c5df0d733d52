#pragma once

#include <ipipe/common/expected.hpp>
#include <ipipe/runtime/event_sink.hpp>
#include <ipipe/runtime/ids.hpp>
#include <ipipe/runtime/message.hpp>
#include <ipipe/runtime/peer_channel.hpp>
#include <ipipe/runtime/runtime.hpp>
#include <ipipe/sched/decision.hpp>
#include <ipipe/sched/thread_engine.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string_view>
#include <thread>
#include <vector>

namespace ipipe::node {

/// Settings of a nic_node.
struct node_config {
  /// The NIC runtime's settings; `side` is forced to IPIPE_LOC_NIC.
  runtime::runtime_config runtime{};
  /// The engine's settings. `drr_lanes` is forced to 1 (a real actor's
  /// handlers must stay serial) and `host_forward` is installed by the node.
  sched::thread_config engine{};
  /// Receives the runtime's events and the node's DOWNGRADED / UPGRADED
  /// events (not owned; may be null; must outlive the node).
  runtime::event_sink* events = nullptr;
  /// Also receives every scheduling decision, after the node applied it
  /// (not owned; may be null). Called with the engine's policy lock held:
  /// it must not call back into the node or the engine.
  sched::decision_sink* decisions = nullptr;
  /// False: no migration at all (no host to go to). With
  /// `engine.policy.migrate` false the policy takes no push or pull
  /// decision, but request_migration() still works.
  bool migrate = true;
  /// How long the management thread sleeps when it found nothing to do.
  std::uint64_t idle_wait_ns = 50'000;
  /// How often the management thread calls runtime::watchdog_tick(), which
  /// quarantines an actor whose handler is still running past its budget;
  /// 0 = never (a handler over budget is then only caught when it returns).
  std::uint64_t watchdog_period_ns = 1'000'000;
  /// Called by the management thread when a requested migration ends:
  /// `ok` false if it did not happen (refused, peer gone, timed out).
  std::function<void(runtime::actor_id, bool push, bool ok)> on_migration_done;
  /// How long a pull from a host runtime in another process may take
  /// before it counts as failed.
  std::uint64_t remote_pull_timeout_ns = 10'000'000'000;
};

/// Counters of a nic_node.
struct node_stats {
  std::uint64_t downgrades = 0;        ///< actors moved FCFS -> DRR
  std::uint64_t upgrades = 0;          ///< actors moved DRR -> FCFS
  std::uint64_t pushes = 0;            ///< migrations to the host completed
  std::uint64_t pulls = 0;             ///< migrations back to the NIC completed
  std::uint64_t migrations_failed = 0; ///< migrate() calls the runtime refused
  std::uint64_t strays = 0;            ///< ready items run by the management thread
};

/// One NIC: an actor runtime driven by the hybrid scheduler's thread engine.
///
/// Mailbox mode joins the two: the runtime's ready hook turns each queued
/// message into one engine work item whose function is
/// `runtime::run_next(actor)`, so an item runs whatever message heads the
/// actor's mailbox when a core gets to it. Per-actor order is the mailbox
/// order and the runtime never overlaps handlers of one actor, whichever
/// cores (FCFS or DRR) the engine picks. The engine times each item and
/// feeds the policy; the policy's decisions come back to the node, which
/// sets the actor's group in the runtime, raises IPIPE_EV_ACTOR_DOWNGRADED /
/// UPGRADED, and turns push / pull into runtime::migrate() on the NIC or
/// the host runtime. The runtime raises IPIPE_EV_ACTOR_MIGRATED when a
/// migration completes; the node then calls thread_engine::set_location().
///
/// A management thread pumps the NIC runtime's peer rings, starts the
/// requested migrations and watches them complete. The host runtime is not
/// driven by the node: its owner pumps it and runs its actors.
class nic_node final : private sched::decision_sink {
public:
  // -- lifecycle -------------------------------------------------------------

  /// Creates a node with its threads not yet started.
  explicit nic_node(node_config cfg);
  /// Stops the node (see stop()).
  ~nic_node() override;
  nic_node(const nic_node&) = delete;
  nic_node& operator=(const nic_node&) = delete;

  /// Connects the NIC runtime to the host runtime `host` over `nic_end`
  /// (the host runtime must be attached to the other ends); before start().
  /// `host` must outlive the node. With `host` null the host runtime lives
  /// in another process (ipiped): pulls become IPIPE_MSG_MIG_PULL requests,
  /// and the attach may happen at any time.
  [[nodiscard]] expected<void> attach_host(runtime::peer_channel nic_end, runtime::runtime* host);
  /// Disconnects a host runtime of another process (it went away); on
  /// return the node no longer touches its rings. Actors with a recovery
  /// record (runtime_config::recovery_log) are rebuilt and run here.
  void detach_host();
  /// Starts the engine's cores and the management thread; errc::busy if
  /// already started.
  [[nodiscard]] expected<void> start();
  /// Runs what is queued, then stops the cores and the management thread.
  void stop();

  // -- actors and messages ---------------------------------------------------

  /// Creates an actor in the NIC runtime and registers it with the engine
  /// (its id must be below engine.policy.max_actors, else
  /// errc::invalid_argument and the actor is destroyed again).
  [[nodiscard]] expected<runtime::actor_id> create_actor(const runtime::actor_spec& spec,
                                                         bool pinned = false);
  /// Records an actor that starts on the host (runs in the host runtime);
  /// requests to it are forwarded there.
  [[nodiscard]] expected<void> add_host_actor(runtime::actor_id id, std::string_view type,
                                              bool pinned = false);
  /// Destroys an actor (local or at the host) in the NIC runtime.
  [[nodiscard]] expected<void> destroy_actor(runtime::actor_id id);
  /// Wakes the management thread now (the host posted to the peer rings).
  void wake() { wake_.notify_one(); }
  /// Hands a message to the NIC runtime (routed as runtime::submit()).
  runtime::route submit(runtime::message m) { return rt_.submit(std::move(m)); }
  /// Moves an actor between FCFS and DRR at once (operator override); the
  /// change reaches the runtime and the event sink as a decision would.
  [[nodiscard]] expected<void> set_group(runtime::actor_id id, sched::group g);
  /// Requests a migration of `id`: a push if it runs on the NIC, a pull if
  /// it runs on the host. Started by the management thread (or
  /// manage_once()); push and pull decisions of the policy come here too.
  void request_migration(runtime::actor_id id);
  /// Runs one round of the management thread's work on the calling thread:
  /// pump the peer rings, start requested migrations, complete finished
  /// ones, run stray items. Returns the units of work done. For tests that
  /// run without threads; safe while started.
  std::size_t manage_once();

  // -- queries ---------------------------------------------------------------

  /// Returns the NIC runtime.
  [[nodiscard]] runtime::runtime& nic_runtime() noexcept { return rt_; }
  [[nodiscard]] const runtime::runtime& nic_runtime() const noexcept { return rt_; }
  /// Returns the engine (poll() drives it in tests without threads).
  [[nodiscard]] sched::thread_engine& engine() noexcept { return engine_; }
  /// Returns the live thresholds; any thread may change them.
  [[nodiscard]] sched::tunables& tuning() noexcept { return engine_.tuning(); }
  /// Returns true when no requested migration is pending or under way.
  [[nodiscard]] bool migrations_settled() const;
  /// Returns the node's counters.
  [[nodiscard]] node_stats stats() const;

private:
  struct moving {
    runtime::actor_id id;
    bool push; // NIC -> host
    std::uint64_t since_ns = 0;
  };

  sched::thread_config engine_config();
  void on_decision(const sched::decision& d) override;
  void on_ready(runtime::actor_id id);
  void stray(runtime::actor_id id);
  static void run_item(void* ctx, std::uint64_t arg) noexcept;
  void raise(std::uint16_t type, runtime::actor_id id, std::uint64_t a0) noexcept;
  std::size_t start_migrations();
  std::size_t finish_migrations();
  std::size_t run_strays();
  void manager();

  node_config cfg_;
  runtime::runtime* host_ = nullptr;
  // Declared before the engine: the engine's items call into the runtime,
  // so the engine stops first and the runtime is destroyed last.
  runtime::runtime rt_;
  sched::thread_engine engine_;

  mutable std::mutex mu_; // protects everything up to the counters
  std::condition_variable wake_;
  std::vector<runtime::actor_id> requested_;
  std::size_t starting_ = 0; // requests taken from requested_, not yet in moving_
  std::vector<moving> moving_;
  std::deque<runtime::actor_id> strays_;
  bool started_ = false;
  bool stopping_ = false;
  std::thread manager_;

  struct counters {
    std::atomic<std::uint64_t> downgrades{0}, upgrades{0}, pushes{0}, pulls{0},
        migrations_failed{0}, strays{0};
  };
  counters ctr_;
};

} // namespace ipipe::node
