// "rta_filter": the entry of the pipeline. It drops tweets of languages it
// does not count and stop words, splits the rest into terms, sends each
// term to the count actor of its shard, and closes windows: event time is
// the newest window it has seen, and windows more than `lateness` behind
// it are closed (a tweet for one of them is answered LATE, not counted).
#include "internal.hpp"

namespace ipipe::apps::rta::internal {
namespace {

struct filter_state {
  counters stats;
  std::uint32_t configured;
  std::uint32_t started; // a tweet was counted: open/newest are set
  std::uint64_t window_us;
  std::uint32_t lateness, lang_mask, k, max_terms, retain, n_counts;
  std::uint32_t flags;
  actor_id rank;
  std::array<actor_id, max_counts> counts;
  std::uint64_t open;   // windows below are closed
  std::uint64_t newest; // the newest window seen
};

// Reads a filter CONFIGURE (after its first byte); nullopt if malformed.
std::optional<filter_config> parse_config(reader& rd) {
  filter_config c;
  const auto ver = rd.get<std::uint8_t>();
  c.flags = rd.get<std::uint8_t>();
  c.lateness = rd.get<std::uint8_t>();
  c.lang_mask = rd.get<std::uint32_t>();
  c.window_us = rd.get<std::uint64_t>();
  c.k = rd.get<std::uint32_t>();
  c.max_terms = rd.get<std::uint32_t>();
  c.retain = rd.get<std::uint32_t>();
  c.rank = rd.get<std::uint32_t>();
  const auto n = rd.get<std::uint32_t>();
  for (std::uint32_t i = 0; i < n && i < max_counts && rd.ok(); ++i)
    c.counts.push_back(rd.get<std::uint32_t>());
  if (!rd.done() || ver != protocol_version || (c.flags & ~cfg_hashtags_only) != 0 ||
      c.lateness > max_lateness || c.window_us == 0 || c.window_us > (1ull << 40) || c.k == 0 ||
      c.k > max_k || n == 0 || n > max_counts || c.rank == 0 ||
      std::find(c.counts.begin(), c.counts.end(), 0u) != c.counts.end())
    return std::nullopt;
  return c;
}

class filter final : public frame<filter_state> {
private:
  void on_message(actor_context& ctx, const message& msg, filter_state& s, std::uint8_t k,
                  reader& rd) override {
    if (k == static_cast<std::uint8_t>(kind::configure)) {
      configure(ctx, s, rd);
    } else if (k == static_cast<std::uint8_t>(kind::tweet)) {
      on_tweet(ctx, s, msg);
    } else {
      ++s.stats[st_malformed];
    }
  }

  // Replies from the count and rank actors to the CONFIGUREs the filter
  // sent them, and errors for messages that could not be delivered.
  void on_answer(actor_context&, const message& msg, filter_state& s) override {
    const bool ours =
        from_local(msg, s.rank) || std::any_of(s.counts.begin(), s.counts.begin() + s.n_counts,
                                               [&](actor_id id) { return from_local(msg, id); });
    if (!ours) {
      ++s.stats[st_foreign];
      return;
    }
    const auto st = decode_configure_reply(msg.payload);
    if (msg.type() == IPIPE_MSG_ERROR || !st || *st != status::ok)
      ++s.stats[st_evicted]; // the filter's meaning: refused or undelivered
  }

  std::uint64_t gauge(const filter_state& s) const override { return s.open; }

  void configure(actor_context& ctx, filter_state& s, reader& rd) {
    auto c = parse_config(rd);
    const auto same = [&] {
      return s.window_us == c->window_us && s.lateness == c->lateness && s.flags == c->flags &&
             s.lang_mask == c->lang_mask && s.k == c->k && s.max_terms == c->max_terms &&
             s.retain == c->retain && s.rank == c->rank && s.n_counts == c->counts.size() &&
             std::equal(c->counts.begin(), c->counts.end(), s.counts.begin());
    };
    if (!c || (s.configured && !same())) {
      (void)ctx.reply(configure_answer(status::error, detail::bad_config));
      return;
    }
    if (!s.configured) {
      s.configured = 1;
      s.window_us = c->window_us;
      s.lateness = c->lateness;
      s.flags = c->flags;
      s.lang_mask = c->lang_mask;
      s.k = c->k;
      s.max_terms = c->max_terms;
      s.retain = c->retain;
      s.rank = c->rank;
      s.n_counts = static_cast<std::uint32_t>(c->counts.size());
      std::copy(c->counts.begin(), c->counts.end(), s.counts.begin());
      // The count and rank actors get their part from here, before any
      // term (one sender's messages stay in order), so all three agree.
      for (std::uint32_t i = 0; i < s.n_counts; ++i)
        (void)ctx.send(s.counts[i], encode(count_config{i, s.k, s.max_terms, s.lateness + 1,
                                                        ctx.self(), s.rank}));
      (void)ctx.send(s.rank, encode(rank_config{s.k, s.retain, c->counts}));
    }
    (void)ctx.reply(configure_answer(status::ok, detail::none));
  }

