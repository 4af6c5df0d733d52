// "rkv_consensus": Multi-Paxos among the three replicas of RKV.
//
// One actor per replica. All Paxos state is in DMOs: the state object
// (configuration, ballots, indices, per-peer progress, counters), the log
// ring (one slot per index: ballot and the id of the object holding the
// command) and one object per retained command. The actor therefore
// migrates between the NIC and the host with its log, like any other.
// Time is the tick count: elections and retransmissions are deterministic
// given the tick sequence.
#include <ipipe/runtime/actor.hpp>

#include "internal.hpp"
#include <algorithm>
#include <vector>

namespace ipipe::apps::rkv::internal {
namespace {

using runtime::message;

enum role : std::uint32_t { follower = 0, candidate = 1, leader = 2, learner = 3 };
constexpr std::uint32_t no_leader = replicas;
constexpr std::uint64_t tick_ns = 10'000'000; // 10 ms
constexpr std::uint32_t flush_retry_ticks = 20;

struct peer_state {
  std::uint64_t match;     // entries <= match accepted at our ballot (or chosen)
  std::uint64_t last;      // its log tip
  std::uint64_t durable;   // its index on disk
  std::uint64_t p1_next;   // phase 1: next index to ask for
  std::uint32_t p1_done;   // phase 1: its promise is complete
  std::uint32_t status_ok; // rejoin: it told us its ballot and tip
};

struct cs_state {
  counters stats;
  // configuration
  std::uint32_t configured, self, flags, memtable, sstable, election_ticks, log_cap, resv;
  std::array<replica, replicas> peers;
  // Paxos
  std::uint64_t promised; // highest ballot promised (acceptor)
  std::uint64_t ballot;   // our ballot as candidate or leader
  std::uint32_t role, leader;
  std::uint64_t commit, applied, durable, start, last; // start: first retained index
  std::uint64_t ticks, last_heard, trunc, flush_asked;
  std::uint64_t learn_target;
  std::uint32_t recovered, resv2;
  std::array<peer_state, replicas> peer;
  object_id ring;
};

struct slot {
  std::uint64_t index;
  std::uint64_t ballot; // ballot it was accepted in
  object_id obj;
  std::uint32_t len;
  std::uint32_t resv;
};

constexpr std::uint8_t u8(kind k) {
  return static_cast<std::uint8_t>(k);
}

class consensus final : public state_actor<cs_state> {
public:
  expected<void> init(actor_context& ctx) override { return alloc_state(ctx); }

  std::uint64_t tick_period_ns() const noexcept override { return tick_ns; }

private:
  void on_tick(actor_context& ctx, cs_state& s) override {
    if (!s.configured)
      return;
    s_ = &s;
    ctx_ = &ctx;
    tick();
  }

  void fill_gauges(cs_state& s) override {
    s.stats[st_role] = s.role;
    s.stats[st_commit] = s.commit;
    s.stats[st_applied] = s.applied;
    s.stats[st_durable] = s.durable;
    s.stats[st_log_start] = s.start;
    s.stats[st_ballot] = s.promised;
  }

  void on_message(actor_context& ctx, const message& msg, cs_state& s, std::uint8_t k,
                  reader& rd) override {
    s_ = &s;
    ctx_ = &ctx;
    if (k == u8(kind::configure)) {
      configure(rd);
      return;
    }
    if (k >= u8(kind::get) && k <= u8(kind::del)) {
      client_request(msg, rd, static_cast<kind>(k));
      return;
    }
    if (!s_->configured) {
      ++s_->stats[st_malformed];
      return;
    }
    if (k == k_durable) {
      if (from_local(msg, s_->memtable))
        durable(rd);
      else
        ++s_->stats[st_foreign];
      return;
    }
    if (k < k_prepare || k > k_status) {
      ++s_->stats[st_malformed];
      return;
    }
    const std::uint32_t from = sender(msg);
    if (from == no_leader) {
      ++s_->stats[st_foreign];
      return;
    }
    switch (k) {
    case k_prepare:
      prepare(from, rd);
      break;
    case k_promise:
      promise(from, rd);
      break;
    case k_accept:
      accept(from, rd);
      break;
    case k_accepted:
      accepted(from, rd);
      break;
    case k_status_q:
      status_q(from);
      break;
    case k_status:
      status_a(from, rd);
      break;
    }
  }

