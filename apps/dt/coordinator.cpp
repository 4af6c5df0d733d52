// "dt_coordinator": runs each transfer as a transaction with optimistic
// concurrency control (read versions, then validate at PREPARE) and
// two-phase commit over the participants that own its accounts, and
// answers the client, through a deferred reply, only once the transaction
// committed everywhere or aborted (Documentation/design/dt.rst).
#include <ipipe/runtime/actor.hpp>

#include "internal.hpp"
#include <vector>

namespace ipipe::apps::dt::internal {
namespace {

using runtime::message;
using runtime::reply_token;

constexpr std::uint32_t slots = 256;         // transactions in flight; txid's low byte
constexpr std::uint32_t retry_ticks = 5;     // no progress this long: resend the phase
constexpr std::uint32_t timeout_ticks = 200; // undecided this long: abort

enum txn_state : std::uint8_t {
  c_free = 0,
  c_reading = 1,    // READ sent, waiting for every READ_OK
  c_preparing = 2,  // PREPARE sent, waiting for every vote
  c_committing = 3, // decided COMMIT, waiting for every ACK
  c_auditing = 4,   // SUM_Q sent to every participant
};

struct part {
  std::uint32_t participant; // index into the configuration
  std::uint8_t n;
  std::uint8_t pad[3];
  std::array<write_op, max_ops> ops; // account, version read, balance read -> to write
};

struct ctxn {
  std::uint64_t txid; // 0: free
  std::uint8_t state;
  std::uint8_t nparts;
  std::uint8_t got; // bit per part (per participant when auditing): answered this phase
  std::uint8_t pad;
  std::uint32_t age; // ticks since the last progress
  std::uint32_t total_age;
  std::uint32_t from, to;
  std::uint32_t in_doubt; // audit
  std::uint64_t amount;
  std::uint64_t client_id, seq;
  std::int64_t sum;      // audit
  std::uint64_t counted; // audit: accounts summed
  std::array<part, max_ops> parts;
  reply_token reply;
};

struct coord_state {
  counters stats;
  std::uint32_t configured;
  std::uint32_t id;
  std::uint32_t accounts;
  std::uint32_t nparts;
  std::int64_t initial;
  std::array<address, max_participants> parts;
  object_id txns_obj;
  std::uint64_t next; // transactions started; txid = id << 48 | next << 8 | slot
};

class coordinator final : public framed_actor<coord_state> {
public:
  expected<void> init(actor_context& ctx) override { return alloc_state(ctx); }
  std::uint64_t tick_period_ns() const noexcept override { return 10'000'000; }

private:
  std::optional<ctxn> load_txn(actor_context& ctx, const coord_state& s, std::size_t i) {
    auto t = ctx.load<ctxn>(s.txns_obj, i * sizeof(ctxn));
    return t ? std::optional(*t) : std::nullopt;
  }
  void store_txn(actor_context& ctx, const coord_state& s, std::size_t i, const ctxn& t) {
    (void)ctx.store(s.txns_obj, i * sizeof(ctxn), t);
  }
  // The slot of `txid` if it is still this coordinator's, in flight.
  std::optional<ctxn> by_txid(actor_context& ctx, const coord_state& s, std::uint64_t txid) {
    if (txid >> 48 != s.id)
      return std::nullopt;
    auto t = load_txn(ctx, s, txid & 0xff);
    if (!t || t->txid != txid || t->state == c_free)
      return std::nullopt;
    return t;
  }

