// The seeded stream, the tokenizer, the ranking order and the protocol's
// encodings.
#include "stream.hpp"

#include <gtest/gtest.h>

#include <set>

namespace ipipe::apps::rta {
namespace {

TEST(rta_stream, a_tweet_is_a_function_of_the_seed_and_its_index) {
  stream a({.seed = 7}), b({.seed = 7}), c({.seed = 8});
  int differ = 0;
  for (std::uint64_t i = 0; i < 500; ++i) {
    const auto x = a.at(i), y = b.at(i), z = c.at(i);
    EXPECT_EQ(x.text, y.text);
    EXPECT_EQ(x.time_us, y.time_us);
    EXPECT_EQ(x.user, y.user);
    EXPECT_EQ(x.lang, y.lang);
    EXPECT_EQ(x.id, i + 1);
    differ += x.text != z.text;
  }
  EXPECT_GT(differ, 450);
  // Out of order: the same tweet.
  EXPECT_EQ(a.at(123).text, stream({.seed = 7}).at(123).text);
}

TEST(rta_stream, event_time_increases_and_first_at_finds_it) {
  stream s({.seed = 3, .base_us = 1'000'000, .gap_us = 50});
  std::uint64_t last = 0;
  for (std::uint64_t i = 0; i < 2000; ++i) {
    const auto t = s.at(i).time_us;
    EXPECT_GT(t, last);
    EXPECT_GE(t, 1'000'000 + i * 50);
    EXPECT_LT(t, 1'000'000 + (i + 1) * 50);
    last = t;
    EXPECT_EQ(s.first_at(t), i);
    EXPECT_EQ(s.first_at(t + 1), i + 1);
  }
  EXPECT_EQ(s.first_at(0), 0u);
}

TEST(rta_stream, words_are_zipf_distributed_and_distinct) {
  std::set<std::string> names;
  for (std::uint32_t w = 0; w < 20000; ++w)
    names.insert(stream::word(w));
  EXPECT_EQ(names.size(), 20000u);
  zipf z(1000, 1.1);
  std::vector<int> hits(1000);
  for (int i = 0; i < 100000; ++i)
    ++hits[z((i + 0.5) / 100000)];
  EXPECT_GT(hits[0], hits[1]);
  EXPECT_GT(hits[1], hits[10]);
  EXPECT_GT(hits[10], hits[500]);
}

TEST(rta_stream, the_tokenizer_folds_case_and_skips_stop_words_and_long_terms) {
  std::vector<std::string> got;
  const auto all = [&](std::string_view t) { got.emplace_back(t); };
  auto tally = for_each_term(
      "The  Cat sat on #Mat " + std::string(33, 'x') + " " + std::string(32, 'y'), 0, all);
  EXPECT_EQ(got, (std::vector<std::string>{"cat", "sat", "#mat", std::string(32, 'y')}));
  EXPECT_EQ(tally.counted, 4u);
  EXPECT_EQ(tally.stop, 2u); // the, on
  EXPECT_EQ(tally.too_long, 1u);
  got.clear();
  tally = for_each_term("the #a b #c", cfg_hashtags_only, all);
  EXPECT_EQ(got, (std::vector<std::string>{"#a", "#c"}));
  EXPECT_EQ(tally.stop, 2u);
  for (auto w : stop_words())
    EXPECT_TRUE(is_stop_word(w)) << w;
  EXPECT_FALSE(is_stop_word("cat"));
}

TEST(rta_stream, ties_rank_by_term) {
  window_counts c;
  c.counts = {{"b", 3}, {"a", 3}, {"c", 5}, {"d", 1}};
  EXPECT_EQ(c.top(3), (std::vector<term_count>{{"c", 5}, {"a", 3}, {"b", 3}}));
  EXPECT_EQ(c.top(10).size(), 4u);
}

TEST(rta_protocol, encodings_round_trip_and_damage_is_refused) {
  tweet t{42, 123456789, 7, 3, "hello #world"};
  const auto p = encode(t);
  ASSERT_EQ(p.size(), tweet_hdr_size + t.text.size());
  auto d = decode_tweet(p);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->id, 42u);
  EXPECT_EQ(d->time_us, 123456789u);
  EXPECT_EQ(d->user, 7u);
  EXPECT_EQ(d->lang, 3);
  EXPECT_EQ(d->text, t.text);
  for (std::size_t cut = 0; cut < p.size(); ++cut)
    EXPECT_FALSE(decode_tweet(std::span(p).first(cut))) << cut;
  auto longer = p;
  longer.push_back(std::byte{0});
  EXPECT_FALSE(decode_tweet(longer));

  window_answer a;
  a.window = 9;
  a.tokens = 100;
  a.distinct = 40;
  a.dropped = 2;
  a.closed = 11;
  a.top = {{"x", 10}, {"#y", 9}};
  const auto q = encode(a);
  ASSERT_EQ(q.size(), answer_hdr_size + 5 + 1 + 5 + 2);
  auto b = decode_window_answer(q);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->top, a.top);
  EXPECT_EQ(b->window, 9u);
  EXPECT_EQ(b->dropped, 2u);
  EXPECT_EQ(b->closed, 11u);
  for (std::size_t cut = 0; cut < q.size(); ++cut)
    EXPECT_FALSE(decode_window_answer(std::span(q).first(cut))) << cut;

  tweet_reply r{status::late, detail::none, 5, 42, 77};
  auto e = decode_tweet_reply(encode(r));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->st, status::late);
  EXPECT_EQ(e->terms, 5);
  EXPECT_EQ(e->window, 77u);
  EXPECT_EQ(query_request(5).size(), query_size);
  EXPECT_EQ(encode(r).size(), tweet_reply_size);
}

} // namespace
} // namespace ipipe::apps::rta