  // Returns the replica index a wire message came from, or no_leader.
  std::uint32_t sender(const message& msg) const {
    for (std::uint32_t j = 0; j < replicas; ++j)
      if (j != s_->self && msg.hdr.client == s_->peers[j].endpoint &&
          msg.src() == s_->peers[j].consensus)
        return j;
    return no_leader;
  }

  void send_to(std::uint32_t j, const writer& w) {
    (void)ctx_->send_remote(s_->peers[j].endpoint, s_->peers[j].consensus, w.data());
  }

  void configure(reader& rd) {
    (void)rd.get<std::uint8_t>();
    (void)rd.get<std::uint16_t>();
    consensus_config c;
    c.self = rd.get<std::uint32_t>();
    c.flags = rd.get<std::uint32_t>();
    c.memtable = rd.get<std::uint32_t>();
    c.sstable = rd.get<std::uint32_t>();
    c.election_ticks = rd.get<std::uint32_t>();
    c.log_capacity = rd.get<std::uint32_t>();
    bool ok = true;
    for (auto& p : c.peers) {
      p.endpoint = rd.get<std::uint32_t>();
      p.consensus = rd.get<std::uint32_t>();
      ok = ok && p.endpoint != 0 && p.consensus != 0;
    }
    const std::uint32_t cap = c.log_capacity;
    ok = ok && rd.done() && c.self < replicas && c.memtable != 0 && c.sstable != 0 &&
         c.election_ticks >= 2 && cap >= 16 && cap <= (1u << 20) && (cap & (cap - 1)) == 0;
    if (ok && s_->configured)
      ok = c.self == s_->self && c.log_capacity == s_->log_cap; // repeats are harmless
    if (!ok) {
      ++s_->stats[st_malformed];
      reply_error(*ctx_, kind::configure, detail::bad_config);
      return;
    }
    if (!s_->configured) {
      auto ring = ctx_->dmo_malloc(std::uint64_t{cap} * sizeof(slot));
      if (!ring) {
        reply_error(*ctx_, kind::configure, detail::internal);
        return;
      }
      s_->ring = *ring;
      s_->configured = 1;
      s_->self = c.self;
      s_->flags = c.flags;
      s_->memtable = c.memtable;
      s_->sstable = c.sstable;
      s_->election_ticks = c.election_ticks;
      s_->log_cap = cap;
      s_->peers = c.peers;
      s_->start = 1;
      s_->leader = no_leader;
      s_->role = (c.flags & cfg_rejoin) != 0 ? learner : follower;
      if (s_->role == learner) {
        // Our last incarnation may have voted: learn the chosen log (and
        // what is on disk) before taking part again.
        writer w;
        w.put(k_recover);
        (void)ctx_->send(s_->memtable, w.data());
      }
    }
    reply_ok(*ctx_, kind::configure);
  }

  // -- the log ring -------------------------------------------------------------------

  std::uint64_t slot_off(std::uint64_t i) const { return (i & (s_->log_cap - 1)) * sizeof(slot); }

  std::optional<slot> get_slot(std::uint64_t i) {
    if (i < s_->start || i == 0)
      return std::nullopt;
    auto sl = ctx_->load<slot>(s_->ring, slot_off(i));
    if (!sl || sl->index != i || sl->obj == 0)
      return std::nullopt;
    return *sl;
  }

  std::vector<std::byte> read_entry(const slot& sl) {
    std::vector<std::byte> b(sl.len);
    if (!ctx_->dmo_read(sl.obj, 0, b))
      b.clear();
    return b;
  }

  bool fits_ring(std::uint64_t i) const { return i >= s_->start && i < s_->start + s_->log_cap; }

  // Stores the command `cmd` at index `i`, accepted in `ballot`.
  bool put_entry(std::uint64_t i, std::uint64_t ballot, std::span<const std::byte> cmd) {
    if (!fits_ring(i))
      return false;
    auto old = ctx_->load<slot>(s_->ring, slot_off(i));
    if (!old)
      return false;
    if (old->index == i && old->obj != 0 && old->len == cmd.size()) {
      // Same size: rewrite in place (phase 1 re-proposals mostly).
      if (!ctx_->dmo_write(old->obj, 0, cmd))
        return false;
      old->ballot = ballot;
      return bool(ctx_->store(s_->ring, slot_off(i), *old));
    }
    auto obj = ctx_->dmo_malloc(std::max<std::size_t>(cmd.size(), 1));
    if (!obj)
      return false;
    if (!ctx_->dmo_write(*obj, 0, cmd)) {
      (void)ctx_->dmo_free(*obj);
      return false;
    }
    if (old->obj != 0)
      (void)ctx_->dmo_free(old->obj);
    slot sl{i, ballot, *obj, static_cast<std::uint32_t>(cmd.size()), 0};
    if (!ctx_->store(s_->ring, slot_off(i), sl))
      return false;
    s_->last = std::max(s_->last, i);
    return true;
  }