  void on_message(actor_context& ctx, const message& msg, coord_state& s, std::uint8_t k,
                  reader& rd) override {
    if (k == static_cast<std::uint8_t>(kind::configure)) {
      configure(ctx, rd, s);
      return;
    }
    if (msg.type() == IPIPE_MSG_REQUEST) {
      client_request(ctx, msg, s, k, rd);
      return;
    }
    const auto who = participant_of(s, sender(msg));
    if (k < k_read || k > k_replay_end || !s.configured || !who) {
      ++s.stats[k >= k_read && k <= k_replay_end ? st_foreign : st_malformed];
      return;
    }
    const auto txid = rd.get<std::uint64_t>();
    auto t = by_txid(ctx, s, txid);
    switch (k) {
    case k_read_ok:
      read_ok(ctx, s, t, *who, rd);
      break;
    case k_vote: {
      const bool yes = rd.get<std::uint8_t>() != 0;
      const auto why = rd.get<std::uint8_t>();
      if (!rd.done()) {
        ++s.stats[st_malformed];
        return;
      }
      voted(ctx, s, t, *who, yes, why);
      break;
    }
    case k_ack:
      (void)rd.get<std::uint8_t>();
      if (!rd.done()) {
        ++s.stats[st_malformed];
        return;
      }
      acked(ctx, s, t, *who);
      break;
    case k_query:
      if (!rd.done()) {
        ++s.stats[st_malformed];
        return;
      }
      queried(ctx, s, t, txid, sender(msg));
      break;
    case k_sum:
      summed(ctx, s, t, *who, rd);
      break;
    default:
      ++s.stats[st_malformed];
    }
  }

  std::optional<std::uint32_t> participant_of(const coord_state& s, const address& a) const {
    for (std::uint32_t i = 0; i < s.nparts; ++i)
      if (s.parts[i].endpoint == a.endpoint && s.parts[i].actor == a.actor)
        return i;
    return std::nullopt;
  }

  void configure(actor_context& ctx, reader& rd, coord_state& s) {
    const auto ver = rd.get<std::uint8_t>();
    const auto n = rd.get<std::uint16_t>();
    coord_state c = s;
    c.id = rd.get<std::uint32_t>();
    c.accounts = rd.get<std::uint32_t>();
    (void)rd.get<std::uint32_t>();
    c.initial = rd.get<std::int64_t>();
    c.nparts = n;
    for (std::uint32_t i = 0; i < n && i < max_participants; ++i)
      c.parts[i] = address{rd.get<std::uint32_t>(), rd.get<std::uint32_t>()};
    const bool valid = rd.done() && ver == protocol_version && n >= 1 && n <= max_participants &&
                       c.id >= 1 && c.id <= 0xffff && c.accounts >= n &&
                       c.accounts <= max_accounts && c.initial >= 0 &&
                       static_cast<std::uint64_t>(c.initial) <= max_amount;
    bool same = s.configured && c.id == s.id && c.accounts == s.accounts &&
                c.initial == s.initial && c.nparts == s.nparts;
    for (std::uint32_t i = 0; same && i < n; ++i)
      same = c.parts[i].endpoint == s.parts[i].endpoint && c.parts[i].actor == s.parts[i].actor;
    if (!valid || (s.configured && !same)) {
      ++s.stats[st_refused];
      reply_status(ctx, kind::configure, status::error, detail::bad_config);
      return;
    }
    if (!s.configured) {
      auto txns = ctx.dmo_malloc(slots * sizeof(ctxn));
      if (!txns) {
        ++s.stats[st_refused];
        reply_status(ctx, kind::configure, status::error, detail::bad_config);
        return;
      }
      c.txns_obj = *txns;
      c.configured = 1;
      s = c;
    }
    reply_status(ctx, kind::configure, status::ok);
  }

  // -- clients ------------------------------------------------------------------

  void refuse(actor_context& ctx, coord_state& s, kind op, const request& q, detail why) {
    ++s.stats[st_refused];
    response r;
    r.st = status::error;
    r.op = op;
    r.why = why;
    r.client_id = q.client_id;
    r.seq = q.seq;
    (void)ctx.reply(encode(r));
  }

