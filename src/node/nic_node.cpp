#include <ipipe/common/clock.hpp>
#include <ipipe/common/scope_exit.hpp>
#include <ipipe/node/nic_node.hpp>

#include <algorithm>
#include <chrono>

namespace ipipe::node {

namespace {

runtime::runtime_config nic_side(runtime::runtime_config c) {
  c.side = IPIPE_LOC_NIC;
  return c;
}

} // namespace

// -- lifecycle -----------------------------------------------------------------

sched::thread_config nic_node::engine_config() {
  sched::thread_config c = cfg_.engine;
  // More than one lane would let two DRR cores start two requests of one
  // actor; the runtime would serialise them, but a core would sit waiting.
  c.drr_lanes = 1;
  c.policy.migrate = cfg_.migrate && cfg_.engine.policy.migrate;
  c.host_forward = nullptr;
  if (cfg_.migrate) {
    // Items of an actor the engine believes is on the host: the runtime
    // decides what run_next() does with them, on the management thread.
    c.host_forward = [this](const sched::work_item& w) {
      stray(static_cast<runtime::actor_id>(w.arg));
    };
  }
  return c;
}

nic_node::nic_node(node_config cfg)
    : cfg_(std::move(cfg)), rt_(nic_side(cfg_.runtime)), engine_(engine_config(), this) {
  rt_.set_event_sink(cfg_.events);
  rt_.set_ready_hook([this](runtime::actor_id id) { on_ready(id); });
  rt_.set_arrival_hook([this](runtime::actor_id id) { engine_.note_arrival(id); });
}

nic_node::~nic_node() {
  stop();
}

expected<void> nic_node::attach_host(runtime::peer_channel nic_end, runtime::runtime* host) {
  {
    std::lock_guard l{mu_};
    if (started_ && host != nullptr)
      return error{errc::busy, "attach an in-process host before start()"};
  }
  if (auto r = rt_.attach_peer(nic_end); !r)
    return r;
  host_ = host;
  return {};
}

void nic_node::detach_host() {
  // Actors the runtime rebuilt from their recovery records run here now.
  for (auto id : rt_.detach_peer())
    (void)engine_.set_location(id, sched::location::nic);
  // Pulls in flight fail now; pushes resolve themselves (the actor is local
  // again) at the next management round.
  wake_.notify_one();
}

expected<void> nic_node::add_host_actor(runtime::actor_id id, std::string_view type, bool pinned) {
  if (auto r = rt_.add_remote(id, type); !r)
    return r;
  auto r = engine_.add_actor(id, pinned);
  if (!r && r.err().code() != errc::exists) {
    (void)rt_.destroy_actor(id);
    return r.err();
  }
  (void)engine_.set_pinned(id, pinned);
  (void)engine_.set_location(id, sched::location::host);
  return {};
}

expected<void> nic_node::destroy_actor(runtime::actor_id id) {
  // The engine keeps the id's slot (and statistics): an actor created
  // again under the same id takes it over.
  return rt_.destroy_actor(id);
}

expected<void> nic_node::start() {
  std::lock_guard l{mu_};
  if (started_)
    return errc::busy;
  if (auto r = engine_.start(); !r)
    return r;
  started_ = true;
  manager_ = std::thread([this] { manager(); });
  return {};
}

void nic_node::stop() {
  {
    std::lock_guard l{mu_};
    if (!started_ || stopping_)
      return;
  }
  engine_.stop(); // runs every queued item
  {
    std::lock_guard l{mu_};
    stopping_ = true;
  }
  wake_.notify_all();
  manager_.join();
  run_strays();
}

// -- actors and messages ---------------------------------------------------------

expected<runtime::actor_id> nic_node::create_actor(const runtime::actor_spec& spec, bool pinned) {
  auto id = rt_.create_actor(spec);
  if (!id)
    return id;
  if (auto r = engine_.add_actor(*id, pinned); !r && r.err().code() != errc::exists) {
    (void)rt_.destroy_actor(*id);
    return r.err();
  }
  (void)engine_.set_pinned(*id, pinned); // a re-created id takes the new setting
  (void)engine_.set_location(*id, sched::location::nic);
  return id;
}

expected<void> nic_node::set_group(runtime::actor_id id, sched::group g) {
  // The policy reports the change as a decision, which on_decision() applies.
  return engine_.set_group(id, g);
}

void nic_node::request_migration(runtime::actor_id id) {
  {
    std::lock_guard l{mu_};
    requested_.push_back(id);
  }
  wake_.notify_one();
}

bool nic_node::migrations_settled() const {
  std::lock_guard l{mu_};
  return requested_.empty() && starting_ == 0 && moving_.empty();
}

node_stats nic_node::stats() const {
  return node_stats{ctr_.downgrades.load(), ctr_.upgrades.load(),          ctr_.pushes.load(),
                    ctr_.pulls.load(),      ctr_.migrations_failed.load(), ctr_.strays.load()};
}

// -- dispatch ------------------------------------------------------------------------

// One item per queued message; it runs whichever message heads the
// mailbox then, so items are interchangeable and order is the mailbox's.
void nic_node::run_item(void* ctx, std::uint64_t arg) noexcept {
  (void)static_cast<nic_node*>(ctx)->rt_.run_next(static_cast<runtime::actor_id>(arg));
}

void nic_node::on_ready(runtime::actor_id id) {
  sched::work_item w;
  w.actor_id = id;
  w.fn = &nic_node::run_item;
  w.ctx = this;
  w.arg = id;
  if (!engine_.submit(w))
    stray(id); // engine stopped or actor unknown to it: never lose the message
}

void nic_node::stray(runtime::actor_id id) {
  {
    std::lock_guard l{mu_};
    strays_.push_back(id);
  }
  ++ctr_.strays;
  wake_.notify_one();
}

std::size_t nic_node::run_strays() {
  std::deque<runtime::actor_id> batch;
  {
    std::lock_guard l{mu_};
    batch.swap(strays_);
  }
  for (auto id : batch)
    (void)rt_.run_next(id);
  return batch.size();
}

// -- decisions (called with the engine's policy lock held) ---------------------------

void nic_node::raise(std::uint16_t type, runtime::actor_id id, std::uint64_t a0) noexcept {
  if (cfg_.events == nullptr)
    return;
  ipipe_event ev{};
  ev.type = type;
  ev.actor_id = id;
  ev.ts_ns = monotonic_ns();
  ev.arg0 = a0;
  cfg_.events->raise(ev);
}

void nic_node::on_decision(const sched::decision& d) {
  switch (d.kind) {
  case sched::decision_kind::downgrade:
    if (rt_.set_group(d.actor_id, IPIPE_GROUP_DRR)) {
      ++ctr_.downgrades;
      raise(IPIPE_EV_ACTOR_DOWNGRADED, d.actor_id, d.value_ns);
    }
    break;
  case sched::decision_kind::upgrade:
    if (rt_.set_group(d.actor_id, IPIPE_GROUP_FCFS)) {
      ++ctr_.upgrades;
      raise(IPIPE_EV_ACTOR_UPGRADED, d.actor_id, d.value_ns);
    }
    break;
  case sched::decision_kind::regroup:
    break; // the engine moved its cores; the runtime has no say
  case sched::decision_kind::push_to_host:
  case sched::decision_kind::pull_to_nic:
    // The engine's locks are held here and set_location() needs them: the
    // management thread migrates and then reports the new location.
    request_migration(d.actor_id);
    break;
  }
  if (cfg_.decisions)
    cfg_.decisions->on_decision(d);
}

// -- management ------------------------------------------------------------------------

std::size_t nic_node::start_migrations() {
  std::vector<runtime::actor_id> batch;
  {
    std::lock_guard l{mu_};
    batch.swap(requested_);
    starting_ = batch.size(); // keeps migrations_settled() false meanwhile
  }
  for (auto id : batch) {
    scope_exit started{[this] {
      std::lock_guard l{mu_};
      --starting_;
    }};
    {
      std::lock_guard l{mu_};
      if (std::any_of(moving_.begin(), moving_.end(), [id](const moving& m) { return m.id == id; }))
        continue; // already on its way (the policy asked twice)
    }
    auto info = rt_.info(id);
    if (!info) {
      ++ctr_.migrations_failed;
      continue;
    }
    expected<void> r = errc::invalid_argument;
    bool push = false;
    if (info->state == runtime::actor_state::local) {
      push = true;
      r = rt_.migrate(id);
    } else if (info->state == runtime::actor_state::remote) {
      r = host_ != nullptr ? host_->migrate(id) : rt_.request_pull(id);
    }
    if (!r) {
      ++ctr_.migrations_failed;
      if (cfg_.on_migration_done)
        cfg_.on_migration_done(id, push, false);
      continue;
    }
    std::lock_guard l{mu_};
    moving_.push_back(moving{id, push, monotonic_ns()});
  }
  return batch.size();
}

std::size_t nic_node::finish_migrations() {
  std::vector<moving> now;
  {
    std::lock_guard l{mu_};
    now = moving_;
  }
  std::size_t done = 0;
  for (const auto& m : now) {
    bool finished = false;
    bool ok = false;
    if (m.push) {
      auto nic = rt_.info(m.id);
      const auto s = nic ? nic->state : runtime::actor_state::quarantined;
      finished = s != runtime::actor_state::migrating_out;
      ok = s == runtime::actor_state::remote; // local again: the host refused
    } else if (host_ == nullptr) {
      // The host runtime is another process: only arrival, its going away
      // or the timeout ends the wait.
      auto nic = rt_.info(m.id);
      ok = nic && nic->state == runtime::actor_state::local;
      finished =
          ok || !rt_.peer_attached() || monotonic_ns() - m.since_ns > cfg_.remote_pull_timeout_ns;
    } else {
      // Host first: once it is local again there, the pull was refused.
      auto host = host_->info(m.id);
      auto nic = rt_.info(m.id);
      const auto hs = host ? host->state : runtime::actor_state::quarantined;
      const auto ns = nic ? nic->state : runtime::actor_state::quarantined;
      ok = ns == runtime::actor_state::local;
      finished = ok || hs == runtime::actor_state::local ||
                 hs == runtime::actor_state::quarantined || ns == runtime::actor_state::quarantined;
    }
    if (!finished)
      continue;
    ++done;
    if (ok) {
      (void)engine_.set_location(m.id, m.push ? sched::location::host : sched::location::nic);
      ++(m.push ? ctr_.pushes : ctr_.pulls);
    } else {
      ++ctr_.migrations_failed;
    }
    if (cfg_.on_migration_done)
      cfg_.on_migration_done(m.id, m.push, ok);
    std::lock_guard l{mu_};
    std::erase_if(moving_, [&](const moving& x) { return x.id == m.id; });
  }
  return done;
}

std::size_t nic_node::manage_once() {
  std::size_t n = rt_.pump();
  n += start_migrations();
  n += rt_.pump(); // phase 1 of a new migration goes out at once
  n += finish_migrations();
  n += run_strays();
  return n;
}

void nic_node::manager() {
  std::uint64_t next_watch = 0;
  // Idle rounds back off from idle_wait_ns to 1 ms: a quiet NIC should not
  // burn a core polling; the host's doorbell (wake()) cuts a wait short.
  std::uint64_t idle_wait = cfg_.idle_wait_ns;
  constexpr std::uint64_t max_idle_wait_ns = 1'000'000;
  for (;;) {
    std::size_t n = manage_once();
    // Actors' timers: ticks go through the mailboxes like any message.
    n += rt_.tick(monotonic_ns());
    if (cfg_.watchdog_period_ns != 0) {
      const std::uint64_t now = monotonic_ns();
      if (now >= next_watch) {
        n += rt_.watchdog_tick(now);
        next_watch = now + cfg_.watchdog_period_ns;
      }
    }
    std::unique_lock l{mu_};
    if (stopping_ && strays_.empty())
      break;
    if (n == 0 && requested_.empty() && strays_.empty() && moving_.empty()) {
      wake_.wait_for(l, std::chrono::nanoseconds(idle_wait));
      idle_wait = std::min(idle_wait * 2, std::max(max_idle_wait_ns, cfg_.idle_wait_ns));
    } else {
      idle_wait = cfg_.idle_wait_ns;
    }
  }
}

} // namespace ipipe::node
