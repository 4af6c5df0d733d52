#include <ipipe/sched/study.hpp>

#include <gtest/gtest.h>

using namespace ipipe::sched;

namespace {

study_options short_sbim2() {
  study_options o;
  o.duration_ns = 10'000'000; // ~40k requests at 0.85 load
  o.warmup = 0.2;
  return o;
}

} // namespace

// Issue 7: the hybrid must keep at least 0.85 of capacity on SBIM2 at
// p99.9 slowdown <= 10. On this short run (seed 1) it measured 3.96 when
// this test was written; the bound leaves 25% for harmless changes and
// fails long before the SLO would be lost.
TEST(sched_study, GH_7_regression_the_hybrid_holds_p999_slowdown_at_085_load_on_short_sbim2) {
  sim_config c;
  const study_point p = measure(c, sbim2(), 0.85, short_sbim2());
  EXPECT_LE(p.p999_slowdown, 5.0);
  EXPECT_LE(p.short_p999_slowdown, 5.0);
}

TEST(sched_study, central_fcfs_misses_the_slo_where_the_hybrid_meets_it) {
  sim_config c;
  c.disc = discipline::c_fcfs;
  EXPECT_GT(measure(c, sbim2(), 0.85, short_sbim2()).p999_slowdown, 10.0);
}

TEST(sched_study, max_load_finds_the_last_passing_load_and_refines_it) {
  // DISP2 is cheap to simulate; c-FCFS passes at low load and fails at 0.8.
  sim_config c;
  c.disc = discipline::c_fcfs;
  study_options o;
  o.duration_ns = 100'000'000;
  std::vector<study_point> curve;
  const double best = max_load(c, disp2(), o, 0.2, 0.8, 2, &curve);
  ASSERT_EQ(curve.size(), 4u);
  EXPECT_GT(best, 0.2);
  EXPECT_LT(best, 0.8);
  EXPECT_LE(measure(c, disp2(), best, o).p999_slowdown, 10.0);
  EXPECT_GT(curve.back().p999_slowdown, 10.0);
}