  void client_request(actor_context& ctx, const message& msg, coord_state& s, std::uint8_t k,
                      reader& rd) {
    const auto ver = rd.get<std::uint8_t>();
    (void)rd.get<std::uint16_t>();
    request q;
    q.op = static_cast<kind>(k);
    if (q.op == kind::transfer) {
      q.from = rd.get<std::uint32_t>();
      q.to = rd.get<std::uint32_t>();
      (void)rd.get<std::uint32_t>();
      q.amount = rd.get<std::uint64_t>();
    } else {
      (void)rd.get<std::uint32_t>();
    }
    q.client_id = rd.get<std::uint64_t>();
    q.seq = rd.get<std::uint64_t>();
    // Garbage is never answered, so it cannot be used to reflect traffic.
    if ((q.op != kind::transfer && q.op != kind::audit) || !rd.done() || ver != protocol_version) {
      ++s.stats[st_malformed];
      return;
    }
    if (!s.configured)
      return refuse(ctx, s, q.op, q, detail::not_configured);
    if (q.op == kind::transfer && (q.from >= s.accounts || q.to >= s.accounts || q.from == q.to))
      return refuse(ctx, s, q.op, q, detail::bad_account);
    if (q.op == kind::transfer && (q.amount == 0 || q.amount > max_amount))
      return refuse(ctx, s, q.op, q, detail::bad_amount);
    // A free slot, searched from the next txid's.
    std::optional<std::size_t> slot;
    std::optional<ctxn> t;
    for (std::uint32_t i = 0; i < slots && !slot; ++i) {
      const std::size_t at = (s.next + i) % slots;
      t = load_txn(ctx, s, at);
      if (t && t->state == c_free)
        slot = at;
    }
    if (!slot)
      return refuse(ctx, s, q.op, q, detail::busy);
    auto token = ctx.defer_reply();
    if (!token)
      return refuse(ctx, s, q.op, q, detail::no_address);
    ++s.next;
    ctxn n{};
    n.txid = (std::uint64_t{s.id} << 48) | ((s.next & 0xffffffffffull) << 8) | *slot;
    n.reply = *token;
    n.client_id = q.client_id;
    n.seq = q.seq;
    if (q.op == kind::audit) {
      n.state = c_auditing;
      send_phase(ctx, s, n);
      store_txn(ctx, s, *slot, n);
      return;
    }
    n.state = c_reading;
    n.from = q.from;
    n.to = q.to;
    n.amount = q.amount;
    // Group the two accounts by owner: one part, or two.
    for (const auto a : {q.from, q.to}) {
      const std::uint32_t owner = a % s.nparts;
      std::uint8_t p = 0;
      while (p < n.nparts && n.parts[p].participant != owner)
        ++p;
      if (p == n.nparts)
        n.parts[n.nparts++].participant = owner;
      n.parts[p].ops[n.parts[p].n++].account = a;
    }
    send_phase(ctx, s, n);
    store_txn(ctx, s, *slot, n);
  }

  // Sends the current phase's message to every part that has not answered.
  void send_phase(actor_context& ctx, const coord_state& s, const ctxn& t) {
    if (t.state == c_auditing) {
      writer w;
      w.put(k_sum_q).put(t.txid);
      for (std::uint32_t i = 0; i < s.nparts; ++i)
        if (!(t.got & (1u << i)))
          send_to(ctx, s.parts[i], w.data());
      return;
    }
    for (std::uint8_t p = 0; p < t.nparts; ++p) {
      if (t.got & (1u << p))
        continue;
      const auto& pt = t.parts[p];
      writer w;
      if (t.state == c_reading) {
        w.put(k_read).put(t.txid).put(pt.n);
        for (std::uint8_t j = 0; j < pt.n; ++j)
          w.put(pt.ops[j].account);
      } else if (t.state == c_preparing) {
        w.put(k_prepare).put(t.txid);
        put_ops(w, pt.n, pt.ops);
      } else {
        w.put(k_commit).put(t.txid);
      }
      send_to(ctx, s.parts[pt.participant], w.data());
    }
  }

  // The part of `t` that participant `who` serves.
  static std::optional<std::uint8_t> part_of(const ctxn& t, std::uint32_t who) {
    for (std::uint8_t p = 0; p < t.nparts; ++p)
      if (t.parts[p].participant == who)
        return p;
    return std::nullopt;
  }

