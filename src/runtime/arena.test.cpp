#include <ipipe/runtime/arena.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

using namespace ipipe;
using namespace ipipe::runtime;

TEST(arena, allocations_are_aligned_and_rounded_to_sixteen_bytes) {
  arena a{1024};
  auto x = a.allocate(1);
  auto y = a.allocate(17);
  ASSERT_TRUE(x && y);
  EXPECT_EQ(*x % arena::alignment, 0u);
  EXPECT_EQ(*y % arena::alignment, 0u);
  EXPECT_EQ(a.block_size(*x), 16u);
  EXPECT_EQ(a.block_size(*y), 32u);
  EXPECT_EQ(a.used(), 48u);
}

TEST(arena, a_zero_sized_allocation_fails_with_bad_length) {
  arena a{1024};
  auto x = a.allocate(0);
  ASSERT_FALSE(x);
  EXPECT_EQ(x.err().code(), errc::bad_length);
}

TEST(arena, an_allocation_larger_than_what_is_left_fails_with_no_space) {
  arena a{1024};
  ASSERT_TRUE(a.allocate(1000));
  auto x = a.allocate(64);
  ASSERT_FALSE(x);
  EXPECT_EQ(x.err().code(), errc::no_space);
  auto huge = a.allocate(~0ULL);
  ASSERT_FALSE(huge);
  EXPECT_EQ(huge.err().code(), errc::no_space);
}

TEST(arena, freeing_an_unknown_offset_fails_with_not_found) {
  arena a{1024};
  auto x = a.allocate(64);
  ASSERT_TRUE(x);
  EXPECT_EQ(a.release(*x + 16).err().code(), errc::not_found);
  ASSERT_TRUE(a.release(*x));
  EXPECT_EQ(a.release(*x).err().code(), errc::not_found) << "double free accepted";
}

TEST(arena, freed_neighbours_coalesce_into_one_block) {
  arena a{4096};
  std::vector<std::uint64_t> blocks;
  for (int i = 0; i < 8; ++i)
    blocks.push_back(*a.allocate(256));
  EXPECT_EQ(a.free_blocks(), 1u); // the tail
  // Free every other block: four holes that cannot merge.
  for (int i = 0; i < 8; i += 2)
    ASSERT_TRUE(a.release(blocks[i]));
  EXPECT_EQ(a.free_blocks(), 5u);
  EXPECT_EQ(a.largest_free(), 4096u - 8 * 256);
  // A 512-byte request fits no hole yet.
  EXPECT_NE(*a.allocate(512), blocks[0]);
  // Freeing block 1 merges holes 0, 1 and 2 into one 768-byte block.
  ASSERT_TRUE(a.release(blocks[1]));
  auto big = a.allocate(768);
  ASSERT_TRUE(big);
  EXPECT_EQ(*big, blocks[0]);
}

TEST(arena, best_fit_keeps_large_blocks_for_large_requests) {
  arena a{4096};
  auto a1 = *a.allocate(1024);
  auto sep1 = *a.allocate(16);
  auto a2 = *a.allocate(64);
  auto sep2 = *a.allocate(16);
  (void)sep1;
  (void)sep2;
  ASSERT_TRUE(a.release(a1));
  ASSERT_TRUE(a.release(a2));
  // 48 bytes go into the 64-byte hole, not into the 1024-byte one.
  EXPECT_EQ(*a.allocate(48), a2);
  EXPECT_EQ(*a.allocate(1024), a1);
}

// Random allocate/free with a seeded generator; at the end everything is
// freed and the arena must be one free block again (full coalescing).
TEST(arena, random_churn_returns_to_one_free_block) {
  for (unsigned seed = 1; seed <= 8; ++seed) {
    std::mt19937 rng(seed);
    arena a{1 << 20};
    std::vector<std::pair<std::uint64_t, std::uint64_t>> live; // offset, size
    for (int step = 0; step < 5000; ++step) {
      if (live.empty() || rng() % 3 != 0) {
        const std::uint64_t size = 1 + rng() % 4096;
        auto off = a.allocate(size);
        if (!off) {
          ASSERT_EQ(off.err().code(), errc::no_space);
          continue;
        }
        for (auto& [o, s] : live)
          ASSERT_TRUE(*off + size <= o || o + s <= *off) << "overlapping blocks, seed " << seed;
        live.emplace_back(*off, size);
      } else {
        const std::size_t i = rng() % live.size();
        ASSERT_TRUE(a.release(live[i].first));
        live.erase(live.begin() + static_cast<std::ptrdiff_t>(i));
      }
    }
    std::shuffle(live.begin(), live.end(), rng);
    for (auto& [o, s] : live)
      ASSERT_TRUE(a.release(o));
    EXPECT_EQ(a.free_blocks(), 1u) << "seed " << seed;
    EXPECT_EQ(a.largest_free(), a.capacity());
    EXPECT_EQ(a.used(), 0u);
  }
}
