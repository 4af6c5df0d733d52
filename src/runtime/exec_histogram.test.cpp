#include <ipipe/runtime/exec_histogram.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>

namespace ipipe::runtime {
namespace {

TEST(exec_histogram, every_value_falls_in_the_bucket_whose_range_holds_it) {
  std::mt19937_64 rng{7};
  for (int i = 0; i < 100000; ++i) {
    const std::uint64_t v = rng() >> (rng() % 64);
    const unsigned b = exec_histogram::bucket_of(v);
    ASSERT_LE(exec_histogram::bucket_floor(b), v) << v;
    ASSERT_LE(v - exec_histogram::bucket_floor(b), exec_histogram::bucket_width(b) - 1) << v;
    ASSERT_LE(exec_histogram::bucket_width(b) * 4, std::max<std::uint64_t>(4, v)) << v;
  }
  EXPECT_EQ(exec_histogram::bucket_of(0), 0u);
  EXPECT_EQ(exec_histogram::bucket_of(~std::uint64_t{0}), 251u) << "the last of 252";
}

TEST(exec_histogram, percentiles_are_within_an_eighth_of_the_exact_ones) {
  exec_histogram h;
  EXPECT_EQ(h.percentile(500), 0u) << "nothing counted";
  // 1..10000 us in ns: the exact median is 5000 us, the p99 9900 us.
  for (std::uint64_t us = 1; us <= 10000; ++us)
    h.add(us * 1000);
  const double p50 = static_cast<double>(h.percentile(500));
  const double p99 = static_cast<double>(h.percentile(990));
  EXPECT_NEAR(p50, 5'000'000.0, 5'000'000.0 / 8);
  EXPECT_NEAR(p99, 9'900'000.0, 9'900'000.0 / 8);
  EXPECT_LE(h.percentile(1), h.percentile(500));
  EXPECT_LE(h.percentile(500), h.percentile(1000));
}

TEST(exec_histogram, recent_runs_outweigh_old_ones) {
  exec_histogram h;
  for (int i = 0; i < 200000; ++i)
    h.add(1000); // 1 us for a long time
  for (int i = 0; i < 200000; ++i)
    h.add(100000); // then 100 us
  EXPECT_LT(h.count(), 1U << 16);
  EXPECT_GT(h.percentile(500), 50000u) << "the old 1 us runs still rule the median";
}

} // namespace
} // namespace ipipe::runtime
