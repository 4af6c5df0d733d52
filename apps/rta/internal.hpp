#pragma once
// What the three RTA actors share and nobody else needs: internal message
// kinds, the term slot of the DMO tables, counters and the actor frame.

#include <ipipe/runtime/actor.hpp>
#include <ipipe/runtime/actor_context.hpp>

#include "rta.hpp"
#include "stream.hpp"
#include <algorithm>
#include <array>
#include <common/codec.hpp>
#include <common/stats.hpp>
#include <cstring>
#include <memory>
#include <string_view>

namespace ipipe::apps::rta::internal {

using runtime::actor_context;
using runtime::actor_id;
using runtime::message;
using runtime::object_id;

/// Internal message kinds (first payload byte).
enum ikind : std::uint8_t {
  k_tokens = 0x30,  ///< filter -> count: the terms of one tweet for this shard
  k_close = 0x31,   ///< filter -> count: every window below `up_to` is closed
  k_partial = 0x32, ///< count -> rank: one closed window's partial top-k
  k_closed = 0x33,  ///< count -> rank: this shard closed every window below `up_to`
};

/// One term and its count, as DMO tables and top-k lists store it.
struct slot {
  std::uint32_t count; ///< 0: an empty slot
  std::uint8_t len;
  std::array<std::uint8_t, 3> pad;
  std::array<char, max_term> term;

  [[nodiscard]] std::string_view name() const noexcept { return {term.data(), len}; }
};
static_assert(sizeof(slot) == 40);

/// Returns `t` as a slot.
inline slot make_slot(std::string_view t, std::uint32_t count) noexcept {
  slot s{};
  s.count = count;
  s.len = static_cast<std::uint8_t>(std::min(t.size(), max_term));
  std::memcpy(s.term.data(), t.data(), s.len);
  return s;
}

/// Writes `n` term counts as {u32 count, u8 len, term}.
inline void put_terms(writer& w, std::span<const term_count> top) {
  for (const auto& t : top)
    w.put(t.count).put(static_cast<std::uint8_t>(t.term.size())).str(t.term);
}

/// Reads `n` term counts; false if one does not fit or is malformed.
inline bool get_terms(reader& rd, std::size_t n, std::vector<term_count>& out) {
  for (std::size_t i = 0; i < n; ++i) {
    const auto c = rd.get<std::uint32_t>();
    const auto len = rd.get<std::uint8_t>();
    auto t = rd.str(len);
    if (!rd.ok() || len == 0 || len > max_term || c == 0)
      return false;
    out.push_back({std::string(t), c});
  }
  return true;
}

/// The counters block every actor keeps at the start of its state object.
using counters = std::array<std::uint64_t, st_count>;

/// Returns true if `m` came from local actor `from` (not from the wire).
inline bool from_local(const message& m, actor_id from) {
  return from != 0 && m.hdr.client == 0 && m.hdr.src_actor == from;
}

/// Returns the payload of a CONFIGURE answer (status, version, op, detail).
inline std::array<std::byte, 4> configure_answer(status st, detail why) {
  return {std::byte{static_cast<std::uint8_t>(st)}, std::byte{protocol_version},
          std::byte{static_cast<std::uint8_t>(kind::configure)},
          std::byte{static_cast<std::uint8_t>(why)}};
}

/// The frame of the three actors. `State` starts with the counters block
/// and is the actor's first DMO, so restore() finds it after a migration.
/// handle() loads it, counts the message, answers STATS, hands the rest to
/// on_message() and stores it back.
template <class State>
class frame : public runtime::actor {
public:
  expected<void> init(actor_context& ctx) override {
    auto st = ctx.dmo_malloc(sizeof(State));
    if (!st)
      return st.err();
    st_ = *st;
    return {};
  }

  expected<void> restore(actor_context& ctx) override {
    auto ids = ctx.objects();
    if (ids.empty())
      return errc::not_found;
    st_ = ids.front();
    return {};
  }

  void handle(actor_context& ctx, const message& msg) final {
    auto s = ctx.load<State>(st_);
    if (!s || runtime::is_tick(msg))
      return;
    ++s->stats[st_requests];
    reader rd(msg.payload);
    const auto k = rd.get<std::uint8_t>();
    if (!rd.ok()) {
      ++s->stats[st_malformed];
    } else if (msg.type() == IPIPE_MSG_REPLY || msg.type() == IPIPE_MSG_ERROR) {
      on_answer(ctx, msg, *s);
    } else if (k == static_cast<std::uint8_t>(kind::stats) && rd.done()) {
      s->stats[st_closed] = gauge(*s);
      (void)ctx.reply(encode_stats(k, s->stats).data());
    } else {
      on_message(ctx, msg, *s, k, rd);
    }
    (void)ctx.store(st_, 0, *s);
  }

protected:
  /// Handles a message of kind `k` (its first byte, already read from `rd`).
  virtual void on_message(actor_context& ctx, const message& msg, State& s, std::uint8_t k,
                          reader& rd) = 0;
  /// Handles a reply or an error that came back to this actor.
  virtual void on_answer(actor_context& ctx, const message& msg, State& s) {
    (void)ctx;
    (void)msg;
    ++s.stats[st_malformed];
  }
  /// Returns the st_closed gauge.
  virtual std::uint64_t gauge(const State& s) const = 0;

  object_id st_ = 0;
};

/// Actor factories, defined beside each actor.
std::unique_ptr<runtime::actor> make_filter();
std::unique_ptr<runtime::actor> make_count();
std::unique_ptr<runtime::actor> make_rank();

} // namespace ipipe::apps::rta::internal
