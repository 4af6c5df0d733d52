// The RTA workload through the engine against a scripted pipeline behind
// one fake wire port (the filter and the rank actor): a correct one, one
// that loses a term, one that counts a language it must filter, one that
// says "not closed" first, one that never answers a tweet; and the seeded
// request sequence.
#include "rta_workload.hpp"

#include <gtest/gtest.h>

#include "engine.hpp"
#include "fake_nic.hpp"
#include <cstring>
#include <map>
#include <mutex>
#include <rta/stream.hpp>

using namespace ipipe;
using namespace ipipe::bench;
namespace fk = ipipe::bench::testing;
namespace rta = ipipe::apps::rta;

namespace {

constexpr std::uint32_t filter_actor = 1, rank_actor = 2;

// 100 tweets per window, a query every 20 requests: a 2000-request run
// asks about 100 queries over 17 closed windows.
rta_params params() {
  rta_params p;
  p.seed = 7;
  p.window_us = 10'000;
  p.gap_us = 100;
  p.query_every = 20;
  p.base_us = 5'000'000;
  return p;
}

struct faults {
  bool lose_a_term = false;       // every 3rd window loses one count of its top term
  bool count_every_lang = false;  // the filter counts what it must filter
  unsigned not_closed_first = 0;  // "not closed" to the first N queries of a window
  std::uint64_t silent_tweet = 0; // this tweet id is counted but never answered
};

// The filter and the rank actor, counting exactly (unless told otherwise).
class fake_pipeline {
public:
  fake_pipeline(const rta_params& p, faults f) : p_(p), f_(f) {}

  std::optional<fk::fake_answer> handle(const ipipe_msg_hdr& hdr, std::span<const std::byte> b) {
    std::lock_guard g(lock_);
    fk::fake_answer a;
    a.hdr.type = IPIPE_MSG_REPLY;
    a.hdr.src_actor = hdr.dst_actor;
    a.hdr.req_id = hdr.req_id;
    if (hdr.dst_actor == filter_actor) {
      const auto t = rta::decode_tweet(b);
      if (!t)
        return std::nullopt;
      rta::tweet_reply r;
      r.id = t->id;
      r.window = rta::window_of(t->time_us, p_.window_us);
      const std::uint32_t mask = f_.count_every_lang ? ~0u : p_.lang_mask;
      if (!rta::lang_matches(mask, t->lang)) {
        r.st = rta::status::filtered;
      } else {
        counts_[r.window].add(*t, mask, p_.flags);
        r.terms = static_cast<std::uint16_t>(
            rta::for_each_term(t->text, p_.flags, [](std::string_view) {}).counted);
      }
      if (t->id == f_.silent_tweet)
        return std::nullopt;
      a.body = rta::encode(r);
      return a;
    }
    // A query: the window is at offset 8 (rta.rst, "Client protocol").
    if (b.size() != rta::query_size)
      return std::nullopt;
    std::uint64_t w = 0;
    std::memcpy(&w, b.data() + 8, sizeof(w));
    rta::window_answer r;
    r.window = w;
    if (asked_[w]++ < f_.not_closed_first) {
      r.st = rta::status::not_closed;
    } else {
      rta::window_counts c = counts_[w];
      if (f_.lose_a_term && w % 3 == 0 && !c.counts.empty()) {
        const auto top = c.top(1).front().term;
        if (--c.counts[top] == 0)
          c.counts.erase(top);
        --c.tokens;
      }
      r.tokens = c.tokens;
      r.distinct = c.counts.size();
      r.closed = w + 1;
      r.top = c.top(p_.k);
    }
    a.body = rta::encode(r);
    return a;
  }

private:
  rta_params p_;
  faults f_;
  std::mutex lock_;
  std::map<std::uint64_t, rta::window_counts> counts_;
  std::map<std::uint64_t, unsigned> asked_;
};

run_result run(faults f, std::uint64_t timeout_ms = 3000) {
  const auto p = params();
  fake_pipeline pipe(p, f);
  fk::fake_nic nic(
      [&](const ipipe_msg_hdr& h, std::span<const std::byte> b) { return pipe.handle(h, b); });
  const nic::endpoint at{INADDR_LOOPBACK, nic.port()};
  auto sock = wire_socket::open({{at, filter_actor}, {at, rank_actor}});
  EXPECT_TRUE(sock);
  rta_workload wl(p);
  engine_config cfg;
  cfg.schedule = rate_schedule::constant(2000);
  cfg.requests = 2000;
  cfg.timeout_ms = timeout_ms; // generous: a slow machine must not fail a correct pipeline
  cfg.seed = 7;
  return run_load(cfg, wl, *sock);
}

std::string first_error(const run_result& r) {
  return r.first_errors.empty() ? "" : r.first_errors.front();
}

} // namespace

