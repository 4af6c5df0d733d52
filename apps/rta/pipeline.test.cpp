// The pipeline on one node: answers against the reference computed from
// the seed, while migrating NIC -> host -> NIC, bad input, the memory
// bound, late tweets and configuration.
#include <ipipe/runtime/actor_registry.hpp>

#include <gtest/gtest.h>

#include "sim.hpp"
#include <functional>
#include <random>

namespace ipipe::apps::rta::testing {
namespace {

constexpr std::uint64_t base_us = 5'000'000; // the first window is 50

stream_params params(std::uint64_t seed) {
  return {.seed = seed, .base_us = base_us, .gap_us = 100};
}

filter_config small_windows() {
  filter_config c;
  c.window_us = 100'000; // 1000 tweets per window
  c.lateness = 1;
  c.k = 10;
  return c;
}

// Submits tweets [from, to) in batches and checks every answer the filter
// gives against what the tokenizer says; `between` runs after each batch.
void feed(node& n, const stream& s, std::uint64_t from, std::uint64_t to, std::uint64_t batch,
          const std::function<void()>& between = {}) {
  const auto& c = n.config();
  for (std::uint64_t i = from; i < to;) {
    const std::uint64_t end = std::min(to, i + batch);
    for (std::uint64_t j = i; j < end; ++j)
      n.submit(filter_id, encode(s.at(j)), j + 1);
    n.settle();
    auto got = n.take(client_ep);
    ASSERT_EQ(got.size(), end - i);
    for (const auto& m : got) {
      ASSERT_EQ(m.hdr.type, IPIPE_MSG_REPLY);
      const auto r = decode_tweet_reply(m.payload);
      ASSERT_TRUE(r);
      const auto t = s.at(m.hdr.req_id - 1);
      EXPECT_EQ(r->id, t.id);
      EXPECT_EQ(r->window, window_of(t.time_us, c.window_us));
      if (!lang_matches(c.lang_mask, t.lang)) {
        EXPECT_EQ(r->st, status::filtered);
        continue;
      }
      ASSERT_EQ(r->st, status::ok) << "tweet " << t.id;
      EXPECT_EQ(r->terms, for_each_term(t.text, c.flags, [](std::string_view) {}).counted);
    }
    i = end;
    if (between)
      between();
  }
}

// Checks the answer for every window of `ref` below `closed`.
void expect_windows(node& n, const std::map<std::uint64_t, window_counts>& ref,
                    std::uint64_t closed) {
  std::size_t checked = 0;
  for (const auto& [w, want] : ref) {
    if (w >= closed)
      break;
    auto a = n.query(w);
    ASSERT_TRUE(a) << "window " << w;
    ASSERT_EQ(a->st, status::ok) << "window " << w;
    EXPECT_EQ(a->window, w);
    EXPECT_EQ(a->tokens, want.tokens) << "window " << w;
    EXPECT_EQ(a->distinct, want.counts.size()) << "window " << w;
    EXPECT_EQ(a->dropped, 0u);
    EXPECT_EQ(a->closed, closed);
    EXPECT_EQ(a->top, want.top(n.config().k)) << "window " << w;
    ++checked;
  }
  EXPECT_GT(checked, 0u);
}

TEST(rta_pipeline, every_closed_window_matches_the_reference) {
  for (std::uint64_t seed : {1, 2}) {
    auto cfg = small_windows();
    if (seed == 2) {
      cfg.k = max_k;
      cfg.lang_mask = 0x5;
      cfg.lateness = 0;
    }
    node n(cfg, seed == 1 ? 3 : 1);
    ASSERT_EQ(n.configure(), status::ok);
    stream s(params(seed));
    const std::uint64_t tweets = 8000;
    feed(n, s, 0, tweets, 250);
    const auto ref = reference(s, tweets, n.config());
    const std::uint64_t newest = ref.rbegin()->first;
    const std::uint64_t closed = newest - cfg.lateness;
    expect_windows(n, ref, closed);
    // The windows still open say so; one long before the stream is empty.
    for (std::uint64_t w = closed; w <= newest + 1; ++w)
      EXPECT_EQ(n.query(w).value().st, status::not_closed);
    auto early = n.query(3);
    ASSERT_TRUE(early);
    EXPECT_EQ(early->st, status::ok);
    EXPECT_EQ(early->tokens, 0u);
    EXPECT_TRUE(early->top.empty());
    // Counters agree with the reference too.
    std::uint64_t terms = 0;
    for (const auto& [w, c] : ref)
      terms += c.tokens;
    const auto f = n.stats(filter_id);
    ASSERT_EQ(f.size(), st_count);
    EXPECT_EQ(f[st_terms], terms);
    EXPECT_EQ(f[st_tweets] + f[st_filtered], tweets);
    EXPECT_GT(f[st_long_terms], 0u);
    EXPECT_GT(f[st_stop_words], 0u);
    EXPECT_EQ(f[st_malformed] + f[st_foreign] + f[st_evicted], 0u);
    EXPECT_EQ(f[st_closed], closed);
    EXPECT_EQ(n.stats(rank_id)[st_closed], closed);
  }
}

TEST(rta_pipeline, hashtags_only_counts_hashtags) {
  auto cfg = small_windows();
  cfg.flags = cfg_hashtags_only;
  node n(cfg, 2);
  ASSERT_EQ(n.configure(), status::ok);
  stream s(params(5));
  feed(n, s, 0, 3500, 500);
  const auto ref = reference(s, 3500, n.config());
  expect_windows(n, ref, ref.rbegin()->first - cfg.lateness);
  for (const auto& [w, c] : ref)
    for (const auto& [term, k] : c.counts)
      ASSERT_EQ(term[0], '#');
}

TEST(rta_pipeline, answers_stay_exact_while_the_actors_migrate_nic_host_nic) {
  node n(small_windows(), 3);
  ASSERT_EQ(n.configure(), status::ok);
  stream s(params(11));
  const std::uint64_t tweets = 9000;
  const auto ref = reference(s, tweets, n.config());
  std::size_t rounds = 0, moved = 0;
  std::uint64_t fed = 0;
  feed(n, s, 0, tweets, 300, [&] {
    fed += 300;
    // Every other batch, push every actor to the other side without
    // waiting: the next batch runs while they move.
    if (++rounds % 2 == 0)
      moved += n.migrate_all();
    // Closed windows answer exactly wherever the rank actor is.
    const auto w = window_of(s.at(fed - 1).time_us, n.config().window_us);
    if (w >= 52) {
      auto a = n.query(w - 2);
      ASSERT_TRUE(a);
      ASSERT_EQ(a->st, status::ok);
      EXPECT_EQ(a->top, ref.at(w - 2).top(n.config().k)) << "window " << w - 2;
    }
  });
  EXPECT_GE(moved, 5u * 10);
  EXPECT_GE(n.host.stats().migrations_in, 5u * 5) << "NIC -> host";
  EXPECT_GE(n.nic.stats().migrations_in, 5u * 5) << "host -> NIC";
  expect_windows(n, ref, ref.rbegin()->first - 1);
}

TEST(rta_pipeline, late_tweets_are_answered_late_and_not_counted) {
  node n(small_windows(), 2);
  ASSERT_EQ(n.configure(), status::ok);
  stream s(params(4));
  // Tweets of window 50 after the stream reached window 52 (window 50 is
  // then closed: lateness 1): answered LATE.
  feed(n, s, 0, 500, 500);
  feed(n, s, 1000, 2500, 500);
  std::uint64_t late = 0;
  for (std::uint64_t i = 500; i < 1000; ++i)
    n.submit(filter_id, encode(s.at(i)), i + 1);
  n.settle();
  for (const auto& m : n.take(client_ep)) {
    auto r = decode_tweet_reply(m.payload);
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->st == status::late || r->st == status::filtered);
    late += r->st == status::late;
  }
  EXPECT_EQ(n.stats(filter_id)[st_late], late);
  EXPECT_GT(late, 100u);
  // The reference without the late tweets.
  std::map<std::uint64_t, window_counts> ref;
  for (std::uint64_t i = 0; i < 2500; ++i) {
    if (i >= 500 && i < 1000)
      continue;
    const auto t = s.at(i);
    ref[window_of(t.time_us, n.config().window_us)].add(t, n.config().lang_mask, 0);
  }
  expect_windows(n, ref, 51);
}

TEST(rta_pipeline, bad_input_is_dropped_and_counted) {
  node n(small_windows(), 2);
  // Before CONFIGURE: tweets and queries are refused, with an answer.
  n.submit(filter_id, encode(stream(params(1)).at(0)), 1);
  n.submit(rank_id, query_request(1), 2);
  n.settle();
  auto early = n.take(client_ep);
  ASSERT_EQ(early.size(), 2u);
  for (const auto& m : early)
    EXPECT_EQ(static_cast<status>(m.payload.at(0)), status::error);
  ASSERT_EQ(n.configure(), status::ok);
  stream s(params(8));
  feed(n, s, 0, 1500, 500);

  const auto good = encode(s.at(1500));
  std::uint64_t sent_filter = 0, sent_rank = 0, sent_count = 0;
  // truncated at every length, and one byte too many
  for (std::size_t cut = 0; cut < good.size(); ++cut, ++sent_filter)
    n.submit(filter_id, std::span(good).first(cut), 7);
  auto longer = good;
  longer.push_back(std::byte{1});
  n.submit(filter_id, longer, 7);
  ++sent_filter;
  // garbage, never a valid kind by accident
  std::mt19937_64 rng(3);
  for (int i = 0; i < 300; ++i) {
    std::vector<std::byte> g(1 + rng() % 100);
    for (auto& b : g)
      b = std::byte(rng());
    g[0] = std::byte{static_cast<std::uint8_t>(0x60 + rng() % 0x90)};
    n.submit(filter_id, g, 7);
    n.submit(rank_id, g, 7);
    n.submit(first_count_id, g, 7);
    ++sent_filter, ++sent_rank, ++sent_count;
  }
  // a tweet with a bad version, a reserved byte set, a language >= 32
  for (std::size_t at : {std::size_t{1}, std::size_t{3}, std::size_t{2}}) {
    auto bad = good;
    bad[at] = std::byte{0x40};
    n.submit(filter_id, bad, 7);
    ++sent_filter;
  }
  // truncated queries
  const auto q = query_request(50);
  for (std::size_t cut = 1; cut < q.size(); ++cut, ++sent_rank)
    n.submit(rank_id, std::span(q).first(cut), 7);
  n.settle();
  EXPECT_TRUE(n.take(client_ep).empty()) << "garbage is never answered";

  // Internal messages from the wire: not from the filter or a count actor.
  for (std::uint8_t k : {0x30, 0x31})
    for (int i = 0; i < 5; ++i) {
      std::vector<std::byte> p(16);
      p[0] = std::byte{k};
      p[8] = std::byte{60}; // window 60
      n.submit(first_count_id, p, 7);
    }
  for (std::uint8_t k : {0x32, 0x33})
    for (int i = 0; i < 5; ++i) {
      std::vector<std::byte> p(48);
      p[0] = std::byte{k};
      n.submit(rank_id, p, 7);
    }
  // An oversize tweet: answered ERROR and counted.
  tweet big = s.at(1501);
  big.text = std::string(max_text + 1, 'z');
  n.submit(filter_id, encode(big), 8);
  n.settle();
  auto answers = n.take(client_ep);
  ASSERT_EQ(answers.size(), 1u);
  auto r = decode_tweet_reply(answers[0].payload);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->st, status::error);
  EXPECT_EQ(r->why, detail::text_too_long);

