// ipipe-rkvctl's messages: the CONFIGUREs of a replica and STATS rendering.
#include "rkvctl.hpp"

#include <gtest/gtest.h>

#include <cstring>

namespace ipipe::tools::rkvctl {
namespace {

namespace rkv = apps::rkv;

std::uint32_t u32_at(const std::vector<std::byte>& p, std::size_t off) {
  std::uint32_t v = 0;
  std::memcpy(&v, p.data() + off, sizeof(v));
  return v;
}

replica_setup setup() {
  replica_setup s;
  s.self = 1;
  s.endpoints = {11, 12, 13};
  s.consensus = 7;
  s.memtable = 8;
  s.sstable = 9;
  s.dir = "/tmp/r1";
  return s;
}

TEST(rkvctl, configure_goes_to_sstable_then_memtable_then_consensus) {
  auto steps = configure_steps(setup());
  ASSERT_TRUE(steps);
  ASSERT_EQ(steps->size(), 3u);
  EXPECT_EQ((*steps)[0].actor, 9u);
  EXPECT_EQ((*steps)[1].actor, 8u);
  EXPECT_EQ((*steps)[2].actor, 7u);
  for (const auto& st : *steps)
    EXPECT_EQ(static_cast<std::uint8_t>(st.payload.at(0)), 0x20) << st.what;
  const auto& sst = (*steps)[0].payload;
  ASSERT_EQ(sst.size(), 8u + 7u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(sst.data()) + 8, 7), "/tmp/r1");
  const auto& mem = (*steps)[1].payload;
  ASSERT_EQ(mem.size(), 16u);
  EXPECT_EQ(u32_at(mem, 4), 7u) << "the memtable's consensus";
  EXPECT_EQ(u32_at(mem, 8), 9u) << "the memtable's sstable";
}

TEST(rkvctl, the_consensus_config_names_every_replica_and_the_rejoin_flag) {
  auto s = setup();
  auto plain = configure_steps(s);
  s.rejoin = true;
  auto rejoin = configure_steps(s);
  ASSERT_TRUE(plain && rejoin);
  const auto& a = (*plain)[2].payload;
  const auto& b = (*rejoin)[2].payload;
  ASSERT_EQ(a.size(), 52u);
  EXPECT_EQ(u32_at(a, 4), 1u) << "self";
  EXPECT_EQ(u32_at(a, 8), 0u);
  EXPECT_EQ(u32_at(b, 8), rkv::cfg_rejoin);
  EXPECT_EQ(u32_at(a, 12), 8u);
  EXPECT_EQ(u32_at(a, 16), 9u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(u32_at(a, 28 + 8 * i), 11u + i) << "endpoint of replica " << i;
    EXPECT_EQ(u32_at(a, 32 + 8 * i), 7u) << "consensus of replica " << i;
  }
}

TEST(rkvctl, bad_setups_are_refused_with_the_option_named) {
  auto s = setup();
  s.endpoints = {1, 2};
  auto r = configure_steps(s);
  ASSERT_FALSE(r);
  EXPECT_NE(r.err().context().find("--endpoints"), std::string::npos);
  s = setup();
  s.endpoints = {1, 0, 3};
  EXPECT_FALSE(configure_steps(s));
  s = setup();
  s.self = 3;
  r = configure_steps(s);
  ASSERT_FALSE(r);
  EXPECT_NE(r.err().context().find("--replica"), std::string::npos);
  s = setup();
  s.dir = std::string(244, 'd');
  EXPECT_FALSE(configure_steps(s));
}

TEST(rkvctl, only_an_ok_response_to_configure_counts_as_configured) {
  rkv::response r;
  r.op = rkv::kind::configure;
  std::string why;
  EXPECT_TRUE(configure_ok(rkv::encode(r), why)) << why;
  r.st = rkv::status::error;
  r.why = rkv::detail::bad_config;
  EXPECT_FALSE(configure_ok(rkv::encode(r), why));
  EXPECT_NE(why.find("detail 6"), std::string::npos) << why;
  r.st = rkv::status::ok;
  r.op = rkv::kind::get;
  EXPECT_FALSE(configure_ok(rkv::encode(r), why));
  const std::byte garbage[3]{};
  EXPECT_FALSE(configure_ok(garbage, why));
}

TEST(rkvctl, stats_are_rendered_by_name_with_the_role_spelled_out) {
  std::vector<std::uint64_t> v(rkv::st_count, 0);
  v[rkv::st_role] = 2;
  v[rkv::st_commit] = 42;
  const auto text = render_stats(v, false);
  EXPECT_NE(text.find("role=leader"), std::string::npos) << text;
  EXPECT_NE(text.find("commit=42"), std::string::npos) << text;
  const auto json = render_stats(v, true);
  EXPECT_NE(json.find("\"role\":\"leader\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"commit\":42"), std::string::npos) << json;
  EXPECT_EQ(json.front(), '{');
  EXPECT_EQ(json.back(), '}');
  EXPECT_STREQ(role_name(3), "learner");
  EXPECT_STREQ(stat_name(rkv::st_ballot), "ballot");
}

} // namespace
} // namespace ipipe::tools::rkvctl
