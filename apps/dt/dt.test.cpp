// DT pieces alone: the protocol's encoding and its damage, the log file's
// records and torn tails, the log actor's place.
#include <ipipe/runtime/runtime.hpp>

#include <gtest/gtest.h>

#include <unistd.h>

#include "internal.hpp"
#include "log_file.hpp"
#include <filesystem>
#include <fstream>
#include <random>

namespace ipipe::apps::dt {
namespace {

std::vector<std::byte> bytes(std::string_view s) {
  auto b = as_byte_span(s);
  return {b.begin(), b.end()};
}

TEST(dt_protocol, responses_round_trip_and_damage_is_refused) {
  response r;
  r.st = status::ok;
  r.op = kind::audit;
  r.client_id = 5;
  r.seq = 6;
  r.accounts = 7;
  r.in_doubt = 1;
  r.total = -3;
  r.expected = 4;
  const auto p = encode(r);
  ASSERT_EQ(p.size(), response_size);
  auto d = decode_response(p);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->st, status::ok);
  EXPECT_EQ(d->op, kind::audit);
  EXPECT_EQ(d->client_id, 5u);
  EXPECT_EQ(d->seq, 6u);
  EXPECT_EQ(d->accounts, 7u);
  EXPECT_EQ(d->in_doubt, 1u);
  EXPECT_EQ(d->total, -3);
  EXPECT_EQ(d->expected, 4);
  for (std::size_t cut = 0; cut < p.size(); ++cut)
    EXPECT_FALSE(decode_response(std::span(p).first(cut))) << cut;
  auto longer = p;
  longer.push_back(std::byte{0});
  EXPECT_FALSE(decode_response(longer));
  auto bad_status = p;
  bad_status[0] = std::byte{4};
  EXPECT_FALSE(decode_response(bad_status));
  auto bad_version = p;
  bad_version[1] = std::byte{2};
  EXPECT_FALSE(decode_response(bad_version));
}

TEST(dt_protocol, requests_have_their_documented_sizes) {
  request t;
  t.from = 1;
  t.to = 2;
  t.amount = 3;
  EXPECT_EQ(encode(t).size(), transfer_size);
  t.op = kind::audit;
  EXPECT_EQ(encode(t).size(), audit_size);
  EXPECT_EQ(encode(participant_config{0, 0, 1, 4, 10, 3, {{0, 1}}}).size(), 40u);
  coordinator_config c;
  c.participants = {{1, 2}, {3, 4}};
  EXPECT_EQ(encode(c).size(), 40u);
}

TEST(dt_log_file, records_survive_and_a_torn_tail_is_cut_off) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("dt-logfile-" + std::to_string(::getpid()) + ".log");
  std::filesystem::remove(path);
  {
    log_contents c;
    auto f = log_file::open(path, true, c); // with fsync: the real path
    ASSERT_TRUE(f);
    EXPECT_TRUE(c.records.empty());
    EXPECT_TRUE(f->append(bytes("first")));
    EXPECT_TRUE(f->append(bytes("second")));
    EXPECT_FALSE(f->append({}));
    EXPECT_FALSE(f->append(std::vector<std::byte>(max_record + 1)));
  }
  const auto good_size = std::filesystem::file_size(path);
  for (std::size_t tail : {1u, 7u, 8u, 12u}) {
    // A crash in the middle of a third record, `tail` bytes of it written.
    auto frame = frame_record(bytes("third!"));
    {
      std::ofstream out(path, std::ios::binary | std::ios::app);
      out.write(reinterpret_cast<const char*>(frame.data()), static_cast<std::streamsize>(tail));
    }
    log_contents c;
    auto f = log_file::open(path, false, c);
    ASSERT_TRUE(f);
    ASSERT_EQ(c.records.size(), 2u) << tail;
    EXPECT_EQ(c.records[1], bytes("second"));
    EXPECT_EQ(c.damaged_bytes, tail);
    EXPECT_EQ(std::filesystem::file_size(path), good_size) << "cut back to the last good record";
  }
  {
    // A flipped bit in the last record: it and nothing before is lost.
    std::fstream io(path, std::ios::binary | std::ios::in | std::ios::out);
    io.seekp(static_cast<std::streamoff>(good_size - 1));
    io.put('X');
  }
  log_contents c;
  auto f = log_file::open(path, false, c);
  ASSERT_TRUE(f);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_TRUE(f->append(bytes("after")));
  f = log_file::open(path, false, c);
  ASSERT_EQ(c.records.size(), 2u);
  EXPECT_EQ(c.records[1], bytes("after"));
  std::filesystem::remove(path);
}

TEST(dt_log_file, garbage_parses_to_a_prefix_and_never_past_the_end) {
  std::mt19937_64 rng(4);
  for (int n = 0; n < 300; ++n) {
    std::vector<std::byte> g(rng() % 300);
    for (auto& b : g)
      b = std::byte(rng());
    const auto c = parse_log(g);
    EXPECT_EQ(c.valid_bytes + c.damaged_bytes, g.size());
  }
}

TEST(dt_log, refuses_to_run_on_the_nic) {
  register_actors();
  runtime::runtime nic({.side = IPIPE_LOC_NIC});
  runtime::runtime host({.side = IPIPE_LOC_HOST});
  EXPECT_FALSE(nic.create_actor({.type = log_type, .id = 3}));
  EXPECT_TRUE(host.create_actor({.type = log_type, .id = 3}));
  EXPECT_TRUE(nic.create_actor({.type = participant_type, .id = 4}));
  EXPECT_TRUE(nic.create_actor({.type = coordinator_type, .id = 5}));
}

} // namespace
} // namespace ipipe::apps::dt
