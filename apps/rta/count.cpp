// "rta_count": one shard of the term counts. Each open window has a hash
// table of `slots` term slots in one DMO (open addressing, linear
// probing), allocated at CONFIGURE: `windows` tables, so the actor's
// memory is fixed from the start and migrates with it. A window holds at
// most `max_terms` distinct terms; a new term beyond that is not counted
// (st_dropped, and the window's result says how many). Terms already in
// the table keep counting, so every count the actor reports is exact.
// When the filter closes a window the actor sends its top-k to the rank
// actor and empties the table.
#include "internal.hpp"
#include <bit>
#include <vector>

namespace ipipe::apps::rta::internal {
namespace {

constexpr std::uint32_t max_windows = max_lateness + 1;

struct table {
  std::uint64_t window;
  std::uint32_t live; // holds a window's terms
  std::uint32_t entries;
  std::uint64_t tokens; // terms counted
  std::uint64_t dropped;
  object_id obj; // slots x struct slot
};

struct count_state {
  counters stats;
  std::uint32_t configured, index, k, max_terms, windows, slots;
  actor_id filter, rank;
  std::uint64_t closed; // every window below is closed
  std::array<table, max_windows> tables;
};

// Returns the table slots for `max_terms` terms: a power of two, at most
// two thirds full.
std::uint32_t slots_for(std::uint32_t max_terms) {
  return std::bit_ceil(max_terms + max_terms / 2 + 1);
}

class count final : public frame<count_state> {
private:
  void on_message(actor_context& ctx, const message& msg, count_state& s, std::uint8_t k,
                  reader& rd) override {
    if (k == static_cast<std::uint8_t>(kind::configure)) {
      configure(ctx, s, rd);
    } else if (!s.configured) {
      ++s.stats[st_unconfigured];
    } else if (k != k_tokens && k != k_close) {
      ++s.stats[st_malformed];
    } else if (!from_local(msg, s.filter)) {
      ++s.stats[st_foreign];
    } else if (k == k_tokens) {
      tokens(ctx, s, rd);
    } else {
      (void)rd.get<std::uint8_t>();
      (void)rd.get<std::uint16_t>();
      (void)rd.get<std::uint32_t>();
      const auto up_to = rd.get<std::uint64_t>();
      if (!rd.done() || up_to <= s.closed)
        ++s.stats[st_malformed];
      else
        close(ctx, s, up_to);
    }
  }

  std::uint64_t gauge(const count_state& s) const override { return s.closed; }

  void configure(actor_context& ctx, count_state& s, reader& rd) {
    const auto ver = rd.get<std::uint8_t>();
    (void)rd.get<std::uint16_t>();
    count_config c;
    c.index = rd.get<std::uint32_t>();
    c.k = rd.get<std::uint32_t>();
    c.max_terms = rd.get<std::uint32_t>();
    c.windows = rd.get<std::uint32_t>();
    c.filter = rd.get<std::uint32_t>();
    c.rank = rd.get<std::uint32_t>();
    const bool valid = rd.done() && ver == protocol_version && c.index < max_counts && c.k >= 1 &&
                       c.k <= max_k && c.max_terms >= 1 && c.max_terms <= 65536 && c.windows >= 1 &&
                       c.windows <= max_windows && c.filter != 0 && c.rank != 0;
    const bool same = s.index == c.index && s.k == c.k && s.max_terms == c.max_terms &&
                      s.windows == c.windows && s.filter == c.filter && s.rank == c.rank;
    if (!valid || (s.configured && !same)) {
      (void)ctx.reply(configure_answer(status::error, detail::bad_config));
      return;
    }
    if (!s.configured) {
      const std::uint32_t slots = slots_for(c.max_terms);
      for (std::uint32_t i = 0; i < c.windows; ++i) {
        auto obj = ctx.dmo_malloc(std::uint64_t{slots} * sizeof(slot));
        if (!obj) {
          // The quota cannot hold the tables: stay unconfigured.
          for (std::uint32_t j = 0; j < i; ++j)
            (void)ctx.dmo_free(s.tables[j].obj);
          (void)ctx.reply(configure_answer(status::error, detail::internal));
          return;
        }
        s.tables[i] = table{0, 0, 0, 0, 0, *obj};
      }
      s.configured = 1;
      s.index = c.index;
      s.k = c.k;
      s.max_terms = c.max_terms;
      s.windows = c.windows;
      s.slots = slots;
      s.filter = c.filter;
      s.rank = c.rank;
    }
    (void)ctx.reply(configure_answer(status::ok, detail::none));
  }

