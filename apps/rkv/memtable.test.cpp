// The memtable actor alone: the skiplist in DMOs, reads, duplicate
// suppression, flushing in key order, and a flush the sstable lost.
#include <ipipe/runtime/runtime.hpp>

#include <gtest/gtest.h>

#include "internal.hpp"
#include "test_probe.hpp"
#include <algorithm>
#include <map>
#include <random>

namespace ipipe::apps::rkv::internal {
namespace {

using runtime::message;
using testing::probe_inbox;

constexpr actor_id cons = 1, mem = 2, sst = 3;
constexpr std::uint32_t client_ep = 100;

struct fixture {
  explicit fixture(std::uint32_t flush_bytes) {
    register_actors();
    testing::register_probe();
    probe_inbox(cons).clear();
    probe_inbox(sst).clear();
    rt.set_client_sink([this](message&& m) { out.push_back(std::move(m)); });
    EXPECT_TRUE(rt.create_actor({.type = "t_rkv_probe", .id = cons}));
    EXPECT_TRUE(rt.create_actor({.type = "t_rkv_probe", .id = sst}));
    EXPECT_TRUE(rt.create_actor({.type = memtable_type, .id = mem, .mem_quota = 8 << 20}));
    auto m = message::make(IPIPE_MSG_REQUEST, mem, 0, 1,
                           encode(memtable_config{cons, sst, flush_bytes}));
    m.hdr.client = 1;
    rt.submit(std::move(m));
    rt.run_until_idle();
    EXPECT_EQ(out.size(), 1u);
    out.clear();
  }

  // Applies one committed command, as the consensus actor does.
  void apply(kind op, const std::string& key, const std::string& value = {},
             std::uint64_t client = 9, std::uint64_t seq = 0, bool answer = false) {
    command c;
    c.op = static_cast<std::uint8_t>(op);
    c.client_id = client;
    c.seq = seq != 0 ? seq : ++index;
    c.to = reply_addr{client_ep, 0, c.seq};
    c.key = key;
    c.value = value;
    writer w;
    w.put(k_apply).put<std::uint8_t>(answer).put(++index);
    put_command(w, c);
    rt.submit(message::make(IPIPE_MSG_ACTOR, mem, cons, 0, w.data()));
    rt.run_until_idle();
  }

  // Reads `key` through the memtable; nullopt when it went to the sstable.
  std::optional<response> get(const std::string& key) {
    out.clear();
    apply(kind::get, key, {}, 9, 1, true);
    if (out.empty())
      return std::nullopt;
    EXPECT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].hdr.client, client_ep);
    return decode_response(out[0].payload);
  }

  // The rows of every chunk the sstable received, in order.
  std::vector<std::string> flushed_keys() {
    std::vector<std::string> keys;
    for (const auto& m : probe_inbox(sst)) {
      reader rd(m.payload);
      if (rd.get<std::uint8_t>() != k_chunk)
        continue;
      (void)rd.get<std::uint64_t>();
      if (rd.get<std::uint8_t>() != 0)
        keys.clear(); // a (re)sent flush starts here
      const auto n = rd.get<std::uint32_t>();
      for (std::uint32_t i = 0; i < n; ++i) {
        (void)rd.get<std::uint8_t>();
        const auto kl = rd.get<std::uint16_t>();
        const auto vl = rd.get<std::uint32_t>();
        keys.emplace_back(rd.str(kl));
        (void)rd.bytes(vl);
      }
      EXPECT_TRUE(rd.done());
    }
    return keys;
  }

  runtime::runtime rt;
  std::vector<message> out;
  std::uint64_t index = 0;
};

TEST(rkv_memtable, skiplist_answers_like_a_map_and_forwards_misses) {
  fixture f(1 << 30); // never flushes
  std::map<std::string, std::optional<std::string>> model;
  std::mt19937_64 rng(3);
  for (int n = 0; n < 2000; ++n) {
    const std::string k = "k" + std::to_string(rng() % 300);
    if (rng() % 4 == 0) {
      f.apply(kind::del, k);
      model[k] = std::nullopt;
    } else {
      const std::string v(rng() % 100, static_cast<char>('a' + n % 26));
      f.apply(kind::put, k, v);
      model[k] = v;
    }
  }
  for (const auto& [k, v] : model) {
    auto r = f.get(k);
    ASSERT_TRUE(r) << k;
    EXPECT_EQ(r->st, v ? status::ok : status::not_found) << k;
    EXPECT_EQ(r->value, v.value_or("")) << k;
  }
  // A key never written is not the memtable's to answer: the sstable does.
  EXPECT_FALSE(f.get("never"));
  ASSERT_FALSE(probe_inbox(sst).empty());
  EXPECT_EQ(static_cast<std::uint8_t>(probe_inbox(sst).back().payload[0]), k_ss_get);
}

TEST(rkv_memtable, a_write_that_reached_the_log_twice_is_applied_once) {
  fixture f(1 << 30);
  f.apply(kind::put, "x", "first", 5, 1);
  f.apply(kind::put, "x", "second", 6, 1);
  f.apply(kind::put, "x", "first", 5, 1); // the retry, committed later
  EXPECT_EQ(f.get("x")->value, "second");
  f.apply(kind::put, "x", "third", 5, 2);
  EXPECT_EQ(f.get("x")->value, "third");
}

TEST(rkv_memtable, flushes_in_key_order_and_resends_a_flush_that_was_lost) {
  fixture f(4096);
  std::vector<std::string> keys;
  for (int n = 0; n < 60; ++n) {
    keys.push_back("key" + std::to_string(1000 - n * 7));
    f.apply(kind::put, keys.back(), std::string(40, 'v'));
  }
  auto sent = f.flushed_keys();
  ASSERT_FALSE(sent.empty()) << "the threshold was passed";
  EXPECT_TRUE(std::is_sorted(sent.begin(), sent.end()));
  // Frozen but not acknowledged: still answered from memory.
  EXPECT_EQ(f.get(sent.front())->value, std::string(40, 'v'));
  // The sstable never answers; after the resend period the flush comes again.
  const std::size_t before = probe_inbox(sst).size();
  for (std::uint64_t t = 1; t <= 60; ++t) {
    f.rt.tick(t * 100'000'000);
    f.rt.run_until_idle();
  }
  EXPECT_GT(probe_inbox(sst).size(), before);
  EXPECT_EQ(f.flushed_keys(), sent) << "the same rows, from the start";
  // Acknowledge: the memtable reports the durable index to consensus.
  std::uint64_t id = 0, end_index = 0;
  for (const auto& m : probe_inbox(sst)) {
    reader rd(m.payload);
    if (rd.get<std::uint8_t>() == k_flush_end) {
      id = rd.get<std::uint64_t>();
      (void)rd.get<std::uint64_t>();
      end_index = rd.get<std::uint64_t>();
    }
  }
  ASSERT_NE(id, 0u);
  writer ack;
  ack.put(k_flushed).put(id).put(end_index);
  f.rt.submit(message::make(IPIPE_MSG_ACTOR, mem, sst, 0, ack.data()));
  f.rt.run_until_idle();
  ASSERT_EQ(probe_inbox(cons).size(), 1u);
  reader d(probe_inbox(cons)[0].payload);
  EXPECT_EQ(d.get<std::uint8_t>(), k_durable);
  EXPECT_EQ(d.get<std::uint64_t>(), end_index);
  // Flushed rows now live in the sstable only.
  EXPECT_FALSE(f.get(sent.front()));
}

} // namespace
} // namespace ipipe::apps::rkv::internal
