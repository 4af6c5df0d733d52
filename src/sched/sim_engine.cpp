#include <ipipe/sched/drr_queue.hpp>
#include <ipipe/sched/sim_engine.hpp>

#include <algorithm>
#include <cmath>
#include <deque>
#include <optional>
#include <queue>

namespace ipipe::sched {

const char* to_string(discipline d) noexcept {
  switch (d) {
  case discipline::hybrid:
    return "hybrid";
  case discipline::c_fcfs:
    return "c-FCFS";
  case discipline::d_fcfs:
    return "d-FCFS";
  case discipline::drr_only:
    return "DRR";
  case discipline::ps:
    return "PS";
  case discipline::darc:
    return "DARC";
  }
  return "?";
}

namespace internal {
namespace {

constexpr std::uint32_t none = std::numeric_limits<std::uint32_t>::max();

struct req {
  std::uint64_t arrival;
  std::uint64_t service;
  std::uint64_t type_mean; // what DARC's type oracle knows of it
  std::uint64_t remaining; // processor sharing only
  std::uint64_t finish;
  std::uint32_t actor;
  bool done;
  bool host;
};

enum class ev : std::uint8_t {
  arrival,
  core_done,
  tick,
  host_arrive,
  host_done,
  mig_done,
  overrun
};

struct event {
  std::uint64_t t;
  std::uint64_t seq;
  ev type;
  std::uint32_t a;
  friend bool operator>(const event& x, const event& y) {
    return x.t != y.t ? x.t > y.t : x.seq > y.seq;
  }
};

enum class work : std::uint8_t { central, drr, slice, preempt, probe };
enum class place : std::uint8_t { nic, host, to_host, to_nic };

struct core {
  bool busy = false;
  work kind = work::central;
  std::uint32_t r = none;
  std::uint64_t exec = 0;
  std::uint32_t lane = 0;  // DRR lane in service, for work::drr
  std::uint64_t start = 0; // when the work began
};

struct actor_rt {
  std::deque<std::uint32_t> mailbox;
  std::deque<std::uint32_t> buffer; // requests held during a migration
  place where = place::nic;
  std::uint32_t since_done = 0; // mailbox arrivals since a DRR lane last completed
  bool probing = false;
};

// One simulation run: all state lives here and dies with it.
class sim_run final : public decision_sink {
public:
  explicit sim_run(const sim_config& cfg)
      : cfg_(cfg), n_(std::max<std::uint32_t>(cfg.policy.cores, 1)), tun_(cfg.initial),
        rng_(cfg.seed), cores_(n_), percore_(n_), lanes_(cfg.drr_lanes ? cfg.drr_lanes : n_),
        drr_(cfg.policy.max_actors * lanes_), actors_(cfg.policy.max_actors),
        host_busy_(cfg.host_cores, none) {
    if (cfg_.disc == discipline::hybrid) {
      policy_config pc = cfg_.policy;
      pc.cores = n_;
      pc.migrate = pc.migrate && cfg_.host_cores > 0;
      policy_.emplace(pc, tun_, *this);
    }
  }

  using next_fn = std::function<std::optional<scripted_request>(std::mt19937_64&)>;

  sim_result run(const std::vector<std::uint32_t>& ids, next_fn next, std::uint64_t stop_arrivals) {
    for (auto id : ids)
      if (policy_)
        (void)policy_->add_actor(id);
    next_ = std::move(next);
    schedule_arrival(0);
    if (policy_)
      push(cfg_.policy.window_ns, ev::tick, 0);
    const std::uint64_t deadline = stop_arrivals + cfg_.drain_ns;
    while (!events_.empty()) {
      const event e = events_.top();
      if (e.t > deadline)
        break;
      events_.pop();
      now_ = e.t;
      handle(e);
      if (arrivals_over_ && outstanding_ == 0)
        break;
    }
    return finish();
  }

  void on_decision(const decision& d) override {
    out_.decisions.push_back(d);
    switch (d.kind) {
    case decision_kind::downgrade:
      break; // queued items are redirected when popped
    case decision_kind::upgrade:
      upgrade(d.actor_id);
      break;
    case decision_kind::regroup:
      break; // roles are read at each pick
    case decision_kind::push_to_host:
      begin_migration(d.actor_id, place::to_host);
      break;
    case decision_kind::pull_to_nic:
      begin_migration(d.actor_id, place::to_nic);
      break;
    }
  }