TEST(rta_workload, a_correct_pipeline_passes_and_its_windows_are_checked) {
  const auto r = run({});
  EXPECT_EQ(r.ok, 2000u);
  EXPECT_EQ(r.errors(), 0u) << first_error(r);
  const auto& x = r.extra;
  EXPECT_EQ(x.at("tweets") + x.at("queries"), 2000u);
  EXPECT_EQ(x.at("counted") + x.at("filtered"), x.at("tweets"));
  EXPECT_GT(x.at("filtered"), 0u) << "the stream has languages outside the mask";
  EXPECT_GT(x.at("checked_queries"), 80u);
  EXPECT_EQ(x.at("unverified_queries"), 0u);
  EXPECT_EQ(x.at("late"), 0u);
}

TEST(rta_workload, a_lost_term_makes_the_queries_of_its_windows_wrong) {
  const auto r = run({.lose_a_term = true});
  EXPECT_GT(r.wrong, 20u) << "a third of the windows, several queries each";
  EXPECT_LT(r.wrong, r.extra.at("queries")) << "the other windows still pass";
  EXPECT_GT(r.extra.at("checked_queries"), 0u);
  EXPECT_EQ(r.extra.at("wrong_queries"), r.wrong);
  EXPECT_EQ(r.extra.at("wrong_tweets"), 0u);
  EXPECT_NE(first_error(r).find("terms"), std::string::npos) << first_error(r);
}

TEST(rta_workload, counting_a_filtered_language_is_wrong_at_the_tweet) {
  const auto r = run({.count_every_lang = true});
  EXPECT_GT(r.wrong, 0u);
  EXPECT_EQ(r.extra.at("filtered"), 0u);
  EXPECT_GE(r.extra.at("wrong_tweets"), 1u);
  EXPECT_NE(first_error(r).find("counted"), std::string::npos) << first_error(r);
}

TEST(rta_workload, a_window_not_closed_yet_is_asked_again) {
  const auto r = run({.not_closed_first = 2});
  EXPECT_EQ(r.errors(), 0u) << first_error(r);
  EXPECT_GT(r.extra.at("not_closed"), 0u);
  EXPECT_EQ(r.redirects, r.extra.at("not_closed"));
  EXPECT_GT(r.extra.at("checked_queries"), 80u);
}

TEST(rta_workload, a_tweet_without_an_answer_leaves_its_window_unverified_not_wrong) {
  // Tweet 450 lies in the 5th window; its queries cannot be checked.
  const auto r = run({.silent_tweet = 450}, 300);
  EXPECT_EQ(r.timeouts, 1u);
  EXPECT_EQ(r.errors(), 0u) << first_error(r);
  EXPECT_GT(r.extra.at("unverified_queries"), 0u);
  EXPECT_GT(r.extra.at("checked_queries"), 50u);
}

TEST(rta_workload, the_request_sequence_depends_on_the_seed_and_n_only) {
  auto p = params();
  rta_workload a(p), b(p);
  p.seed = 8;
  rta_workload c(p);
  bool differs = false;
  std::uint64_t queries = 0;
  for (std::uint64_t n = 0; n < 1000; ++n) {
    const auto x = a.next(n + 1, n), y = b.next(n + 1, n), z = c.next(n + 1, n);
    EXPECT_EQ(x.payload, y.payload);
    EXPECT_EQ(x.target, y.target);
    EXPECT_EQ(x.target, z.target) << "queries sit at the same places whatever the seed";
    differs |= x.payload != z.payload;
    if (x.target == 1) {
      ++queries;
      EXPECT_EQ((n + 1) % p.query_every, 0u);
    }
  }
  EXPECT_TRUE(differs);
  // Of the 50 query slots, those among the first 300 requests come before
  // lateness + 2 windows have tweets, and are tweets.
  EXPECT_GE(queries, 30u);
  EXPECT_LE(queries, 40u);
}