  // Drops entries up to `upto` (never past what we applied).
  void truncate(std::uint64_t upto) {
    upto = std::min(upto, s_->applied);
    while (s_->start <= upto) {
      auto sl = ctx_->load<slot>(s_->ring, slot_off(s_->start));
      if (sl && sl->index == s_->start && sl->obj != 0) {
        (void)ctx_->dmo_free(sl->obj);
        (void)ctx_->store(s_->ring, slot_off(s_->start), slot{});
      }
      ++s_->start;
    }
  }

  static std::vector<std::byte> noop() {
    writer w;
    put_command(w, command{});
    auto d = w.data();
    return {d.begin(), d.end()};
  }

  // -- applying -------------------------------------------------------------------------

  void advance_commit(std::uint64_t c) {
    if (c > s_->commit)
      s_->commit = c;
    while (s_->applied < s_->commit) {
      auto sl = get_slot(s_->applied + 1);
      if (!sl)
        break; // a hole below the commit index: catch-up fills it
      auto cmd = read_entry(*sl);
      reader rd(cmd);
      auto c2 = get_command(rd);
      ++s_->applied;
      ++s_->stats[st_committed];
      if (!c2 || c2->op == 0)
        continue;
      // The replica that took the request answers it; the others only
      // apply writes (reads change nothing).
      const bool mine = c2->proposer == s_->self && s_->role != learner;
      if (c2->op == u8(kind::get) && !mine)
        continue;
      writer w;
      w.put(k_apply).put<std::uint8_t>(mine ? 1 : 0).put(s_->applied).bytes(cmd);
      (void)ctx_->send(s_->memtable, w.data());
    }
  }

  void durable(reader& rd) {
    const auto index = rd.get<std::uint64_t>();
    const auto recovered = rd.get<std::uint8_t>();
    if (!rd.done()) {
      ++s_->stats[st_malformed];
      return;
    }
    s_->durable = std::max(s_->durable, index);
    if (recovered != 0 && s_->role == learner && !s_->recovered) {
      // Everything up to `index` is in the sstable: start the log after it.
      s_->recovered = 1;
      truncate(0);
      s_->commit = s_->applied = std::max(s_->applied, index);
      s_->start = std::max(s_->start, index + 1);
      s_->last = std::max(s_->last, index);
    }
  }

  // -- clients ---------------------------------------------------------------------------

  void client_request(const message& msg, reader& rd, kind op) {
    const auto ver = rd.get<std::uint8_t>();
    const auto klen = rd.get<std::uint16_t>();
    const auto vlen = rd.get<std::uint32_t>();
    command c;
    c.op = u8(op);
    c.client_id = rd.get<std::uint64_t>();
    c.seq = rd.get<std::uint64_t>();
    c.key = rd.str(klen);
    c.value = rd.str(vlen);
    if (!rd.done() || ver != protocol_version || c.client_id == 0 ||
        (op != kind::put && vlen != 0) || msg.type() != IPIPE_MSG_REQUEST) {
      ++s_->stats[st_malformed];
      return;
    }
    response r;
    r.op = op;
    r.client_id = c.client_id;
    r.seq = c.seq;
    r.st = status::error;
    if (klen == 0 || klen > max_key || vlen > max_value) {
      ++s_->stats[st_oversize];
      r.why = klen == 0 || klen > max_key ? detail::key_too_long : detail::value_too_long;
      (void)ctx_->reply(encode(r));
      return;
    }
    if (!s_->configured) {
      r.why = detail::not_configured;
      (void)ctx_->reply(encode(r));
      return;
    }
    if (s_->role != leader) {
      ++s_->stats[st_not_leader];
      r.st = status::not_leader;
      r.leader_hint = s_->leader < replicas ? s_->peers[s_->leader].endpoint : 0;
      (void)ctx_->reply(encode(r));
      return;
    }
    if (msg.hdr.client == 0) {
      r.why = detail::no_address;
      (void)ctx_->reply(encode(r));
      return;
    }
    const std::uint64_t i = s_->last + 1;
    c.proposer = static_cast<std::uint8_t>(s_->self);
    c.to = reply_addr{msg.hdr.client, msg.src(), msg.hdr.req_id};
    writer w;
    put_command(w, c);
    if (!fits_ring(i) || !put_entry(i, s_->ballot, w.data())) {
      ++s_->stats[st_busy];
      r.why = detail::busy;
      (void)ctx_->reply(encode(r));
      ask_flush();
      return;
    }
    for (std::uint32_t j = 0; j < replicas; ++j)
      if (j != s_->self)
        send_accept(j, i);
    // The answer comes once the command is chosen and applied.
  }