  void set_darc_reserved(std::uint32_t r) {
    darc_reserved_ = std::clamp<std::uint32_t>(r, 1, n_ > 1 ? n_ - 1 : 1);
  }

private:
  void push(std::uint64_t t, ev type, std::uint32_t a) { events_.push(event{t, seq_++, type, a}); }

  void schedule_arrival(std::uint64_t after) {
    if (auto r = next_(rng_); r && r->actor < actors_.size()) {
      pending_ = *r;
      push(std::max(after, r->arrival_ns), ev::arrival, 0);
    } else {
      arrivals_over_ = true;
    }
  }

  void handle(const event& e) {
    switch (e.type) {
    case ev::arrival:
      arrive();
      break;
    case ev::core_done:
      core_done(e.a);
      break;
    case ev::tick:
      tick();
      break;
    case ev::host_arrive:
      host_arrive(e.a);
      break;
    case ev::host_done:
      host_done(e.a);
      break;
    case ev::mig_done:
      mig_done(e.a);
      break;
    case ev::overrun:
      // The management core sees a request still running past Tail_thresh.
      if (!pool_[e.a].done)
        policy_->on_overrun(pool_[e.a].actor, tun_.tail_thresh_ns() + 1, now_);
      break;
    }
    dispatch_idle();
  }

  // -- arrivals and routing ---------------------------------------------

  void arrive() {
    const auto r = static_cast<std::uint32_t>(pool_.size());
    const std::uint64_t type_mean =
        pending_.type_mean_ns ? pending_.type_mean_ns : pending_.service_ns;
    pool_.push_back(req{now_, pending_.service_ns, type_mean, pending_.service_ns, 0,
                        pending_.actor, false, false});
    ++outstanding_;
    if (policy_)
      policy_->on_arrival(pending_.actor);
    route(r);
    schedule_arrival(now_);
  }

  void route(std::uint32_t r) {
    actor_rt& a = actors_[pool_[r].actor];
    switch (a.where) {
    case place::nic:
      nic_enqueue(r);
      break;
    case place::host:
      push(now_ + cfg_.host_link_ns, ev::host_arrive, r);
      break;
    case place::to_host:
    case place::to_nic:
      a.buffer.push_back(r);
      break;
    }
  }

  // DARC's classifier: a request is short if its type is, by the type's
  // mean cost (a type's requests share one queue, as in Perséphone).
  bool is_short(std::uint32_t r) const { return pool_[r].type_mean <= cfg_.short_ns; }

  void nic_enqueue(std::uint32_t r) {
    const std::uint32_t actor = pool_[r].actor;
    switch (cfg_.disc) {
    case discipline::hybrid:
      // The dispatcher of Algorithm 1: a DRR actor's requests go to its mailbox.
      if (policy_->group_of(actor) == group::drr)
        to_mailbox(r);
      else
        central_.push_back(r);
      break;
    case discipline::drr_only:
      to_mailbox(r);
      break;
    case discipline::d_fcfs:
      percore_[rng_() % n_].push_back(r);
      break;
    case discipline::darc:
      (is_short(r) ? central_ : long_q_).push_back(r);
      break;
    case discipline::c_fcfs:
    case discipline::ps:
      central_.push_back(r);
      break;
    }
  }

  void to_mailbox(std::uint32_t r) {
    const std::uint32_t actor = pool_[r].actor;
    actors_[actor].mailbox.push_back(r);
    ++actors_[actor].since_done;
    // Wake one idle lane; lanes already queued or serving will find the
    // request themselves.
    for (std::uint32_t l = 0; l < lanes_; ++l)
      if (drr_.idle(actor * lanes_ + l)) {
        drr_.activate(actor * lanes_ + l);
        break;
      }
  }

  void drr_remove(std::uint32_t actor) {
    for (std::uint32_t l = 0; l < lanes_; ++l)
      drr_.remove(actor * lanes_ + l);
  }

  // -- NIC cores ----------------------------------------------------------