  const auto f = n.stats(filter_id), c = n.stats(first_count_id), k = n.stats(rank_id);
  EXPECT_EQ(f[st_malformed], sent_filter);
  EXPECT_EQ(f[st_oversize], 1u);
  EXPECT_EQ(k[st_malformed], sent_rank);
  EXPECT_EQ(k[st_foreign], 10u);
  EXPECT_EQ(c[st_malformed], sent_count);
  EXPECT_EQ(c[st_foreign], 10u);
  EXPECT_EQ(f[st_unconfigured], 1u);
  EXPECT_EQ(k[st_unconfigured], 1u);
  // Still correct afterwards.
  feed(n, s, 1500, 3000, 500);
  const auto ref = reference(s, 3000, n.config());
  expect_windows(n, ref, ref.rbegin()->first - 1);
}

TEST(rta_pipeline, a_full_count_table_drops_new_terms_counts_them_and_keeps_counts_exact) {
  auto cfg = small_windows();
  cfg.max_terms = 40; // far fewer than the distinct terms of a window
  node n(cfg, 2);
  ASSERT_EQ(n.configure(), status::ok);
  // The memory is fixed at CONFIGURE: the state, and lateness + 1 tables.
  std::uint64_t bytes = 0;
  ASSERT_TRUE(
      n.nic.with_objects(first_count_id, [&](runtime::dmo_store& d) { bytes = d.total_bytes(); }));
  const std::uint64_t tables = 2 * 64 * 40; // slots: bit_ceil(40 + 20 + 1) = 64
  EXPECT_GT(bytes, tables);
  EXPECT_LT(bytes, tables + 1024);
  stream s(params(9));
  feed(n, s, 0, 4500, 500);
  std::uint64_t after = 0;
  ASSERT_TRUE(
      n.nic.with_objects(first_count_id, [&](runtime::dmo_store& d) { after = d.total_bytes(); }));
  EXPECT_EQ(after, bytes);

  const auto ref = reference(s, 4500, n.config());
  const std::uint64_t closed = ref.rbegin()->first - 1;
  std::uint64_t dropped = 0;
  for (const auto& [w, want] : ref) {
    if (w >= closed)
      break;
    auto a = n.query(w);
    ASSERT_TRUE(a);
    ASSERT_EQ(a->st, status::ok);
    EXPECT_GT(a->dropped, 0u) << "window " << w;
    EXPECT_EQ(a->tokens + a->dropped, want.tokens);
    EXPECT_EQ(a->distinct, 2u * 40);
    ASSERT_EQ(a->top.size(), cfg.k);
    for (std::size_t i = 0; i < a->top.size(); ++i) {
      EXPECT_EQ(a->top[i].count, want.counts.at(a->top[i].term)) << a->top[i].term;
      if (i > 0) {
        EXPECT_TRUE(ranks_before(a->top[i - 1], a->top[i]));
      }
    }
    dropped += a->dropped;
  }
  std::uint64_t counted_drops = 0;
  for (std::uint32_t i = 0; i < 2; ++i)
    counted_drops += n.stats(first_count_id + i)[st_dropped];
  EXPECT_GE(counted_drops, dropped);
  EXPECT_EQ(n.stats(rank_id)[st_dropped], dropped);
}

