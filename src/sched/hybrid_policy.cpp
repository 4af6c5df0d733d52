#include <ipipe/sched/hybrid_policy.hpp>

#include <algorithm>
#include <cmath>
#include <limits>

namespace ipipe::sched {

hybrid_policy::hybrid_policy(const policy_config& cfg, const tunables& tun, decision_sink& sink)
    : cfg_(cfg), tun_(tun), sink_(sink), actors_(cfg.max_actors, actor_state{cfg.stats_window}),
      fcfs_cores_(std::max<std::uint32_t>(cfg.cores, 1)) {
  cfg_.cores = fcfs_cores_;
  cfg_.window_ns = std::max<std::uint64_t>(cfg_.window_ns, 1);
  // A run of r cheap samples has probability (1 - f)^r when a share f of
  // the actor's older samples was expensive: the run is a change point
  // once that falls below the false-alarm rate. Computed once, so the
  // per-request test is a table look-up and identical on every machine.
  const double log_eps = std::log(std::clamp(cfg_.change_point_false_alarm, 1e-300, 0.5));
  const std::uint32_t floor = std::max<std::uint32_t>(cfg_.min_samples, 1);
  run_needed_.assign(65, std::numeric_limits<std::uint32_t>::max());
  for (std::uint32_t i = 1; i < 64; ++i)
    run_needed_[i] = std::max(floor, static_cast<std::uint32_t>(std::ceil(
                                         log_eps / std::log1p(-static_cast<double>(i) / 64))));
  run_needed_[64] = floor;
}

expected<void> hybrid_policy::add_actor(std::uint32_t actor, bool pinned) {
  if (actor >= actors_.size())
    return error{errc::invalid_argument, "actor id beyond policy_config::max_actors"};
  if (actors_[actor].present)
    return errc::exists;
  actors_[actor] = actor_state{cfg_.stats_window};
  actors_[actor].present = true;
  actors_[actor].pinned = pinned;
  return {};
}

expected<void> hybrid_policy::set_pinned(std::uint32_t actor, bool pinned) {
  if (!valid(actor))
    return errc::not_found;
  actors_[actor].pinned = pinned;
  return {};
}

expected<void> hybrid_policy::set_group(std::uint32_t actor, group g, std::uint64_t now_ns) {
  if (!valid(actor))
    return errc::not_found;
  if (actors_[actor].grp != g) {
    change_group(actors_[actor], actor, g, now_ns);
    actors_[actor].upgraded_since =
        no_time; // an operator's move says nothing about queued requests
    resize(now_ns, false, true);
  }
  return {};
}

expected<void> hybrid_policy::set_location(std::uint32_t actor, location loc) {
  if (!valid(actor))
    return errc::not_found;
  actors_[actor].loc = loc;
  return {};
}

void hybrid_policy::on_arrival(std::uint32_t actor, std::uint32_t n) noexcept {
  if (valid(actor))
    actors_[actor].arrivals += n;
}

void hybrid_policy::set_backlog(std::uint32_t actor, std::uint32_t len) noexcept {
  if (valid(actor))
    actors_[actor].backlog = len;
}

void hybrid_policy::on_complete(std::uint32_t actor, std::uint64_t exec_ns,
                                std::uint64_t sojourn_ns, std::uint64_t now_ns,
                                std::optional<group> served) {
  if (!valid(actor))
    return;
  actor_state& a = actors_[actor];
  const std::uint64_t thresh = tun_.tail_thresh_ns();
  ++a.runs;
  // A long request counts once for rare_long(): when on_overrun reported
  // it (FCFS cores only, once each), or else when it completes.
  if (exec_ns > thresh) {
    if (a.running_over > 0 && served.value_or(a.grp) == group::fcfs)
      --a.running_over;
    else
      note_long(a);
  }
  if (a.loc != location::nic)
    return; // host runs are not NIC statistics
  if (served && *served != a.grp) {
    // A leftover from before the last group change, ignored by the
    // statistics. A leftover of the FCFS group still ran on an FCFS core:
    // it is the precedent that rare_long() looks for (the request that
    // got an actor downgraded finishes as one).
    if (*served == group::fcfs)
      a.peak_ns = std::max(a.peak_ns, exec_ns);
    return;
  }
  a.stats.set_mark(thresh);
  a.stats.add(exec_ns);
  const std::uint64_t prior_peak = a.peak_ns; // the precedent is an earlier run
  // The peak loses a quarter every 4 windows' worth of samples: a
  // horizon in requests, not in time, so it means the same at any load.
  a.peak_ns = std::max(a.peak_ns, exec_ns);
  if (++a.peak_age >= 16 * cfg_.stats_window) {
    a.peak_ns -= a.peak_ns / 4;
    a.peak_age = 0;
  }
  if (exec_ns < tun_.lower(thresh)) {
    const std::uint64_t arrived = now_ns - std::min(now_ns, sojourn_ns);
    a.run_since = a.cheap_run == 0 ? arrived : std::min(a.run_since, arrived);
    ++a.cheap_run;
  } else {
    a.cheap_run = 0;
  }
  if (a.grp == group::fcfs) {
    fcfs_lat_sum_ += sojourn_ns;
    ++fcfs_lat_count_;
  }
  check_growth(now_ns);
  if (!cfg_.regroup_actors || a.stats.count() < cfg_.min_samples)
    return;
  // Damping: an actor that just changed group keeps it for a while, so a
  // statistic hovering at a threshold cannot flap it every request.
  if (a.ever_changed && now_ns < a.changed_at + cfg_.group_cooldown_windows * cfg_.window_ns)
    return;
  if (a.grp == group::fcfs && a.stats.tail_above(thresh) &&
      !(a.stats.above_mark() > 0 && rare_long(a, prior_peak))) {
    change_group(a, actor, group::drr, now_ns);
  } else if (a.grp == group::drr && a.stats.tail_below(tun_.lower(thresh))) {
    change_group(a, actor, group::fcfs, now_ns);
  } else if (a.grp == group::drr && change_point(a)) {
    // The older samples describe behaviour the actor no longer has: keep
    // only the run, so the tail, the demand estimate and a later
    // downgrade all judge the new behaviour.
    a.stats.keep_newest(a.cheap_run);
    // Its old long runs are no precedent for the new behaviour either.
    a.peak_ns = 0;
    a.peak_age = 0;
    change_group(a, actor, group::fcfs, now_ns);
    drr_hold_until_ = now_ns + cfg_.group_cooldown_windows * cfg_.window_ns;
  } else {
    return;
  }
  resize(now_ns, false, true);
}

// A change point: the last cheap_run samples were all cheap, and the
// samples before them make such a run too unlikely to be noise. Only the
// upgrade direction needs this: one expensive sample already lifts
// mean + 3 sigma past Tail_thresh (and early downgrade does not even wait
// for it to finish), while it takes a whole window of cheap samples to
// bring it back down.
bool hybrid_policy::change_point(const actor_state& a) const noexcept {
  if (!cfg_.change_point || a.cheap_run >= a.stats.count())
    return false; // a window that is all cheap is the ordinary rule's case
  const std::uint32_t older = a.stats.count() - a.cheap_run;
  if (older < cfg_.min_samples)
    return false; // too few older samples to say what is unlikely
  // above_mark() <= older unless Tail_thresh was lowered during the run.
  return a.cheap_run >= run_needed_[std::min<std::uint32_t>(a.stats.above_mark() * 64 / older, 64)];
}

// Rare long requests (policy_config::overrun_quorum): whether the actor's
// latest long request (past Tail_thresh), already noted, is too rare to
// move it; `peak` is its longest recent run before this request. Only an
// actor with a precedent qualifies: within about its last thousand runs it
// has run a request of a quarter of Tail_thresh or more, so its costs have
// a tail, and a request past Tail_thresh is that tail, not a change of
// behaviour. Regrouping it for one such request moves about its whole
// demand to a DRR group sized for none of it, and once the request is
// over its window is cheap again and upgrades it: a flap per long
// request. In FCFS the request costs one core for its run. Long requests
// that come close together (the quorum within overrun_span completions,
// or in the statistics window) are a sustained share, and an actor all of whose requests became
// long reaches the quorum before any of them completes. Without a precedent (a 0.5 us actor that
// has just become a 500 us one) the first long request is proof enough, as before.
bool hybrid_policy::rare_long(const actor_state& a, std::uint64_t peak) const noexcept {
  const std::uint32_t q = std::min<std::uint32_t>(cfg_.overrun_quorum, a.long_at.size());
  if (q <= 1 || peak * 1000 < tun_.tail_thresh_ns() * cfg_.overrun_precedent_permille)
    return false;
  if (a.stats.above_mark() >= q)
    return false; // the window holds the quorum (Tail_thresh may have been lowered)
  std::uint32_t close = 0;
  for (std::uint32_t i = 0; i < std::min<std::uint32_t>(q, a.long_n); ++i)
    close += a.long_at[(a.long_n - 1 - i) % a.long_at.size()] + cfg_.overrun_span >= a.runs;
  return close < q;
}

void hybrid_policy::note_long(actor_state& a) noexcept {
  a.long_at[a.long_n % a.long_at.size()] = a.runs;
  ++a.long_n;
}

void hybrid_policy::on_overrun(std::uint32_t actor, std::uint64_t elapsed_ns,
                               std::uint64_t now_ns) {
  if (!valid(actor))
    return;
  actor_state& a = actors_[actor];
  if (elapsed_ns <= tun_.tail_thresh_ns())
    return;
  ++a.running_over;
  note_long(a);
  if (!cfg_.regroup_actors || !cfg_.early_downgrade)
    return;
  if (a.loc != location::nic || a.grp != group::fcfs)
    return;
  if (a.ever_changed && now_ns < a.changed_at + cfg_.group_cooldown_windows * cfg_.window_ns)
    return;
  a.stats.set_mark(tun_.tail_thresh_ns());
  if (rare_long(a, a.peak_ns))
    return;
  // One request already past the threshold is proof enough that the tail
  // is too: no min_samples here.
  a.grp = group::drr;
  a.changed_at = now_ns;
  a.ever_changed = true;
  a.cheap_run = 0;
  emit(decision_kind::downgrade, actor, elapsed_ns, now_ns);
  resize(now_ns, false, true);
}

// Eight times per window, look at the arrival rates of the window so far:
// if they would overload the FCFS group (a mix shift made an FCFS actor
// busy), it grows now rather than at the window end. Only overload counts
// here, not the 75% target, so the noise of a partial window cannot move
// cores in steady state. Shrinking still waits for window ends.
void hybrid_policy::check_growth(std::uint64_t now) {
  const std::uint64_t step = cfg_.window_ns / 8;
  if (now < last_check_ + step || now < window_start_ + step)
    return;
  last_check_ = now;
  if (partial_demand(now) > fcfs_cores_)
    resize(now, false, true);
}

// Arrival rates of the window so far; returns the FCFS demand they give.
// A span shorter than an eighth of a window counts as one: that can only
// underestimate a rate, and demand() never goes below the smoothed one.
double hybrid_policy::partial_demand(std::uint64_t now) {
  const std::uint64_t elapsed = now > window_start_ ? now - window_start_ : 0;
  const double span = static_cast<double>(std::max(elapsed, cfg_.window_ns / 8));
  double fcfs_d = 0;
  with_partial_ = true;
  for (auto& a : actors_) {
    if (!a.present)
      continue;
    a.partial = static_cast<double>(a.arrivals) / span;
    if (a.loc == location::nic && a.grp == group::fcfs)
      fcfs_d += demand(a);
  }
  with_partial_ = false;
  return fcfs_d;
}

void hybrid_policy::change_group(actor_state& a, std::uint32_t id, group g, std::uint64_t now) {
  a.grp = g;
  a.changed_at = now;
  a.ever_changed = true;
  // An upgrade by the statistics is evidence about the requests that
  // arrived since the oldest one of the cheap run; nothing is known about
  // earlier ones.
  a.upgraded_since = g == group::fcfs && a.cheap_run > 0 ? a.run_since : no_time;
  a.cheap_run = 0;
  emit(g == group::drr ? decision_kind::downgrade : decision_kind::upgrade, id, a.stats.tail_ns(),
       now);
}

void hybrid_policy::emit(decision_kind k, std::uint32_t actor, std::uint64_t value,
                         std::uint64_t now) {
  decision d;
  d.at_ns = now;
  d.kind = k;
  d.actor_id = actor;
  d.value_ns = value;
  d.fcfs_cores = fcfs_cores_;
  d.drr_cores = drr_cores();
  sink_.on_decision(d);
}

void hybrid_policy::tick(std::uint64_t now_ns) {
  if (now_ns < window_start_ + cfg_.window_ns)
    return;
  // After an idle gap only one window is closed (the counts cover the
  // whole gap), and windows stay aligned to multiples of window_ns.
  const std::uint64_t end = now_ns - (now_ns % cfg_.window_ns);
  close_window(end);
  window_start_ = end;
}

void hybrid_policy::close_window(std::uint64_t end_ns) {
  const double span = static_cast<double>(end_ns - window_start_);
  for (auto& a : actors_) {
    if (!a.present)
      continue;
    const double r = static_cast<double>(a.arrivals) / span;
    // Only the arrival rate is smoothed (weight 1/4, a time constant of
    // about four windows, so a rare actor's Poisson noise does not move
    // cores); demand is rate times the *current* mean cost, which follows
    // a change of cost as fast as the statistics window does.
    // Fast up, slow down: a rising rate is taken at once (an actor that
    // became busy needs its cores now), a falling one decays.
    a.rate = a.rate_seeded && r < a.rate ? (3 * a.rate + r) / 4 : r;
    a.rate_seeded = true;
    // The busy test's rate weighs a window alike up and down: a burst (a
    // batch of requests released at once) is not sustained load.
    a.steady_rate += (r - a.steady_rate) / std::max<std::uint32_t>(cfg_.busy_windows, 1);
    a.partial = 0;
    a.arrivals = 0;
  }
  const std::uint64_t fcfs_mean = fcfs_lat_count_ ? fcfs_lat_sum_ / fcfs_lat_count_ : 0;
  last_fcfs_mean_ = fcfs_mean;
  fcfs_lat_sum_ = fcfs_lat_count_ = 0;

  double drr_work = 0;
  for (const auto& a : actors_)
    if (a.present && a.loc == location::nic && a.grp == group::drr)
      drr_work += static_cast<double>(a.backlog) * static_cast<double>(a.stats.mean_ns());
  const auto drr_delay =
      static_cast<std::uint64_t>(drr_work / std::max<std::uint32_t>(drr_cores(), 1));

  if (cfg_.migrate)
    migrate_step(end_ns, fcfs_mean, drr_delay);
  resize(end_ns, true);
}

// An actor that keeps coming back and being pushed out again costs two
// migrations per round and its latency suffers each time: every quick
// re-push doubles how long it stays on the host.
void hybrid_policy::hold_on_host(actor_state& a, std::uint64_t now) {
  if (cfg_.hold_windows == 0)
    return;
  const bool reflap = a.pulled_at != no_time &&
                      now - a.pulled_at < std::uint64_t{cfg_.reflap_windows} * cfg_.window_ns;
  a.hold_windows = reflap && a.hold_windows != 0
                       ? std::min(a.hold_windows * 2, cfg_.max_hold_windows)
                       : cfg_.hold_windows;
  a.hold_until = now + std::uint64_t{a.hold_windows} * cfg_.window_ns;
}

void hybrid_policy::migrate_step(std::uint64_t now, std::uint64_t fcfs_mean,
                                 std::uint64_t drr_delay) {
  const std::uint64_t mean_thresh = tun_.mean_thresh_ns();
  const bool over = (fcfs_mean > mean_thresh || drr_delay > cfg_.drr_delay_thresh_ns) && nic_busy();
  const bool under =
      fcfs_mean < tun_.lower(mean_thresh) && drr_delay < tun_.lower(cfg_.drr_delay_thresh_ns);
  over_streak_ = over ? over_streak_ + 1 : 0;
  under_streak_ = under ? under_streak_ + 1 : 0;
  if (now < migrate_after_)
    return;

  if (over_streak_ >= cfg_.confirm_windows) {
    // Push the NIC actor with the largest CPU demand: one migration frees
    // the most NIC time. Ties go to the lowest id, for determinism.
    std::uint32_t pick = 0;
    double best = -1;
    for (std::uint32_t i = 0; i < actors_.size(); ++i) {
      const auto& a = actors_[i];
      if (a.present && !a.pinned && a.loc == location::nic && demand(a) > best) {
        best = demand(a);
        pick = i;
      }
    }
    if (best < 0)
      return;
    actors_[pick].loc = location::host;
    hold_on_host(actors_[pick], now);
    over_streak_ = 0;
    migrate_after_ = now + cfg_.cooldown_windows * cfg_.window_ns;
    emit(decision_kind::push_to_host, pick, fcfs_mean, now);
    return;
  }

  if (under_streak_ >= cfg_.confirm_windows) {
    double nic = 0;
    for (const auto& a : actors_)
      if (a.present && a.loc == location::nic)
        nic += demand(a);
    // The actor must fit under the pull utilisation and leave the NIC
    // short of busy (nic_busy()): on a busy NIC a latency over threshold
    // pushes again, so a pull into that band is a flap waiting to happen.
    double room = cfg_.cores * (cfg_.pull_util_permille / 1000.0) - nic;
    if (cfg_.push_util_permille != 0) {
      const double share = cfg_.push_util_permille / 1000.0;
      room = std::min({room, share * cfg_.cores - nic, share});
    }
    // Pull the smallest host actor that fits: the least likely to
    // overload the NIC again and be pushed straight back.
    std::uint32_t pick = 0;
    double best = -1;
    for (std::uint32_t i = 0; i < actors_.size(); ++i) {
      const auto& a = actors_[i];
      if (a.present && !a.pinned && a.loc == location::host && now >= a.hold_until &&
          demand(a) <= room && (best < 0 || demand(a) < best)) {
        best = demand(a);
        pick = i;
      }
    }
    if (best < 0)
      return;
    actors_[pick].loc = location::nic;
    actors_[pick].pulled_at = now;
    under_streak_ = 0;
    migrate_after_ = now + cfg_.cooldown_windows * cfg_.window_ns;
    emit(decision_kind::pull_to_nic, pick, fcfs_mean, now);
  }
}

// Whether the NIC's own load can explain its latency. On the NIC's
// dedicated, polling cores a latency above Mean_thresh means queueing, and
// queueing needs busy cores; where the cores are threads of a shared host,
// waking and preemption by the OS add latency at any load, and release the
// requests that waited meanwhile as a burst. Pushing an actor then frees
// nothing but costs two migrations: three emulated NICs on two CPUs pushed
// and pulled their few-percent actors many times a second. So the demand
// here is sustained demand, from the steady rate.
bool hybrid_policy::nic_busy() const noexcept {
  if (cfg_.push_util_permille == 0)
    return true;
  const double share = cfg_.push_util_permille / 1000.0;
  double total = 0;
  double heaviest = 0;
  for (const auto& a : actors_)
    if (a.present && a.loc == location::nic) {
      const double d = a.steady_rate * static_cast<double>(a.stats.mean_ns());
      total += d;
      heaviest = std::max(heaviest, d);
    }
  return total >= share * cfg_.cores || heaviest >= share;
}

std::uint32_t hybrid_policy::target_fcfs(std::uint32_t util_permille, std::uint64_t now,
                                         bool* drr_short) const {
  double fcfs_d = 0;
  double drr_d = 0;
  bool any_drr = false;
  for (const auto& a : actors_) {
    if (!a.present || a.loc != location::nic)
      continue;
    if (a.grp == group::drr) {
      any_drr = true;
      drr_d += demand(a);
    } else {
      fcfs_d += demand(a);
    }
  }
  const std::uint32_t n = cfg_.cores;
  // After a change-point upgrade the DRR group outlives its last actor by
  // a group cooldown: that actor's old, expensive requests still run and
  // may still be queued, and they must not take the cores its new cheap
  // ones need.
  if ((!any_drr && now >= drr_hold_until_) || n == 1)
    return n;
  if (const std::uint32_t fixed = tun_.fcfs_cores())
    return std::clamp<std::uint32_t>(fixed, 1, n - 1);
  // Size the FCFS group for its target utilisation and give the DRR group
  // the rest. Short actors come first: a long request tolerates queueing
  // (its slowdown budget is ten times a long service time), a short one
  // does not; when the rest is too small for the DRR demand, the DRR
  // backlog grows and the push-to-host signal takes over.
  const auto f = static_cast<std::uint32_t>(
      std::ceil(fcfs_d * 1000.0 / std::max<std::uint32_t>(util_permille, 1)));
  if (drr_short && drr_d > n - fcfs_cores_)
    *drr_short = true;
  return std::clamp<std::uint32_t>(f, 1, n - 1);
}

bool hybrid_policy::any_fcfs_demand() const noexcept {
  for (const auto& a : actors_)
    if (a.present && a.loc == location::nic && a.grp == group::fcfs && demand(a) > 0)
      return true;
  return false;
}

void hybrid_policy::resize(std::uint64_t now, bool windowed, bool partial) {
  // Within a window (a group change, an in-window check) the demand takes
  // the faster of the smoothed rate and the window's so far: after a mix
  // shift the smoothed rate of a newly busy actor is that of its old self.
  if (partial)
    (void)partial_demand(now);
  with_partial_ = partial;
  // Two targets make a hysteresis band: the FCFS group grows as soon as
  // its utilisation would pass fcfs_util, but shrinks only when it would
  // stay below (1 - alpha) * fcfs_util after shrinking.
  bool drr_short = false;
  const std::uint32_t grow = target_fcfs(cfg_.fcfs_util_permille, now, &drr_short);
  // The band is for when the DRR group does not need the core: if the DRR
  // demand exceeds its cores, the FCFS group shrinks to its 75% size
  // (still only after confirming windows).
  const std::uint32_t keep =
      drr_short
          ? grow
          : std::max(
                grow,
                target_fcfs(static_cast<std::uint32_t>(tun_.lower(cfg_.fcfs_util_permille)), now));
  with_partial_ = false;
  std::uint32_t target = fcfs_cores_;
  if (fcfs_cores_ < grow)
    target = grow;
  else if (fcfs_cores_ > keep)
    target = keep;
  const bool drr_appears = fcfs_cores_ == cfg_.cores && grow < cfg_.cores;
  const bool drr_empties = grow == cfg_.cores;
  // An FCFS group with no demand left (its last busy actor was just
  // downgraded) gives its cores to the DRR group at once: nobody would
  // use them during the confirming windows.
  const bool fcfs_empties = grow == 1 && !any_fcfs_demand();
  const bool forced = tun_.fcfs_cores() != 0;
  if (drr_appears || drr_empties || fcfs_empties || forced)
    target = grow;
  if (target == fcfs_cores_) {
    resize_streak_ = 0;
    return;
  }
  if (!drr_appears && !drr_empties && !fcfs_empties && !forced) {
    // Damping: growing the FCFS group (the latency-critical direction)
    // applies at once, also right after a group change; shrinking happens
    // only at window ends, after it was indicated in consecutive windows.
    if (!windowed && target < fcfs_cores_)
      return;
    resize_streak_ = target == resize_target_ ? resize_streak_ + 1 : 1;
    resize_target_ = target;
    if (target < fcfs_cores_ && resize_streak_ < cfg_.confirm_windows)
      return;
  }
  resize_streak_ = 0;
  fcfs_cores_ = target;
  emit(decision_kind::regroup, 0, 0, now);
}

group hybrid_policy::group_of(std::uint32_t actor) const noexcept {
  return valid(actor) ? actors_[actor].grp : group::fcfs;
}

std::uint64_t hybrid_policy::upgraded_since(std::uint32_t actor) const noexcept {
  return valid(actor) && actors_[actor].grp == group::fcfs ? actors_[actor].upgraded_since
                                                           : no_time;
}

// Far beyond the actor's usual cost, a running request is evidence that
// its next requests may be as long, but not yet proof (Tail_thresh is):
// the engine then bounds the actor to the FCFS cores it holds. The usual
// cost is the recent peak, so an actor whose costs have a tail (most
// handlers') is suspect only beyond twice that tail.
std::uint64_t hybrid_policy::suspect_after_ns(std::uint32_t actor) const noexcept {
  if (!valid(actor) || cfg_.suspect_factor == 0 || !cfg_.regroup_actors ||
      actors_[actor].grp != group::fcfs)
    return no_time;
  const actor_state& a = actors_[actor];
  return std::max(cfg_.suspect_floor_ns,
                  cfg_.suspect_factor * std::max(a.peak_ns, a.stats.tail_ns()));
}

location hybrid_policy::location_of(std::uint32_t actor) const noexcept {
  return valid(actor) ? actors_[actor].loc : location::nic;
}

std::uint64_t hybrid_policy::demand_millicores(std::uint32_t actor) const {
  return static_cast<std::uint64_t>(demand(actors_.at(actor)) * 1000.0);
}

} // namespace ipipe::sched