  // Cores, other than `self`, running long work: a DRR turn, or a request
  // of an actor that is in the DRR group now (it started on the FCFS side
  // before its actor was downgraded).
  std::uint32_t drr_busy(std::uint32_t self) const {
    std::uint32_t k = 0;
    for (std::uint32_t c = 0; c < n_; ++c)
      if (c != self && cores_[c].busy && cores_[c].r != none &&
          (cores_[c].kind == work::drr || cores_[c].kind == work::probe ||
           policy_->group_of(pool_[cores_[c].r].actor) == group::drr))
        ++k;
    return k;
  }
  bool drr_room(std::uint32_t c) const { return drr_busy(c) < policy_->drr_cores(); }

  void dispatch_idle() {
    for (std::uint32_t c = 0; c < n_; ++c)
      if (!cores_[c].busy)
        pick(c);
    for (std::uint32_t h = 0; h < host_busy_.size(); ++h)
      if (host_busy_[h] == none && !host_q_.empty()) {
        const std::uint32_t r = host_q_.front();
        host_q_.pop_front();
        host_busy_[h] = r;
        const std::uint64_t exec =
            pool_[r].service * 1000 / std::max<std::uint32_t>(cfg_.host_speed_permille, 1);
        push(now_ + std::max<std::uint64_t>(exec, 1), ev::host_done, h);
      }
  }

  void pick(std::uint32_t c) {
    switch (cfg_.disc) {
    case discipline::hybrid:
      // The group sizes are counts, not core numbers: at most drr_cores()
      // cores run long work (drr_busy). A core below that count serves
      // the DRR actors first, any other core the central queue, so a core
      // still busy with a long request never counts as an FCFS core. The
      // DRR queue reaches other cores only when the DRR group has no core;
      // a core with nothing else to do may probe.
      if (!drr_room(c)) {
        if (!pop_central(c) && !(policy_->drr_cores() == 0 && start_drr(c)))
          probe(c);
      } else if (!start_drr(c) && !pop_central(c)) {
        probe(c);
      }
      break;
    case discipline::c_fcfs:
      pop_central(c);
      break;
    case discipline::drr_only:
      start_drr(c);
      break;
    case discipline::d_fcfs:
      if (!percore_[c].empty()) {
        const std::uint32_t r = percore_[c].front();
        percore_[c].pop_front();
        run(c, r, work::central, pool_[r].service);
      }
      break;
    case discipline::ps:
      if (!central_.empty()) {
        const std::uint32_t r = central_.front();
        central_.pop_front();
        run(c, r, work::slice, std::min(pool_[r].remaining, cfg_.ps_quantum_ns));
      }
      break;
    case discipline::darc: {
      auto& q = c >= darc_reserved_ && !long_q_.empty() ? long_q_ : central_;
      if (!q.empty()) {
        const std::uint32_t r = q.front();
        q.pop_front();
        run(c, r, work::central, pool_[r].service);
      }
      break;
    }
    }
  }

  // Whether FCFS actor `a` is suspect (hybrid_policy::suspect_after_ns):
  // one of its requests on an FCFS core has run far beyond the actor's
  // usual cost and not yet Tail_thresh. Its next requests may be as long,
  // so none of them takes another FCFS core meanwhile. Past Tail_thresh
  // early downgrade decides (or the actor's group cooldown keeps it FCFS).
  bool suspect(std::uint32_t a) const {
    const std::uint64_t after = policy_->suspect_after_ns(a);
    if (after == std::numeric_limits<std::uint64_t>::max())
      return false;
    for (const auto& k : cores_)
      if (k.busy && k.kind == work::central && k.r != none && pool_[k.r].actor == a &&
          now_ - k.start > after && now_ - k.start <= tun_.tail_thresh_ns())
        return true;
    return false;
  }

  bool pop_central(std::uint32_t c) {
    // Suspect actors' requests stay queued, in order; others pass them.
    // Each actor is looked up once per pick.
    enum : std::uint8_t { unknown, clear, held };
    if (policy_)
      suspect_.assign(actors_.size(), unknown);
    for (auto it = central_.begin(); it != central_.end();) {
      const std::uint32_t r = *it;
      if (policy_ && policy_->group_of(pool_[r].actor) == group::drr) {
        it = central_.erase(it);
        to_mailbox(r); // downgraded after this request was queued
        continue;
      }
      if (policy_ && suspect_[pool_[r].actor] == unknown)
        suspect_[pool_[r].actor] = suspect(pool_[r].actor) ? held : clear;
      if (policy_ && suspect_[pool_[r].actor] == held) {
        ++it;
        continue;
      }
      central_.erase(it);
      run(c, r, work::central, pool_[r].service);
      // Only requests that will overrun get a check event (the model's
      // zero-cost watchdog), to keep the event count per request low.
      if (policy_ && pool_[r].service > tun_.tail_thresh_ns())
        push(now_ + tun_.tail_thresh_ns() + 1, ev::overrun, r);
      return true;
    }
    return false;
  }