TEST(rta_pipeline, the_rank_actor_keeps_retain_windows_and_says_evicted_for_older_ones) {
  auto cfg = small_windows();
  cfg.retain = 3;
  node n(cfg, 2);
  ASSERT_EQ(n.configure(), status::ok);
  stream s(params(10));
  feed(n, s, 0, 7500, 500); // windows 50..57, closed below 56
  const auto ref = reference(s, 7500, n.config());
  for (std::uint64_t w = 50; w < 53; ++w)
    EXPECT_EQ(n.query(w).value().st, status::evicted) << w;
  for (std::uint64_t w = 53; w < 56; ++w) {
    auto a = n.query(w);
    ASSERT_EQ(a.value().st, status::ok);
    EXPECT_EQ(a->top, ref.at(w).top(cfg.k));
  }
  EXPECT_EQ(n.query(56).value().st, status::not_closed);
  EXPECT_EQ(n.stats(rank_id)[st_evicted], 0u) << "nothing was lost before it closed";
}

TEST(rta_pipeline, configure_is_checked_and_idempotent) {
  register_actors(); // the node did once already
  for (auto type : {filter_type, count_type, rank_type})
    EXPECT_TRUE(runtime::actor_registry::contains(type)) << type;
  node n(small_windows(), 2);
  ASSERT_EQ(n.configure(), status::ok);
  EXPECT_EQ(n.configure(), status::ok) << "the same again";
  auto other = n.config();
  other.k = 5;
  EXPECT_EQ(n.configure(encode(other), filter_id), status::error);
  EXPECT_EQ(n.configure(encode(count_config{0, 5, 4096, 2, filter_id, rank_id}), first_count_id),
            status::error);
  EXPECT_EQ(n.configure(encode(count_config{0, 10, 4096, 2, filter_id, rank_id}), first_count_id),
            status::ok);
  auto bad = n.config();
  bad.window_us = 0;
  node m(small_windows(), 2);
  EXPECT_EQ(m.configure(encode(bad), filter_id), status::error);
  bad = m.config();
  bad.k = max_k + 1;
  EXPECT_EQ(m.configure(encode(bad), filter_id), status::error);
  EXPECT_EQ(m.configure(), status::ok);
  // A count actor whose quota cannot hold its tables refuses, and the
  // filter counts the refusal.
  auto huge = small_windows();
  huge.max_terms = 65536;
  node h(huge, 1, 1 << 20);
  EXPECT_EQ(h.configure(), status::ok);
  EXPECT_EQ(h.stats(filter_id)[st_evicted], 1u);
}

} // namespace
} // namespace ipipe::apps::rta::testing
