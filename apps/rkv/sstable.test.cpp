// The sstable actor alone: flushes, merged reads, compaction, and reopening
// a directory left by a crash.
#include <ipipe/runtime/actor_registry.hpp>
#include <ipipe/runtime/runtime.hpp>

#include <gtest/gtest.h>

#include <unistd.h>

#include "internal.hpp"
#include "test_probe.hpp"
#include <filesystem>
#include <fstream>

namespace ipipe::apps::rkv::internal {
namespace {

using runtime::message;

constexpr actor_id probe_id = 2, sst = 3;

std::vector<message>& probe_inbox() {
  return testing::probe_inbox(probe_id);
}

struct fixture {
  fixture()
      : dir(std::filesystem::temp_directory_path() / ("rkv-sst-" + std::to_string(::getpid()))) {
    register_actors();
    testing::register_probe();
    std::filesystem::remove_all(dir);
    rt = std::make_unique<runtime::runtime>(runtime::runtime_config{.side = IPIPE_LOC_HOST});
    rt->set_client_sink([this](message&& m) { out.push_back(std::move(m)); });
    EXPECT_TRUE(rt->create_actor({.type = "t_rkv_probe", .id = probe_id}));
    start();
  }
  ~fixture() { std::filesystem::remove_all(dir); }

  void start() {
    // fsync takes longer than the default 10 ms handler budget.
    EXPECT_TRUE(rt->create_actor(
        {.type = sstable_type, .id = sst, .mem_quota = 1 << 16, .budget_ns = 10'000'000'000}));
    auto m = message::make(IPIPE_MSG_REQUEST, sst, 0, 1, encode(sstable_config{dir.string(), 2}));
    m.hdr.client = 1;
    rt->submit(std::move(m));
    rt->run_until_idle();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(decode_response(out[0].payload)->st, status::ok);
    out.clear();
  }

  void from_memtable(const writer& w) {
    rt->submit(message::make(IPIPE_MSG_ACTOR, sst, probe_id, 0, w.data()));
    rt->run_until_idle();
  }

  // One flush of `rows` ({key, value or nullopt for a tombstone}).
  void flush(std::uint64_t id, std::vector<std::pair<std::string, std::optional<std::string>>> rows,
             std::uint64_t applied) {
    writer w;
    w.put(k_chunk).put(id).put<std::uint8_t>(1).put(static_cast<std::uint32_t>(rows.size()));
    for (const auto& [k, v] : rows) {
      w.put<std::uint8_t>(!v).put(static_cast<std::uint16_t>(k.size()));
      w.put(static_cast<std::uint32_t>(v ? v->size() : 0)).str(k).str(v.value_or(""));
    }
    from_memtable(w);
    std::vector<session> sess{{7, id * 10}};
    writer s;
    s.put(k_sessions).put(id).put<std::uint32_t>(1).put(sess[0].client_id).put(sess[0].last_seq);
    from_memtable(s);
    writer e;
    e.put(k_flush_end).put(id).put(static_cast<std::uint64_t>(rows.size())).put(applied);
    from_memtable(e);
  }

  // Reads `key`; returns the value, or nullopt for NOT_FOUND.
  std::optional<std::string> get(const std::string& key) {
    writer w;
    w.put(k_ss_get).put<std::uint32_t>(100).put<std::uint32_t>(0).put<std::uint64_t>(5);
    w.put<std::uint64_t>(1).put<std::uint64_t>(1).put(static_cast<std::uint16_t>(key.size()));
    w.str(key);
    from_memtable(w);
    EXPECT_EQ(out.size(), 1u);
    if (out.empty())
      return "<no answer>";
    auto r = decode_response(out.back().payload);
    out.clear();
    EXPECT_TRUE(r);
    return r && r->st == status::ok ? std::optional<std::string>(r->value) : std::nullopt;
  }

  std::vector<std::uint64_t> stats() {
    auto m = message::make(IPIPE_MSG_REQUEST, sst, 0, 1, stats_request());
    m.hdr.client = 1;
    rt->submit(std::move(m));
    rt->run_until_idle();
    auto s = decode_stats(out.back().payload);
    out.clear();
    return s.value_or(std::vector<std::uint64_t>(st_count));
  }

  std::size_t files() const {
    std::size_t n = 0;
    for (auto& e : std::filesystem::directory_iterator(dir))
      n += e.path().filename().string().starts_with("sst-");
    return n;
  }

  std::filesystem::path dir;
  std::unique_ptr<runtime::runtime> rt;
  std::vector<message> out;
};

TEST(rkv_sstable, newest_file_wins_tombstones_hide_and_compaction_keeps_answers) {
  fixture f;
  probe_inbox().clear();
  f.flush(1, {{"a", "1"}, {"b", "2"}}, 5);
  f.flush(2, {{"a", std::nullopt}, {"c", "3"}}, 9);
  EXPECT_EQ(probe_inbox().size(), 2u) << "each flush is acknowledged";
  EXPECT_EQ(f.files(), 2u);
  EXPECT_EQ(f.get("a"), std::nullopt);
  EXPECT_EQ(f.get("b"), "2");
  EXPECT_EQ(f.get("c"), "3");
  EXPECT_EQ(f.get("zzz"), std::nullopt);
  f.flush(3, {{"b", "22"}}, 12);
  EXPECT_EQ(f.stats()[st_compactions], 1u);
  EXPECT_EQ(f.files(), 2u);
  EXPECT_EQ(f.get("a"), std::nullopt);
  EXPECT_EQ(f.get("b"), "22");
  EXPECT_EQ(f.get("c"), "3");
}

TEST(rkv_sstable, reopening_rebuilds_the_index_and_cleans_up_after_a_crash) {
  fixture f;
  f.flush(1, {{"a", "1"}, {"b", "2"}}, 5);
  f.flush(2, {{"a", std::nullopt}}, 9);
  ASSERT_TRUE(f.rt->destroy_actor(sst));
  // A temp file of an interrupted flush and a damaged file.
  std::ofstream(f.dir / "tmp-0000000000000009.rkv") << "partial";
  std::ofstream(f.dir / "sst-00000000000000ff.rkv") << "RKVS but not really";
  f.start();
  EXPECT_FALSE(std::filesystem::exists(f.dir / "tmp-0000000000000009.rkv"));
  EXPECT_EQ(f.stats()[st_malformed], 1u) << "the damaged file is skipped and counted";
  EXPECT_EQ(f.get("a"), std::nullopt);
  EXPECT_EQ(f.get("b"), "2");
  // Recovery: the newest flush's sessions, then the durable index.
  probe_inbox().clear();
  writer q;
  q.put(k_recover_q);
  f.from_memtable(q);
  ASSERT_EQ(probe_inbox().size(), 2u);
  reader s(probe_inbox()[0].payload);
  EXPECT_EQ(s.get<std::uint8_t>(), k_sessions);
  (void)s.get<std::uint64_t>();
  EXPECT_EQ(s.get<std::uint32_t>(), 1u);
  EXPECT_EQ(s.get<std::uint64_t>(), 7u);
  EXPECT_EQ(s.get<std::uint64_t>(), 20u);
  reader d(probe_inbox()[1].payload);
  EXPECT_EQ(d.get<std::uint8_t>(), k_recovered);
  EXPECT_EQ(d.get<std::uint64_t>(), 9u);
}

TEST(rkv_sstable, internal_messages_from_the_wire_or_malformed_are_dropped_and_counted) {
  fixture f;
  auto m = message::make(IPIPE_MSG_ACTOR, sst, probe_id, 0, {});
  writer w;
  w.put(k_ss_get).put<std::uint32_t>(100);
  m.payload.assign(w.data().begin(), w.data().end());
  m.hdr.len = static_cast<std::uint32_t>(m.payload.size());
  m.hdr.client = 55; // from another node
  f.rt->submit(m);
  m.hdr.client = 0; // local, but truncated
  f.rt->submit(m);
  f.rt->run_until_idle();
  auto s = f.stats();
  EXPECT_EQ(s[st_foreign], 1u);
  EXPECT_EQ(s[st_malformed], 1u);
  EXPECT_TRUE(f.out.empty());
}

} // namespace
} // namespace ipipe::apps::rkv::internal
