#pragma once
// What the three RKV actors share and nobody else needs: internal message
// kinds, the command format of the log, reply addresses and counters.

#include <ipipe/runtime/actor.hpp>
#include <ipipe/runtime/actor_context.hpp>

#include "rkv.hpp"
#include <algorithm>
#include <common/codec.hpp>
#include <memory>
#include <optional>
#include <string_view>

namespace ipipe::apps::rkv::internal {

using runtime::actor_context;
using runtime::actor_id;
using runtime::object_id;

/// Internal message kinds (first payload byte).
enum ikind : std::uint8_t {
  k_prepare = 0x30,  ///< consensus -> consensus: phase 1a
  k_promise = 0x31,  ///< phase 1b
  k_accept = 0x32,   ///< phase 2a, heartbeat, commit index, catch-up
  k_accepted = 0x33, ///< phase 2b
  k_status_q = 0x34, ///< rejoining replica asks a peer's ballot and log tip
  k_status = 0x35,
  k_durable = 0x36, ///< memtable/sstable -> consensus: log index now on disk
  k_apply = 0x40,   ///< consensus -> memtable: one committed command
  k_flush = 0x41,   ///< consensus -> memtable: flush now (the log is filling)
  k_chunk = 0x50,   ///< memtable -> sstable: part of a flush
  k_flush_end = 0x51,
  k_flushed = 0x52,   ///< sstable -> memtable: the flush is on disk
  k_ss_get = 0x53,    ///< memtable -> sstable: a read that missed the memtable
  k_recover = 0x42,   ///< consensus -> memtable: load the sessions from disk, then k_durable
  k_sessions = 0x55,  ///< memtable -> sstable (in a flush) or back: client sessions
  k_recover_q = 0x56, ///< memtable -> sstable: send sessions and the durable index
  k_recovered = 0x57, ///< sstable -> memtable: the durable index, after k_sessions
};

/// One client's last applied write (duplicate suppression).
struct session {
  std::uint64_t client_id;
  std::uint64_t last_seq;
};
inline constexpr std::size_t session_slots = 1024;

/// Where the answer to a client request goes (kept in log commands).
struct reply_addr {
  std::uint32_t endpoint = 0; ///< hdr.client of the request
  actor_id actor = 0;         ///< hdr.src_actor (0: an external client)
  std::uint64_t req_id = 0;   ///< hdr.req_id
};

/// A command of the replicated log.
struct command {
  std::uint8_t op = 0;       ///< 0 no-op, else kind::get/put/del
  std::uint8_t proposer = 0; ///< replica index that answers the client
  std::uint64_t client_id = 0;
  std::uint64_t seq = 0;
  reply_addr to;
  std::string_view key;
  std::string_view value;
};
inline constexpr std::size_t command_hdr_size = 40;

inline void put_command(writer& w, const command& c) {
  w.put<std::uint8_t>(c.op).put<std::uint8_t>(c.proposer);
  w.put<std::uint16_t>(static_cast<std::uint16_t>(c.key.size()));
  w.put<std::uint32_t>(static_cast<std::uint32_t>(c.value.size()));
  w.put(c.client_id).put(c.seq).put(c.to.endpoint).put(c.to.actor).put(c.to.req_id);
  w.str(c.key).str(c.value);
}

/// Reads a command that must fill the rest of `r`'s input.
inline std::optional<command> get_command(reader& r) {
  command c;
  c.op = r.get<std::uint8_t>();
  c.proposer = r.get<std::uint8_t>();
  const auto klen = r.get<std::uint16_t>();
  const auto vlen = r.get<std::uint32_t>();
  c.client_id = r.get<std::uint64_t>();
  c.seq = r.get<std::uint64_t>();
  c.to.endpoint = r.get<std::uint32_t>();
  c.to.actor = r.get<std::uint32_t>();
  c.to.req_id = r.get<std::uint64_t>();
  c.key = r.str(klen);
  c.value = r.str(vlen);
  if (!r.ok() || c.op > 3 || c.proposer >= replicas || klen > max_key || vlen > max_value)
    return std::nullopt;
  return c;
}

/// Sends `resp` to a client after the request's handler has returned:
/// there is no deferred reply in the runtime API, so it is a wire message
/// to the client's endpoint (see apps.rst, "Replies").
inline void answer(actor_context& ctx, const reply_addr& to, const response& resp) {
  if (to.endpoint == 0)
    return;
  auto p = encode(resp);
  (void)ctx.send_remote(to.endpoint, to.actor != 0 ? to.actor : client_actor, p, to.req_id);
}

/// The counters block every actor keeps at the start of its state object.
using counters = std::array<std::uint64_t, st_count>;

/// Adds one to counter `s` of the block at offset 0 of `obj`.
inline void bump(actor_context& ctx, object_id obj, stat s) {
  auto v = ctx.load<std::uint64_t>(obj, s * sizeof(std::uint64_t));
  if (v)
    (void)ctx.store(obj, s * sizeof(std::uint64_t), *v + 1);
}

/// Answers a STATS request with the counters block of `obj`.
inline void reply_stats(actor_context& ctx, object_id obj) {
  auto c = ctx.load<counters>(obj);
  if (!c)
    return;
  writer w;
  w.put(static_cast<std::uint8_t>(kind::stats)).put<std::uint8_t>(st_count);
  for (auto v : *c)
    w.put(v);
  (void)ctx.reply(w.data());
}

/// Replies OK to the message being handled (a CONFIGURE).
inline void reply_ok(actor_context& ctx, kind op) {
  response r;
  r.op = op;
  (void)ctx.reply(encode(r));
}

/// Replies an error response to the message being handled.
inline void reply_error(actor_context& ctx, kind op, detail why) {
  response r;
  r.st = status::error;
  r.op = op;
  r.why = why;
  (void)ctx.reply(encode(r));
}

/// Returns true if `m` came from local actor `from` (not from the wire).
inline bool from_local(const runtime::message& m, actor_id from) {
  return from != 0 && m.hdr.client == 0 && m.hdr.src_actor == from;
}

/// Sends `all` to actor `to` as k_sessions messages of at most 8 KiB (at
/// least one, so that an empty table is also stated).
inline void send_sessions(actor_context& ctx, actor_id to, std::uint64_t id,
                          std::span<const session> all) {
  constexpr std::size_t per_msg = (IPIPE_MSG_MAX_PAYLOAD - 13) / sizeof(session);
  for (std::size_t i = 0; i == 0 || i < all.size(); i += per_msg) {
    const std::size_t n = std::min(per_msg, all.size() - i);
    writer w;
    w.put(k_sessions).put(id).put(static_cast<std::uint32_t>(n));
    for (std::size_t j = i; j < i + n; ++j)
      w.put(all[j].client_id).put(all[j].last_seq);
    (void)ctx.send(to, w.data());
  }
}

/// The frame of the three actors: `State`, which starts with the counters
/// block, is the first DMO, so restore() finds it by id order; handle()
/// loads it, counts the message, answers STATS, drops replies, errors and
/// empty payloads as malformed, hands the rest to on_message() and stores
/// the state back.
template <class State>
class state_actor : public runtime::actor {
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
      if (!rd.ok() || msg.type() == IPIPE_MSG_REPLY || msg.type() == IPIPE_MSG_ERROR) {
        ++s->stats[st_malformed];
      } else if (k == static_cast<std::uint8_t>(kind::stats)) {
        fill_gauges(*s);
        (void)ctx.store(st_, 0, *s);
        reply_stats(ctx, st_);
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
  virtual void fill_gauges(State& s) { (void)s; }

  object_id st_ = 0;
};

/// Actor factories, defined beside each actor.
std::unique_ptr<runtime::actor> make_consensus();
std::unique_ptr<runtime::actor> make_memtable();
std::unique_ptr<runtime::actor> make_sstable();

} // namespace ipipe::apps::rkv::internal
