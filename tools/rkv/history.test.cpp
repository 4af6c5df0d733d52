// History files of ipipe-bench read back and checked.
#include "history.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace ipipe::tools::rkvctl {
namespace {

std::string write_file(const std::string& name, const std::string& text) {
  const auto p = std::filesystem::temp_directory_path() /
                 (name + "." + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
                  "." + std::to_string(::getpid()));
  std::ofstream(p) << text;
  return p.string();
}

TEST(rkv_history, a_sequential_history_is_linearizable_and_counted) {
  const auto f = write_file("h-ok", "k000001 put 1 10 20\n"
                                    "k000001 get 1 30 40\n"
                                    "k000002 del - 35 45\n"
                                    "k000001 put 2 50 -\n" // outcome unknown
                                    "k000001 get 1 60 70\n"
                                    "k000001 get 2 80 90\n");
  std::vector<apps::rkv::testing::operation> ops;
  ASSERT_TRUE(read_history(f, ops));
  const auto v = check(ops);
  EXPECT_EQ(v.operations, 6u);
  EXPECT_EQ(v.keys, 2u);
  EXPECT_EQ(v.acked_writes, 2u);
  EXPECT_EQ(v.reads_with_value, 3u);
  EXPECT_TRUE(v.bad_keys.empty());
  std::filesystem::remove(f);
}

TEST(rkv_history, a_lost_acknowledged_write_is_found_across_merged_files) {
  // Run 1 writes 1 then 2 (acknowledged); run 2 later reads 1: write 2 lost.
  const auto a = write_file("h-a", "k000007 put 1 10 20\nk000007 put 2 30 40\n");
  const auto b = write_file("h-b", "k000007 get 1 100 110\nk000008 get - 100 110\n");
  std::vector<apps::rkv::testing::operation> ops;
  ASSERT_TRUE(read_history(a, ops));
  ASSERT_TRUE(read_history(b, ops));
  const auto v = check(ops);
  ASSERT_EQ(v.bad_keys.size(), 1u);
  EXPECT_EQ(v.bad_keys[0], "k000007");
  std::filesystem::remove(a);
  std::filesystem::remove(b);
}

TEST(rkv_history, a_value_nobody_wrote_is_not_linearizable) {
  const auto f = write_file("h-foreign", "k000001 put 1 10 20\nk000001 get ? 30 40\n");
  std::vector<apps::rkv::testing::operation> ops;
  ASSERT_TRUE(read_history(f, ops));
  EXPECT_EQ(check(ops).bad_keys.size(), 1u);
  std::filesystem::remove(f);
}

TEST(rkv_history, a_search_out_of_steps_is_undecided_not_a_verdict) {
  // Ten concurrent writes and a read of a value none wrote.
  std::string text;
  for (int i = 1; i <= 10; ++i)
    text += "k000003 put " + std::to_string(i) + " 10 100\n";
  text += "k000003 get 99 10 100\nk000004 put 1 10 20\n";
  const auto f = write_file("h-wide", text);
  std::vector<apps::rkv::testing::operation> ops;
  ASSERT_TRUE(read_history(f, ops));
  const auto v = check(ops, 1000);
  EXPECT_TRUE(v.bad_keys.empty());
  ASSERT_EQ(v.undecided_keys.size(), 1u);
  EXPECT_EQ(v.undecided_keys[0], "k000003");
  EXPECT_EQ(check(ops).bad_keys.size(), 1u) << "with the default budget it is decided";
  std::filesystem::remove(f);
}

TEST(rkv_history, damaged_lines_name_the_file_and_line) {
  for (const char* bad : {"k1 put 1 10\n", "k1 cas 1 10 20\n", "k1 get 1 10 -\n", "k1 put 1 x 20\n",
                          "k1 put 1 10 20 30\n"}) {
    const auto f = write_file("h-bad", std::string("k0 put 1 1 2\n") + bad);
    std::vector<apps::rkv::testing::operation> ops;
    auto r = read_history(f, ops);
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(r.err().context().find(":2:"), std::string::npos) << r.err().context();
    std::filesystem::remove(f);
  }
  std::vector<apps::rkv::testing::operation> ops;
  EXPECT_FALSE(read_history("/nonexistent/ipipe-history", ops));
}

} // namespace
} // namespace ipipe::tools::rkvctl
