#pragma once

#include <ipipe/common/expected.hpp>
#include <ipipe/sched/actor_stats.hpp>
#include <ipipe/sched/decision.hpp>
#include <ipipe/sched/params.hpp>

#include <linux/ipipe.h>

#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

namespace ipipe::sched {

/// Scheduling group of an actor (enum ipipe_sched_group).
enum class group : std::uint8_t { fcfs = IPIPE_GROUP_FCFS, drr = IPIPE_GROUP_DRR };

/// Where an actor runs (enum ipipe_location).
enum class location : std::uint8_t { nic = IPIPE_LOC_NIC, host = IPIPE_LOC_HOST };

/// Fixed configuration of a hybrid_policy (the run-time thresholds live in
/// `tunables`). Defaults are those of Documentation/design/scheduler.rst.
struct policy_config {
  /// NIC cores; core 0 is the management core and always FCFS.
  std::uint32_t cores = 14;
  /// Actor ids must be below this.
  std::uint32_t max_actors = 64;
  /// Requests in each actor's statistics window.
  std::uint32_t stats_window = 64;
  /// Requests an actor must have run before its group can change.
  std::uint32_t min_samples = 8;
  /// Length of a management decision window.
  std::uint64_t window_ns = 1'000'000;
  /// Consecutive windows a push, pull or group shrink must be indicated.
  std::uint32_t confirm_windows = 2;
  /// Windows after a push or pull during which no other push or pull happens.
  std::uint32_t cooldown_windows = 5;
  /// Windows an actor stays in a group after it changed group.
  std::uint32_t group_cooldown_windows = 1;
  /// Target utilisation of the FCFS group when sizing it, in thousandths.
  std::uint32_t fcfs_util_permille = 750;
  /// NIC demand (in cores) after a pull must stay below cores times this.
  std::uint32_t pull_util_permille = 800;
  /// The overload signals push only while the NIC is busy: its actors'
  /// sustained demand is at least cores times this, or one actor's (whose
  /// handlers run one at a time) at least this share of a core. High
  /// latency on an idle NIC is not load the host can take over: on a
  /// time-shared host it is the OS waking and preempting the emulated
  /// cores. In thousandths; 0 pushes on latency alone, as the paper does.
  std::uint32_t push_util_permille = 500;
  /// Windows over which the busy test averages arrival rates (weight
  /// 1/busy_windows per window, up and down alike).
  std::uint32_t busy_windows = 16;
  /// Anti-flapping: an actor pushed again within `reflap_windows` of being
  /// pulled stays on the host for twice as long as the last time, starting
  /// from `hold_windows` and up to `max_hold_windows`; 0 turns it off. The
  /// reflap memory is long (a second): an application whose actors feed
  /// each other (DT's coordinator and participants) went back and forth
  /// every 150 ms, just past a 100-window memory, its hold never growing.
  std::uint32_t hold_windows = 20;
  /// See hold_windows.
  std::uint32_t reflap_windows = 1000;
  /// See hold_windows.
  std::uint32_t max_hold_windows = 2000;
  /// DRR drain-time estimate above which the NIC also counts as overloaded.
  std::uint64_t drr_delay_thresh_ns = 1'000'000;
  /// False disables downgrade and upgrade (group membership fixed).
  bool regroup_actors = true;
  /// False disables push and pull (no host to push to).
  bool migrate = true;
  /// Downgrade an FCFS actor as soon as one of its requests has run longer
  /// than Tail_thresh (on_overrun), instead of waiting for it to finish.
  /// Not in the paper; see Documentation/design/scheduler.rst.
  bool early_downgrade = true;
  /// Upgrade a DRR actor at a change point: when its last completions are
  /// a run of cheap ones (below (1 - alpha) * Tail_thresh) that its own
  /// window of older samples makes less likely than
  /// `change_point_false_alarm`, and keep only that run in its window.
  /// Not in the paper; see Documentation/design/scheduler.rst.
  bool change_point = true;
  /// Probability, under the actor's older samples, of a run of cheap
  /// completions at which change_point fires (the false-alarm rate per run).
  double change_point_false_alarm = 1e-9;
  /// Suspect actors: an FCFS actor with a request on an FCFS core that has
  /// run longer than this many times the actor's usual cost (the larger of
  /// its recent peak and its tail estimate), and at least
  /// suspect_floor_ns, but not yet Tail_thresh, gets no other FCFS core
  /// until that request ends or passes Tail_thresh, or the actor changes
  /// group (suspect_after_ns). 0 disables it. Not in the paper; see
  /// Documentation/design/scheduler.rst.
  std::uint32_t suspect_factor = 2;
  /// See suspect_factor.
  std::uint64_t suspect_floor_ns = 1'000;
  /// Rare long requests: an FCFS actor whose costs have a tail (within
  /// about its last thousand runs it ran a request of at least
  /// Tail_thresh times overrun_precedent_permille) is downgraded for a
  /// request past Tail_thresh, early or by the tail rule, only when that
  /// request is at least the `overrun_quorum`-th past Tail_thresh within
  /// the actor's last `overrun_span` completions (or the statistics window
  /// holds `overrun_quorum` samples past it). A rare long request
  /// leaves it in FCFS, where it costs one core for its run. An actor
  /// without such a tail is downgraded at its first long request, as
  /// before (its behaviour changed). 0 or 1 disables it (Algorithm 1's
  /// rule); at most 8. Not in the paper; see
  /// Documentation/design/scheduler.rst.
  std::uint32_t overrun_quorum = 4;
  /// See overrun_quorum: the span, in the actor's completions, within which
  /// its quorum of long requests must fall.
  std::uint32_t overrun_span = 32;
  /// See overrun_quorum: the precedent is a recent run of at least
  /// Tail_thresh times this, in thousandths.
  std::uint32_t overrun_precedent_permille = 250;
};

/// The hybrid FCFS + DRR policy of the paper's Algorithm 1, independent of
/// any engine.
///
/// Engines report arrivals, completions and mailbox lengths, and call tick()
/// from the management core; the policy keeps per-actor statistics, moves
/// actors between groups, sizes the groups and picks actors to push to the
/// host or pull back, reporting every decision to a decision_sink. It is not
/// thread-safe: the engine serialises calls (the simulator is single
/// threaded, the thread engine holds a lock). Thresholds are read from a
/// `tunables` that other threads may change at any time.
class hybrid_policy {
public:
  /// Creates a policy; `tun` and `sink` must outlive it.
  hybrid_policy(const policy_config& cfg, const tunables& tun, decision_sink& sink);