  void tokens(actor_context& ctx, count_state& s, reader& rd) {
    (void)rd.get<std::uint8_t>();
    const auto n = rd.get<std::uint16_t>();
    (void)rd.get<std::uint32_t>();
    const auto w = rd.get<std::uint64_t>();
    // The filter never sends a window outside [closed, closed + windows):
    // anything else is not ours to count.
    if (!rd.ok() || w < s.closed || w - s.closed >= s.windows) {
      ++s.stats[st_malformed];
      return;
    }
    table& t = s.tables[w % s.windows];
    if (!t.live) {
      t.live = 1;
      t.window = w;
    }
    for (std::uint16_t i = 0; i < n; ++i) {
      const auto len = rd.get<std::uint8_t>();
      const auto term = rd.str(len);
      if (!rd.ok() || len == 0 || len > max_term) {
        ++s.stats[st_malformed];
        return;
      }
      ++s.stats[st_terms];
      if (add(ctx, s, t, term)) {
        ++t.tokens;
      } else {
        ++t.dropped;
        ++s.stats[st_dropped];
      }
    }
    if (!rd.done())
      ++s.stats[st_malformed];
  }

  // Counts one occurrence of `term`; false if it is new and the table holds
  // max_terms terms already.
  static bool add(actor_context& ctx, const count_state& s, table& t, std::string_view term) {
    const std::uint32_t mask = s.slots - 1;
    for (std::uint32_t i = static_cast<std::uint32_t>(term_hash(term) >> 32) & mask;;
         i = (i + 1) & mask) {
      const std::uint64_t off = std::uint64_t{i} * sizeof(slot);
      auto sl = ctx.load<slot>(t.obj, off);
      if (!sl)
        return false;
      if (sl->count == 0) {
        if (t.entries >= s.max_terms)
          return false;
        ++t.entries;
        return ctx.store(t.obj, off, make_slot(term, 1)).has_value();
      }
      if (sl->name() == term)
        return ctx.store(t.obj, off, sl->count + 1).has_value();
    }
  }

  // Sends the partial top-k of every window below `up_to`, oldest first,
  // empties their tables, then tells the rank actor this shard is done.
  void close(actor_context& ctx, count_state& s, std::uint64_t up_to) {
    std::vector<table*> done;
    for (std::uint32_t i = 0; i < s.windows; ++i)
      if (s.tables[i].live && s.tables[i].window < up_to)
        done.push_back(&s.tables[i]);
    std::sort(done.begin(), done.end(), [](auto* a, auto* b) { return a->window < b->window; });
    std::vector<slot> all(s.slots);
    for (table* t : done) {
      std::vector<term_count> top;
      const auto bytes = std::as_writable_bytes(std::span(all));
      if (ctx.dmo_read(t->obj, 0, bytes)) {
        for (const auto& sl : all)
          if (sl.count != 0)
            top.push_back({std::string(sl.name()), sl.count});
      }
      const auto n = std::min<std::size_t>(s.k, top.size());
      std::partial_sort(top.begin(), top.begin() + static_cast<std::ptrdiff_t>(n), top.end(),
                        ranks_before);
      top.resize(n);
      writer w;
      w.put(k_partial).put<std::uint8_t>(0).put(static_cast<std::uint16_t>(n)).put(s.index);
      w.put(t->window).put(t->tokens).put(std::uint64_t{t->entries}).put(t->dropped);
      put_terms(w, top);
      (void)ctx.send(s.rank, w.data());
      ++s.stats[st_windows];
      (void)ctx.dmo_memset(t->obj, 0, 0, bytes.size());
      *t = table{0, 0, 0, 0, 0, t->obj};
    }
    s.closed = up_to;
    writer w;
    w.put(k_closed).put<std::uint8_t>(0).put<std::uint16_t>(0).put(s.index).put(up_to);
    (void)ctx.send(s.rank, w.data());
  }
};

} // namespace

std::unique_ptr<runtime::actor> make_count() {
  return std::make_unique<count>();
}

} // namespace ipipe::apps::rta::internal
