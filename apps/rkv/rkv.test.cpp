// The client protocol, the codec and the checker, without a cluster.
#include <gtest/gtest.h>

#include "internal.hpp"
#include "linearizability.hpp"

namespace ipipe::apps::rkv {
namespace {

TEST(rkv_protocol, request_layout_is_the_documented_one) {
  auto p = encode(request{kind::put, 0x0102030405060708ull, 9, "k", "vv"});
  ASSERT_EQ(p.size(), request_hdr_size + 3);
  EXPECT_EQ(p[0], std::byte{2});
  EXPECT_EQ(p[1], std::byte{protocol_version});
  EXPECT_EQ(p[2], std::byte{1}); // key length, little endian
  EXPECT_EQ(p[4], std::byte{2}); // value length
  EXPECT_EQ(p[8], std::byte{8}); // client id, little endian
  EXPECT_EQ(p[16], std::byte{9});
  EXPECT_EQ(p[24], std::byte{'k'});
}

TEST(rkv_protocol, responses_round_trip_and_damage_is_refused) {
  response r;
  r.st = status::not_leader;
  r.op = kind::get;
  r.client_id = 5;
  r.seq = 6;
  r.leader_hint = 11;
  r.value = "xyz";
  auto p = encode(r);
  ASSERT_EQ(p.size(), response_hdr_size + 3);
  auto back = decode_response(p);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->st, status::not_leader);
  EXPECT_EQ(back->leader_hint, 11u);
  EXPECT_EQ(back->value, "xyz");
  for (std::size_t cut = 0; cut < p.size(); ++cut)
    EXPECT_FALSE(decode_response(std::span(p).first(cut))) << cut;
  p.push_back(std::byte{0});
  EXPECT_FALSE(decode_response(p));
}

TEST(rkv_codec, reads_past_the_end_fail_and_stay_failed) {
  const std::byte in[] = {std::byte{1}, std::byte{2}, std::byte{3}};
  apps::reader rd(in);
  EXPECT_EQ(rd.get<std::uint16_t>(), 0x0201);
  EXPECT_EQ(rd.get<std::uint32_t>(), 0u);
  EXPECT_FALSE(rd.ok());
  EXPECT_EQ(rd.get<std::uint8_t>(), 0u) << "a failed reader reads nothing more";
  EXPECT_TRUE(rd.bytes(1).empty());
  apps::writer w(4);
  w.put<std::uint32_t>(1);
  EXPECT_TRUE(w.ok());
  w.put<std::uint8_t>(1);
  EXPECT_FALSE(w.ok());
  EXPECT_EQ(w.size(), 4u);
}

TEST(rkv_protocol, commands_with_bad_lengths_are_refused) {
  apps::writer w;
  internal::command c;
  c.op = 2;
  c.key = std::string_view("key");
  c.value = std::string_view("value");
  internal::put_command(w, c);
  auto good = std::vector<std::byte>(w.data().begin(), w.data().end());
  apps::reader ok(good);
  EXPECT_TRUE(internal::get_command(ok));
  for (std::size_t cut = 0; cut < good.size(); ++cut) {
    apps::reader rd{std::span<const std::byte>(good).first(cut)};
    EXPECT_FALSE(internal::get_command(rd)) << cut;
  }
  good[0] = std::byte{9}; // unknown op
  apps::reader bad(good);
  EXPECT_FALSE(internal::get_command(bad));
}

using testing::operation;

operation w(std::string k, std::optional<std::string> v, std::uint64_t a, std::uint64_t b) {
  return operation{std::move(k), true, std::move(v), a, b};
}
operation r(std::string k, std::optional<std::string> v, std::uint64_t a, std::uint64_t b) {
  return operation{std::move(k), false, std::move(v), a, b};
}

TEST(rkv_checker, accepts_linearizable_and_rejects_stale_reads) {
  // Concurrent writes: either order may be the real one.
  EXPECT_TRUE(testing::linearizable_register(
      {w("k", "1", 0, 10), w("k", "2", 1, 9), r("k", "1", 11, 12), r("k", "1", 13, 14)}));
  // A read after a completed write must not see the older value.
  EXPECT_FALSE(
      testing::linearizable_register({w("k", "1", 0, 1), w("k", "2", 2, 3), r("k", "1", 4, 5)}));
  // Two sequential reads may not go back in time.
  EXPECT_FALSE(testing::linearizable_register(
      {w("k", "1", 0, 1), w("k", "2", 2, 10), r("k", "2", 3, 4), r("k", "1", 5, 6)}));
  // An unanswered write may take effect, late.
  EXPECT_TRUE(
      testing::linearizable_register({w("k", "1", 0, 1), w("k", "2", 2, operation::never_answered),
                                      r("k", "1", 3, 4), r("k", "2", 5, 6)}));
  // A read of absent before any write; a lost acknowledged write is caught.
  EXPECT_TRUE(testing::linearizable_register({r("k", std::nullopt, 0, 1), w("k", "1", 2, 3)}));
  EXPECT_FALSE(testing::linearizable_register({w("k", "1", 0, 1), r("k", std::nullopt, 2, 3)}));
  EXPECT_EQ(testing::check_history({w("a", "1", 0, 1), r("a", "1", 2, 3), w("b", "1", 0, 1),
                                    r("b", std::nullopt, 2, 3)}),
            std::vector<std::string>{"b"});
}

TEST(rkv_checker, writes_lost_with_a_crashed_leader_do_not_blow_up_the_search) {
  // 60 writes that were never answered and never read, among answered
  // operations: each may take effect at any time after its start, or
  // never, which a search over all of them could not finish.
  std::vector<operation> h;
  for (std::uint64_t i = 0; i < 60; ++i)
    h.push_back(w("k", "lost" + std::to_string(i), 10 + i, operation::never_answered));
  for (std::uint64_t i = 0; i < 40; ++i) {
    h.push_back(w("k", std::to_string(i), 100 + 10 * i, 102 + 10 * i));
    h.push_back(r("k", std::to_string(i), 104 + 10 * i, 106 + 10 * i));
  }
  EXPECT_TRUE(testing::linearizable_register(h, 100'000));
  // One of them read, then an acknowledged write lost: still caught.
  h.push_back(r("k", "lost7", 600, 601));
  EXPECT_TRUE(testing::linearizable_register(h, 100'000));
  h.push_back(w("k", "last", 610, 611));
  h.push_back(r("k", "lost7", 620, 621));
  EXPECT_EQ(testing::check_register(h, 100'000), testing::outcome::not_linearizable);
}

TEST(rkv_checker, an_unanswered_write_that_was_read_took_effect_before_that_read_answered) {
  // 40 writes whose answers were lost, each read back once: each must
  // have taken effect before its read, or the search could put any of
  // them anywhere later and run through their subsets.
  std::vector<operation> h;
  for (std::uint64_t i = 0; i < 40; ++i) {
    h.push_back(w("k", std::to_string(i), 10 * i, operation::never_answered));
    h.push_back(r("k", std::to_string(i), 10 * i + 5, 10 * i + 6));
  }
  EXPECT_EQ(testing::check_register(h, 100'000), testing::outcome::linearizable);
  // Read again after another value was read: it would take effect twice.
  h.push_back(r("k", "3", 1000, 1001));
  EXPECT_EQ(testing::check_register(h, 100'000), testing::outcome::not_linearizable);
  // A search that runs out of steps says so rather than "not linearizable".
  std::vector<operation> wide;
  for (std::uint64_t i = 0; i < 16; ++i)
    wide.push_back(w("k", std::to_string(i), 0, 100));
  wide.push_back(r("k", "never written", 0, 100));
  EXPECT_EQ(testing::check_register(wide, 1000), testing::outcome::undecided);
}

} // namespace
} // namespace ipipe::apps::rkv