  // -- actors ------------------------------------------------------------

  /// Registers `actor` on the NIC in the FCFS group. Fails with
  /// errc::invalid_argument if the id is out of range, errc::exists if taken.
  [[nodiscard]] expected<void> add_actor(std::uint32_t actor, bool pinned = false);

  /// Moves `actor` to group `g` at once, as an operator would (emits a
  /// downgrade or upgrade decision); ignores the statistics and cooldown.
  [[nodiscard]] expected<void> set_group(std::uint32_t actor, group g, std::uint64_t now_ns);

  /// Records where the runtime has placed `actor` (after a migration that
  /// the policy did not order, for example).
  [[nodiscard]] expected<void> set_location(std::uint32_t actor, location loc);
  /// Pins `actor` where it is (no push or pull decisions for it) or lets
  /// the policy place it again.
  [[nodiscard]] expected<void> set_pinned(std::uint32_t actor, bool pinned);

  // -- engine events -----------------------------------------------------

  /// Counts `n` new requests for `actor`, wherever it runs (demand estimate).
  void on_arrival(std::uint32_t actor, std::uint32_t n = 1) noexcept;

  /// Algorithm 1's bookkeeping after a NIC core ran one request of `actor`:
  /// `exec_ns` is the handler's run time, `sojourn_ns` arrival to
  /// completion, `served` the group it was dispatched in (default: the
  /// actor's current group). A request served in another group than the
  /// actor's current one was queued before its last group change; it is
  /// ignored, as it describes the actor's old behaviour. May downgrade or
  /// upgrade the actor.
  void on_complete(std::uint32_t actor, std::uint64_t exec_ns, std::uint64_t sojourn_ns,
                   std::uint64_t now_ns, std::optional<group> served = std::nullopt);

  /// Reports that a request of `actor` has been running for `elapsed_ns`
  /// on an FCFS core and has not finished: with early_downgrade, an
  /// elapsed time above Tail_thresh downgrades the actor now, so its next
  /// requests stop taking FCFS cores while this one still runs.
  void on_overrun(std::uint32_t actor, std::uint64_t elapsed_ns, std::uint64_t now_ns);

  /// Sets the mailbox length of `actor`, read at the next window close.
  void set_backlog(std::uint32_t actor, std::uint32_t len) noexcept;

  /// Management step (core 0): closes every decision window that ended by
  /// `now_ns`, resizes the groups and pushes or pulls at most one actor.
  void tick(std::uint64_t now_ns);

  // -- queries -----------------------------------------------------------

  /// Returns the group of `actor` (fcfs for unknown ids).
  [[nodiscard]] group group_of(std::uint32_t actor) const noexcept;
  /// Returns, for an actor the statistics upgraded, the arrival time of the
  /// oldest request in the run of cheap completions that upgraded it: the
  /// requests queued since then are judged cheap by the same evidence,
  /// older ones are not. Returns UINT64_MAX if there is no such run (an
  /// operator's set_group, a DRR actor, an unknown id).
  [[nodiscard]] std::uint64_t upgraded_since(std::uint32_t actor) const noexcept;
  /// Returns how long a request of FCFS actor `actor` may run on an FCFS
  /// core before the actor is suspect (see policy_config::suspect_factor):
  /// from then until the request ends or runs Tail_thresh, the engine
  /// starts no other request of the actor on an FCFS core. Returns
  /// UINT64_MAX for never (turned off, a DRR actor, an unknown id).
  [[nodiscard]] std::uint64_t suspect_after_ns(std::uint32_t actor) const noexcept;
  /// Returns the location of `actor` (nic for unknown ids).
  [[nodiscard]] location location_of(std::uint32_t actor) const noexcept;
  /// Returns the statistics window of `actor`.
  [[nodiscard]] const actor_stats& stats(std::uint32_t actor) const {
    return actors_.at(actor).stats;
  }
  /// Returns the smoothed CPU demand of `actor` in thousandths of a core.
  [[nodiscard]] std::uint64_t demand_millicores(std::uint32_t actor) const;
  /// Returns the FCFS group size.
  [[nodiscard]] std::uint32_t fcfs_cores() const noexcept { return fcfs_cores_; }
  /// Returns the DRR group size.
  [[nodiscard]] std::uint32_t drr_cores() const noexcept { return cfg_.cores - fcfs_cores_; }
  /// Returns the FCFS mean latency of the last closed window, in ns.
  [[nodiscard]] std::uint64_t last_fcfs_mean_ns() const noexcept { return last_fcfs_mean_; }
  /// Returns the configuration.
  [[nodiscard]] const policy_config& config() const noexcept { return cfg_; }

private:
  static constexpr std::uint64_t no_time = std::numeric_limits<std::uint64_t>::max();

