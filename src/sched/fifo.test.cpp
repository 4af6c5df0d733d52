#include <ipipe/sched/fifo.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <deque>
#include <random>
#include <vector>

using ipipe::sched::fifo;

TEST(fifo, values_come_out_in_order_across_growth_and_wrap_around) {
  fifo<std::uint64_t> q;
  std::deque<std::uint64_t> ref;
  std::mt19937 rng(7);
  std::uint64_t next = 0;
  for (int i = 0; i < 20000; ++i) {
    if (rng() % 3 != 0 || ref.empty()) {
      q.push_back(next);
      ref.push_back(next++);
    } else {
      ASSERT_EQ(q.front(), ref.front());
      q.pop_front();
      ref.pop_front();
    }
    ASSERT_EQ(q.size(), ref.size());
  }
  for (std::size_t i = 0; i < ref.size(); ++i)
    EXPECT_EQ(q[i], ref[i]);
}

TEST(fifo, extract_if_takes_the_matching_values_in_order_and_keeps_the_rest_in_order) {
  fifo<int> r;
  for (int i = 0; i < 40; ++i)
    r.push_back(i);
  for (int i = 0; i < 5; ++i)
    r.pop_front(); // wrap the live range
  std::vector<int> out;
  r.extract_if([](int v) { return v % 3 == 0; }, [&](int v) { out.push_back(v); });
  EXPECT_EQ(out, (std::vector<int>{6, 9, 12, 15, 18, 21, 24, 27, 30, 33, 36, 39}));
  int expect = 5;
  for (std::size_t i = 0; i < r.size(); ++i, ++expect) {
    if (expect % 3 == 0)
      ++expect;
    EXPECT_EQ(r[i], expect);
  }
  EXPECT_EQ(r.size(), 35u - out.size());
}

TEST(fifo, clear_empties_it_and_it_is_usable_again) {
  fifo<int> q;
  for (int i = 0; i < 100; ++i)
    q.push_back(i);
  q.clear();
  EXPECT_TRUE(q.empty());
  q.push_back(5);
  EXPECT_EQ(q.front(), 5);
  EXPECT_EQ(q.size(), 1u);
}
