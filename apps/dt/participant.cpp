// "dt_participant": one shard of the bank accounts. It answers the OCC
// read phase, validates and locks at PREPARE, and applies a COMMIT; every
// PREPARE and COMMIT is on its dt_log's disk before it is acknowledged, so
// a restarted participant rebuilds its shard and its in-doubt transactions
// from the log (Documentation/design/dt.rst).
#include <ipipe/runtime/actor.hpp>

#include "internal.hpp"
#include <algorithm>
#include <vector>

namespace ipipe::apps::dt::internal {
namespace {

using runtime::message;

constexpr std::uint32_t slots = 256;        // transactions prepared at once
constexpr std::uint32_t query_ticks = 20;   // in doubt this long: ask the coordinator
constexpr std::uint32_t relog_ticks = 100;  // a log answer this late: append again
constexpr std::uint32_t replay_ticks = 200; // a replay this late: start it over
constexpr std::uint32_t dump_max = 256;     // accounts per DUMP answer

struct account {
  std::int64_t balance;
  std::uint64_t version; // committed transfers that wrote it
  std::uint64_t lock;    // txid of the prepared transaction holding it, 0: free
};

enum slot_state : std::uint8_t {
  t_free = 0,
  t_logging_prepare = 1, // PREPARE record sent to the log, vote not yet given
  t_prepared = 2,        // voted YES: in doubt until the decision comes
  t_logging_commit = 3,  // COMMIT record sent to the log, not yet applied
};

struct ptxn {
  std::uint64_t txid;
  address coord;
  std::uint8_t state;
  std::uint8_t n;
  std::uint16_t pad;
  std::uint32_t age; // ticks in this state
  std::array<write_op, max_ops> ops;
};

struct part_state {
  counters stats;
  std::uint32_t configured;
  std::uint16_t flags;
  std::uint16_t recovering; // replaying the log: serve nothing else
  std::uint32_t index, participants, accounts, shard;
  std::int64_t initial;
  std::uint32_t log;
  std::uint32_t ncoord;
  std::array<address, max_coordinators> coords;
  object_id accounts_obj;
  object_id txns_obj;
  std::uint32_t recover_age;
  std::uint32_t pad;
};

class participant final : public framed_actor<part_state> {
public:
  expected<void> init(actor_context& ctx) override { return alloc_state(ctx); }
  std::uint64_t tick_period_ns() const noexcept override { return 10'000'000; }

private:
  // -- the DMOs ----------------------------------------------------------------

  bool owns(const part_state& s, std::uint32_t a) const {
    return a < s.accounts && a % s.participants == s.index;
  }
  static std::uint64_t off_of(std::uint32_t a, const part_state& s) {
    return std::uint64_t{a / s.participants} * sizeof(account);
  }
  std::optional<account> load_account(actor_context& ctx, const part_state& s, std::uint32_t a) {
    auto v = ctx.load<account>(s.accounts_obj, off_of(a, s));
    return v ? std::optional(*v) : std::nullopt;
  }
  void store_account(actor_context& ctx, const part_state& s, std::uint32_t a, const account& v) {
    (void)ctx.store(s.accounts_obj, off_of(a, s), v);
  }
  // The whole table, one read: a handler touches few slots but finds them
  // by txid.
  bool load_txns(actor_context& ctx, const part_state& s) {
    txns_.resize(slots);
    return static_cast<bool>(ctx.dmo_read(s.txns_obj, 0, std::as_writable_bytes(std::span(txns_))));
  }
  void store_txn(actor_context& ctx, const part_state& s, std::size_t i) {
    (void)ctx.store(s.txns_obj, i * sizeof(ptxn), txns_[i]);
  }
  std::optional<std::size_t> find(std::uint64_t txid) const {
    for (std::size_t i = 0; i < txns_.size(); ++i)
      if (txns_[i].state != t_free && txns_[i].txid == txid)
        return i;
    return std::nullopt;
  }
  std::optional<std::size_t> free_slot() const {
    for (std::size_t i = 0; i < txns_.size(); ++i)
      if (txns_[i].state == t_free)
        return i;
    return std::nullopt;
  }

  // Sets every account to the initial balance and forgets every transaction.
  bool reset_shard(actor_context& ctx, part_state& s) {
    std::vector<account> all(s.shard, account{s.initial, 0, 0});
    txns_.assign(slots, ptxn{});
    return ctx.dmo_write(s.accounts_obj, 0, std::as_bytes(std::span(all))) &&
           ctx.dmo_write(s.txns_obj, 0, std::as_bytes(std::span(txns_)));
  }