  // Answers the client and frees the slot.
  void finish(actor_context& ctx, coord_state& s, ctxn& t, status st, detail why) {
    response r;
    r.st = st;
    r.why = why;
    r.op = t.state == c_auditing ? kind::audit : kind::transfer;
    r.client_id = t.client_id;
    r.seq = t.seq;
    r.txid = t.state == c_auditing ? 0 : t.txid;
    if (t.state == c_auditing) {
      r.accounts = static_cast<std::uint32_t>(t.counted);
      r.in_doubt = t.in_doubt;
      r.total = t.sum;
      r.expected = static_cast<std::int64_t>(s.accounts) * s.initial;
      ++s.stats[st_audits];
    } else if (st == status::committed) {
      ++s.stats[st_committed];
    } else {
      ++s.stats[st_aborted];
      if (why == detail::conflict)
        ++s.stats[st_conflicts];
    }
    (void)ctx.reply_to(t.reply, encode(r));
    const std::size_t slot = t.txid & 0xff;
    t = ctxn{};
    store_txn(ctx, s, slot, t);
  }

  // Aborts `t`: tells every part (each may hold locks) and answers.
  void abort(actor_context& ctx, coord_state& s, ctxn& t, detail why) {
    writer w;
    w.put(k_abort).put(t.txid);
    if (t.state == c_preparing)
      for (std::uint8_t p = 0; p < t.nparts; ++p)
        send_to(ctx, s.parts[t.parts[p].participant], w.data());
    finish(ctx, s, t, status::aborted, why);
  }

  void next_phase(actor_context& ctx, coord_state& s, ctxn& t, txn_state st) {
    t.state = st;
    t.got = 0;
    t.age = 0;
    send_phase(ctx, s, t);
    store_txn(ctx, s, t.txid & 0xff, t);
  }

  void read_ok(actor_context& ctx, coord_state& s, std::optional<ctxn>& t, std::uint32_t who,
               reader& rd) {
    const auto n = rd.get<std::uint8_t>();
    std::array<write_op, max_ops> got{};
    for (std::uint8_t j = 0; j < n && j < max_ops; ++j) {
      got[j].account = rd.get<std::uint32_t>();
      got[j].balance = rd.get<std::int64_t>();
      got[j].version = rd.get<std::uint64_t>();
    }
    if (!rd.done() || n == 0 || n > max_ops) {
      ++s.stats[st_malformed];
      return;
    }
    if (!t || t->state != c_reading)
      return; // late or duplicate
    const auto p = part_of(*t, who);
    if (!p || (t->got & (1u << *p)) || t->parts[*p].n != n)
      return;
    auto& pt = t->parts[*p];
    for (std::uint8_t j = 0; j < n; ++j) {
      if (got[j].account != pt.ops[j].account) {
        ++s.stats[st_malformed];
        return;
      }
      pt.ops[j] = got[j];
    }
    t->got |= 1u << *p;
    t->age = 0;
    if (t->got != (1u << t->nparts) - 1) {
      store_txn(ctx, s, t->txid & 0xff, *t);
      return;
    }
    // Every read is in: compute the writes from the versions read.
    write_op* from = nullptr;
    write_op* to = nullptr;
    for (auto& q : t->parts)
      for (std::uint8_t j = 0; j < q.n; ++j)
        (q.ops[j].account == t->from ? from : to) = &q.ops[j];
    if (from == nullptr || to == nullptr)
      return;
    if (from->balance < static_cast<std::int64_t>(t->amount))
      return abort(ctx, s, *t, detail::insufficient);
    from->balance -= static_cast<std::int64_t>(t->amount);
    to->balance += static_cast<std::int64_t>(t->amount);
    next_phase(ctx, s, *t, c_preparing);
  }