  // A core with nothing to do samples the newest request of a DRR actor
  // whose mailbox grew by probe_burst requests since its DRR lanes last
  // completed one: arrivals that outpace its measured cost that much mean
  // either an overload or a changed cost, and only a request that arrived
  // now can tell which. One probe per actor at a time; lanes > 1 only
  // (a probe overlaps the actor's lanes).
  bool probe(std::uint32_t c) {
    if (cfg_.probe_burst == 0 || lanes_ < 2)
      return false;
    for (std::uint32_t a = 0; a < actors_.size(); ++a) {
      actor_rt& rt = actors_[a];
      if (rt.probing || rt.mailbox.size() < 2 || rt.since_done < cfg_.probe_burst ||
          policy_->group_of(a) != group::drr)
        continue;
      const std::uint32_t r = rt.mailbox.back();
      rt.mailbox.pop_back();
      rt.probing = true;
      run(c, r, work::probe, pool_[r].service);
      return true;
    }
    return false;
  }

  bool start_drr(std::uint32_t c) {
    while (auto lane = drr_.begin_turn(tun_.drr_quantum_ns())) {
      auto& mb = actors_[*lane / lanes_].mailbox;
      if (mb.empty()) {
        (void)drr_.charge(*lane, 0, false);
        continue;
      }
      const std::uint32_t r = mb.front();
      mb.pop_front();
      cores_[c].lane = *lane;
      run(c, r, work::drr, pool_[r].service);
      return true;
    }
    return false;
  }

  void run(std::uint32_t c, std::uint32_t r, work kind, std::uint64_t exec) {
    const std::uint32_t lane = cores_[c].lane;
    cores_[c] = core{true, kind, r, exec, lane, now_};
    push(now_ + exec, ev::core_done, c);
  }

  void core_done(std::uint32_t c) {
    core& k = cores_[c];
    k.busy = false;
    if (k.kind == work::preempt)
      return;
    req& q = pool_[k.r];
    if (k.kind == work::slice) {
      q.remaining -= k.exec;
      if (q.remaining > 0) {
        central_.push_back(k.r);
        cores_[c] = core{true, work::preempt, none, cfg_.ps_preempt_ns, 0, now_};
        push(now_ + cfg_.ps_preempt_ns, ev::core_done, c);
        return;
      }
    }
    complete(k.r, false);
    // A probe measures the DRR actor as it is now: it counts as DRR.
    if (policy_)
      policy_->on_complete(q.actor, q.service, now_ - q.arrival, now_,
                           k.kind == work::drr || k.kind == work::probe ? group::drr : group::fcfs);
    if (k.kind == work::probe)
      actors_[q.actor].probing = false;
    if (k.kind != work::drr)
      return;
    actors_[q.actor].since_done = 0;
    const std::uint32_t a = q.actor;
    const std::uint32_t lane = k.lane;
    const bool more = !actors_[a].mailbox.empty();
    if (drr_.charge(lane, q.service, more)) {
      if (cfg_.disc == discipline::drr_only || drr_room(c)) {
        const std::uint32_t r = actors_[a].mailbox.front();
        actors_[a].mailbox.pop_front();
        run(c, r, work::drr, pool_[r].service);
      } else {
        drr_.yield(lane); // this core moved to the FCFS group
      }
    }
  }

  void complete(std::uint32_t r, bool host) {
    pool_[r].done = true;
    pool_[r].host = host;
    pool_[r].finish = now_ + (host ? cfg_.host_link_ns : 0);
    --outstanding_;
    ++(host ? out_.host_done : out_.nic_done);
  }

  // -- management ---------------------------------------------------------