  // Releases the locks slot `i` holds and frees it.
  void release(actor_context& ctx, part_state& s, std::size_t i) {
    auto& t = txns_[i];
    for (std::uint8_t j = 0; j < t.n; ++j) {
      auto a = load_account(ctx, s, t.ops[j].account);
      if (a && a->lock == t.txid) {
        a->lock = 0;
        store_account(ctx, s, t.ops[j].account, *a);
      }
    }
    t = ptxn{};
    store_txn(ctx, s, i);
  }

  // Applies slot `i`'s writes (its commit) and frees it.
  void apply(actor_context& ctx, part_state& s, std::size_t i) {
    const auto& t = txns_[i];
    for (std::uint8_t j = 0; j < t.n; ++j)
      store_account(ctx, s, t.ops[j].account, account{t.ops[j].balance, t.ops[j].version + 1, 0});
    ++s.stats[st_committed];
    txns_[i] = ptxn{};
    store_txn(ctx, s, i);
  }

  // -- messages ------------------------------------------------------------------

  void on_message(actor_context& ctx, const message& msg, part_state& s, std::uint8_t k,
                  reader& rd) override {
    if (k == static_cast<std::uint8_t>(kind::configure)) {
      configure(ctx, rd, s);
      return;
    }
    if (k == static_cast<std::uint8_t>(kind::dump)) {
      dump(ctx, rd, s);
      return;
    }
    if (!s.configured || !load_txns(ctx, s)) {
      ++s.stats[st_malformed];
      return;
    }
    if (k >= k_appended && k <= k_replay_end) {
      if (msg.hdr.client != 0 || msg.src() != s.log)
        ++s.stats[st_foreign];
      else
        from_log(ctx, s, k, rd);
      return;
    }
    if (k < k_read || k > k_sum_q || !is_coordinator(s, sender(msg))) {
      ++s.stats[k >= k_read && k <= k_replay_end ? st_foreign : st_malformed];
      return;
    }
    if (s.recovering)
      return; // the coordinator resends once the shard is rebuilt
    const auto txid = rd.get<std::uint64_t>();
    switch (k) {
    case k_read:
      read(ctx, msg, s, txid, rd);
      break;
    case k_prepare:
      prepare(ctx, msg, s, txid, rd);
      break;
    case k_commit:
    case k_abort:
      if (!rd.done()) {
        ++s.stats[st_malformed];
        break;
      }
      decide(ctx, msg, s, txid, k == k_commit);
      break;
    case k_sum_q:
      if (rd.done())
        sum(ctx, msg, s, txid);
      else
        ++s.stats[st_malformed];
      break;
    default:
      ++s.stats[st_malformed]; // a kind only participants send
    }
  }

  bool is_coordinator(const part_state& s, const address& a) const {
    for (std::uint32_t i = 0; i < s.ncoord; ++i)
      if (s.coords[i].endpoint == a.endpoint && s.coords[i].actor == a.actor)
        return true;
    return false;
  }

  void configure(actor_context& ctx, reader& rd, part_state& s) {
    part_state c = s;
    const auto ver = rd.get<std::uint8_t>();
    c.flags = rd.get<std::uint16_t>();
    c.index = rd.get<std::uint32_t>();
    c.participants = rd.get<std::uint32_t>();
    c.accounts = rd.get<std::uint32_t>();
    c.initial = rd.get<std::int64_t>();
    c.log = rd.get<std::uint32_t>();
    c.ncoord = rd.get<std::uint16_t>();
    (void)rd.get<std::uint16_t>();
    for (std::uint32_t i = 0; i < c.ncoord && i < max_coordinators; ++i)
      c.coords[i] = address{rd.get<std::uint32_t>(), rd.get<std::uint32_t>()};
    const bool valid = rd.done() && ver == protocol_version && c.participants >= 1 &&
                       c.participants <= max_participants && c.index < c.participants &&
                       c.accounts >= c.participants && c.accounts <= max_accounts &&
                       c.initial >= 0 && static_cast<std::uint64_t>(c.initial) <= max_amount &&
                       c.log != 0 && c.ncoord >= 1 && c.ncoord <= max_coordinators;
    const bool same = s.configured && c.index == s.index && c.participants == s.participants &&
                      c.accounts == s.accounts && c.initial == s.initial && c.log == s.log;
    if (!valid || (s.configured && !same)) {
      ++s.stats[st_refused];
      reply_status(ctx, kind::configure, status::error, detail::bad_config);
      return;
    }
    if (s.configured) { // a repeat: the coordinators may change, nothing else
      s.ncoord = c.ncoord;
      s.coords = c.coords;
      reply_status(ctx, kind::configure, status::ok);
      return;
    }
    c.shard = (c.accounts - c.index + c.participants - 1) / c.participants;
    auto accts = ctx.dmo_malloc(std::uint64_t{c.shard} * sizeof(account));
    auto txns = ctx.dmo_malloc(slots * sizeof(ptxn));
    if (!accts || !txns) {
      ++s.stats[st_refused];
      reply_status(ctx, kind::configure, status::error, detail::bad_config);
      return;
    }
    c.accounts_obj = *accts;
    c.txns_obj = *txns;
    c.configured = 1;
    s = c;
    if (!reset_shard(ctx, s)) {
      s.configured = 0;
      ++s.stats[st_refused];
      reply_status(ctx, kind::configure, status::error, detail::bad_config);
      return;
    }
    if (s.flags & cfg_recover)
      start_replay(ctx, s);
    reply_status(ctx, kind::configure, status::ok);
  }

