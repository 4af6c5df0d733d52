// "rta_rank": merges the count actors' partial top-k lists into each
// window's global top-k and answers queries for closed windows.
//
// Every term lives in exactly one shard, with its full count, so the
// global top-k is the top-k of the union of the shards' top-k lists: the
// merge is exact. A window is closed once every shard said it closed it
// (k_closed; a shard's partials come before its k_closed). The actor keeps
// `retain` windows that had terms, in a directory DMO and a DMO of their
// lists; to make room it forgets the oldest closed window, and every
// window at or below it then answers EVICTED. A closed window the
// directory does not hold had no terms (its answer is empty).
#include "internal.hpp"
#include <vector>

namespace ipipe::apps::rta::internal {
namespace {

struct entry {
  std::uint64_t window;
  std::uint32_t used;
  std::uint32_t n; // terms in its list
  std::uint64_t tokens, distinct, dropped;
};

struct rank_state {
  counters stats;
  std::uint32_t configured, k, retain, n_counts;
  std::array<actor_id, max_counts> counts;
  std::array<std::uint64_t, max_counts> closed; // per shard
  std::uint64_t retained_from;                  // windows below answer EVICTED
  object_id dir;                                // retain x struct entry
  object_id lists;                              // retain x k x struct slot
};

std::uint64_t complete(const rank_state& s) {
  return *std::min_element(s.closed.begin(), s.closed.begin() + s.n_counts);
}

class rank final : public frame<rank_state> {
private:
  void on_message(actor_context& ctx, const message& msg, rank_state& s, std::uint8_t k,
                  reader& rd) override {
    if (k == static_cast<std::uint8_t>(kind::configure)) {
      configure(ctx, s, rd);
    } else if (k == static_cast<std::uint8_t>(kind::query)) {
      query(ctx, s, rd);
    } else if (k != k_partial && k != k_closed) {
      ++s.stats[st_malformed];
    } else if (!s.configured) {
      ++s.stats[st_unconfigured];
    } else {
      (void)rd.get<std::uint8_t>();
      const auto n = rd.get<std::uint16_t>();
      const auto shard = rd.get<std::uint32_t>();
      const auto w = rd.get<std::uint64_t>();
      if (!rd.ok() || shard >= s.n_counts) {
        ++s.stats[st_malformed];
      } else if (!from_local(msg, s.counts[shard])) {
        ++s.stats[st_foreign];
      } else if (k == k_closed) {
        if (rd.done())
          s.closed[shard] = std::max(s.closed[shard], w);
        else
          ++s.stats[st_malformed];
      } else {
        partial(ctx, s, rd, n, shard, w);
      }
    }
  }

  std::uint64_t gauge(const rank_state& s) const override { return s.configured ? complete(s) : 0; }

  void configure(actor_context& ctx, rank_state& s, reader& rd) {
    const auto ver = rd.get<std::uint8_t>();
    (void)rd.get<std::uint16_t>();
    rank_config c;
    c.k = rd.get<std::uint32_t>();
    c.retain = rd.get<std::uint32_t>();
    const auto n = rd.get<std::uint32_t>();
    for (std::uint32_t i = 0; i < n && i < max_counts && rd.ok(); ++i)
      c.counts.push_back(rd.get<std::uint32_t>());
    const bool valid = rd.done() && ver == protocol_version && c.k >= 1 && c.k <= max_k &&
                       c.retain >= 1 && c.retain <= 1024 && n >= 1 && n <= max_counts &&
                       std::find(c.counts.begin(), c.counts.end(), 0u) == c.counts.end();
    const bool same = s.k == c.k && s.retain == c.retain && s.n_counts == n &&
                      std::equal(c.counts.begin(), c.counts.end(), s.counts.begin());
    if (!valid || (s.configured && !same)) {
      (void)ctx.reply(configure_answer(status::error, detail::bad_config));
      return;
    }
    if (!s.configured) {
      auto dir = ctx.dmo_malloc(std::uint64_t{c.retain} * sizeof(entry));
      auto lists = dir ? ctx.dmo_malloc(std::uint64_t{c.retain} * c.k * sizeof(slot))
                       : expected<object_id>(errc::no_space);
      if (!lists) {
        if (dir)
          (void)ctx.dmo_free(*dir);
        (void)ctx.reply(configure_answer(status::error, detail::internal));
        return;
      }
      s.configured = 1;
      s.k = c.k;
      s.retain = c.retain;
      s.n_counts = n;
      std::copy(c.counts.begin(), c.counts.end(), s.counts.begin());
      s.dir = *dir;
      s.lists = *lists;
    }
    (void)ctx.reply(configure_answer(status::ok, detail::none));
  }