  void tick() {
    for (std::uint32_t i = 0; i < actors_.size(); ++i)
      policy_->set_backlog(i, static_cast<std::uint32_t>(actors_[i].mailbox.size()));
    if (cfg_.tick_hook)
      cfg_.tick_hook(now_, tun_);
    policy_->tick(now_);
    if (!arrivals_over_ || outstanding_ > 0)
      push(now_ + cfg_.policy.window_ns, ev::tick, 0);
  }

  void upgrade(std::uint32_t actor) {
    // New requests go to the central queue from now on. Of those in the
    // mailbox, the ones that arrived since the cheap run that upgraded the
    // actor follow them (oldest first); older ones may be the expensive
    // requests that caused the downgrade and drain through the DRR lanes.
    const std::uint64_t since = policy_->upgraded_since(actor);
    auto& mb = actors_[actor].mailbox;
    auto keep = mb.begin();
    for (auto it = mb.begin(); it != mb.end(); ++it)
      if (pool_[*it].arrival >= since)
        central_.push_back(*it);
      else
        *keep++ = *it;
    mb.erase(keep, mb.end());
  }

  void begin_migration(std::uint32_t actor, place dir) {
    actor_rt& a = actors_[actor];
    // Quiesce: every queued request of the actor is held, oldest first,
    // and travels with the migration.
    std::vector<std::uint32_t> held(a.mailbox.begin(), a.mailbox.end());
    a.mailbox.clear();
    drr_remove(actor);
    auto& src = dir == place::to_host ? central_ : host_q_;
    for (auto it = src.begin(); it != src.end();) {
      if (pool_[*it].actor == actor) {
        held.push_back(*it);
        it = src.erase(it);
      } else {
        ++it;
      }
    }
    std::sort(held.begin(), held.end()); // pool index order is arrival order
    a.buffer.insert(a.buffer.end(), held.begin(), held.end());
    a.where = dir;
    push(now_ + cfg_.migrate_ns, ev::mig_done, actor);
  }

  void mig_done(std::uint32_t actor) {
    actor_rt& a = actors_[actor];
    a.where = a.where == place::to_host ? place::host : place::nic;
    std::deque<std::uint32_t> held;
    held.swap(a.buffer);
    for (auto r : held)
      route(r);
  }

  void host_arrive(std::uint32_t r) {
    if (actors_[pool_[r].actor].where == place::host)
      host_q_.push_back(r);
    else
      route(r); // pulled back (or being pulled) meanwhile
  }

  void host_done(std::uint32_t h) {
    const std::uint32_t r = host_busy_[h];
    host_busy_[h] = none;
    complete(r, true);
  }

  sim_result finish() {
    out_.end_ns = now_;
    out_.records.reserve(pool_.size());
    for (const auto& q : pool_) {
      request_record rec;
      rec.arrival_ns = q.arrival;
      rec.latency_ns = q.done ? q.finish - q.arrival : now_ - q.arrival;
      rec.service_ns = q.service;
      rec.actor = q.actor;
      rec.host = q.host;
      rec.unfinished = !q.done;
      out_.records.push_back(rec);
    }
    return std::move(out_);
  }