  void start_replay(actor_context& ctx, part_state& s) {
    s.recovering = 1;
    s.recover_age = 0;
    const auto q = std::byte{k_replay_q};
    (void)ctx.send(s.log, std::span(&q, 1));
  }

  void dump(actor_context& ctx, reader& rd, part_state& s) {
    (void)rd.get<std::uint8_t>();
    (void)rd.get<std::uint16_t>();
    const auto first = rd.get<std::uint32_t>();
    if (!rd.done() || !s.configured) {
      ++s.stats[st_malformed];
      return;
    }
    const std::uint32_t end = std::min<std::uint64_t>(s.shard, std::uint64_t{first} + dump_max);
    writer w;
    w.put(static_cast<std::uint8_t>(kind::dump)).put<std::uint8_t>(end < s.shard);
    w.put(static_cast<std::uint16_t>(end > first ? end - first : 0)).put<std::uint32_t>(0);
    for (std::uint32_t i = first; i < end; ++i) {
      const std::uint32_t a = i * s.participants + s.index;
      const auto v = load_account(ctx, s, a).value_or(account{});
      w.put(a).put<std::uint32_t>(v.lock != 0).put(v.balance).put(v.version);
    }
    (void)ctx.reply(w.data());
  }

  void read(actor_context& ctx, const message& msg, part_state& s, std::uint64_t txid, reader& rd) {
    const auto n = rd.get<std::uint8_t>();
    std::array<std::uint32_t, max_ops> accts{};
    for (std::uint8_t i = 0; i < n && i < max_ops; ++i)
      accts[i] = rd.get<std::uint32_t>();
    bool ok = rd.done() && n >= 1 && n <= max_ops;
    for (std::uint8_t i = 0; ok && i < n; ++i)
      ok = owns(s, accts[i]);
    if (!ok) {
      ++s.stats[st_malformed];
      return;
    }
    // OCC reads the committed values, locked or not: PREPARE validates.
    writer w;
    w.put(k_read_ok).put(txid).put(n);
    for (std::uint8_t i = 0; i < n; ++i) {
      const auto a = load_account(ctx, s, accts[i]).value_or(account{});
      w.put(accts[i]).put(a.balance).put(a.version);
    }
    send_to(ctx, sender(msg), w.data());
  }

  void vote(actor_context& ctx, const address& to, std::uint64_t txid, bool yes, detail why) {
    writer w;
    w.put(k_vote).put(txid).put<std::uint8_t>(yes).put(static_cast<std::uint8_t>(why));
    send_to(ctx, to, w.data());
  }

  void append(actor_context& ctx, const part_state& s, const ptxn& t, rec type) {
    writer w;
    w.put(k_append).put(static_cast<std::uint8_t>(type)).put(t.txid);
    if (type == r_prepare) {
      w.put(t.coord.endpoint).put(t.coord.actor);
      put_ops(w, t.n, t.ops);
    }
    (void)ctx.send(s.log, w.data());
  }