  void voted(actor_context& ctx, coord_state& s, std::optional<ctxn>& t, std::uint32_t who,
             bool yes, std::uint8_t why) {
    if (!t || t->state != c_preparing)
      return;
    const auto p = part_of(*t, who);
    if (!p || (t->got & (1u << *p)))
      return;
    if (!yes)
      return abort(ctx, s, *t,
                   why == static_cast<std::uint8_t>(detail::busy) ? detail::busy
                                                                  : detail::conflict);
    t->got |= 1u << *p;
    t->age = 0;
    if (t->got != (1u << t->nparts) - 1) {
      store_txn(ctx, s, t->txid & 0xff, *t);
      return;
    }
    next_phase(ctx, s, *t, c_committing); // the decision: COMMIT
  }

  void acked(actor_context& ctx, coord_state& s, std::optional<ctxn>& t, std::uint32_t who) {
    if (!t || t->state != c_committing)
      return; // an abort's ACK, or a duplicate
    const auto p = part_of(*t, who);
    if (!p)
      return;
    t->got |= 1u << *p;
    t->age = 0;
    if (t->got == (1u << t->nparts) - 1)
      return finish(ctx, s, *t, status::committed, detail::none);
    store_txn(ctx, s, t->txid & 0xff, *t);
  }

  void queried(actor_context& ctx, coord_state& s, std::optional<ctxn>& t, std::uint64_t txid,
               const address& to) {
    if (t && t->state == c_preparing)
      return; // undecided: the decision will be sent
    // Committing: say so again. Unknown: presumed abort -- a transaction
    // leaves the table committed only once every part acknowledged.
    writer w;
    w.put(t && t->state == c_committing ? k_commit : k_abort).put(txid);
    send_to(ctx, to, w.data());
  }

  void summed(actor_context& ctx, coord_state& s, std::optional<ctxn>& t, std::uint32_t who,
              reader& rd) {
    const auto accounts = rd.get<std::uint32_t>();
    const auto prepared = rd.get<std::uint32_t>();
    const auto sum = rd.get<std::int64_t>();
    if (!rd.done()) {
      ++s.stats[st_malformed];
      return;
    }
    if (!t || t->state != c_auditing || (t->got & (1u << who)))
      return;
    t->got |= 1u << who;
    t->counted += accounts;
    t->in_doubt += prepared;
    t->sum += sum;
    if (t->got == (1u << s.nparts) - 1)
      return finish(ctx, s, *t, status::ok, detail::none);
    store_txn(ctx, s, t->txid & 0xff, *t);
  }

  // -- time ----------------------------------------------------------------------------

  void on_tick(actor_context& ctx, coord_state& s) override {
    if (!s.configured)
      return;
    std::vector<ctxn> all(slots);
    if (!ctx.dmo_read(s.txns_obj, 0, std::as_writable_bytes(std::span(all))))
      return;
    for (std::size_t i = 0; i < all.size(); ++i) {
      auto& t = all[i];
      if (t.state == c_free)
        continue;
      ++t.age;
      ++t.total_age;
      // Undecided for too long: abort (safe, nobody committed). A decided
      // COMMIT is resent until every part acknowledges it.
      if (t.state != c_committing && t.total_age >= timeout_ticks) {
        if (t.state == c_auditing)
          finish(ctx, s, t, status::error, detail::busy);
        else
          abort(ctx, s, t, detail::timeout);
        continue;
      }
      if (t.age >= retry_ticks) {
        t.age = 0;
        ++s.stats[st_retries];
        send_phase(ctx, s, t);
      }
      store_txn(ctx, s, i, t);
    }
  }

  void fill_gauges(actor_context& ctx, coord_state& s) override {
    s.stats[st_in_flight] = 0;
    if (!s.configured)
      return;
    for (std::size_t i = 0; i < slots; ++i)
      if (auto t = load_txn(ctx, s, i); t && t->state != c_free)
        ++s.stats[st_in_flight];
  }
};

} // namespace

std::unique_ptr<runtime::actor> make_coordinator() {
  return std::make_unique<coordinator>();
}

} // namespace ipipe::apps::dt::internal
