#include "arrivals.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

using namespace ipipe::bench;

// Gaps of a Poisson process at rate R are exponential: mean 1/R, variance
// 1/R^2; its counts in windows of length w have mean and variance R*w.
TEST(arrivals, poisson_gaps_have_the_right_mean_and_variance) {
  const double rate = 20'000;
  poisson_arrivals a(rate_schedule::constant(rate), 42);
  const int n = 200'000;
  double prev = 0, sum = 0, sum2 = 0;
  std::vector<int> counts(static_cast<std::size_t>(n / rate / 0.001) + 2);
  for (int i = 0; i < n; ++i) {
    const double t = a.next();
    ASSERT_GT(t, prev);
    const double gap = t - prev;
    sum += gap;
    sum2 += gap * gap;
    prev = t;
    const auto w = static_cast<std::size_t>(t / 0.001);
    if (w < counts.size())
      ++counts[w];
  }
  const double mean = sum / n, var = sum2 / n - mean * mean;
  EXPECT_NEAR(mean * rate, 1.0, 0.01);
  EXPECT_NEAR(var * rate * rate, 1.0, 0.03);

  // Counts per 1 ms window (the last, partial ones left out).
  double cm = 0, cv = 0;
  const std::size_t windows = counts.size() - 3;
  for (std::size_t i = 0; i < windows; ++i)
    cm += counts[i];
  cm /= static_cast<double>(windows);
  for (std::size_t i = 0; i < windows; ++i)
    cv += (counts[i] - cm) * (counts[i] - cm);
  cv /= static_cast<double>(windows - 1);
  EXPECT_NEAR(cm, 20.0, 0.5);
  EXPECT_NEAR(cv / cm, 1.0, 0.1); // dispersion index of a Poisson process
}

TEST(arrivals, the_same_seed_gives_the_same_sequence) {
  poisson_arrivals a(rate_schedule::constant(1000), 5), b(rate_schedule::constant(1000), 5),
      c(rate_schedule::constant(1000), 6);
  bool differs = false;
  for (int i = 0; i < 1000; ++i) {
    const double x = a.next();
    EXPECT_EQ(x, b.next());
    differs |= x != c.next();
  }
  EXPECT_TRUE(differs);
}

TEST(arrivals, a_ramp_steps_the_rate_and_then_holds_it) {
  auto r = rate_schedule::parse_ramp("1000:4000:0.5:1000");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->rate_at(0), 1000);
  EXPECT_EQ(r->rate_at(0.6), 2000);
  EXPECT_EQ(r->rate_at(1.49), 3000);
  EXPECT_EQ(r->rate_at(1.5), 4000);
  EXPECT_EQ(r->rate_at(100), 4000);
  EXPECT_DOUBLE_EQ(r->ramp_length(), 2.0);

  poisson_arrivals a(*r, 9);
  std::vector<int> per_step(4);
  for (double t = a.next(); t < 2.0; t = a.next())
    ++per_step[static_cast<std::size_t>(t / 0.5)];
  // 500, 1000, 1500, 2000 expected; a Poisson count's sd is sqrt of that.
  for (std::size_t k = 0; k < 4; ++k) {
    const double want = 500.0 * static_cast<double>(k + 1);
    EXPECT_NEAR(per_step[k], want, 4 * std::sqrt(want)) << "step " << k;
  }
}

TEST(arrivals, a_downward_ramp_and_bad_ramps) {
  auto r = rate_schedule::parse_ramp("3000:1000:1:1000");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->rate_at(0.5), 3000);
  EXPECT_EQ(r->rate_at(1.5), 2000);
  EXPECT_EQ(r->rate_at(9), 1000);
  for (const char* bad :
       {"", "1:2:3", "1:2:3:4:5", "0:10:1:1", "10:20:0:1", "10:20:1:-1", "a:20:1:1", "10:20:1:1x"})
    EXPECT_FALSE(rate_schedule::parse_ramp(bad)) << bad;
}
