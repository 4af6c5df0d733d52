#include <ipipe/common/expected.hpp>
#include <ipipe/common/mmap_region.hpp>
#include <ipipe/common/scope_exit.hpp>
#include <ipipe/common/unique_fd.hpp>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <type_traits>

using namespace ipipe;

static_assert(std::is_nothrow_move_constructible_v<unique_fd>);
static_assert(!std::is_copy_constructible_v<unique_fd>);
static_assert(std::is_nothrow_move_constructible_v<mmap_region>);
static_assert(!std::is_copy_constructible_v<mmap_region>);

namespace {
bool fd_open(int fd) {
  return fcntl(fd, F_GETFD) != -1;
}
} // namespace

TEST(unique_fd, closes_the_descriptor_when_it_goes_out_of_scope) {
  int raw = -1;
  {
    unique_fd fd{::open("/dev/null", O_RDONLY)};
    raw = fd.get();
    ASSERT_TRUE(fd_open(raw));
  }
  EXPECT_FALSE(fd_open(raw));
}

TEST(unique_fd, a_moved_from_owner_no_longer_closes) {
  unique_fd a{::open("/dev/null", O_RDONLY)};
  int raw = a.get();
  unique_fd b{std::move(a)};
  EXPECT_FALSE(a.valid());
  EXPECT_EQ(b.get(), raw);
  b = unique_fd{};
  EXPECT_FALSE(fd_open(raw));
}

TEST(mmap_region, refuses_a_zero_length_mapping_with_bad_length) {
  auto r = mmap_region::map_anonymous(0);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().code(), errc::bad_length);
}

TEST(expected, carries_the_errno_and_context_of_a_system_error) {
  expected<int> e = error{errc::system_error, "open /nonexistent", ENOENT};
  ASSERT_FALSE(e);
  EXPECT_EQ(e.err().message(), "open /nonexistent: No such file or directory");
}

TEST(scope_exit, runs_unless_released) {
  int n = 0;
  {
    scope_exit a{[&] { ++n; }};
    scope_exit b{[&] { n += 10; }};
    b.release();
  }
  EXPECT_EQ(n, 1);
}
