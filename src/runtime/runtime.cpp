#include <ipipe/common/clock.hpp>
#include <ipipe/runtime/actor_context.hpp>
#include <ipipe/runtime/actor_registry.hpp>
#include <ipipe/runtime/runtime.hpp>

#include "actor_entry.hpp"
#include <cstring>
#include <limits>

namespace ipipe::runtime {

using internal::actor_entry;

namespace {

ipipe_location other(ipipe_location l) noexcept {
  return l == IPIPE_LOC_NIC ? IPIPE_LOC_HOST : IPIPE_LOC_NIC;
}

std::uint64_t sat_add(std::uint64_t a, std::uint64_t b) noexcept {
  return a > std::numeric_limits<std::uint64_t>::max() - b
             ? std::numeric_limits<std::uint64_t>::max()
             : a + b;
}

std::uint64_t sat_sq(std::uint64_t v) noexcept {
  return v > 0xffffffffULL ? std::numeric_limits<std::uint64_t>::max() : v * v;
}

} // namespace

// -- lifecycle ------------------------------------------------------------------

runtime::runtime(runtime_config cfg) : cfg_(cfg), copier_(&default_copier_) {}

runtime::~runtime() = default;

void runtime::set_client_sink(client_sink sink) {
  client_ = std::move(sink);
}

void runtime::set_bulk_copier(bulk_copier* copier) noexcept {
  copier_ = copier != nullptr ? copier : &default_copier_;
}

void runtime::set_ready_hook(ready_hook hook) {
  ready_ = std::move(hook);
}

expected<void> runtime::attach_peer(peer_channel ch) {
  if (!ch.msg_out || !ch.msg_in || !ch.mig_out || !ch.mig_in)
    return error{errc::invalid_argument, "peer channel lacks a ring"};
  constexpr std::uint32_t hdr = sizeof(ipipe_msg_hdr);
  if (ch.msg_out.geometry().max_payload() < IPIPE_MSG_MAX_PAYLOAD ||
      ch.msg_in.geometry().max_payload() < IPIPE_MSG_MAX_PAYLOAD ||
      ch.mig_out.geometry().max_payload() < IPIPE_MSG_MAX_PAYLOAD + hdr ||
      ch.mig_in.geometry().max_payload() < IPIPE_MSG_MAX_PAYLOAD + hdr)
    return error{errc::invalid_argument, "ring slots too small for the largest message"};
  std::lock_guard pl(pump_mtx_);
  std::lock_guard l(peer_mtx_);
  chan_ = ch;
  peer_in_good_ = 0;
  pending_end_.reset();
  peer_out_seq_ = 0;
  peer_max_payload_ = ch.msg_out.geometry().max_payload();
  peer_attached_ = true;
  return {};
}

// -- actor table ----------------------------------------------------------------

runtime::entry_ptr runtime::find(actor_id id) const {
  std::shared_lock l(table_mtx_);
  auto it = table_.find(id);
  return it == table_.end() ? nullptr : it->second;
}

expected<actor_id> runtime::create_actor(const actor_spec& spec) {
  auto impl = actor_registry::make(spec.type);
  if (!impl)
    return impl.err();
  auto e = std::make_shared<actor_entry>();
  {
    std::unique_lock l(table_mtx_);
    if (table_.size() >= cfg_.max_actors)
      return error{errc::no_space, "actor table full"};
    actor_id id = spec.id;
    if (id == 0) {
      while (next_id_ == 0 || table_.contains(next_id_))
        ++next_id_;
      id = next_id_++;
    } else if (table_.contains(id)) {
      return error{errc::exists, "actor id in use"};
    }
    if (spec.mem_quota > cfg_.mem_limit - quota_total_)
      return error{errc::no_space, "memory limit reached"};
    auto st = dmo_store::create(id, spec.mem_quota, take_region(spec.mem_quota));
    if (!st)
      return st.err();
    e->id = id;
    e->type = spec.type;
    e->group = spec.group;
    e->quota = st->quota();
    e->store.emplace(std::move(*st));
    e->impl = std::move(*impl);
    const std::uint64_t own = e->impl->budget_ns();
    e->budget_ns = spec.budget_ns != 0 ? spec.budget_ns : own != 0 ? own : cfg_.default_budget_ns;
    // Reserve the row (running) so nothing dispatches to it before init().
    e->running = true;
    table_.emplace(id, e);
    quota_total_ += e->quota;
  }
  actor_context ctx{*this, *e, nullptr};
  auto r = e->impl->init(ctx);
  std::unique_lock lk(e->m);
  e->running = false;
  e->idle.notify_all();
  if (release_if_destroyed_locked(*e))
    return error{errc::not_found, "actor destroyed during init()"};
  if (!r) {
    lk.unlock();
    std::unique_lock l(table_mtx_);
    table_.erase(e->id);
    quota_total_ -= e->quota;
    return r.err();
  }
  return e->id;
}

expected<void> runtime::add_remote(actor_id id, std::string_view type) {
  if (id == 0)
    return error{errc::invalid_argument, "actor id 0"};
  if (!actor_registry::contains(type))
    return error{errc::not_found, "unregistered actor type"};
  auto e = std::make_shared<actor_entry>();
  e->id = id;
  e->type = type;
  e->state = actor_state::remote;
  e->budget_ns = cfg_.default_budget_ns;
  std::unique_lock l(table_mtx_);
  if (table_.size() >= cfg_.max_actors)
    return error{errc::no_space, "actor table full"};
  if (!table_.emplace(id, e).second)
    return error{errc::exists, "actor id in use"};
  return {};
}

expected<void> runtime::destroy_actor(actor_id id) {
  std::unique_lock l(table_mtx_);
  auto it = table_.find(id);
  if (it == table_.end())
    return error{errc::not_found, "no such actor"};
  auto e = it->second;
  std::unique_lock lk(e->m);
  if (e->state == actor_state::migrating_out || e->state == actor_state::incoming)
    return error{errc::busy, "actor is migrating"};
  if (e->store) {
    quota_total_ -= e->quota;
    // A handler still running keeps its memory until it returns
    // (run_handler lets go of it); nothing else reaches the actor now.
    if (!e->running) {
      give_region(std::move(*e->store).take_memory());
      e->store.reset();
    }
  }
  e->destroyed = true;
  e->state = actor_state::quarantined;
  quota_total_ -= drop_record_locked(*e);
  table_.erase(it);
  return {};
}

// The end of whatever ran an actor that destroy_actor() took out of the
// table meanwhile: its memory goes back now. Returns true if it was so.
bool runtime::release_if_destroyed_locked(actor_entry& e) {
  if (!e.destroyed)
    return false;
  if (e.store) {
    give_region(std::move(*e.store).take_memory());
    e.store.reset();
  }
  return true;
}

mmap_region runtime::take_region(std::uint64_t quota) {
  const std::uint64_t need = (quota + 4095) & ~4095ULL;
  std::lock_guard l(pool_mtx_);
  // Smallest region that fits, and not more than twice the need, so a
  // small actor does not pin a large region.
  auto best = pool_.end();
  for (auto it = pool_.begin(); it != pool_.end(); ++it)
    if (it->size() >= need && it->size() <= 2 * need &&
        (best == pool_.end() || it->size() < best->size()))
      best = it;
  if (best == pool_.end())
    return {};
  mmap_region r = std::move(*best);
  pool_.erase(best);
  return r;
}

void runtime::give_region(mmap_region r) {
  if (!r)
    return;
  std::lock_guard l(pool_mtx_);
  if (pool_.size() < cfg_.arena_pool)
    pool_.push_back(std::move(r));
}

expected<actor_info> runtime::info(actor_id id) const {
  auto e = find(id);
  if (!e)
    return error{errc::not_found, "no such actor"};
  std::lock_guard lk(e->m);
  actor_info i;
  i.id = e->id;
  i.type = e->type;
  i.state = e->state;
  i.location = e->state == actor_state::remote ? other(cfg_.side) : cfg_.side;
  i.group = e->group;
  i.mem_quota = e->quota;
  i.budget_ns = e->budget_ns;
  i.mailbox_len = e->mailbox.size();
  i.buffered_len = e->held.size();
  i.stats = e->stats;
  // Read the store only when no handler, migration sender or receiver may
  // be changing it without the lock.
  if (e->store && !e->running &&
      (e->state == actor_state::local || e->state == actor_state::quarantined)) {
    i.mem_used = e->store->used();
    i.objects = e->store->count();
  }
  return i;
}

std::vector<actor_id> runtime::actor_ids() const {
  std::shared_lock l(table_mtx_);
  std::vector<actor_id> ids;
  ids.reserve(table_.size());
  for (const auto& [id, e] : table_)
    ids.push_back(id);
  return ids;
}

expected<void> runtime::set_group(actor_id id, ipipe_sched_group g) {
  if (g != IPIPE_GROUP_FCFS && g != IPIPE_GROUP_DRR)
    return error{errc::invalid_argument, "no such scheduling group"};
  auto e = find(id);
  if (!e)
    return error{errc::not_found, "no such actor"};
  std::lock_guard lk(e->m);
  e->group = g;
  return {};
}

expected<void> runtime::set_budget(actor_id id, std::uint64_t ns) {
  if (ns == 0)
    return error{errc::invalid_argument, "zero budget"};
  auto e = find(id);
  if (!e)
    return error{errc::not_found, "no such actor"};
  e->budget_ns = ns;
  return {};
}

expected<void> runtime::with_objects(actor_id id, const std::function<void(dmo_store&)>& fn) {
  auto e = find(id);
  if (!e)
    return error{errc::not_found, "no such actor"};
  std::unique_lock lk(e->m);
  e->idle.wait(lk, [&] { return !e->running || e->state != actor_state::local; });
  if (e->state != actor_state::local || !e->store)
    return error{errc::busy, "actor is not local"};
  // Hold the actor like a handler would, so no dispatch touches the store.
  e->running = true;
  lk.unlock();
  fn(*e->store);
  lk.lock();
  e->running = false;
  e->idle.notify_all();
  return {};
}

// -- dispatch ---------------------------------------------------------------------

void runtime::to_client(message&& m) {
  if (client_)
    client_(std::move(m));
}

void runtime::notify_ready(const std::vector<actor_id>& ids) {
  if (ids.empty())
    return;
  if (ready_) {
    for (auto id : ids)
      ready_(id);
    return;
  }
  std::lock_guard l(ready_mtx_);
  ready_fifo_.insert(ready_fifo_.end(), ids.begin(), ids.end());
}

// Only a client's request may be refused for lack of room: the actors of
// an application have acknowledged the work their own messages carry (a
// filter has answered the tweet whose terms it sends on), so dropping one
// would lose acknowledged state. Admission at the edge bounds them.
bool runtime::from_client(const message& m) {
  return m.hdr.type == IPIPE_MSG_REQUEST && m.hdr.src_actor == 0;
}

bool runtime::sheddable(const message& m) const {
  return cfg_.mailbox_limit != 0 && from_client(m);
}

std::size_t runtime::peer_backlog() const {
  std::lock_guard l(peer_mtx_);
  return to_peer_.size();
}

void runtime::enqueue_peer(message&& m) {
  std::lock_guard l(peer_mtx_);
  to_peer_.push_back(std::move(m));
  ++peer_out_seq_;
  ++ctr_.forwarded;
}

std::optional<message> runtime::error_for(const message& m, std::uint32_t status, errc code) {
  // Never answer an answer: that is how error storms between actors start.
  if (m.hdr.type == IPIPE_MSG_REPLY || m.hdr.type == IPIPE_MSG_ERROR ||
      (m.hdr.flags & IPIPE_MSG_F_NO_REPLY) != 0)
    return std::nullopt;
  const wire::error_payload p{status, static_cast<std::uint32_t>(code)};
  message e = message::make(IPIPE_MSG_ERROR, m.hdr.src_actor, m.hdr.dst_actor, m.hdr.req_id,
                            as_bytes_of(p));
  // Back the way it came: to its client, or to its actor on another node.
  e.hdr.client = m.hdr.client;
  if (e.hdr.client != 0 && e.hdr.dst_actor != 0)
    e.hdr.flags |= IPIPE_MSG_F_WIRE;
  return e;
}

void runtime::reject(const message& m, std::uint32_t status, errc code) {
  ++ctr_.rejected;
  if (auto e = error_for(m, status, code))
    dispatch(std::move(*e), false);
}

// Everything an actor's handler sends goes through here. A recoverable
// actor on the host sends it all through the peer, which counts it; a
// rebuilt one on the NIC skips what the peer had already sent.
route runtime::emit(actor_entry& e, message m) {
  std::uint64_t left = e.suppress.load(std::memory_order_relaxed);
  while (left != 0) {
    if (e.suppress.compare_exchange_weak(left, left - 1, std::memory_order_relaxed)) {
      ++ctr_.replay_suppressed;
      return route::forwarded;
    }
  }
  if (e.peer_driven && peer_attached_) {
    e.outputs_sent.fetch_add(1, std::memory_order_relaxed);
    enqueue_peer(std::move(m));
    return route::forwarded;
  }
  return dispatch(std::move(m), false);
}

void runtime::count_output(actor_id src) {
  auto e = find(src);
  if (!e)
    return;
  std::unique_lock lk(e->m);
  if (!e->rec)
    return;
  auto& r = *e->rec;
  ++r.outputs_seen;
  if (!r.pending || r.outputs_seen < r.pending->outputs)
    return;
  const auto [give, take] = apply_checkpoint_locked(*e);
  lk.unlock();
  std::unique_lock l(table_mtx_);
  quota_total_ = quota_total_ - give + take;
}

bool runtime::log_full(const actor_entry& e, const message& m) const {
  return e.rec->log.size() >= cfg_.recovery_log ||
         e.rec->log_bytes + sizeof(m.hdr) + m.payload.size() > cfg_.recovery_log_bytes;
}

void runtime::log_input(actor_entry& e, const message& m) {
  auto& r = *e.rec;
  r.log.push_back(m);
  r.log_bytes += sizeof(m.hdr) + m.payload.size();
  if (!r.ckpt_asked &&
      (2 * r.log.size() >= cfg_.recovery_log || 2 * r.log_bytes >= cfg_.recovery_log_bytes)) {
    r.ckpt_asked = true;
    std::lock_guard l(peer_mtx_);
    mig_ctrl_.push_back(message::make(IPIPE_MSG_MIG_CKPT, e.id, 0,
                                      static_cast<std::uint64_t>(wire::ckpt_stage::request)));
  }
}

// Decides where `m` goes while holding e.m; work that may re-enter the
// runtime (replies, ready hooks) is left to the caller via `ready` and the
// returned route.
route runtime::route_locked(actor_entry& e, message& m, std::vector<actor_id>& ready, bool* full) {
  switch (e.state) {
  case actor_state::local:
    if (sheddable(m) && !e.peer_driven && e.mailbox.size() >= cfg_.mailbox_limit) {
      if (full != nullptr)
        *full = true;
      ++ctr_.shed;
      return route::rejected;
    }
    e.mailbox.push_back(std::move(m));
    ready.push_back(e.id);
    return route::queued;
  case actor_state::remote:
    if (m.payload.size() > peer_max_payload_ || !peer_attached_)
      return route::rejected;
    // A stalled peer must not make the NIC queue without end: what waits
    // for the ring is bounded like a mailbox, and checked before the
    // recovery log takes the message (a logged input must reach the peer).
    if (sheddable(m) && peer_backlog() >= cfg_.mailbox_limit) {
      if (full != nullptr)
        *full = true;
      ++ctr_.shed;
      return route::rejected;
    }
    if (e.rec) {
      // Only a client's request is refused for a full log. Another actor's
      // message carries acknowledged work (a two-phase commit's decision):
      // refusing it would lose it, so the log grows past its bound
      // instead, by no more than the admitted requests cause.
      if (log_full(e, m) && from_client(m)) {
        if (full != nullptr)
          *full = true;
        ++ctr_.recovery_refused;
        return route::rejected;
      }
      log_input(e, m);
    }
    enqueue_peer(std::move(m));
    return route::forwarded;
  case actor_state::migrating_out:
  case actor_state::incoming:
    e.held.push_back(std::move(m));
    ++ctr_.buffered;
    return route::buffered;
  case actor_state::quarantined:
    ++e.stats.rejected;
    return route::rejected;
  }
  return route::rejected;
}

route runtime::dispatch(message m, bool from_peer) {
  if (m.payload.size() > IPIPE_MSG_MAX_PAYLOAD || m.hdr.len != m.payload.size()) {
    reject(m, IPIPE_STS_BAD_LEN, errc::bad_length);
    return route::rejected;
  }
  if (from_peer && cfg_.recovery_log != 0 && m.hdr.src_actor != 0)
    count_output(m.hdr.src_actor);
  if (m.hdr.dst_actor == 0 || (m.hdr.flags & IPIPE_MSG_F_WIRE) != 0) {
    if (cfg_.outbound_via_peer && !from_peer && peer_attached_) {
      enqueue_peer(std::move(m));
      return route::forwarded;
    }
    to_client(std::move(m));
    return route::to_client;
  }
  auto e = find(m.hdr.dst_actor);
  if (!e) {
    reject(m, IPIPE_STS_NOT_FOUND, errc::not_found);
    return route::rejected;
  }
  // A recoverable actor at the host sends all its output through the NIC
  // to be counted (count_output), also what it sends to the host's own
  // actors (DT's participants to their log): that goes back, behind
  // whatever the NIC forwarded to them before (route_locked). Its sender
  // may have no record yet (the record starts with the takeover ack, on
  // the other ring), so any actor's message qualifies; the host never
  // returns one, so nothing loops.
  const bool relayed =
      from_peer && cfg_.side == IPIPE_LOC_NIC && cfg_.recovery_log != 0 && m.hdr.src_actor != 0;
  std::vector<actor_id> ready;
  std::unique_lock lk(e->m);
  if (from_peer && e->state == actor_state::remote && !e->rec && !relayed) {
    // The fence protocol makes this impossible for a correct peer; bouncing
    // it back could loop forever. (A recoverable actor's messages do come
    // back from the peer to be logged; the peer never returns them here.)
    lk.unlock();
    ++ctr_.peer_protocol;
    reject(m, IPIPE_STS_BAD_FIELD, errc::protocol_error);
    return route::rejected;
  }
  if (!from_peer && e->peer_driven && e->state != actor_state::remote && peer_attached_) {
    // Every input of a recoverable actor passes the NIC, which logs it.
    lk.unlock();
    enqueue_peer(std::move(m));
    return route::forwarded;
  }
  const bool quarantined = e->state == actor_state::quarantined;
  bool full = false;
  route r = route_locked(*e, m, ready, &full);
  lk.unlock();
  if (unqueued_ && (r == route::forwarded || (r == route::rejected && full)))
    unqueued_(e->id);
  if (r == route::rejected && full)
    reject(m, IPIPE_STS_BUSY, errc::busy);
  else if (r == route::rejected)
    reject(m, quarantined ? IPIPE_STS_NOT_FOUND : IPIPE_STS_BAD_LEN,
           quarantined ? errc::budget_exceeded : errc::bad_length);
  notify_ready(ready);
  return r;
}

route runtime::submit(message m) {
  return dispatch(std::move(m), false);
}

void runtime::raise(std::uint16_t type, actor_id id, std::uint64_t a0, std::uint64_t a1) {
  if (events_ == nullptr)
    return;
  ipipe_event ev{};
  ev.type = type;
  ev.actor_id = id;
  ev.ts_ns = monotonic_ns();
  ev.arg0 = a0;
  ev.arg1 = a1;
  events_->raise(ev);
}

void runtime::quarantine_locked(actor_entry& e, std::uint64_t overrun_ns,
                                std::vector<message>& flushed) {
  e.state = actor_state::quarantined;
  e.stop = true;
  for (auto& m : e.mailbox)
    flushed.push_back(std::move(m));
  for (auto& m : e.held)
    flushed.push_back(std::move(m));
  e.mailbox.clear();
  e.held.clear();
  e.stats.rejected += flushed.size();
  ++ctr_.killed;
  raise(IPIPE_EV_ACTOR_KILLED, e.id, overrun_ns, 0);
}

exec_result runtime::run_handler(const entry_ptr& e, std::unique_lock<std::mutex>& lk,
                                 const message& m) {
  const std::uint64_t start = monotonic_ns();
  e->running = true;
  e->running_tid.store(internal::this_tid(), std::memory_order_relaxed);
  e->running_since = start;
  lk.unlock();

  actor_context ctx{*this, *e, &m};
  bool failed = false;
  try {
    e->impl->handle(ctx, m);
  } catch (...) {
    // A throwing handler is a bug in the actor, not in the runtime.
    failed = true;
  }
  const std::uint64_t ns = monotonic_ns() - start;

  std::vector<message> flushed;
  lk.lock();
  e->running = false;
  e->running_since = 0;
  ++e->stats.requests;
  if (e->peer_driven)
    ++e->inputs_handled;
  e->stats.exec_ns_sum = sat_add(e->stats.exec_ns_sum, ns);
  e->stats.exec_ns_sumsq = sat_add(e->stats.exec_ns_sumsq, sat_sq(ns));
  if (ns > e->stats.exec_ns_max)
    e->stats.exec_ns_max = ns;
  e->stats.exec_hist.add(ns);
  // An overrun the watchdog began to measure but did not see to its end
  // quarantines the actor just the same.
  if (e->mark_since == start &&
      (e->state == actor_state::local || e->state == actor_state::migrating_out)) {
    const std::uint64_t charged = charged_since_mark(*e, start + ns, internal::this_tid(), true);
    if (charged > e->budget_ns)
      quarantine_locked(*e, charged - e->budget_ns, flushed);
  }
  const bool killed = e->state == actor_state::quarantined;
  release_if_destroyed_locked(*e);
  e->idle.notify_all();
  lk.unlock();
  ++ctr_.executed;

  // The error answering a failed handler is that actor's output.
  std::optional<message> err;
  if (failed && !ctx.replied())
    err = error_for(m, IPIPE_STS_INTERNAL, errc::invalid_argument);
  else if (killed && !ctx.replied())
    err = error_for(m, IPIPE_STS_NOT_FOUND, errc::budget_exceeded);
  if ((failed || killed) && !ctx.replied())
    ++ctr_.rejected;
  if (err)
    (void)emit(*e, std::move(*err));
  for (auto& f : flushed)
    reject(f, IPIPE_STS_NOT_FOUND, errc::budget_exceeded);
  return exec_result{true, ns, route::queued};
}

exec_result runtime::execute(actor_id id, message m) {
  auto e = find(id);
  m.hdr.dst_actor = id;
  if (!e) {
    reject(m, IPIPE_STS_NOT_FOUND, errc::not_found);
    return {false, 0, route::rejected};
  }
  std::unique_lock lk(e->m);
  e->idle.wait(lk, [&] { return !e->running || e->state != actor_state::local; });
  if (e->state != actor_state::local) {
    lk.unlock();
    return {false, 0, dispatch(std::move(m), false)};
  }
  return run_handler(e, lk, m);
}

exec_result runtime::run_next(actor_id id) {
  auto e = find(id);
  if (!e)
    return {false, 0, route::rejected};
  std::unique_lock lk(e->m);
  e->idle.wait(lk, [&] { return !e->running || e->state != actor_state::local; });
  if (e->state != actor_state::local || e->mailbox.empty())
    return {};
  message m = std::move(e->mailbox.front());
  e->mailbox.pop_front();
  return run_handler(e, lk, m);
}

std::optional<actor_id> runtime::next_ready() {
  std::lock_guard l(ready_mtx_);
  if (ready_fifo_.empty())
    return std::nullopt;
  actor_id id = ready_fifo_.front();
  ready_fifo_.pop_front();
  return id;
}

std::size_t runtime::run_until_idle(std::size_t max) {
  std::size_t ran = 0;
  while (ran < max) {
    auto id = next_ready();
    if (!id)
      break;
    if (run_next(*id).executed)
      ++ran;
  }
  return ran;
}

std::size_t runtime::mailbox_size(actor_id id) const {
  auto e = find(id);
  if (!e)
    return 0;
  std::lock_guard lk(e->m);
  return e->mailbox.size();
}

std::size_t runtime::tick(std::uint64_t now_ns) {
  std::size_t sent = 0;
  std::vector<entry_ptr> all;
  {
    std::shared_lock g(table_mtx_);
    all.reserve(table_.size());
    for (const auto& [id, e] : table_)
      all.push_back(e);
  }
  std::vector<actor_id> ready;
  for (const auto& e : all) {
    std::lock_guard lk(e->m);
    // A recoverable actor's ticks come from the NIC, which logs them with
    // its other inputs: the NIC ticks it wherever it runs.
    const bool here = e->state == actor_state::local && !e->peer_driven;
    const bool for_peer = e->state == actor_state::remote && e->rec;
    if ((!here && !for_peer) || !e->impl)
      continue;
    const std::uint64_t period = e->impl->tick_period_ns();
    if (period == 0)
      continue;
    if (e->next_tick_ns == 0) {
      e->next_tick_ns = now_ns + period;
      continue;
    }
    if (now_ns < e->next_tick_ns)
      continue;
    e->next_tick_ns = now_ns + period;
    message m = message::make(IPIPE_MSG_ACTOR, e->id, e->id, now_ns, {}, IPIPE_MSG_F_NO_REPLY);
    if (route_locked(*e, m, ready) == route::forwarded)
      ++sent;
  }
  notify_ready(ready);
  return ready.size() + sent;
}

// -- isolation and statistics -------------------------------------------------------

// Charged time since the watchdog's mark (internal::charged_ns); without
// the kernel's scheduler statistics, wall time.
std::uint64_t runtime::charged_since_mark(const actor_entry& e, std::uint64_t now_ns, pid_t tid,
                                          bool running_now) {
  const std::uint64_t wall = now_ns > e.mark_ns ? now_ns - e.mark_ns : 0;
  const auto now = internal::sample_thread(tid);
  if (!e.mark_sample || !now)
    return wall;
  return internal::charged_ns(*e.mark_sample, *now, wall, running_now);
}

// The budget is charged time, measured from the watchdog's first look at a
// handler that has run for a quarter of it: reading another thread's
// scheduler statistics costs system calls, so short handlers are never
// looked at, and a handler is stopped only once it was charged more than
// its whole budget after that look.
std::size_t runtime::watchdog_tick(std::uint64_t now_ns) {
  std::vector<entry_ptr> all;
  {
    std::shared_lock l(table_mtx_);
    all.reserve(table_.size());
    for (const auto& [id, e] : table_)
      all.push_back(e);
  }
  std::size_t stopped = 0;
  for (const auto& e : all) {
    const std::uint64_t since = e->running_since;
    const std::uint64_t budget = e->budget_ns;
    if (since == 0 || now_ns <= since || now_ns - since <= budget / 4)
      continue;
    std::vector<message> flushed;
    {
      std::lock_guard lk(e->m);
      // Re-check under the lock: the handler may have finished meanwhile.
      if (!e->running || e->running_since != since ||
          (e->state != actor_state::local && e->state != actor_state::migrating_out))
        continue;
      const pid_t tid = e->running_tid.load(std::memory_order_relaxed);
      if (e->mark_since != since) {
        e->mark_since = since;
        e->mark_ns = now_ns;
        e->mark_sample = internal::sample_thread(tid);
        continue;
      }
      // A watchdog called from the handler's own thread knows it runs.
      const std::uint64_t charged =
          charged_since_mark(*e, now_ns, tid, tid == internal::this_tid());
      if (charged <= budget)
        continue;
      quarantine_locked(*e, charged - budget, flushed);
    }
    ++stopped;
    for (auto& f : flushed)
      reject(f, IPIPE_STS_NOT_FOUND, errc::budget_exceeded);
  }
  return stopped;
}

runtime_stats runtime::stats() const {
  runtime_stats s;
  s.executed = ctr_.executed;
  s.rejected = ctr_.rejected;
  s.forwarded = ctr_.forwarded;
  s.buffered = ctr_.buffered;
  s.killed = ctr_.killed;
  s.peer_bad_desc = ctr_.peer_bad_desc;
  s.peer_protocol = ctr_.peer_protocol;
  s.migrations_out = ctr_.migrations_out;
  s.migrations_in = ctr_.migrations_in;
  s.migrations_refused = ctr_.migrations_refused;
  s.peer_dropped = ctr_.peer_dropped;
  s.pulls_refused = ctr_.pulls_refused;
  s.recovered = ctr_.recovered;
  s.recovery_refused = ctr_.recovery_refused;
  s.replay_suppressed = ctr_.replay_suppressed;
  s.checkpoints = ctr_.checkpoints;
  s.shed = ctr_.shed;
  return s;
}

} // namespace ipipe::runtime
