#include <ipipe/sched/actor_stats.hpp>

#include <gtest/gtest.h>

using namespace ipipe::sched;

TEST(actor_stats, a_constant_stream_has_no_spread_and_a_tail_equal_to_its_mean) {
  actor_stats s{8};
  for (int i = 0; i < 20; ++i)
    s.add(500);
  EXPECT_EQ(s.count(), 8u);
  EXPECT_EQ(s.mean_ns(), 500u);
  EXPECT_EQ(s.sigma_ns(), 0u);
  EXPECT_EQ(s.tail_ns(), 500u);
  EXPECT_EQ(s.total(), 20u);
}

TEST(actor_stats, the_tail_is_mean_plus_three_population_sigmas) {
  actor_stats s{4};
  for (std::uint64_t v : {10, 20, 30, 40})
    s.add(v);
  // mean 25, variance (225 + 25 + 25 + 225) / 4 = 125, sigma 11.18
  EXPECT_EQ(s.mean_ns(), 25u);
  EXPECT_EQ(s.sigma_ns(), 11u);
  EXPECT_EQ(s.tail_ns(), 25u + 33u);
}

TEST(actor_stats, the_window_forgets_samples_older_than_its_capacity) {
  actor_stats s{4};
  s.add(1'000'000);
  for (int i = 0; i < 4; ++i)
    s.add(100);
  EXPECT_EQ(s.mean_ns(), 100u);
  EXPECT_EQ(s.tail_ns(), 100u);
}

TEST(actor_stats, one_long_request_among_many_short_ones_raises_the_tail_above_its_cost_share) {
  actor_stats s{64};
  for (int i = 0; i < 63; ++i)
    s.add(500);
  s.add(500'000);
  EXPECT_GT(s.tail_ns(), 50'000u); // downgrade-worthy under the default threshold
  EXPECT_LT(s.mean_ns(), 10'000u);
}

TEST(actor_stats, huge_samples_do_not_overflow_the_square_sum) {
  actor_stats s{64};
  for (int i = 0; i < 64; ++i)
    s.add(i % 2 ? 4'000'000'000ULL : 2'000'000'000ULL);
  EXPECT_EQ(s.mean_ns(), 3'000'000'000ULL);
  EXPECT_EQ(s.sigma_ns(), 1'000'000'000ULL);
}

TEST(actor_stats, clear_empties_the_window) {
  actor_stats s{4};
  s.add(7);
  s.clear();
  EXPECT_EQ(s.count(), 0u);
  EXPECT_EQ(s.tail_ns(), 0u);
}

TEST(actor_stats, the_exact_threshold_comparisons_agree_with_the_tail) {
  actor_stats s{4};
  for (std::uint64_t v : {10, 20, 30, 40})
    s.add(v);
  // The exact tail is 25 + 3 * 11.18 = 58.54.
  EXPECT_TRUE(s.tail_above(58));
  EXPECT_FALSE(s.tail_above(59));
  EXPECT_TRUE(s.tail_below(59));
  EXPECT_FALSE(s.tail_below(58));
  EXPECT_TRUE(s.tail_above(20)) << "the mean alone is above";
  actor_stats empty{4};
  EXPECT_FALSE(empty.tail_above(0));
  EXPECT_FALSE(empty.tail_below(1'000'000));
}