  // -- leader side ------------------------------------------------------------------------

  // Sends entries from `from` on (as many as fit), our commit index and the
  // truncation point: replication, retransmission, catch-up and heartbeat.
  void send_accept(std::uint32_t j, std::uint64_t from) {
    writer w;
    w.put(k_accept).put(s_->ballot).put(s_->commit).put(s_->trunc).put(s_->last);
    const std::size_t count_at = w.size();
    w.put<std::uint32_t>(0);
    std::uint32_t n = 0;
    for (std::uint64_t i = std::max(from, s_->start); i <= s_->last; ++i) {
      auto sl = get_slot(i);
      if (!sl)
        break;
      if (!w.fits(12 + sl->len))
        break;
      auto cmd = read_entry(*sl);
      w.put(i).put<std::uint32_t>(sl->len).bytes(cmd);
      ++n;
    }
    w.patch(count_at, n);
    send_to(j, w);
  }

  void step_down(std::uint64_t seen) {
    s_->promised = std::max(s_->promised, seen);
    if (s_->role == candidate || s_->role == leader) {
      s_->role = follower;
      s_->leader = no_leader;
    }
    s_->last_heard = s_->ticks;
  }

  void accepted(std::uint32_t j, reader& rd) {
    const auto ballot = rd.get<std::uint64_t>();
    const auto ok = rd.get<std::uint8_t>();
    const auto promised = rd.get<std::uint64_t>();
    const auto match = rd.get<std::uint64_t>();
    const auto last = rd.get<std::uint64_t>();
    const auto dur = rd.get<std::uint64_t>();
    if (!rd.done()) {
      ++s_->stats[st_malformed];
      return;
    }
    if (!ok) {
      if (promised > s_->ballot && s_->role == leader)
        step_down(promised);
      return;
    }
    if (s_->role != leader || ballot != s_->ballot)
      return;
    auto& p = s_->peer[j];
    const bool lagging = match < s_->commit;
    p.match = match;
    p.last = last;
    p.durable = dur;
    std::uint64_t c = s_->commit;
    for (std::uint32_t k = 0; k < replicas; ++k)
      if (k != s_->self)
        c = std::max(c, std::min(s_->peer[k].match, s_->last));
    advance_commit(c);
    // A tip beyond ours holds nothing chosen (our phase 1 saw every chosen
    // entry): fill it with no-ops so that it gets overwritten and a
    // rejoining replica's target is reached.
    const auto nop = noop();
    while (s_->last < last && fits_ring(s_->last + 1))
      (void)put_entry(s_->last + 1, s_->ballot, nop);
    if (lagging && match < s_->last)
      send_accept(j, match + 1); // catch-up, pipelined
  }

  void start_election() {
    const std::uint64_t round = (std::max(s_->promised, s_->ballot) >> 8) + 1;
    s_->ballot = (round << 8) | s_->self;
    s_->promised = s_->ballot;
    s_->role = candidate;
    s_->leader = no_leader;
    s_->last_heard = s_->ticks;
    ++s_->stats[st_elections];
    for (auto& p : s_->peer)
      p = peer_state{};
    for (std::uint32_t j = 0; j < replicas; ++j)
      if (j != s_->self) {
        s_->peer[j].p1_next = s_->commit + 1;
        send_prepare(j);
      }
  }

  void send_prepare(std::uint32_t j) {
    writer w;
    w.put(k_prepare).put(s_->ballot).put(s_->peer[j].p1_next);
    send_to(j, w);
  }