  void prepare(actor_context& ctx, const message& msg, part_state& s, std::uint64_t txid,
               reader& rd) {
    ptxn t{};
    t.txid = txid;
    t.coord = sender(msg);
    bool ok = get_ops(rd, t.n, t.ops) && rd.done() && txid != 0;
    for (std::uint8_t i = 0; ok && i < t.n; ++i)
      ok = owns(s, t.ops[i].account) && t.ops[i].balance >= 0 &&
           (i == 0 || t.ops[i].account != t.ops[0].account);
    if (!ok) {
      ++s.stats[st_malformed];
      return;
    }
    if (auto i = find(txid)) { // a resent PREPARE
      if (txns_[*i].state == t_prepared)
        vote(ctx, t.coord, txid, true, detail::none);
      return; // still logging: the vote follows the log's answer
    }
    for (std::uint8_t i = 0; i < t.n; ++i) {
      const auto a = load_account(ctx, s, t.ops[i].account);
      if (!a || a->lock != 0 || a->version != t.ops[i].version) {
        ++s.stats[st_conflicts];
        vote(ctx, t.coord, txid, false, detail::conflict);
        return;
      }
    }
    const auto slot = free_slot();
    if (!slot) {
      ++s.stats[st_conflicts];
      vote(ctx, t.coord, txid, false, detail::busy);
      return;
    }
    for (std::uint8_t i = 0; i < t.n; ++i) {
      auto a = *load_account(ctx, s, t.ops[i].account);
      a.lock = txid;
      store_account(ctx, s, t.ops[i].account, a);
    }
    t.state = t_logging_prepare;
    txns_[*slot] = t;
    store_txn(ctx, s, *slot);
    append(ctx, s, t, r_prepare);
    ++s.stats[st_appends];
  }

  void decide(actor_context& ctx, const message& msg, part_state& s, std::uint64_t txid,
              bool commit) {
    const auto i = find(txid);
    if (i && commit && txns_[*i].state == t_prepared) {
      // Applied once the COMMIT record is on disk: every later record of
      // these accounts then follows it in the log.
      txns_[*i].state = t_logging_commit;
      txns_[*i].age = 0;
      txns_[*i].coord = sender(msg);
      store_txn(ctx, s, *i);
      append(ctx, s, txns_[*i], r_commit);
      ++s.stats[st_appends];
      return;
    }
    if (i && !commit && txns_[*i].state != t_logging_commit) {
      // Presumed abort: the record only saves a query after a restart.
      append(ctx, s, txns_[*i], r_abort);
      ++s.stats[st_appends];
      release(ctx, s, *i);
      ++s.stats[st_aborted];
    }
    if (i && (commit || txns_[*i].state == t_logging_commit))
      return; // not prepared yet, or its commit is being logged: the ACK follows
    writer w;
    w.put(k_ack).put(txid).put<std::uint8_t>(commit);
    send_to(ctx, sender(msg), w.data());
  }

  void sum(actor_context& ctx, const message& msg, part_state& s, std::uint64_t id) {
    std::vector<account> all(s.shard);
    if (!ctx.dmo_read(s.accounts_obj, 0, std::as_writable_bytes(std::span(all))))
      return;
    std::int64_t total = 0;
    for (const auto& a : all)
      total += a.balance;
    const auto prepared = static_cast<std::uint32_t>(
        std::count_if(txns_.begin(), txns_.end(), [](const ptxn& t) { return t.state != t_free; }));
    writer w;
    w.put(k_sum).put(id).put(s.shard).put(prepared).put(total);
    send_to(ctx, sender(msg), w.data());
  }

  // -- the log's answers -------------------------------------------------------------

  void from_log(actor_context& ctx, part_state& s, std::uint8_t k, reader& rd) {
    if (k == k_appended) {
      const auto type = rd.get<std::uint8_t>();
      const auto txid = rd.get<std::uint64_t>();
      const bool ok = rd.get<std::uint8_t>() != 0;
      if (!rd.done()) {
        ++s.stats[st_malformed];
        return;
      }
      appended(ctx, s, type, txid, ok);
    } else if (k == k_replay) {
      if (s.recovering)
        replayed(ctx, s, rd);
    } else if (k == k_replay_end) {
      const bool ok = rd.get<std::uint8_t>() != 0;
      if (!s.recovering || !rd.ok())
        return;
      if (!ok) {
        s.recover_age = replay_ticks; // the log could not read: try again next tick
        return;
      }
      s.recovering = 0;
      for (std::size_t i = 0; i < txns_.size(); ++i)
        if (txns_[i].state == t_prepared) {
          txns_[i].age = query_ticks; // in doubt: ask at the next tick
          store_txn(ctx, s, i);
        }
    } else {
      ++s.stats[st_malformed];
    }
  }