  void on_tweet(actor_context& ctx, filter_state& s, const message& msg) {
    auto t = decode_tweet(msg.payload);
    if (!t) {
      ++s.stats[st_malformed]; // garbage is never answered
      return;
    }
    tweet_reply r;
    r.id = t->id;
    if (t->text.size() > max_text) {
      ++s.stats[st_oversize];
      r.st = status::error;
      r.why = detail::text_too_long;
    } else if (!s.configured) {
      ++s.stats[st_unconfigured];
      r.st = status::error;
      r.why = detail::not_configured;
    } else {
      r.window = window_of(t->time_us, s.window_us);
      if (!lang_matches(s.lang_mask, t->lang)) {
        ++s.stats[st_filtered];
        r.st = status::filtered;
      } else if (s.started && r.window < s.open) {
        ++s.stats[st_late];
        r.st = status::late;
      } else {
        r.terms = forward(ctx, s, *t, r.window);
      }
    }
    (void)ctx.reply(encode(r));
  }

  // Sends the tweet's terms to their shards, then closes the windows that
  // fell more than `lateness` behind; returns the terms sent.
  std::uint16_t forward(actor_context& ctx, filter_state& s, const tweet& t, std::uint64_t w) {
    // Close first: the count actors accept terms only for the windows
    // [closed, closed + lateness], and `w` lies in the new range.
    if (!s.started) {
      s.started = 1;
      s.newest = w;
      close(ctx, s, w > s.lateness ? w - s.lateness : 0);
    } else if (w > s.newest) {
      s.newest = w;
      if (s.newest > s.open + s.lateness)
        close(ctx, s, s.newest - s.lateness);
    }
    std::array<writer, max_counts> out;
    std::array<std::uint16_t, max_counts> n{};
    const auto tally =
        for_each_term(t.text, static_cast<std::uint8_t>(s.flags), [&](std::string_view term) {
          const auto i = shard_of(term, s.n_counts);
          if (n[i]++ == 0)
            out[i]
                .put(k_tokens)
                .put<std::uint8_t>(0)
                .put<std::uint16_t>(0)
                .put<std::uint32_t>(0)
                .put(w);
          out[i].put(static_cast<std::uint8_t>(term.size())).str(term);
        });
    for (std::uint32_t i = 0; i < s.n_counts; ++i) {
      if (n[i] == 0)
        continue;
      out[i].patch<std::uint16_t>(2, n[i]);
      (void)ctx.send(s.counts[i], out[i].data());
    }
    ++s.stats[st_tweets];
    s.stats[st_terms] += tally.counted;
    s.stats[st_stop_words] += tally.stop;
    s.stats[st_long_terms] += tally.too_long;
    return static_cast<std::uint16_t>(tally.counted);
  }

  // Closes every window below `open` (the count actors send their
  // partials for them to the rank actor).
  static void close(actor_context& ctx, filter_state& s, std::uint64_t open) {
    s.open = open;
    if (open == 0)
      return; // the count actors start there
    writer c;
    c.put(k_close).put<std::uint8_t>(0).put<std::uint16_t>(0).put<std::uint32_t>(0).put(open);
    for (std::uint32_t i = 0; i < s.n_counts; ++i)
      (void)ctx.send(s.counts[i], c.data());
  }
};

} // namespace

std::unique_ptr<runtime::actor> make_filter() {
  return std::make_unique<filter>();
}

} // namespace ipipe::apps::rta::internal
