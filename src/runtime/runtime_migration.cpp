// The migration engine and the peer pump of ipipe::runtime::runtime. The
// protocol and why it keeps per-actor order is in
// Documentation/design/runtime.rst, "Migration".
#include <ipipe/common/clock.hpp>
#include <ipipe/runtime/actor_context.hpp>
#include <ipipe/runtime/actor_registry.hpp>
#include <ipipe/runtime/runtime.hpp>

#include "actor_entry.hpp"
#include <algorithm>
#include <cstdio>
#include <cstring>

namespace ipipe::runtime {

using internal::actor_entry;
using internal::outgoing_migration;
using phase = outgoing_migration::phase;

namespace {

// Consumed slots are handed back this often, so a producer on another
// thread can refill the ring while we are still draining it.
constexpr unsigned release_every = 16;

ipipe_msg_hdr mig_hdr(std::uint16_t type, actor_id id, std::uint64_t req_id = 0) {
  ipipe_msg_hdr h{};
  h.type = type;
  h.dst_actor = id;
  h.req_id = req_id;
  return h;
}

} // namespace

expected<void> runtime::migrate(actor_id id) {
  if (!peer_attached_)
    return error{errc::invalid_argument, "no peer attached"};
  std::lock_guard ml(mig_mtx_);
  auto e = find(id);
  if (!e)
    return error{errc::not_found, "no such actor"};
  std::lock_guard lk(e->m);
  switch (e->state) {
  case actor_state::local:
    break;
  case actor_state::remote:
    return error{errc::invalid_argument, "actor runs at the peer"};
  case actor_state::migrating_out:
  case actor_state::incoming:
    return error{errc::busy, "actor is migrating"};
  case actor_state::quarantined:
    return error{errc::permission_denied, "actor is quarantined"};
  }
  // Phase 1 starts now: from here on every new request is buffered. Queued
  // ones have not run either, so they go first, in order.
  e->state = actor_state::migrating_out;
  for (auto it = e->mailbox.rbegin(); it != e->mailbox.rend(); ++it)
    e->held.push_front(std::move(*it));
  e->mailbox.clear();
  auto o = std::make_unique<outgoing_migration>();
  o->e = e;
  o->t_mark = monotonic_ns();
  o->rec.id = id;
  o->rec.from = cfg_.side;
  o->rec.to = cfg_.side == IPIPE_LOC_NIC ? IPIPE_LOC_HOST : IPIPE_LOC_NIC;
  outgoing_.push_back(std::move(o));
  return {};
}

std::size_t runtime::pump() {
  std::unique_lock pl(pump_mtx_, std::try_to_lock);
  if (!pl.owns_lock() || !peer_attached_)
    return 0;
  std::size_t n = 0;
  n += pump_in_mig();
  n += pump_in_msgs();
  // The END that waited for the actor's earlier messages, once they are in.
  if (pending_end_ && peer_in_good_ + chan_.msg_in.bad_descriptors() >= pending_end_->second) {
    const ipipe_msg_hdr h = pending_end_->first;
    pending_end_.reset();
    install(h);
  }
  std::size_t out = pump_out_msgs(); // acks first: see pump_outgoing()
  out += pump_outgoing();
  out += pump_checkpoints();
  out += pump_out_msgs();
  ctr_.peer_bad_desc = chan_.msg_in.bad_descriptors() + chan_.mig_in.bad_descriptors();
  if (out != 0 && peer_signal_)
    peer_signal_();
  return n + out;
}

std::vector<actor_id> runtime::detach_peer() {
  std::vector<actor_id> leaving;
  {
    std::lock_guard pl(pump_mtx_);
    ckpt_wanted_.clear();
    ckpt_out_.reset();
    pending_end_.reset();
    {
      std::lock_guard l(peer_mtx_);
      if (!peer_attached_)
        return {};
      peer_attached_ = false;
      chan_ = {};
      peer_in_good_ = 0;
      peer_out_seq_ = 0;
      ctr_.peer_dropped += to_peer_.size();
      to_peer_.clear();
      mig_ctrl_.clear();
    }
    std::lock_guard ml(mig_mtx_);
    for (const auto& o : outgoing_)
      leaving.push_back(o->e->id);
  }
  // Nothing was taken over: each one resumes here as after a refusal.
  for (actor_id id : leaving) {
    std::lock_guard ml(mig_mtx_);
    auto it = std::find_if(outgoing_.begin(), outgoing_.end(),
                           [&](const auto& o) { return o->e->id == id; });
    if (it != outgoing_.end())
      (*it)->ph = phase::fence; // mig_refused accepts the stream at any stage now
  }
  for (actor_id id : leaving)
    mig_refused(mig_hdr(IPIPE_MSG_MIG_ACK, id));
  // Half-received actors never arrive; their senders' state is gone with
  // the peer.
  std::vector<entry_ptr> all;
  {
    std::shared_lock l(table_mtx_);
    for (const auto& [id, e] : table_)
      all.push_back(e);
  }
  std::vector<actor_id> rebuilt;
  std::vector<actor_id> ready;
  for (const auto& e : all) {
    std::unique_lock lk(e->m);
    std::vector<message> after; // arrived here while it was coming back
    if (e->state == actor_state::incoming) {
      const std::uint64_t quota = e->quota;
      e->state = actor_state::remote;
      e->incoming.reset();
      if (e->store) {
        give_region(std::move(*e->store).take_memory());
        e->store.reset();
      }
      if (e->rec)
        after.assign(std::make_move_iterator(e->held.begin()),
                     std::make_move_iterator(e->held.end()));
      else
        ctr_.peer_dropped += e->held.size();
      e->held.clear();
      lk.unlock();
      {
        std::unique_lock l(table_mtx_);
        quota_total_ -= quota;
      }
      lk.lock();
    }
    if (e->state != actor_state::remote || !e->rec)
      continue;
    recover_locked(*e, lk, std::move(after), ready);
    if (e->state == actor_state::local)
      rebuilt.push_back(e->id);
  }
  // Seen from outside, a rebuilt actor came back from the host.
  for (auto id : rebuilt)
    raise(IPIPE_EV_ACTOR_MIGRATED, id, cfg_.side, 0);
  notify_ready(ready);
  return rebuilt;
}

// Rebuilds a pushed actor from its recovery record: the image, then every
// input logged since, in order. The outputs the peer had sent before it
// died are produced again by the replay and dropped (emit()); the ones
// that never reached us go out now.
void runtime::recover_locked(actor_entry& e, std::unique_lock<std::mutex>& lk,
                             std::vector<message> after, std::vector<actor_id>& ready) {
  auto impl = actor_registry::make(e.type);
  if (!impl || !e.rec->image)
    return;
  auto rec = std::move(e.rec);
  // A checkpoint still waiting for its outputs is of no use now.
  std::uint64_t dropped = 0;
  if (rec->pending_image) {
    dropped = rec->pending_image->quota();
    give_region(std::move(*rec->pending_image).take_memory());
  }
  e.store.emplace(std::move(*rec->image));
  e.impl = std::move(*impl);
  e.peer_driven = false;
  // A checkpoint becomes the image only once every output it counts has
  // arrived, so outputs_seen >= outputs_base.
  e.suppress = rec->outputs_seen - rec->outputs_base;
  // Reserve the actor while restore() runs without the lock, as
  // create_actor() does around init().
  e.running = true;
  lk.unlock();
  if (dropped != 0) {
    std::unique_lock l(table_mtx_);
    quota_total_ -= dropped;
  }
  actor_context ctx{*this, e, nullptr};
  (void)e.impl->restore(ctx);
  lk.lock();
  e.running = false;
  e.idle.notify_all();
  if (release_if_destroyed_locked(e))
    return;
  e.state = actor_state::local;
  e.next_tick_ns = 0;
  for (auto it = rec->log.rbegin(); it != rec->log.rend(); ++it)
    e.mailbox.push_front(std::move(*it));
  for (auto& m : after)
    e.mailbox.push_back(std::move(m));
  ready.insert(ready.end(), e.mailbox.size(), e.id);
  ++ctr_.recovered;
}

// Lets go of a recovery record (the actor came back, or goes). Returns the
// quota its images held, for the caller to account under table_mtx_, which
// is never taken under an entry lock.
std::uint64_t runtime::drop_record_locked(actor_entry& e) {
  std::uint64_t quota = 0;
  if (!e.rec)
    return 0;
  for (auto* img : {&e.rec->image, &e.rec->pending_image}) {
    if (*img) {
      quota += (*img)->quota();
      give_region(std::move(**img).take_memory());
    }
  }
  e.rec.reset();
  return quota;
}

expected<void> runtime::request_pull(actor_id id) {
  if (!peer_attached_)
    return error{errc::invalid_argument, "no peer attached"};
  auto e = find(id);
  if (!e)
    return error{errc::not_found, "no such actor"};
  {
    std::lock_guard lk(e->m);
    if (e->state != actor_state::remote)
      return error{errc::invalid_argument, "actor does not run at the peer"};
  }
  std::lock_guard l(peer_mtx_);
  mig_ctrl_.push_back(message::make(IPIPE_MSG_MIG_PULL, id, 0, 0));
  return {};
}

bool runtime::quiet() const {
  {
    std::lock_guard ml(mig_mtx_);
    if (!outgoing_.empty())
      return false;
  }
  {
    std::lock_guard l(peer_mtx_);
    if (!to_peer_.empty() || !mig_ctrl_.empty())
      return false;
  }
  std::shared_lock l(table_mtx_);
  for (const auto& [id, e] : table_) {
    std::lock_guard lk(e->m);
    if (e->state == actor_state::incoming)
      return false;
  }
  return true;
}

std::vector<migration_record> runtime::migrations() const {
  std::lock_guard ml(mig_mtx_);
  return records_;
}

// -- outgoing ------------------------------------------------------------------------

std::size_t runtime::pump_out_msgs() {
  std::size_t n = 0;
  std::lock_guard l(peer_mtx_);
  while (!to_peer_.empty()) {
    const message& m = to_peer_.front();
    auto r = chan_.msg_out.post(m.hdr, m.payload);
    if (!r)
      break; // full: the rest waits for the next pump, still in order
    to_peer_.pop_front();
    ++n;
  }
  while (!mig_ctrl_.empty()) {
    const message& m = mig_ctrl_.front();
    if (!chan_.mig_out.post(m.hdr, m.payload))
      break;
    mig_ctrl_.pop_front();
    ++n;
  }
  if (n > 0) {
    chan_.msg_out.publish();
    chan_.mig_out.publish();
  }
  return n;
}

std::size_t runtime::pump_outgoing() {
  std::lock_guard ml(mig_mtx_);
  std::size_t n = 0;
  {
    // A takeover ack still waiting for room must reach the peer before any
    // stream we start: it may be for the very actor we are about to send
    // back, and the peer must see it arrive before it sees it leave.
    std::lock_guard l(peer_mtx_);
    if (!mig_ctrl_.empty())
      return n;
  }
  // One migration streams at a time; the others stay quiesced behind it.
  while (!outgoing_.empty()) {
    outgoing_migration& o = *outgoing_.front();
    actor_entry& e = *o.e;
    switch (o.ph) {
    case phase::quiesce: {
      std::lock_guard lk(e.m);
      if (e.state == actor_state::quarantined) {
        // The watchdog stopped it mid-handler: nothing was sent yet, and
        // its buffered requests were answered with errors already.
        outgoing_.pop_front();
        ++n;
        continue;
      }
      if (e.running)
        return n;
      const std::uint64_t now = monotonic_ns();
      o.rec.quiesce_ns = now - o.t_mark;
      o.t_mark = now;
      o.ph = phase::collect;
      [[fallthrough]];
    }
    case phase::collect:
      o.objs = e.store->entries();
      o.ph = phase::begin;
      {
        const std::uint64_t now = monotonic_ns();
        o.rec.collect_ns = now - o.t_mark;
        o.t_mark = now;
      }
      [[fallthrough]];
    case phase::begin: {
      wire::mig_begin b{};
      std::snprintf(b.type, sizeof(b.type), "%s", e.type.c_str());
      {
        std::lock_guard lk(e.m);
        b.group = e.group;
        b.requests = e.stats.requests;
        b.exec_ns_sum = e.stats.exec_ns_sum;
        b.exec_ns_sumsq = e.stats.exec_ns_sumsq;
        b.migrations = e.stats.migrations;
      }
      b.budget_ns = e.budget_ns;
      b.flags = cfg_.recovery_log != 0 && cfg_.side == IPIPE_LOC_NIC ? wire::mig_f_recoverable : 0;
      b.image.magic = wire::dmo_image_magic;
      b.image.version = wire::dmo_image_version;
      b.image.owner = e.id;
      b.image.count = static_cast<std::uint32_t>(o.objs.size());
      b.image.quota = e.store->quota();
      b.image.total_bytes = e.store->total_bytes();
      b.image.next_seq = e.store->next_seq();
      if (!chan_.mig_out.post(mig_hdr(IPIPE_MSG_MIG_BEGIN, e.id), as_bytes_of(b)))
        return n;
      chan_.mig_out.publish();
      ++n;
      o.ph = phase::objects;
      [[fallthrough]];
    }
    case phase::objects: {
      const std::uint32_t room = chan_.mig_out.geometry().max_payload() -
                                 static_cast<std::uint32_t>(sizeof(wire::mig_object));
      while (o.idx < o.objs.size()) {
        const dmo_entry& obj = o.objs[o.idx];
        auto src = e.store->span_of(obj.id);
        const std::uint64_t left = obj.size - o.chunk_off;
        const auto len = static_cast<std::uint32_t>(std::min<std::uint64_t>(left, room));
        const wire::mig_object mo{obj.id, obj.size, o.chunk_off, len, 0};
        auto r = chan_.mig_out.post_with(
            mig_hdr(IPIPE_MSG_MIG_OBJECT, e.id), static_cast<std::uint32_t>(sizeof(mo)) + len,
            [&](std::span<std::byte> dst) {
              std::memcpy(dst.data(), &mo, sizeof(mo));
              copier_->copy(dst.subspan(sizeof(mo)), src->subspan(o.chunk_off, len));
            });
        if (!r)
          return n; // ring full; resume at this chunk
        chan_.mig_out.publish();
        ++n;
        ++o.rec.chunks;
        o.chunk_off += len;
        if (o.chunk_off == obj.size) {
          o.rec.bytes += obj.size;
          ++o.rec.objects;
          ++o.idx;
          o.chunk_off = 0;
        }
      }
      o.ph = phase::fence;
      [[fallthrough]];
    }
    case phase::fence: {
      if (!o.fence_seen)
        return n;
      const std::uint64_t now = monotonic_ns();
      o.rec.transfer_ns = now - o.t_mark;
      o.t_mark = now;
      o.ph = phase::requests;
      [[fallthrough]];
    }
    case phase::requests: {
      // Under e.m, so no request can slip in between "buffer empty" and END:
      // anything later stays buffered and follows over the message ring.
      std::lock_guard lk(e.m);
      while (!e.held.empty()) {
        const message& m = e.held.front();
        const auto len = static_cast<std::uint32_t>(sizeof(ipipe_msg_hdr) + m.payload.size());
        auto r = chan_.mig_out.post_with(
            mig_hdr(IPIPE_MSG_MIG_REQUEST, e.id, m.hdr.req_id), len, [&](std::span<std::byte> dst) {
              std::memcpy(dst.data(), &m.hdr, sizeof(m.hdr));
              if (!m.payload.empty())
                std::memcpy(dst.data() + sizeof(m.hdr), m.payload.data(), m.payload.size());
            });
        if (!r) {
          // attach_peer() made every slot hold the largest message, so the
          // only failure left is a full ring.
          chan_.mig_out.publish();
          return n;
        }
        o.streamed.push_back(std::move(e.held.front()));
        e.held.pop_front();
        ++o.rec.requests;
        ++n;
      }
      wire::mig_end end{};
      {
        // Everything queued for the message ring so far precedes what the
        // actor will send from the other side.
        std::lock_guard l(peer_mtx_);
        end.msg_seq = peer_out_seq_;
      }
      if (!chan_.mig_out.post(mig_hdr(IPIPE_MSG_MIG_END, e.id), as_bytes_of(end))) {
        chan_.mig_out.publish();
        return n;
      }
      chan_.mig_out.publish();
      ++n;
      o.ph = phase::ack;
      return n; // the takeover ack completes it (mig_ack)
    }
    case phase::ack:
      return n;
    }
  }
  return n;
}

// Called by pump_in_* with no runtime lock held.
void runtime::mig_ack(const ipipe_msg_hdr& h, bool fence) {
  std::lock_guard ml(mig_mtx_);
  auto it = std::find_if(outgoing_.begin(), outgoing_.end(),
                         [&](const auto& o) { return o->e->id == h.dst_actor; });
  if (it == outgoing_.end() || (!fence && (*it)->ph != phase::ack) ||
      (fence && ((*it)->fence_seen || (*it)->ph < phase::objects))) {
    ++ctr_.peer_protocol;
    return;
  }
  outgoing_migration& o = **it;
  if (fence) {
    o.fence_seen = true;
    return;
  }
  actor_entry& e = *o.e;
  const bool keep = cfg_.recovery_log != 0 && cfg_.side == IPIPE_LOC_NIC;
  {
    std::lock_guard lk(e.m);
    e.state = actor_state::remote;
    e.peer_driven = false;
    if (keep) {
      // The state as pushed and the requests streamed with it start the
      // recovery record; the store's memory and quota stay taken.
      e.rec = std::make_unique<internal::recovery_record>();
      e.rec->image.emplace(std::move(*e.store));
      for (auto& m : o.streamed) {
        e.rec->log_bytes += sizeof(m.hdr) + m.payload.size();
        e.rec->log.push_back(std::move(m));
      }
    } else {
      give_region(std::move(*e.store).take_memory());
      e.impl.reset();
    }
    e.store.reset();
    // Requests that came after END follow the actor over the message ring,
    // behind nothing it has not already received.
    for (auto& m : e.held) {
      m.hdr.flags |= IPIPE_MSG_F_FORWARDED;
      if (e.rec)
        log_input(e, m);
      enqueue_peer(std::move(m));
    }
    e.held.clear();
    ++e.stats.migrations;
  }
  if (!keep) {
    std::unique_lock l(table_mtx_);
    quota_total_ -= e.quota;
  }
  const std::uint64_t now = monotonic_ns();
  o.rec.forward_ns = now - o.t_mark;
  records_.push_back(o.rec);
  ++ctr_.migrations_out;
  raise(IPIPE_EV_ACTOR_MIGRATED, e.id, o.rec.to, o.rec.total_ns());
  outgoing_.erase(it);
}

void runtime::mig_refused(const ipipe_msg_hdr& h) {
  std::vector<actor_id> ready;
  {
    std::lock_guard ml(mig_mtx_);
    auto it = std::find_if(outgoing_.begin(), outgoing_.end(),
                           [&](const auto& o) { return o->e->id == h.dst_actor; });
    // A refusal answers BEGIN, so it finds the stream sending objects or
    // waiting for a fence that will never come.
    if (it == outgoing_.end() || ((*it)->ph != phase::objects && (*it)->ph != phase::fence)) {
      ++ctr_.peer_protocol;
      return;
    }
    actor_entry& e = *(*it)->e;
    {
      std::lock_guard lk(e.m);
      // Nothing ran meanwhile and nothing left: the buffer, in order, is
      // the mailbox again, behind what was streamed already (a peer that
      // died after the stream's requests never ran them).
      e.state = actor_state::local;
      for (auto& m : (*it)->streamed)
        e.mailbox.push_back(std::move(m));
      for (auto& m : e.held)
        e.mailbox.push_back(std::move(m));
      e.held.clear();
      ready.assign(e.mailbox.size(), e.id);
      e.idle.notify_all();
    }
    outgoing_.erase(it);
  }
  ++ctr_.migrations_refused;
  notify_ready(ready);
}

// -- incoming --------------------------------------------------------------------------

std::size_t runtime::pump_in_msgs() {
  std::size_t n = 0;
  ipipe_msg_hdr h{};
  std::span<const std::byte> p;
  while (chan_.msg_in.next(h, p)) {
    ++n;
    ++peer_in_good_;
    if (h.type == IPIPE_MSG_MIG_ACK &&
        h.req_id == static_cast<std::uint64_t>(wire::ack_stage::fence)) {
      mig_ack(h, true);
    } else if ((h.type >= IPIPE_MSG_MIG_BEGIN && h.type <= IPIPE_MSG_MIG_ACK) ||
               h.type == IPIPE_MSG_MIG_PULL || h.type == IPIPE_MSG_MIG_CKPT) {
      ++ctr_.peer_protocol;
    } else {
      message m;
      m.hdr = h;
      m.payload.assign(p.begin(), p.end());
      dispatch(std::move(m), true);
    }
    if (n % release_every == 0)
      chan_.msg_in.release();
  }
  chan_.msg_in.release();
  return n;
}

std::size_t runtime::pump_in_mig() {
  std::size_t n = 0;
  ipipe_msg_hdr h{};
  std::span<const std::byte> p;
  while (chan_.mig_in.next(h, p)) {
    ++n;
    switch (h.type) {
    case IPIPE_MSG_MIG_BEGIN:
      mig_begin(h, p);
      break;
    case IPIPE_MSG_MIG_OBJECT:
      mig_object(h, p);
      break;
    case IPIPE_MSG_MIG_REQUEST:
      mig_request(h, p);
      break;
    case IPIPE_MSG_MIG_END:
      mig_end(h, p);
      break;
    case IPIPE_MSG_MIG_PULL:
      // The peer wants its actor back: push it, unless it cannot move now.
      if (!migrate(h.dst_actor))
        ++ctr_.pulls_refused;
      break;
    case IPIPE_MSG_MIG_CKPT:
      if (h.req_id == static_cast<std::uint64_t>(wire::ckpt_stage::request) &&
          cfg_.side == IPIPE_LOC_HOST && p.empty())
        ckpt_wanted_.push_back(h.dst_actor);
      else if (cfg_.recovery_log != 0)
        ckpt_in(h, p);
      else
        ++ctr_.peer_protocol;
      break;
    case IPIPE_MSG_MIG_ACK:
      if (h.req_id == static_cast<std::uint64_t>(wire::ack_stage::takeover))
        mig_ack(h, false);
      else if (h.req_id == static_cast<std::uint64_t>(wire::ack_stage::refused))
        mig_refused(h);
      else
        ++ctr_.peer_protocol;
      break;
    default:
      ++ctr_.peer_protocol;
      break;
    }
    if (n % release_every == 0)
      chan_.mig_in.release();
  }
  chan_.mig_in.release();
  return n;
}

void runtime::refuse(actor_id id) {
  ++ctr_.peer_protocol;
  std::lock_guard l(peer_mtx_);
  mig_ctrl_.push_back(message::make(IPIPE_MSG_MIG_ACK, id, 0,
                                    static_cast<std::uint64_t>(wire::ack_stage::refused)));
}

// Every check that can fail happens here, before anything is changed, so a
// receiver that cannot take the actor refuses it and the sender resumes it.
void runtime::mig_begin(const ipipe_msg_hdr& h, std::span<const std::byte> p) {
  wire::mig_begin b{};
  if (p.size() != sizeof(b)) {
    refuse(h.dst_actor);
    return;
  }
  std::memcpy(&b, p.data(), sizeof(b));
  b.type[sizeof(b.type) - 1] = '\0';
  const std::string type{b.type};
  if (b.image.owner != h.dst_actor || h.dst_actor == 0 || b.image.magic != wire::dmo_image_magic ||
      b.image.version != wire::dmo_image_version || !actor_registry::contains(type)) {
    refuse(h.dst_actor);
    return;
  }
  entry_ptr e;
  {
    std::unique_lock l(table_mtx_);
    if (b.image.quota > cfg_.mem_limit - quota_total_) {
      l.unlock();
      refuse(h.dst_actor);
      return;
    }
    auto it = table_.find(h.dst_actor);
    if (it == table_.end()) {
      if (table_.size() >= cfg_.max_actors) {
        l.unlock();
        refuse(h.dst_actor);
        return;
      }
      e = std::make_shared<actor_entry>();
      e->id = h.dst_actor;
      e->type = type;
      e->state = actor_state::remote;
      it = table_.emplace(e->id, e).first;
    }
    e = it->second;
    quota_total_ += b.image.quota;
  }
  auto st = dmo_store::create(e->id, b.image.quota, take_region(b.image.quota));
  std::unique_lock lk(e->m);
  if (e->state != actor_state::remote || e->type != type || !st) {
    lk.unlock(); // never take table_mtx_ under an entry lock
    {
      std::unique_lock l(table_mtx_);
      quota_total_ -= b.image.quota;
    }
    refuse(h.dst_actor);
    return;
  }
  e->state = actor_state::incoming;
  // From now on the actor's inputs must reach it through the NIC's log.
  e->peer_driven = cfg_.side == IPIPE_LOC_HOST && (b.flags & wire::mig_f_recoverable) != 0;
  e->group = b.group == IPIPE_GROUP_DRR ? IPIPE_GROUP_DRR : IPIPE_GROUP_FCFS;
  e->quota = st->quota();
  e->budget_ns = b.budget_ns != 0 ? b.budget_ns : cfg_.default_budget_ns;
  e->store.emplace(std::move(*st));
  e->incoming.emplace();
  e->incoming->begin = b;
  // The fence: behind every request for this actor we forwarded before.
  enqueue_peer(message::make(IPIPE_MSG_MIG_ACK, e->id, 0,
                             static_cast<std::uint64_t>(wire::ack_stage::fence)));
}

namespace {
// Returns the entry if it is receiving a migration (pump thread only).
bool receiving(actor_entry& e) {
  std::lock_guard lk(e.m);
  return e.state == actor_state::incoming && e.incoming;
}
} // namespace

void runtime::mig_object(const ipipe_msg_hdr& h, std::span<const std::byte> p) {
  auto e = find(h.dst_actor);
  wire::mig_object mo{};
  if (!e || !receiving(*e) || p.size() < sizeof(mo)) {
    ++ctr_.peer_protocol;
    return;
  }
  std::memcpy(&mo, p.data(), sizeof(mo));
  auto& in = *e->incoming;
  const bool fits = mo.chunk_len == p.size() - sizeof(mo) && mo.chunk_off <= mo.size &&
                    mo.chunk_len <= mo.size - mo.chunk_off && mo.resv == 0;
  if (!fits) {
    ++ctr_.peer_protocol;
    return;
  }
  if (mo.chunk_off == 0) {
    auto dst = e->store->restore(mo.id, mo.size);
    if (!dst) {
      ++ctr_.peer_protocol;
      return;
    }
    in.cur = mo.id;
    in.cur_span = *dst;
    in.filled = 0;
    ++in.objects;
  } else if (mo.id != in.cur || mo.chunk_off != in.filled || mo.size != in.cur_span.size()) {
    ++ctr_.peer_protocol;
    return;
  }
  copier_->copy(in.cur_span.subspan(mo.chunk_off, mo.chunk_len), p.subspan(sizeof(mo)));
  in.filled += mo.chunk_len;
  in.bytes += mo.chunk_len;
}

void runtime::mig_request(const ipipe_msg_hdr& h, std::span<const std::byte> p) {
  auto e = find(h.dst_actor);
  message m;
  if (!e || !receiving(*e) || p.size() < sizeof(m.hdr)) {
    ++ctr_.peer_protocol;
    return;
  }
  std::memcpy(&m.hdr, p.data(), sizeof(m.hdr));
  const bool plain = m.hdr.type == IPIPE_MSG_REQUEST || m.hdr.type == IPIPE_MSG_REPLY ||
                     m.hdr.type == IPIPE_MSG_ACTOR || m.hdr.type == IPIPE_MSG_ERROR;
  if (m.hdr.len != p.size() - sizeof(m.hdr) || m.hdr.dst_actor != h.dst_actor || !plain) {
    ++ctr_.peer_protocol;
    return;
  }
  m.hdr.flags |= IPIPE_MSG_F_FORWARDED;
  m.payload.assign(p.begin() + sizeof(m.hdr), p.end());
  e->incoming->reqs.push_back(std::move(m));
}

void runtime::mig_end(const ipipe_msg_hdr& h, std::span<const std::byte> p) {
  auto e = find(h.dst_actor);
  wire::mig_end end{};
  if (!e || !receiving(*e) || p.size() != sizeof(end) || pending_end_) {
    ++ctr_.peer_protocol;
    return;
  }
  std::memcpy(&end, p.data(), sizeof(end));
  if (peer_in_good_ + chan_.msg_in.bad_descriptors() < end.msg_seq) {
    pending_end_.emplace(h, end.msg_seq);
    return;
  }
  install(h);
}

// The END of a stream whose actor's earlier messages are all in: the actor
// runs here from now on.
void runtime::install(const ipipe_msg_hdr& h) {
  auto e = find(h.dst_actor);
  if (!e || !receiving(*e)) {
    ++ctr_.peer_protocol;
    return;
  }
  auto& in = *e->incoming;
  const auto& img = in.begin.image;
  auto impl = actor_registry::make(e->type);
  const bool complete = in.objects == img.count && in.bytes == img.total_bytes &&
                        in.filled == in.cur_span.size() && impl;
  if (!complete) {
    // Without every byte we cannot run the actor; the sender still holds
    // its buffered requests and keeps waiting (see the design notes).
    ++ctr_.peer_protocol;
    return;
  }
  e->store->set_next_seq(std::max(img.next_seq, e->store->next_seq()));
  e->impl = std::move(*impl);
  actor_context ctx{*this, *e, nullptr};
  (void)e->impl->restore(ctx);

  std::vector<actor_id> ready;
  std::uint64_t released = 0;
  {
    std::lock_guard lk(e->m);
    released = drop_record_locked(*e); // back home: the live state supersedes it
    e->state = actor_state::local;
    e->next_tick_ns = 0; // this side's clock starts the period afresh
    e->inputs_handled = 0;
    e->outputs_sent = 0;
    e->stats.requests = in.begin.requests;
    e->stats.exec_ns_sum = in.begin.exec_ns_sum;
    e->stats.exec_ns_sumsq = in.begin.exec_ns_sumsq;
    e->stats.migrations = in.begin.migrations + 1;
    // Stream requests first (they reached the sender earlier), then what
    // arrived here while the state was on its way.
    for (auto& m : in.reqs)
      e->mailbox.push_back(std::move(m));
    for (auto& m : e->held)
      e->mailbox.push_back(std::move(m));
    e->held.clear();
    ready.assign(e->mailbox.size(), e->id);
    e->incoming.reset();
  }
  if (released != 0) {
    std::unique_lock l(table_mtx_);
    quota_total_ -= released;
  }
  {
    std::lock_guard l(peer_mtx_);
    mig_ctrl_.push_back(message::make(IPIPE_MSG_MIG_ACK, h.dst_actor, 0,
                                      static_cast<std::uint64_t>(wire::ack_stage::takeover)));
  }
  ++ctr_.migrations_in;
  raise(IPIPE_EV_ACTOR_MIGRATED, h.dst_actor, cfg_.side, 0);
  notify_ready(ready);
}

// -- checkpoints --------------------------------------------------------------------

// NIC side: a checkpoint of a pushed actor replaces its recovery image and
// lets go of the log entries it covers.
void runtime::ckpt_in(const ipipe_msg_hdr& h, std::span<const std::byte> p) {
  auto e = find(h.dst_actor);
  if (!e) {
    ++ctr_.peer_protocol;
    return;
  }
  std::unique_lock lk(e->m);
  if (!e->rec || e->state != actor_state::remote)
    return; // stale: the actor came back or the record went; not an error
  auto& r = *e->rec;
  const auto stage = static_cast<wire::ckpt_stage>(h.req_id);
  const auto bad = [&] {
    r.ckpt.reset();
    r.ckpt_image.clear();
    ++ctr_.peer_protocol;
  };
  switch (stage) {
  case wire::ckpt_stage::begin: {
    wire::ckpt_begin b{};
    if (p.size() != sizeof(b))
      return bad();
    std::memcpy(&b, p.data(), sizeof(b));
    if (b.image_bytes > r.image->quota() + (1ULL << 20))
      return bad(); // an image cannot be much larger than the arena it fills
    r.ckpt = b;
    r.ckpt_image.clear();
    r.ckpt_image.reserve(b.image_bytes);
    return;
  }
  case wire::ckpt_stage::data: {
    std::uint64_t off = 0;
    if (!r.ckpt || p.size() < sizeof(off))
      return bad();
    std::memcpy(&off, p.data(), sizeof(off));
    const auto bytes = p.subspan(sizeof(off));
    if (off != r.ckpt_image.size() || bytes.size() > r.ckpt->image_bytes - off)
      return bad();
    r.ckpt_image.insert(r.ckpt_image.end(), bytes.begin(), bytes.end());
    return;
  }
  case wire::ckpt_stage::end: {
    if (!r.ckpt || r.ckpt_image.size() != r.ckpt->image_bytes)
      return bad();
    const wire::ckpt_begin b = *r.ckpt;
    // The image must sit between the inputs we still hold and those we
    // forwarded, and be the actor's.
    if (b.inputs < r.base || b.inputs - r.base > r.log.size())
      return bad();
    auto st = dmo_store::rebuild(r.ckpt_image);
    if (!st || st->owner() != e->id)
      return bad();
    r.ckpt.reset();
    r.ckpt_image.clear();
    r.ckpt_image.shrink_to_fit();
    r.ckpt_asked = false;
    ++ctr_.checkpoints;
    // A newer checkpoint supersedes one still waiting for its outputs.
    std::uint64_t give = 0;
    if (r.pending_image) {
      give = r.pending_image->quota();
      give_region(std::move(*r.pending_image).take_memory());
    }
    r.pending = b;
    r.pending_image.emplace(std::move(*st));
    const std::uint64_t take = r.pending_image->quota();
    if (r.outputs_seen >= b.outputs)
      give += apply_checkpoint_locked(*e).first; // what it takes is counted above
    lk.unlock();
    std::unique_lock l(table_mtx_);
    quota_total_ = quota_total_ - give + take;
    return;
  }
  case wire::ckpt_stage::request:
    break;
  }
  bad();
}

// Makes the pending checkpoint the recovery image and lets go of the log
// entries it covers. Returns the quota given back and taken, for the
// caller to account once it dropped the entry's lock.
std::pair<std::uint64_t, std::uint64_t> runtime::apply_checkpoint_locked(actor_entry& e) {
  auto& r = *e.rec;
  const wire::ckpt_begin b = *r.pending;
  const std::uint64_t give = r.image->quota();
  give_region(std::move(*r.image).take_memory());
  r.image.emplace(std::move(*r.pending_image));
  r.pending.reset();
  r.pending_image.reset();
  for (std::uint64_t i = r.base; i < b.inputs; ++i) {
    r.log_bytes -= sizeof(r.log.front().hdr) + r.log.front().payload.size();
    r.log.pop_front();
  }
  r.base = b.inputs;
  r.outputs_base = b.outputs;
  return {give, r.image->quota()};
}

// Host side: one checkpoint at a time, taken between two handlers and sent
// over the migration ring as the ring has room.
std::size_t runtime::pump_checkpoints() {
  std::size_t n = 0;
  while (!ckpt_out_ && !ckpt_wanted_.empty()) {
    const actor_id id = ckpt_wanted_.front();
    auto e = find(id);
    if (!e) {
      ckpt_wanted_.pop_front();
      continue;
    }
    std::lock_guard lk(e->m);
    if (!e->peer_driven || e->state != actor_state::local || !e->store) {
      ckpt_wanted_.pop_front(); // it left, or is leaving: nothing to keep
      continue;
    }
    if (e->running)
      return n; // next pump
    ckpt_wanted_.pop_front();
    auto c = std::make_unique<internal::outgoing_checkpoint>();
    c->id = id;
    c->image = e->store->serialise();
    c->begin = wire::ckpt_begin{e->inputs_handled, e->outputs_sent.load(), c->image.size()};
    ckpt_out_ = std::move(c);
  }
  if (!ckpt_out_)
    return n;
  auto& c = *ckpt_out_;
  const auto hdr = [&](wire::ckpt_stage st) {
    return mig_hdr(IPIPE_MSG_MIG_CKPT, c.id, static_cast<std::uint64_t>(st));
  };
  if (!c.begun) {
    if (!chan_.mig_out.post(hdr(wire::ckpt_stage::begin), as_bytes_of(c.begin)))
      return n;
    c.begun = true;
    ++n;
  }
  const std::uint32_t room = chan_.mig_out.geometry().max_payload() - sizeof(std::uint64_t);
  while (c.off < c.image.size()) {
    const auto len =
        static_cast<std::uint32_t>(std::min<std::uint64_t>(c.image.size() - c.off, room));
    auto r = chan_.mig_out.post_with(
        hdr(wire::ckpt_stage::data), sizeof(std::uint64_t) + len, [&](std::span<std::byte> dst) {
          std::memcpy(dst.data(), &c.off, sizeof(c.off));
          std::memcpy(dst.data() + sizeof(c.off), c.image.data() + c.off, len);
        });
    if (!r) {
      chan_.mig_out.publish();
      return n;
    }
    c.off += len;
    ++n;
  }
  if (!chan_.mig_out.post(hdr(wire::ckpt_stage::end), {})) {
    chan_.mig_out.publish();
    return n;
  }
  chan_.mig_out.publish();
  ++ctr_.checkpoints;
  ckpt_out_.reset();
  return n + 1;
}

} // namespace ipipe::runtime