  const sim_config& cfg_;
  const std::uint32_t n_;
  tunables tun_;
  std::mt19937_64 rng_;
  std::optional<hybrid_policy> policy_;
  std::priority_queue<event, std::vector<event>, std::greater<>> events_;
  std::uint64_t seq_ = 0;
  std::uint64_t now_ = 0;
  next_fn next_;
  scripted_request pending_;
  bool arrivals_over_ = false;
  std::uint64_t outstanding_ = 0;
  std::vector<req> pool_;
  std::vector<core> cores_;
  std::deque<std::uint32_t> central_;
  std::deque<std::uint32_t> long_q_;
  std::vector<std::deque<std::uint32_t>> percore_;
  std::uint32_t lanes_;
  drr_queue drr_;
  std::vector<actor_rt> actors_;
  std::vector<std::uint8_t> suspect_; // pop_central's look-ups
  std::deque<std::uint32_t> host_q_;
  std::vector<std::uint32_t> host_busy_;
  std::uint32_t darc_reserved_ = 1;
  sim_result out_;
};

double unit(std::mt19937_64& rng) {
  return (static_cast<double>(rng() >> 11) + 1.0) * (1.0 / 9007199254740992.0);
}

} // namespace
} // namespace internal

sim_result sim_engine::run(const workload& w, double load, std::uint64_t duration_ns) const {
  internal::sim_run s{cfg_};
  const std::uint32_t n = std::max<std::uint32_t>(cfg_.policy.cores, 1);
  const double mean_gap = w.mean_service_ns(0) / (load * n);
  if (cfg_.disc == discipline::darc) {
    std::uint32_t r = cfg_.darc_reserved;
    if (r == 0) {
      // DARC's profiler: reserve enough cores for the short requests'
      // demand at 75% utilisation (our reading of "cores reserved for
      // short types"; the study uses this oracle sizing).
      double total = 0;
      double shorts = 0;
      for (const auto& a : w.phases[0].actors) {
        total += a.weight * a.service.mean_ns();
        if (a.service.mean_ns() <= static_cast<double>(cfg_.short_ns))
          shorts += a.weight * a.service.mean_ns();
      }
      r = static_cast<std::uint32_t>(std::ceil(load * n * (shorts / total) / 0.75));
    }
    s.set_darc_reserved(r);
  }
  std::uint64_t t = 0;
  std::size_t ph = 0;
  std::vector<double> cum;
  auto next = [&, mean_gap](std::mt19937_64& rng) -> std::optional<scripted_request> {
    t += static_cast<std::uint64_t>(-std::log(internal::unit(rng)) * mean_gap);
    if (t >= duration_ns)
      return std::nullopt;
    while (ph + 1 < w.phases.size() && w.phases[ph + 1].start_ns <= t)
      ++ph;
    const auto& actors = w.phases[ph].actors;
    double total = 0;
    for (const auto& a : actors)
      total += a.weight;
    double u = internal::unit(rng) * total;
    const actor_spec* pick = &actors.back();
    for (const auto& a : actors) {
      if (u <= a.weight) {
        pick = &a;
        break;
      }
      u -= a.weight;
    }
    return scripted_request{t, pick->id, pick->service.sample(rng),
                            static_cast<std::uint64_t>(pick->service.mean_ns())};
  };
  return s.run(w.actor_ids(), next, duration_ns);
}

sim_result sim_engine::run(const std::vector<scripted_request>& trace) const {
  internal::sim_run s{cfg_};
  s.set_darc_reserved(cfg_.darc_reserved ? cfg_.darc_reserved : 1);
  std::vector<std::uint32_t> ids;
  for (const auto& r : trace)
    ids.push_back(r.actor);
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  std::size_t i = 0;
  auto next = [&](std::mt19937_64&) -> std::optional<scripted_request> {
    if (i == trace.size())
      return std::nullopt;
    return trace[i++];
  };
  return s.run(ids, next, trace.empty() ? 0 : trace.back().arrival_ns);
}

namespace {

template <class Value>
std::vector<double> collect(const sim_result& r, const record_filter& f, Value v) {
  std::vector<double> out;
  for (const auto& rec : r.records) {
    if (rec.arrival_ns < f.from_ns || rec.arrival_ns >= f.to_ns)
      continue;
    if (f.short_only && rec.service_ns > f.short_ns)
      continue;
    out.push_back(v(rec));
  }
  return out;
}

double quantile(std::vector<double> v, double q) {
  if (v.empty())
    return 0;
  auto k = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size())));
  k = std::clamp<std::size_t>(k, 1, v.size()) - 1;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

} // namespace

double sim_result::slowdown_quantile(double q, const record_filter& f) const {
  return quantile(collect(*this, f,
                          [](const request_record& r) {
                            return static_cast<double>(r.latency_ns) /
                                   static_cast<double>(std::max<std::uint64_t>(r.service_ns, 1));
                          }),
                  q);
}

std::uint64_t sim_result::latency_quantile(double q, const record_filter& f) const {
  return static_cast<std::uint64_t>(quantile(
      collect(*this, f, [](const request_record& r) { return static_cast<double>(r.latency_ns); }),
      q));
}

std::size_t sim_result::count(decision_kind k) const noexcept {
  return static_cast<std::size_t>(std::count_if(decisions.begin(), decisions.end(),
                                                [k](const decision& d) { return d.kind == k; }));
}

} // namespace ipipe::sched