  struct actor_state {
    explicit actor_state(std::uint32_t window) : stats(window) {}
    actor_stats stats;
    // Eight-byte fields first, then four, then one: no padding between.
    std::uint64_t changed_at = 0;
    std::uint64_t arrivals = 0;
    double rate = 0;             // arrivals per ns, smoothed over windows
    double steady_rate = 0;      // arrivals per ns, averaged over busy_windows
    double partial = 0;          // arrivals per ns in the current window so far
    std::uint64_t run_since = 0; // oldest arrival among the cheap run
    std::uint64_t upgraded_since = no_time;
    std::uint64_t pulled_at = no_time;      // last pull decision
    std::uint64_t hold_until = 0;           // no pull before this
    std::uint64_t peak_ns = 0;              // longest recent run (see on_complete)
    std::uint64_t runs = 0;                 // completions reported, every group and place
    std::array<std::uint64_t, 8> long_at{}; // `runs` at the latest long requests, a ring
    std::uint32_t backlog = 0;
    std::uint32_t cheap_run = 0;    // consecutive counted samples below (1 - alpha) * Tail_thresh
    std::uint32_t hold_windows = 0; // the hold given at the last push
    std::uint32_t peak_age = 0;     // samples since the peak last decayed
    std::uint32_t running_over = 0; // requests reported past Tail_thresh, not yet complete
    std::uint32_t long_n = 0;       // long requests recorded in long_at ever
    group grp = group::fcfs;
    location loc = location::nic;
    bool present = false;
    bool pinned = false;
    bool ever_changed = false;
    bool rate_seeded = false;
  };

  // CPU demand in cores: arrival rate times current mean cost. The rate is
  // the smoothed one, or during an in-window check the faster of that and
  // the current window's.
  double demand(const actor_state& a) const noexcept {
    const double r = with_partial_ && a.partial > a.rate ? a.partial : a.rate;
    return r * static_cast<double>(a.stats.mean_ns());
  }
  void check_growth(std::uint64_t now);
  void hold_on_host(actor_state& a, std::uint64_t now);
  double partial_demand(std::uint64_t now);
  bool any_fcfs_demand() const noexcept;
  bool nic_busy() const noexcept;
  bool change_point(const actor_state& a) const noexcept;
  bool rare_long(const actor_state& a, std::uint64_t peak) const noexcept;
  static void note_long(actor_state& a) noexcept;

  bool valid(std::uint32_t actor) const noexcept {
    return actor < actors_.size() && actors_[actor].present;
  }
  void emit(decision_kind k, std::uint32_t actor, std::uint64_t value, std::uint64_t now);
  void close_window(std::uint64_t end_ns);
  void migrate_step(std::uint64_t now, std::uint64_t fcfs_mean, std::uint64_t drr_delay);
  std::uint32_t target_fcfs(std::uint32_t util_permille, std::uint64_t now,
                            bool* drr_short = nullptr) const;
  void resize(std::uint64_t now, bool windowed, bool partial = false);
  void change_group(actor_state& a, std::uint32_t id, group g, std::uint64_t now);

  policy_config cfg_;
  const tunables& tun_;
  decision_sink& sink_;
  std::vector<actor_state> actors_;
  // Shortest cheap run that is a change point, indexed by the expensive
  // share (above Tail_thresh) of the samples before the run, in 64ths.
  std::vector<std::uint32_t> run_needed_;
  std::uint32_t fcfs_cores_;
  std::uint64_t window_start_ = 0;
  std::uint64_t last_check_ = 0;
  std::uint64_t drr_hold_until_ = 0; // the DRR group outlives its last actor until then
  bool with_partial_ = false;
  std::uint64_t fcfs_lat_sum_ = 0;
  std::uint64_t fcfs_lat_count_ = 0;
  std::uint64_t last_fcfs_mean_ = 0;
  std::uint32_t over_streak_ = 0;
  std::uint32_t under_streak_ = 0;
  std::uint64_t migrate_after_ = 0;
  std::uint32_t resize_target_ = 0;
  std::uint32_t resize_streak_ = 0;
};

} // namespace ipipe::sched
