#include "histogram.hpp"

#include <gtest/gtest.h>

#include "rng.hpp"
#include <algorithm>
#include <cmath>
#include <vector>

using namespace ipipe::bench;

namespace {

// The nearest-rank percentile of sorted `v`, in integer arithmetic:
// p is given in tenths of a percent.
std::uint64_t reference(const std::vector<std::uint64_t>& v, std::uint64_t p_tenths) {
  const std::uint64_t n = v.size();
  std::uint64_t rank = (p_tenths * n + 999) / 1000;
  rank = std::clamp<std::uint64_t>(rank, 1, n);
  return v[rank - 1];
}

} // namespace

TEST(histogram, small_values_are_exact) {
  histogram h;
  for (std::uint64_t v = 0; v < 256; ++v)
    h.record(v);
  EXPECT_EQ(h.count(), 256u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 255u);
  EXPECT_EQ(h.percentile(50), 127u);
  EXPECT_EQ(h.percentile(100), 255u);
  EXPECT_EQ(h.percentile(0), 0u);
}

TEST(histogram, an_empty_histogram_reports_zeros) {
  histogram h;
  EXPECT_EQ(h.percentile(99), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.mean(), 0.0);
}

TEST(histogram, every_bucket_holds_what_it_claims) {
  histogram h;
  ipipe::bench::rng r{7};
  for (int i = 0; i < 100000; ++i) {
    const std::uint64_t v = r.next() >> r.below(64);
    const auto b = h.bucket_of(v);
    ASSERT_LE(v, h.bucket_high(b)) << v;
    if (b > 0) {
      ASSERT_GT(v, h.bucket_high(b - 1)) << v;
    }
  }
  EXPECT_EQ(h.bucket_high(h.bucket_of(~0ULL)), ~0ULL);
}

// Percentiles against a sorted copy of the same random data: never below
// the exact value and at most 1/128 above it.
TEST(histogram, percentiles_match_a_sorted_reference_on_random_data) {
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    ipipe::bench::rng r{seed};
    histogram h;
    std::vector<std::uint64_t> v;
    const std::size_t n = 50'000 + seed * 777;
    for (std::size_t i = 0; i < n; ++i) {
      // Log-normal-ish latencies: 1 us .. 100 ms, with a heavy tail.
      const double x = std::exp(9.0 + 1.5 * (r.uniform() + r.uniform() + r.uniform() - 1.5));
      const auto ns = static_cast<std::uint64_t>(x) + r.below(1000);
      v.push_back(ns);
      h.record(ns);
    }
    std::sort(v.begin(), v.end());
    for (std::uint64_t p : {0u, 10u, 500u, 900u, 990u, 999u, 1000u}) {
      const auto want = reference(v, p);
      const auto got = h.percentile(static_cast<double>(p) / 10.0);
      EXPECT_GE(got, want) << "p" << p / 10.0 << " seed " << seed;
      EXPECT_LE(static_cast<double>(got), static_cast<double>(want) * (1.0 + 1.0 / 128) + 1)
          << "p" << p / 10.0 << " seed " << seed;
    }
    EXPECT_EQ(h.max(), v.back());
    EXPECT_EQ(h.min(), v.front());
    long double sum = 0;
    for (auto x : v)
      sum += x;
    EXPECT_NEAR(h.mean(), static_cast<double>(sum / n), 1e-6 * h.mean());
  }
}

TEST(histogram, merge_equals_recording_everything_in_one) {
  histogram a, b, all;
  ipipe::bench::rng r{11};
  for (int i = 0; i < 10000; ++i) {
    const auto v = r.below(10'000'000);
    (i % 3 ? a : b).record(v);
    all.record(v);
  }
  a.merge(b);
  for (double p : {50.0, 99.0, 99.9})
    EXPECT_EQ(a.percentile(p), all.percentile(p));
  EXPECT_EQ(a.count(), all.count());
  a.clear();
  EXPECT_EQ(a.count(), 0u);
  EXPECT_EQ(a.percentile(50), 0u);
}
