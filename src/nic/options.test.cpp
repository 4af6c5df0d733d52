#include <ipipe/nic/options.hpp>

#include <gtest/gtest.h>

using namespace ipipe::nic;

TEST(options, sizes_accept_binary_suffixes) {
  EXPECT_EQ(*parse_size("4096"), 4096u);
  EXPECT_EQ(*parse_size("64K"), 64u << 10);
  EXPECT_EQ(*parse_size("64M"), 64u << 20);
  EXPECT_EQ(*parse_size("1G"), 1u << 30);
  EXPECT_EQ(*parse_size("2GiB"), 2ull << 30);
  EXPECT_EQ(*parse_size("512MB"), 512u << 20);
}

TEST(options, bad_sizes_are_rejected) {
  for (const char* s : {"", "0", "M", "12Q", "-1", "99999999999999999999", "20000000000G"})
    EXPECT_FALSE(parse_size(s).has_value()) << s;
}

TEST(options, host_memory_is_a_file_or_a_memfd) {
  auto f = parse_host_mem("file:/dev/shm/guest");
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->type, host_mem_spec::kind::file);
  EXPECT_EQ(f->path, "/dev/shm/guest");
  auto m = parse_host_mem("memfd:256M");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->type, host_mem_spec::kind::memfd);
  EXPECT_EQ(m->size, 256u << 20);
  EXPECT_FALSE(parse_host_mem("file:").has_value());
  EXPECT_FALSE(parse_host_mem("memfd:x").has_value());
  EXPECT_FALSE(parse_host_mem("/dev/shm/guest").has_value());
}

TEST(options, endpoints_are_ipv4_and_port) {
  auto e = parse_endpoint("127.0.0.1:7000");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->addr, 0x7f000001u);
  EXPECT_EQ(e->port, 7000);
  EXPECT_FALSE(parse_endpoint("localhost:7000").has_value());
  EXPECT_FALSE(parse_endpoint("127.0.0.1").has_value());
  EXPECT_FALSE(parse_endpoint("127.0.0.1:70000").has_value());
  EXPECT_FALSE(parse_endpoint("127.0.0.1:7x").has_value());
}