  void promise(std::uint32_t j, reader& rd) {
    const auto ballot = rd.get<std::uint64_t>();
    const auto ok = rd.get<std::uint8_t>();
    const auto promised = rd.get<std::uint64_t>();
    const auto pcommit = rd.get<std::uint64_t>();
    const auto plast = rd.get<std::uint64_t>();
    const auto pdur = rd.get<std::uint64_t>();
    const auto first = rd.get<std::uint64_t>();
    const auto next = rd.get<std::uint64_t>();
    const auto n = rd.get<std::uint32_t>();
    if (!rd.ok()) {
      ++s_->stats[st_malformed];
      return;
    }
    if (!ok) {
      if (promised > s_->ballot && s_->role == candidate)
        step_down(promised);
      return;
    }
    auto& p = s_->peer[j];
    if (s_->role != candidate || ballot != s_->ballot || p.p1_done || first != p.p1_next)
      return; // stale, duplicate or out of order: the tick asks again
    for (std::uint32_t e = 0; e < n; ++e) {
      const auto i = rd.get<std::uint64_t>();
      const auto b = rd.get<std::uint64_t>();
      const auto cmd = rd.bytes(rd.get<std::uint32_t>());
      if (!rd.ok())
        break;
      auto mine = get_slot(i);
      if (i > s_->commit && (!mine || mine->ballot < b))
        (void)put_entry(i, b, cmd);
    }
    if (!rd.done()) {
      ++s_->stats[st_malformed];
      return;
    }
    p.p1_next = next;
    p.last = plast;
    p.durable = pdur;
    p.match = pcommit;
    if (next <= plast) {
      send_prepare(j); // the rest of its log suffix
      return;
    }
    p.p1_done = 1;
    become_leader(j);
  }

  void become_leader(std::uint32_t j) {
    // Re-propose the whole suffix in our ballot; holes become no-ops. A
    // suffix our ring cannot hold would lose chosen entries: stay candidate.
    const std::uint64_t tip = std::max(s_->last, s_->peer[j].last);
    if (tip >= s_->start + s_->log_cap)
      return;
    const auto nop = noop();
    for (std::uint64_t i = s_->commit + 1; i <= tip && fits_ring(i); ++i) {
      auto sl = get_slot(i);
      if (sl) {
        auto cmd = read_entry(*sl);
        (void)put_entry(i, s_->ballot, cmd);
      } else {
        (void)put_entry(i, s_->ballot, nop);
      }
    }
    s_->role = leader;
    s_->leader = s_->self;
    advance_commit(std::min(s_->peer[j].match, s_->last));
    for (std::uint32_t k = 0; k < replicas; ++k)
      if (k != s_->self)
        send_accept(k, s_->peer[k].match + 1);
  }

  // -- acceptor side --------------------------------------------------------------------------

  void prepare(std::uint32_t j, reader& rd) {
    const auto ballot = rd.get<std::uint64_t>();
    const auto from = rd.get<std::uint64_t>();
    if (!rd.done() || (ballot & 0xff) != j) {
      ++s_->stats[st_malformed];
      return;
    }
    if (s_->role == learner)
      return; // no vote until we know what our last incarnation promised
    writer w;
    bool ok = ballot > s_->promised ||
              (ballot == s_->promised && s_->leader != s_->self && s_->role != candidate);
    if (ok) {
      step_down(ballot);
      s_->promised = ballot;
      s_->leader = no_leader;
    }
    // Entries below our first retained one are chosen and gone from here:
    // a candidate that lacks them must not lead (there is no snapshot).
    ok = ok && from >= s_->start;
    w.put(k_promise).put(ballot).put<std::uint8_t>(ok).put(s_->promised).put(s_->commit);
    w.put(s_->last).put(s_->durable);
    const std::uint64_t first = std::max(from, s_->start);
    w.put(from);
    const std::size_t next_at = w.size();
    w.put<std::uint64_t>(0).put<std::uint32_t>(0);
    std::uint64_t i = first;
    std::uint32_t n = 0;
    if (ok) {
      for (; i <= s_->last; ++i) {
        auto sl = get_slot(i);
        if (!sl)
          continue;
        if (!w.fits(20 + sl->len))
          break;
        auto cmd = read_entry(*sl);
        w.put(i).put(sl->ballot).put<std::uint32_t>(sl->len).bytes(cmd);
        ++n;
      }
    }
    w.patch(next_at, i);
    w.patch(next_at + 8, n);
    send_to(j, w);
  }