  std::vector<entry> directory(actor_context& ctx, const rank_state& s) {
    std::vector<entry> d(s.retain);
    if (!ctx.dmo_read(s.dir, 0, std::as_writable_bytes(std::span(d))))
      d.assign(s.retain, entry{});
    return d;
  }

  std::vector<term_count> list(actor_context& ctx, const rank_state& s, std::size_t i,
                               std::uint32_t n) {
    std::vector<slot> raw(n);
    std::vector<term_count> out;
    if (ctx.dmo_read(s.lists, i * s.k * sizeof(slot), std::as_writable_bytes(std::span(raw))))
      for (const auto& sl : raw)
        out.push_back({std::string(sl.name()), sl.count});
    return out;
  }

  // Merges one shard's partial for window `w` into the window's entry.
  void partial(actor_context& ctx, rank_state& s, reader& rd, std::uint16_t n, std::uint32_t shard,
               std::uint64_t w) {
    entry add{w, 1, 0, 0, 0, 0};
    add.tokens = rd.get<std::uint64_t>();
    add.distinct = rd.get<std::uint64_t>();
    add.dropped = rd.get<std::uint64_t>();
    std::vector<term_count> top;
    if (!get_terms(rd, n, top) || !rd.done() || n > s.k || w < s.closed[shard]) {
      ++s.stats[st_malformed];
      return;
    }
    if (w < s.retained_from) {
      ++s.stats[st_evicted]; // its window was given up (see below)
      return;
    }
    auto d = directory(ctx, s);
    std::size_t at = d.size();
    for (std::size_t i = 0; i < d.size() && at == d.size(); ++i)
      if (d[i].used && d[i].window == w)
        at = i;
    for (std::size_t i = 0; i < d.size() && at == d.size(); ++i)
      if (!d[i].used)
        at = i;
    if (at == d.size()) {
      // Full: forget the oldest window. If it is still open (more than
      // `retain` windows wait for a lagging shard) its answer is lost: it
      // and every window below it answer EVICTED, counted.
      at = 0;
      for (std::size_t i = 1; i < d.size(); ++i)
        if (d[i].window < d[at].window)
          at = i;
      if (w < d[at].window) {
        ++s.stats[st_evicted];
        s.retained_from = w + 1;
        return;
      }
      if (d[at].window >= complete(s))
        ++s.stats[st_evicted];
      s.retained_from = d[at].window + 1;
      d[at] = entry{};
    }
    entry& e = d[at];
    if (!e.used)
      e = entry{w, 1, 0, 0, 0, 0};
    else
      for (auto& t : list(ctx, s, at, e.n))
        top.push_back(std::move(t));
    std::sort(top.begin(), top.end(), ranks_before);
    top.resize(std::min<std::size_t>(top.size(), s.k));
    std::vector<slot> raw;
    for (const auto& t : top)
      raw.push_back(make_slot(t.term, t.count));
    e.n = static_cast<std::uint32_t>(raw.size());
    e.tokens += add.tokens;
    e.distinct += add.distinct;
    e.dropped += add.dropped;
    s.stats[st_dropped] += add.dropped;
    ++s.stats[st_windows];
    (void)ctx.dmo_write(s.lists, at * s.k * sizeof(slot), std::as_bytes(std::span(raw)));
    (void)ctx.store(s.dir, at * sizeof(entry), e);
  }

  void query(actor_context& ctx, rank_state& s, reader& rd) {
    (void)rd.get<std::uint8_t>();
    (void)rd.get<std::uint16_t>();
    (void)rd.get<std::uint32_t>();
    window_answer a;
    a.window = rd.get<std::uint64_t>();
    if (!rd.done()) {
      ++s.stats[st_malformed]; // garbage is never answered
      return;
    }
    if (!s.configured) {
      ++s.stats[st_unconfigured];
      a.st = status::error;
      a.why = detail::not_configured;
      (void)ctx.reply(encode(a));
      return;
    }
    ++s.stats[st_queries];
    a.closed = complete(s);
    if (a.window >= a.closed) {
      a.st = status::not_closed;
    } else if (a.window < s.retained_from) {
      a.st = status::evicted;
    } else {
      const auto d = directory(ctx, s);
      for (std::size_t i = 0; i < d.size(); ++i) {
        if (!d[i].used || d[i].window != a.window)
          continue;
        a.tokens = d[i].tokens;
        a.distinct = d[i].distinct;
        a.dropped = d[i].dropped;
        a.top = list(ctx, s, i, d[i].n);
      }
    }
    (void)ctx.reply(encode(a));
  }
};

} // namespace

std::unique_ptr<runtime::actor> make_rank() {
  return std::make_unique<rank>();
}

} // namespace ipipe::apps::rta::internal
