#include <ipipe/sched/drr_queue.hpp>

#include <gtest/gtest.h>

#include <array>
#include <deque>

using namespace ipipe::sched;

namespace {

// Serves `turns` turns on one core; every actor is always backlogged with
// requests of cost[actor] ns. Returns the ns served per actor.
std::array<std::uint64_t, 3> serve_backlogged(drr_queue& q,
                                              const std::array<std::uint64_t, 3>& cost,
                                              std::uint32_t quantum, int turns) {
  std::array<std::uint64_t, 3> served{};
  for (std::uint32_t a = 0; a < 3; ++a)
    if (cost[a])
      q.activate(a);
  for (int t = 0; t < turns; ++t) {
    auto a = q.begin_turn(quantum);
    EXPECT_TRUE(a.has_value());
    if (!a)
      break;
    do
      served[*a] += cost[*a];
    while (q.charge(*a, cost[*a], true));
  }
  return served;
}

} // namespace

TEST(drr_queue, backlogged_actors_with_unequal_costs_get_equal_shares_of_time) {
  drr_queue q{3};
  const std::array<std::uint64_t, 3> cost{1'000, 3'000, 7'000};
  const auto served = serve_backlogged(q, cost, 10'000, 3000);
  // Over 1000 rounds each actor got ~10 ms; DRR bounds the gap by one
  // quantum plus one maximal request.
  const std::uint64_t bound = 10'000 + 7'000;
  EXPECT_LE(std::max(served[0], served[1]) - std::min(served[0], served[1]), bound);
  EXPECT_LE(std::max(served[0], served[2]) - std::min(served[0], served[2]), bound);
  EXPECT_GT(served[0], 9'000'000u);
}

TEST(drr_queue, a_cheap_actor_runs_several_requests_per_turn_an_expensive_one_overdraws) {
  drr_queue q{2};
  q.activate(0);
  q.activate(1);
  auto a = q.begin_turn(10'000);
  ASSERT_EQ(a, 0u);
  int runs = 1;
  while (q.charge(0, 1'000, true))
    ++runs;
  EXPECT_EQ(runs, 10); // exactly one quantum of 1 us requests
  auto b = q.begin_turn(10'000);
  ASSERT_EQ(b, 1u);
  EXPECT_FALSE(q.charge(1, 25'000, true));
  EXPECT_EQ(q.deficit(1), -15'000); // overdraft carried, not forgiven
}

TEST(drr_queue, an_overdrawn_actor_waits_out_the_rounds_its_overdraft_costs) {
  drr_queue q{2};
  q.activate(0);
  q.activate(1);
  ASSERT_EQ(q.begin_turn(10'000), 0u);
  EXPECT_FALSE(q.charge(0, 35'000, true)); // deficit -25 us: skips two rounds
  int turns_of_1 = 0;
  for (;;) {
    auto a = q.begin_turn(10'000);
    ASSERT_TRUE(a);
    if (*a == 0)
      break;
    ++turns_of_1;
    EXPECT_FALSE(q.charge(1, 10'000, true));
  }
  EXPECT_EQ(turns_of_1, 3);
  EXPECT_EQ(q.deficit(0), 5'000);
}

TEST(drr_queue, an_actor_whose_mailbox_empties_loses_its_deficit) {
  drr_queue q{1};
  q.activate(0);
  ASSERT_EQ(q.begin_turn(10'000), 0u);
  EXPECT_FALSE(q.charge(0, 1'000, false));
  EXPECT_EQ(q.deficit(0), 0);
  EXPECT_TRUE(q.idle(0));
  EXPECT_TRUE(q.empty());
}

TEST(drr_queue, an_actor_in_service_is_not_handed_to_a_second_core) {
  drr_queue q{1};
  q.activate(0);
  ASSERT_EQ(q.begin_turn(10'000), 0u);
  q.activate(0); // new mail while in service
  EXPECT_FALSE(q.begin_turn(10'000).has_value());
  EXPECT_FALSE(q.charge(0, 20'000, true)); // back in the queue
  EXPECT_TRUE(q.queued(0));
}

TEST(drr_queue, yield_requeues_the_actor_at_the_tail_and_keeps_its_deficit) {
  drr_queue q{2};
  q.activate(0);
  q.activate(1);
  ASSERT_EQ(q.begin_turn(10'000), 0u);
  ASSERT_TRUE(q.charge(0, 2'000, true));
  q.yield(0);
  EXPECT_EQ(q.deficit(0), 8'000);
  EXPECT_EQ(q.begin_turn(10'000), 1u);
}

TEST(drr_queue, remove_takes_a_queued_actor_out_and_clears_its_deficit) {
  drr_queue q{2};
  q.activate(0);
  q.activate(1);
  q.remove(0);
  EXPECT_EQ(q.size(), 1u);
  EXPECT_EQ(q.begin_turn(10'000), 1u);
  EXPECT_FALSE(q.begin_turn(10'000).has_value());
}