  void appended(actor_context& ctx, part_state& s, std::uint8_t type, std::uint64_t txid, bool ok) {
    const auto i = find(txid);
    if (!i)
      return; // an abort's record, or an answer to a previous incarnation
    auto& t = txns_[*i];
    if (type == r_prepare && t.state == t_logging_prepare) {
      if (!ok) {
        const address to = t.coord;
        release(ctx, s, *i);
        vote(ctx, to, txid, false, detail::busy);
        return;
      }
      t.state = t_prepared;
      t.age = 0;
      store_txn(ctx, s, *i);
      vote(ctx, t.coord, txid, true, detail::none);
    } else if (type == r_commit && t.state == t_logging_commit && ok) {
      const address to = t.coord;
      apply(ctx, s, *i);
      writer w;
      w.put(k_ack).put(txid).put<std::uint8_t>(1);
      send_to(ctx, to, w.data());
    }
    // A failed COMMIT record stays t_logging_commit and is appended again
    // by the tick.
  }

  // Rebuilds the shard from log records, in append order.
  void replayed(actor_context& ctx, part_state& s, reader& rd) {
    const auto n = rd.get<std::uint32_t>();
    for (std::uint32_t r = 0; r < n && rd.ok(); ++r) {
      const auto len = rd.get<std::uint16_t>();
      reader body(rd.bytes(len));
      if (!rd.ok())
        break;
      const auto type = body.get<std::uint8_t>();
      const auto txid = body.get<std::uint64_t>();
      ++s.stats[st_recovered];
      if (type == r_prepare)
        replay_prepare(ctx, s, txid, body);
      else if (auto i = find(txid); i && body.done() && type == r_commit)
        apply(ctx, s, *i);
      else if (i && body.done() && type == r_abort)
        release(ctx, s, *i);
    }
    if (!rd.done())
      ++s.stats[st_malformed];
  }

  void replay_prepare(actor_context& ctx, part_state& s, std::uint64_t txid, reader& body) {
    ptxn t{};
    t.txid = txid;
    t.coord.endpoint = body.get<std::uint32_t>();
    t.coord.actor = body.get<std::uint32_t>();
    bool ok = get_ops(body, t.n, t.ops) && body.done() && !find(txid);
    for (std::uint8_t j = 0; ok && j < t.n; ++j)
      ok = owns(s, t.ops[j].account);
    if (!ok)
      return;
    for (std::uint8_t j = 0; j < t.n; ++j) {
      // An account still locked by an earlier transaction: that one was
      // aborted (a commit is logged before its accounts are unlocked, an
      // abort record may be missing).
      const auto a = load_account(ctx, s, t.ops[j].account);
      if (a && a->lock != 0)
        if (auto e = find(a->lock))
          release(ctx, s, *e);
    }
    const auto slot = free_slot();
    if (!slot)
      return;
    for (std::uint8_t j = 0; j < t.n; ++j) {
      auto a = load_account(ctx, s, t.ops[j].account).value_or(account{});
      a.lock = txid;
      store_account(ctx, s, t.ops[j].account, a);
    }
    t.state = t_prepared;
    txns_[*slot] = t;
    store_txn(ctx, s, *slot);
  }

  // -- time -----------------------------------------------------------------------------

  void on_tick(actor_context& ctx, part_state& s) override {
    if (!s.configured)
      return;
    if (s.recovering) {
      if (++s.recover_age > replay_ticks && reset_shard(ctx, s))
        start_replay(ctx, s);
      return;
    }
    if (!load_txns(ctx, s))
      return;
    for (std::size_t i = 0; i < txns_.size(); ++i) {
      auto& t = txns_[i];
      if (t.state == t_free)
        continue;
      ++t.age;
      if (t.state == t_prepared && t.age >= query_ticks) {
        writer w;
        w.put(k_query).put(t.txid);
        send_to(ctx, t.coord, w.data());
        ++s.stats[st_retries];
        t.age = 0;
      } else if (t.state != t_prepared && t.age >= relog_ticks) {
        append(ctx, s, t, t.state == t_logging_prepare ? r_prepare : r_commit);
        t.age = 0;
      }
      store_txn(ctx, s, i);
    }
  }

  void fill_gauges(actor_context& ctx, part_state& s) override {
    s.stats[st_recovering] = s.recovering;
    s.stats[st_in_flight] = 0;
    if (s.configured && load_txns(ctx, s))
      s.stats[st_in_flight] = static_cast<std::uint64_t>(std::count_if(
          txns_.begin(), txns_.end(), [](const ptxn& t) { return t.state != t_free; }));
  }

  std::vector<ptxn> txns_; // scratch: the table as loaded for this handler
};

} // namespace

std::unique_ptr<runtime::actor> make_participant() {
  return std::make_unique<participant>();
}

} // namespace ipipe::apps::dt::internal