  void accept(std::uint32_t j, reader& rd) {
    const auto ballot = rd.get<std::uint64_t>();
    const auto lcommit = rd.get<std::uint64_t>();
    const auto trunc = rd.get<std::uint64_t>();
    const auto llast = rd.get<std::uint64_t>();
    const auto n = rd.get<std::uint32_t>();
    if (!rd.ok() || (ballot & 0xff) != j) {
      ++s_->stats[st_malformed];
      return;
    }
    writer w;
    w.put(k_accepted).put(ballot);
    const bool lrn = s_->role == learner;
    if (ballot < s_->promised && !lrn) {
      w.put<std::uint8_t>(0).put(s_->promised).put(s_->commit).put(s_->last).put(s_->durable);
      send_to(j, w);
      return;
    }
    if (lrn && !s_->recovered)
      return;
    if (!lrn) {
      step_down(ballot);
      s_->promised = ballot;
    }
    s_->leader = j;
    s_->last_heard = s_->ticks;
    for (std::uint32_t e = 0; e < n; ++e) {
      const auto i = rd.get<std::uint64_t>();
      const auto cmd = rd.bytes(rd.get<std::uint32_t>());
      if (!rd.ok())
        break;
      // A learner takes only chosen entries: it may not accept anything.
      if (i > s_->commit && (!lrn || i <= lcommit))
        (void)put_entry(i, ballot, cmd);
    }
    if (!rd.done()) {
      ++s_->stats[st_malformed];
      return;
    }
    std::uint64_t contig = s_->commit;
    for (;;) {
      auto sl = get_slot(contig + 1);
      if (!sl || sl->ballot != ballot)
        break;
      ++contig;
    }
    advance_commit(std::min(lcommit, contig));
    s_->trunc = trunc;
    truncate(trunc);
    if (lrn)
      s_->learn_target = std::max(s_->learn_target, std::min(llast, lcommit));
    w.put<std::uint8_t>(1).put(s_->promised).put(contig).put(s_->last).put(s_->durable);
    send_to(j, w);
  }

  void status_q(std::uint32_t j) {
    writer w;
    w.put(k_status).put(s_->promised).put(s_->last).put<std::uint8_t>(s_->role == learner);
    send_to(j, w);
  }

  void status_a(std::uint32_t j, reader& rd) {
    const auto promised = rd.get<std::uint64_t>();
    const auto last = rd.get<std::uint64_t>();
    const auto lrn = rd.get<std::uint8_t>();
    if (!rd.done()) {
      ++s_->stats[st_malformed];
      return;
    }
    if (s_->role != learner || lrn != 0)
      return;
    s_->peer[j].status_ok = 1;
    s_->promised = std::max(s_->promised, promised);
    s_->learn_target = std::max(s_->learn_target, last);
  }

  // -- time ---------------------------------------------------------------------------------------

  void ask_flush() {
    if (s_->ticks < s_->flush_asked + flush_retry_ticks && s_->flush_asked != 0)
      return;
    s_->flush_asked = s_->ticks;
    writer w;
    w.put(k_flush);
    (void)ctx_->send(s_->memtable, w.data());
  }

  void tick() {
    ++s_->ticks;
    if (s_->last + 1 - s_->start > s_->log_cap / 2)
      ask_flush();
    switch (s_->role) {
    case learner: {
      bool all = s_->recovered != 0;
      for (std::uint32_t j = 0; j < replicas; ++j) {
        if (j == s_->self || s_->peer[j].status_ok)
          continue;
        all = false;
        writer w;
        w.put(k_status_q);
        send_to(j, w);
      }
      if (all && s_->commit >= s_->learn_target) {
        s_->role = follower;
        s_->last_heard = s_->ticks;
      }
      break;
    }
    case leader: {
      std::uint64_t t = s_->durable;
      for (std::uint32_t j = 0; j < replicas; ++j)
        if (j != s_->self)
          t = std::min(t, s_->peer[j].durable);
      s_->trunc = t;
      truncate(t);
      for (std::uint32_t j = 0; j < replicas; ++j)
        if (j != s_->self)
          send_accept(j, s_->peer[j].match + 1);
      break;
    }
    case candidate:
      for (std::uint32_t j = 0; j < replicas; ++j)
        if (j != s_->self && !s_->peer[j].p1_done)
          send_prepare(j);
      [[fallthrough]];
    case follower:
      // Staggered by replica index, so that replica 0 tries first and the
      // others wait long enough to see it win.
      if (s_->ticks - s_->last_heard > s_->election_ticks + 3ull * s_->self)
        start_election();
      break;
    }
  }

  cs_state* s_ = nullptr;
  actor_context* ctx_ = nullptr;
};

} // namespace

std::unique_ptr<runtime::actor> make_consensus() {
  return std::make_unique<consensus>();
}

} // namespace ipipe::apps::rkv::internal
