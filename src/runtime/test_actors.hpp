#pragma once
// Actor types and helpers shared by the runtime's tests and benchmarks.

#include <ipipe/runtime/actor.hpp>
#include <ipipe/runtime/actor_context.hpp>
#include <ipipe/runtime/actor_registry.hpp>
#include <ipipe/runtime/event_sink.hpp>
#include <ipipe/runtime/runtime.hpp>

#include <cstdint>
#include <cstring>
#include <mutex>
#include <vector>

namespace ipipe::runtime::testing {

/// Request payload of the "t_counter" actor.
struct counter_req {
  std::uint32_t side; ///< entry side (0 NIC, 1 host)
  std::uint32_t resv;
  std::uint64_t seq; ///< per (actor, side), from 1
};

/// Reply payload of the "t_counter" actor.
struct counter_resp {
  std::uint64_t exec_index; ///< how many requests ran before this one
  std::uint64_t violations; ///< order violations the actor saw itself
  std::uint32_t blob_ok;    ///< 1 if the checked blob had its pattern
  std::uint32_t side;
  std::uint64_t seq;
};

/// A stateful actor whose whole state lives in DMOs: a state object and
/// blobs with a known pattern (one larger than a migration slot), so any
/// lost, duplicated, reordered or corrupted state shows up in its replies.
class counter_actor final : public actor {
public:
  struct state {
    std::uint64_t count;
    std::uint64_t last_seq[2];
    std::uint64_t violations;
  };
  static constexpr std::uint64_t blob_sizes[] = {1, 100, 5000, 70000};

  static std::uint8_t pattern(object_id id, std::uint64_t j) {
    return static_cast<std::uint8_t>(id * 31 + j * 7);
  }

  expected<void> init(actor_context& ctx) override {
    auto st = ctx.dmo_malloc(sizeof(state));
    if (!st)
      return st.err();
    state_ = *st;
    for (auto size : blob_sizes) {
      auto b = ctx.dmo_malloc(size);
      if (!b)
        return b.err();
      std::vector<std::byte> data(size);
      for (std::uint64_t j = 0; j < size; ++j)
        data[j] = std::byte{pattern(*b, j)};
      if (auto w = ctx.dmo_write(*b, 0, data); !w)
        return w;
    }
    return {};
  }

  expected<void> restore(actor_context& ctx) override {
    auto ids = ctx.objects();
    if (ids.empty())
      return errc::not_found;
    state_ = ids.front();
    return {};
  }

  void handle(actor_context& ctx, const message& msg) override {
    if (msg.type() != IPIPE_MSG_REQUEST || msg.payload.size() != sizeof(counter_req))
      return;
    counter_req rq{};
    std::memcpy(&rq, msg.payload.data(), sizeof(rq));
    auto st = ctx.load<state>(state_);
    if (!st)
      return;
    counter_resp out{};
    out.exec_index = st->count;
    out.side = rq.side;
    out.seq = rq.seq;
    const std::uint32_t side = rq.side & 1;
    if (rq.seq <= st->last_seq[side])
      ++st->violations;
    st->last_seq[side] = rq.seq;
    ++st->count;
    out.violations = st->violations;
    // Check one blob per request, by position in the object table.
    auto ids = ctx.objects();
    const object_id blob = ids[1 + rq.seq % (ids.size() - 1)];
    const std::uint64_t size = blob_sizes[(object_seq(blob) - 2) % 4];
    std::vector<std::byte> data(size);
    out.blob_ok = 1;
    if (!ctx.dmo_read(blob, 0, data))
      out.blob_ok = 0;
    for (std::uint64_t j = 0; j < size && out.blob_ok; ++j)
      out.blob_ok = data[j] == std::byte{pattern(blob, j)};
    (void)ctx.store(state_, 0, *st);
    (void)ctx.reply(as_bytes_of(out));
  }

private:
  object_id state_ = 0;
};

/// Request payload of the "t_fanout" actor.
struct fanout_order {
  actor_id to;         ///< where the messages go
  std::uint32_t count; ///< how many
};

/// Sends `count` ACTOR messages to `to` for each request, numbered on from
/// where it left off (a DMO: the numbers survive migrations), then answers
/// with the number of requests it handled: many outputs from one input.
class fanout_actor final : public actor {
public:
  struct state {
    std::uint64_t handled;
    std::uint64_t sent;
  };
  expected<void> init(actor_context& ctx) override {
    auto o = ctx.dmo_malloc(sizeof(state));
    if (!o)
      return o.err();
    return {};
  }
  void handle(actor_context& ctx, const message& msg) override {
    fanout_order o{};
    if (msg.type() != IPIPE_MSG_REQUEST || msg.payload.size() != sizeof(o))
      return;
    std::memcpy(&o, msg.payload.data(), sizeof(o));
    const object_id obj = ctx.objects().front();
    auto st = ctx.load<state>(obj);
    if (!st)
      return;
    ++st->handled;
    for (std::uint32_t i = 0; i < o.count; ++i) {
      ++st->sent;
      (void)ctx.send(o.to, as_bytes_of(st->sent));
    }
    (void)ctx.store(obj, 0, *st);
    (void)ctx.reply(as_bytes_of(st->handled));
  }
};

/// Pumps and runs two joined runtimes until neither has anything left to
/// do; returns false if they never settle.
inline bool settle(runtime& a, runtime& b) {
  for (int i = 0; i < 100000; ++i) {
    const std::size_t n = a.pump() + b.pump() + a.run_until_idle() + b.run_until_idle();
    if (n == 0 && a.quiet() && b.quiet())
      return true;
  }
  return false;
}

/// Records events, thread safe.
class event_log final : public event_sink {
public:
  void raise(const ipipe_event& ev) noexcept override {
    std::lock_guard l(m_);
    events_.push_back(ev);
  }
  std::vector<ipipe_event> events() const {
    std::lock_guard l(m_);
    return events_;
  }
  std::size_t count(std::uint16_t type) const {
    std::lock_guard l(m_);
    std::size_t n = 0;
    for (const auto& e : events_)
      n += e.type == type;
    return n;
  }

private:
  mutable std::mutex m_;
  std::vector<ipipe_event> events_;
};

/// Collects client replies, thread safe.
class reply_log {
public:
  runtime::client_sink sink() {
    return [this](message&& m) {
      std::lock_guard l(m_);
      msgs_.push_back(std::move(m));
    };
  }
  std::vector<message> take() {
    std::lock_guard l(m_);
    return std::move(msgs_);
  }
  std::size_t size() const {
    std::lock_guard l(m_);
    return msgs_.size();
  }
  std::vector<message> copy() const {
    std::lock_guard l(m_);
    return msgs_;
  }

private:
  mutable std::mutex m_;
  std::vector<message> msgs_;
};

/// Registers the shared test types once per process.
inline void register_test_types() {
  static const bool done = [] {
    (void)actor_registry::add("t_counter", [] { return std::make_unique<counter_actor>(); });
    (void)actor_registry::add("t_fanout", [] { return std::make_unique<fanout_actor>(); });
    return true;
  }();
  (void)done;
}

} // namespace ipipe::runtime::testing
