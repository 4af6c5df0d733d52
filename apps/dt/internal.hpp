#pragma once
// What the three DT actors share and nobody else needs: internal message
// kinds, log records, addressing and the counters frame.

#include <ipipe/runtime/actor.hpp>
#include <ipipe/runtime/actor_context.hpp>

#include "dt.hpp"
#include <array>
#include <common/codec.hpp>
#include <memory>

namespace ipipe::apps::dt::internal {

using runtime::actor_context;
using runtime::actor_id;
using runtime::object_id;

/// Internal message kinds (first payload byte).
enum ikind : std::uint8_t {
  k_read = 0x30,    ///< coordinator -> participant: OCC read phase
  k_read_ok = 0x31, ///< participant -> coordinator: balances and versions
  k_prepare = 0x32, ///< coordinator -> participant: validate, lock, log
  k_vote = 0x33,    ///< participant -> coordinator: YES once logged, or NO
  k_commit = 0x34,  ///< coordinator -> participant: the decision
  k_abort = 0x35,
  k_ack = 0x36,      ///< participant -> coordinator: the decision is applied (and logged)
  k_query = 0x37,    ///< participant -> coordinator: the outcome of an in-doubt transaction
  k_sum_q = 0x38,    ///< coordinator -> participant: AUDIT
  k_sum = 0x39,      ///< participant -> coordinator: the shard's sum
  k_append = 0x50,   ///< participant -> log: one record
  k_appended = 0x51, ///< log -> participant: the record is on disk
  k_replay_q = 0x52, ///< participant -> log: send every record back
  k_replay = 0x53,   ///< log -> participant: records
  k_replay_end = 0x54,
};

/// Log record types (first byte of a record).
enum rec : std::uint8_t {
  r_prepare = 1, ///< txid, coordinator address, the writes
  r_commit = 2,  ///< txid
  r_abort = 3,   ///< txid
};

/// One write of a transaction at a participant.
struct write_op {
  std::uint32_t account = 0; ///< global account number
  std::uint64_t version = 0; ///< the version read; the commit makes it version + 1
  std::int64_t balance = 0;  ///< the balance after the commit
};
inline constexpr std::size_t max_ops = 2; // a transfer touches two accounts

/// A PREPARE record (also the body of k_prepare after its txid).
struct prepare_rec {
  std::uint64_t txid = 0;
  address coord;
  std::uint8_t n = 0;
  std::array<write_op, max_ops> ops{};
};

inline void put_ops(writer& w, std::uint8_t n, const std::array<write_op, max_ops>& ops) {
  w.put(n);
  for (std::uint8_t i = 0; i < n && i < max_ops; ++i)
    w.put(ops[i].account).put(ops[i].version).put(ops[i].balance);
}

/// Reads a count and that many writes; false if malformed.
inline bool get_ops(reader& r, std::uint8_t& n, std::array<write_op, max_ops>& ops) {
  n = r.get<std::uint8_t>();
  if (n == 0 || n > max_ops)
    return false;
  for (std::uint8_t i = 0; i < n; ++i) {
    ops[i].account = r.get<std::uint32_t>();
    ops[i].version = r.get<std::uint64_t>();
    ops[i].balance = r.get<std::int64_t>();
  }
  return r.ok();
}

/// The counters block every actor keeps at the start of its state object.
using counters = std::array<std::uint64_t, st_count>;

/// Sends `p` to `to`: a local send for endpoint 0, else over the wire.
inline void send_to(actor_context& ctx, const address& to, std::span<const std::byte> p) {
  if (to.endpoint == 0)
    (void)ctx.send(to.actor, p);
  else
    (void)ctx.send_remote(to.endpoint, to.actor, p);
}

/// Returns the address of the sender of `m`, as this node reaches it.
inline address sender(const runtime::message& m) {
  return {m.hdr.client, m.hdr.src_actor};
}

/// Answers a STATS request with `c`.
inline void reply_stats(actor_context& ctx, const counters& c) {
  writer w;
  w.put(static_cast<std::uint8_t>(kind::stats)).put<std::uint8_t>(st_count);
  for (auto v : c)
    w.put(v);
  (void)ctx.reply(w.data());
}

/// Replies a response with status `st` to the message being handled.
inline void reply_status(actor_context& ctx, kind op, status st, detail why = detail::none) {
  response r;
  r.st = st;
  r.op = op;
  r.why = why;
  (void)ctx.reply(encode(r));
}

/// The frame of the three actors: `State`, which starts with the counters
/// block, is the first DMO (restore() finds it by id order). handle()
/// loads it, counts the message, answers STATS, counts error answers to
/// our own sends, drops replies and empty payloads as malformed, hands the
/// rest to on_message() and stores the state back.
template <class State>
class framed_actor : public runtime::actor {
public:
  expected<void> restore(actor_context& ctx) override {
    auto ids = ctx.objects();
    if (ids.empty())
      return errc::not_found;
    st_ = ids.front();
    return {};
  }

  void handle(actor_context& ctx, const runtime::message& msg) final {
    auto s = ctx.load<State>(st_);
    if (!s)
      return;
    if (runtime::is_tick(msg)) {
      on_tick(ctx, *s);
    } else {
      ++s->stats[st_requests];
      reader rd(msg.payload);
      const auto k = rd.get<std::uint8_t>();
      if (msg.type() == IPIPE_MSG_ERROR) {
        ++s->stats[st_undeliverable]; // a peer actor is gone (restart): retries cover it
      } else if (!rd.ok() || msg.type() == IPIPE_MSG_REPLY) {
        ++s->stats[st_malformed];
      } else if (k == static_cast<std::uint8_t>(kind::stats) && rd.done()) {
        fill_gauges(ctx, *s);
        reply_stats(ctx, s->stats);
      } else {
        on_message(ctx, msg, *s, k, rd);
      }
    }
    (void)ctx.store(st_, 0, *s);
  }

protected:
  /// Allocates the state object; call first in init().
  expected<void> alloc_state(actor_context& ctx) {
    auto st = ctx.dmo_malloc(sizeof(State));
    if (!st)
      return st.err();
    st_ = *st;
    return {};
  }
  /// Handles a message of kind `k` (its first byte, already read from `rd`).
  virtual void on_message(actor_context& ctx, const runtime::message& msg, State& s, std::uint8_t k,
                          reader& rd) = 0;
  /// Handles a tick.
  virtual void on_tick(actor_context& ctx, State& s) {
    (void)ctx;
    (void)s;
  }
  /// Updates gauges in the counters block before STATS is answered.
  virtual void fill_gauges(actor_context& ctx, State& s) {
    (void)ctx;
    (void)s;
  }

  object_id st_ = 0;
};

/// Actor factories, defined beside each actor.
std::unique_ptr<runtime::actor> make_coordinator();
std::unique_ptr<runtime::actor> make_participant();
std::unique_ptr<runtime::actor> make_log();

} // namespace ipipe::apps::dt::internal
