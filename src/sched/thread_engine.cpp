#include <ipipe/sched/fast_clock.hpp>
#include <ipipe/sched/thread_engine.hpp>

#include <algorithm>
#include <chrono>
#include <ctime>

namespace ipipe::sched {

namespace {

std::uint64_t default_clock() noexcept {
  return fast_now_ns();
}

} // namespace

std::uint64_t thread_cpu_ns() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ULL +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

namespace {

policy_config engine_policy(const thread_config& c) {
  policy_config p = c.policy;
  p.cores = std::max<std::uint32_t>(p.cores, 1);
  p.migrate = p.migrate && static_cast<bool>(c.host_forward);
  return p;
}

} // namespace

thread_engine::thread_engine(thread_config cfg, decision_sink* sink)
    : cfg_(std::move(cfg)), clock_(cfg_.clock ? cfg_.clock : &default_clock), user_sink_(sink),
      tun_(cfg_.initial), n_(std::max<std::uint32_t>(cfg_.policy.cores, 1)),
      lanes_(std::max<std::uint32_t>(cfg_.drr_lanes, 1)), policy_(engine_policy(cfg_), tun_, *this),
      actors_(cfg_.policy.max_actors), drr_(cfg_.policy.max_actors * lanes_), fcfs_cores_(n_),
      cores_(std::make_unique<core_state[]>(n_)) {
  for (std::uint32_t c = 0; c < n_; ++c)
    cores_[c].samples.reserve(cfg_.sample_batch);
  next_tick_ = now() + cfg_.policy.window_ns;
}

thread_engine::~thread_engine() {
  stop();
}

// -- lifecycle -------------------------------------------------------------

expected<void> thread_engine::start() {
  std::lock_guard l{q_mu_};
  if (!threads_.empty() || stopping_)
    return errc::busy;
  for (std::uint32_t c = 0; c < n_; ++c)
    threads_.emplace_back([this, c] { worker(c); });
  return {};
}

void thread_engine::stop() {
  {
    std::lock_guard l{q_mu_};
    closed_ = true;
    if (threads_.empty())
      return; // never started: queued items are dropped with the engine
  }
  drain();
  {
    std::lock_guard l{q_mu_};
    stopping_ = true;
  }
  work_cv_.notify_all();
  for (auto& t : threads_)
    t.join();
  threads_.clear();
}

void thread_engine::drain() {
  bool started;
  {
    std::lock_guard l{q_mu_};
    started = !threads_.empty();
  }
  if (!started) {
    // No threads: run the queued work here, every core in turn.
    for (bool progress = true; progress;) {
      progress = false;
      for (std::uint32_t c = 0; c < n_; ++c)
        progress = poll(c) || progress;
    }
    return;
  }
  std::unique_lock l{q_mu_};
  done_cv_.wait(l, [this] { return completed_.load(std::memory_order_acquire) == submitted_; });
}

// -- actors and work -------------------------------------------------------

expected<void> thread_engine::add_actor(std::uint32_t actor, bool pinned) {
  std::lock_guard p{policy_mu_};
  if (auto r = policy_.add_actor(actor, pinned); !r)
    return r;
  std::lock_guard l{q_mu_};
  actors_[actor].known = true;
  return {};
}

void thread_engine::note_arrival(std::uint32_t actor) {
  std::lock_guard l{q_mu_};
  if (actor < actors_.size())
    ++actors_[actor].arrivals;
}

expected<void> thread_engine::submit(work_item w) {
  if (w.enqueue_ns == 0)
    w.enqueue_ns = now();
  std::unique_lock l{q_mu_};
  if (closed_)
    return errc::closed;
  if (w.actor_id >= actors_.size() || !actors_[w.actor_id].known)
    return errc::not_found;
  actor_q& a = actors_[w.actor_id];
  ++a.arrivals;
  if (a.loc == location::host) {
    if (!cfg_.host_forward)
      return errc::not_supported;
    l.unlock();
    cfg_.host_forward(w);
    return {};
  }
  ++submitted_;
  // The dispatcher of Algorithm 1: a DRR actor's items go to its mailbox.
  if (a.grp == group::drr)
    to_mailbox(w);
  else
    central_.push_back(w);
  if (sleepers_ > 0)
    work_cv_.notify_all(); // roles differ, so wake all and let them choose
  return {};
}

expected<void> thread_engine::set_pinned(std::uint32_t actor, bool pinned) {
  std::lock_guard p{policy_mu_};
  return policy_.set_pinned(actor, pinned);
}

expected<void> thread_engine::set_location(std::uint32_t actor, location loc) {
  if (loc == location::host && !cfg_.host_forward)
    return error{errc::not_supported, "no host_forward configured"};
  {
    std::lock_guard p{policy_mu_};
    if (auto r = policy_.set_location(actor, loc); !r)
      return r;
  }
  std::vector<work_item> moved;
  {
    std::lock_guard l{q_mu_};
    actor_q& a = actors_[actor];
    a.loc = loc;
    if (loc == location::host) {
      // Queued items follow the actor, the mailbox (older) first.
      for (std::size_t i = 0; i < a.mailbox.size(); ++i)
        moved.push_back(a.mailbox[i]);
      a.mailbox.clear();
      for (std::uint32_t i = 0; i < lanes_; ++i)
        drr_.remove(actor * lanes_ + i);
      central_.extract_if([actor](const work_item& w) { return w.actor_id == actor; },
                          [&moved](const work_item& w) { moved.push_back(w); });
    }
  }
  for (const auto& w : moved)
    cfg_.host_forward(w);
  finished(moved.size());
  return {};
}

expected<void> thread_engine::set_group(std::uint32_t actor, group g) {
  std::lock_guard p{policy_mu_};
  return policy_.set_group(actor, g, now());
}

group thread_engine::group_of(std::uint32_t actor) {
  std::lock_guard l{q_mu_};
  return actor < actors_.size() ? actors_[actor].grp : group::fcfs;
}

// -- decisions (called with policy_mu_ held) ---------------------------------

void thread_engine::on_decision(const decision& d) {
  switch (d.kind) {
  case decision_kind::downgrade: {
    std::lock_guard l{q_mu_};
    actors_[d.actor_id].grp = group::drr; // queued items are redirected when popped
    break;
  }
  case decision_kind::upgrade: {
    std::lock_guard l{q_mu_};
    // New items go to the central queue, and so do the queued ones that
    // arrived since the cheap run that upgraded the actor; older ones may
    // be the expensive requests that caused the downgrade and drain
    // through the DRR lanes (as in sim_engine).
    actor_q& a = actors_[d.actor_id];
    a.grp = group::fcfs;
    const std::uint64_t since = policy_.upgraded_since(d.actor_id);
    a.mailbox.extract_if([since](const work_item& w) { return w.enqueue_ns >= since; },
                         [this](const work_item& w) { central_.push_back(w); });
    work_cv_.notify_all();
    break;
  }
  case decision_kind::regroup:
    fcfs_cores_.store(d.fcfs_cores, std::memory_order_relaxed);
    work_cv_.notify_all();
    break;
  case decision_kind::push_to_host:
  case decision_kind::pull_to_nic:
    break; // the runtime migrates, then calls set_location()
  }
  if (user_sink_)
    user_sink_->on_decision(d);
}

// -- dispatch --------------------------------------------------------------

bool thread_engine::to_mailbox(const work_item& w) {
  actors_[w.actor_id].mailbox.push_back(w);
  ++actors_[w.actor_id].since_done;
  for (std::uint32_t i = 0; i < lanes_; ++i)
    if (drr_.idle(w.actor_id * lanes_ + i)) {
      drr_.activate(w.actor_id * lanes_ + i);
      break;
    }
  return true;
}

bool thread_engine::take_drr(taken& t) {
  while (auto lane = drr_.begin_turn(tun_.drr_quantum_ns())) {
    auto& mb = actors_[*lane / lanes_].mailbox;
    if (mb.empty()) {
      (void)drr_.charge(*lane, 0, false);
      continue;
    }
    t.item = mb.front();
    mb.pop_front();
    t.drr = true;
    t.lane = *lane;
    return true;
  }
  return false;
}

bool thread_engine::pick(std::uint32_t core, taken& t) {
  const std::uint32_t fcfs = fcfs_cores_.load(std::memory_order_relaxed);
  auto pop_central = [&] {
    while (!central_.empty()) {
      const work_item w = central_.front();
      central_.pop_front();
      if (actors_[w.actor_id].grp == group::drr) {
        to_mailbox(w); // downgraded after this item was queued
        continue;
      }
      t.item = w;
      t.drr = false;
      return true;
    }
    return false;
  };
  // Same rules as the simulator: at most n - fcfs cores run long work; a
  // core below that count serves the DRR actors first, any other core the
  // central queue (and the DRR queue only when the DRR group has no core);
  // a core with nothing else to do may probe.
  bool got = drr_room(core, fcfs, false) ? take_drr(t) || pop_central()
                                         : pop_central() || (fcfs >= n_ && take_drr(t));
  if (!got)
    got = take_probe(&t);
  if (got && (t.drr || t.probe))
    ++drr_running_;
  return got;
}

// Long work in progress, against the DRR group's size: cores in a DRR turn
// or a probe, and cores running an FCFS item of an actor that is in the DRR
// group now (it started before the downgrade). Called with q_mu_ held;
// `in_turn` when the calling core is itself in a DRR turn.
bool thread_engine::drr_room(std::uint32_t core, std::uint32_t fcfs, bool in_turn) const {
  const std::uint32_t cap = n_ - std::min(fcfs, n_);
  std::uint32_t busy = drr_running_ - (in_turn ? 1 : 0);
  for (std::uint32_t c = 0; c < n_ && busy < cap; ++c) {
    if (c == core || cores_[c].running_since.load(std::memory_order_relaxed) == 0)
      continue;
    if (actors_[cores_[c].running_actor.load(std::memory_order_relaxed)].grp == group::drr)
      ++busy;
  }
  return busy < cap;
}

// A probe (see sim_engine): the newest item of a DRR actor whose mailbox
// received probe_burst items since its lanes last completed one. With a
// null `t`, only says whether one is available.
bool thread_engine::take_probe(taken* t) {
  if (cfg_.probe_burst == 0 || lanes_ < 2)
    return false;
  for (auto& a : actors_) {
    if (a.grp != group::drr || a.loc != location::nic || a.probing || a.mailbox.size() < 2 ||
        a.since_done < cfg_.probe_burst)
      continue;
    if (t) {
      t->item = a.mailbox.back();
      a.mailbox.pop_back();
      t->probe = true;
      a.probing = true;
    }
    return true;
  }
  return false;
}

// A wimpy core: the item took `exec` here and would have taken
// core_slowdown times as long there. The difference is slept off once it
// adds up to a millisecond; a sleep that overran (a busy machine wakes
// threads late) is credited to the next items, up to 10 ms, so that the
// core serves 1/core_slowdown of the work whatever the timers do.
std::uint64_t thread_engine::slow_down(core_state& cs, std::uint64_t exec) {
  using namespace std::chrono;
  const auto stretched = static_cast<std::uint64_t>(static_cast<double>(exec) * cfg_.core_slowdown);
  cs.debt_ns += static_cast<std::int64_t>(stretched - exec);
  if (cs.debt_ns >= 1'000'000) {
    const auto t0 = steady_clock::now();
    std::this_thread::sleep_for(nanoseconds(cs.debt_ns));
    cs.debt_ns -= duration_cast<nanoseconds>(steady_clock::now() - t0).count();
    cs.debt_ns = std::max<std::int64_t>(cs.debt_ns, -10'000'000);
    cs.warm = false; // the next item starts after the sleep
  }
  return stretched;
}

bool thread_engine::step(std::uint32_t core, std::uint64_t& last) {
  taken t;
  core_state& cs = cores_[core];
  {
    std::lock_guard l{q_mu_};
    if (!pick(core, t)) {
      cs.warm = false;
      return false;
    }
  }
  for (;;) {
    // A core running back to back starts where its last handler ended:
    // one clock read fewer per message, at the price of counting the
    // dispatch (tens of ns) in the execution time.
    const std::uint64_t start = cs.warm ? cs.last_end : now();
    if (!t.drr && !t.probe) {
      cs.running_actor.store(t.item.actor_id, std::memory_order_relaxed);
      cs.running_since.store(start, std::memory_order_release);
    }
    const std::uint64_t cpu0 = cfg_.exec_clock ? cfg_.exec_clock() : 0;
    t.item.fn(t.item.ctx, t.item.arg);
    const std::uint64_t cpu1 = cfg_.exec_clock ? cfg_.exec_clock() : 0;
    if (!t.drr && !t.probe)
      cs.running_since.store(0, std::memory_order_relaxed);
    const std::uint64_t end = now();
    last = end;
    cs.last_end = end;
    cs.warm = true;
    std::uint64_t exec = cfg_.exec_clock ? cpu1 - cpu0 : end - start;
    if (cfg_.core_slowdown > 1.0)
      exec = slow_down(cs, exec);
    // A probe measures the DRR actor as it is now: it counts as DRR.
    cs.samples.push_back(sample{t.item.actor_id, t.drr || t.probe, exec, end - t.item.enqueue_ns});
    ++cs.done;
    cs.executed.store(cs.executed.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    bool again = false;
    if (t.drr) {
      std::lock_guard l{q_mu_};
      actor_q& a = actors_[t.item.actor_id];
      a.since_done = 0;
      if (drr_.charge(t.lane, exec, !a.mailbox.empty())) {
        if (drr_room(core, fcfs_cores_.load(std::memory_order_relaxed), true)) {
          t.item = a.mailbox.front();
          a.mailbox.pop_front();
          again = true;
        } else {
          drr_.yield(t.lane); // the DRR group shrank
        }
      }
      if (!again)
        --drr_running_;
    } else if (t.probe) {
      std::lock_guard l{q_mu_};
      actors_[t.item.actor_id].probing = false;
      --drr_running_;
    }
    if (!again)
      break;
  }
  if (cores_[core].samples.size() >= cfg_.sample_batch)
    flush(core);
  return true;
}

bool thread_engine::poll(std::uint32_t core) {
  if (core >= n_)
    return false;
  // A load and a store, not an exchange: this runs per message, and two
  // threads polling different cores do run them in parallel.
  if (last_polled_.load(std::memory_order_relaxed) != core) {
    last_polled_.store(core, std::memory_order_relaxed);
    cores_[core].warm = false;
  }
  std::uint64_t last = 0;
  const bool ran = step(core, last);
  if (!ran)
    flush(core); // idle: hand over statistics and completions
  // The checks reuse the handler's end time: no extra clock read.
  const std::uint64_t t = ran ? last : now();
  watch(core, t);
  if (core == 0 && t >= next_tick_.load(std::memory_order_relaxed))
    manage();
  return ran;
}

std::uint64_t thread_engine::executed() const noexcept {
  std::uint64_t n = 0;
  for (std::uint32_t c = 0; c < n_; ++c)
    n += cores_[c].executed.load(std::memory_order_relaxed);
  return n;
}

// Completions are counted in batches (at each flush) to keep an atomic
// read-modify-write off the per-message path; submissions are counted
// under the queue lock submit() takes anyway.
void thread_engine::finished(std::uint64_t n) {
  if (n == 0)
    return;
  const std::uint64_t done = completed_.fetch_add(n, std::memory_order_acq_rel) + n;
  std::lock_guard l{q_mu_}; // reads submitted_; pairs with the predicate in drain()
  if (done == submitted_)
    done_cv_.notify_all();
}

// -- statistics and management ---------------------------------------------

void thread_engine::flush(std::uint32_t core) {
  core_state& cs = cores_[core];
  if (!cs.samples.empty()) {
    std::lock_guard p{policy_mu_};
    const std::uint64_t t = now();
    for (const auto& s : cs.samples)
      policy_.on_complete(s.actor, s.exec_ns, s.sojourn_ns, t, s.drr ? group::drr : group::fcfs);
    cs.samples.clear();
  }
  const std::uint64_t done = cs.done;
  cs.done = 0;
  finished(done);
}

// The watchdog for early downgrade, run by every core between requests on
// the other cores: an FCFS request still running past Tail_thresh
// downgrades its actor before it finishes.
void thread_engine::watch(std::uint32_t self, std::uint64_t now_ns) {
  if (!cfg_.policy.early_downgrade || !cfg_.policy.regroup_actors || cfg_.exec_clock)
    return; // wall-clock overruns mean nothing when preemption is expected
  const std::uint64_t thresh = tun_.tail_thresh_ns();
  for (std::uint32_t c = 0; c < n_; ++c) {
    if (c == self)
      continue;
    core_state& cs = cores_[c];
    const std::uint64_t since = cs.running_since.load(std::memory_order_acquire);
    if (since == 0 || now_ns <= since || now_ns - since <= thresh)
      continue;
    std::uint64_t seen = cs.reported_since.load(std::memory_order_relaxed);
    if (seen == since)
      continue;
    const std::uint32_t actor = cs.running_actor.load(std::memory_order_relaxed);
    // Seqlock-style re-check: the fence orders the actor read before it.
    std::atomic_thread_fence(std::memory_order_acquire);
    if (cs.running_since.load(std::memory_order_relaxed) != since)
      continue; // the core moved on meanwhile; the actor id may be newer
    if (!cs.reported_since.compare_exchange_strong(seen, since, std::memory_order_relaxed))
      continue; // another core reports it
    std::lock_guard p{policy_mu_};
    policy_.on_overrun(actor, now_ns - since, now_ns);
  }
}

void thread_engine::manage() {
  flush(0);
  std::lock_guard p{policy_mu_};
  std::vector<std::pair<std::uint32_t, std::uint32_t>> snap(actors_.size());
  {
    std::lock_guard l{q_mu_};
    for (std::size_t i = 0; i < actors_.size(); ++i) {
      snap[i] = {actors_[i].arrivals, static_cast<std::uint32_t>(actors_[i].mailbox.size())};
      actors_[i].arrivals = 0;
    }
  }
  for (std::uint32_t i = 0; i < snap.size(); ++i) {
    if (snap[i].first)
      policy_.on_arrival(i, snap[i].first);
    policy_.set_backlog(i, snap[i].second);
  }
  const std::uint64_t t = now();
  policy_.tick(t);
  const std::uint64_t w = cfg_.policy.window_ns ? cfg_.policy.window_ns : 1;
  next_tick_.store((t / w + 1) * w, std::memory_order_relaxed);
}

void thread_engine::worker(std::uint32_t core) {
  for (;;) {
    std::uint64_t last = 0;
    if (step(core, last)) {
      watch(core, last);
      if (core == 0 && last >= next_tick_.load(std::memory_order_relaxed))
        manage();
      continue;
    }
    flush(core);
    const std::uint64_t t = now();
    watch(core, t);
    if (core == 0 && t >= next_tick_.load(std::memory_order_relaxed))
      manage();
    std::unique_lock l{q_mu_};
    if (stopping_ && completed_.load(std::memory_order_acquire) == submitted_)
      break;
    auto has_work = [&] {
      const std::uint32_t fcfs = fcfs_cores_.load(std::memory_order_relaxed);
      return !central_.empty() || (!drr_.empty() && (fcfs >= n_ || drr_room(core, fcfs, false))) ||
             take_probe(nullptr);
    };
    ++sleepers_;
    // Bounded wait: core 0 must wake for its management tick.
    work_cv_.wait_for(l, std::chrono::milliseconds(1), [&] { return stopping_ || has_work(); });
    --sleepers_;
  }
  flush(core);
}

} // namespace ipipe::sched
