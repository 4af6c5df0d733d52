// RKV on a simulated three-replica cluster: replication, leader failure,
// a replica restarted empty, migration under load, bad input.
#include <gtest/gtest.h>

#include "sim.hpp"
#include <filesystem>
#include <map>
#include <random>

namespace ipipe::apps::rkv::testing {
namespace {

// Waits for a leader and returns it.
std::uint32_t elect(cluster& c) {
  std::optional<std::uint32_t> l;
  EXPECT_TRUE(c.run_until([&] { return (l = c.leader()).has_value(); }, 2000))
      << "no leader elected";
  return l.value_or(0);
}

TEST(rkv_cluster, put_get_delete) {
  cluster c("basic", 1);
  elect(c);
  auto cl = c.add_client();
  auto r = c.call(cl, get("a"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->st, status::not_found);
  r = c.call(cl, put("a", "apple"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->st, status::ok);
  r = c.call(cl, get("a"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->st, status::ok);
  EXPECT_EQ(r->value, "apple");
  r = c.call(cl, put("a", std::string(max_value, 'x')));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->st, status::ok);
  r = c.call(cl, get("a"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->value, std::string(max_value, 'x'));
  r = c.call(cl, del("a"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->st, status::ok);
  r = c.call(cl, get("a"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->st, status::not_found);
  // Every replica applied the same log.
  c.run_until([] { return false; }, 100);
  std::vector<std::uint64_t> applied;
  for (std::uint32_t i = 0; i < replicas; ++i)
    applied.push_back(c.at(i)->stats(cons_id)[st_applied]);
  EXPECT_EQ(applied[0], applied[1]);
  EXPECT_EQ(applied[1], applied[2]);
  EXPECT_GE(applied[0], 6u);
}

// Random GET/PUT/DEL from `clients` clients on `keys` keys until `ops`
// more operations were answered; `each_step` runs between steps.
struct workload {
  std::size_t keys = 5;
  std::size_t value_max = 64;
  std::mt19937_64 rng{42 + seed_offset()};
  std::uint64_t issued = 0;

  request next(std::size_t ci, std::uint64_t n) {
    const std::string key = "key" + std::to_string(rng() % keys);
    const unsigned pick = rng() % 100;
    if (pick < 40)
      return get(key);
    if (pick < 50)
      return del(key);
    std::string v = "c" + std::to_string(ci) + "-" + std::to_string(n) + "-";
    v.resize(std::max<std::size_t>(v.size(), rng() % value_max), 'v');
    return put(key, v);
  }

  template <class F>
  bool run(cluster& c, const std::vector<std::size_t>& clients, std::uint64_t ops, F each_step,
           std::uint64_t max_steps = 400000) {
    const std::uint64_t target = c.answered() + ops;
    std::uint64_t started = 0;
    for (std::uint64_t s = 0; s < max_steps; ++s) {
      for (auto ci : clients)
        if (c.idle(ci) && started < ops) {
          c.issue(ci, next(ci, ++issued));
          ++started;
        }
      if (c.answered() >= target)
        return true;
      c.step();
      each_step();
    }
    return false;
  }
  bool run(cluster& c, const std::vector<std::size_t>& clients, std::uint64_t ops) {
    return run(c, clients, ops, [] {});
  }
};

std::vector<std::size_t> clients(cluster& c, std::size_t n) {
  std::vector<std::size_t> v;
  for (std::size_t i = 0; i < n; ++i)
    v.push_back(c.add_client());
  return v;
}

void expect_linearizable(cluster& c) {
  std::size_t answered = 0;
  for (const auto& o : c.history())
    answered += o.answer != operation::never_answered;
  EXPECT_GT(answered, 0u);
  std::size_t reads_with_value = 0;
  for (const auto& o : c.history())
    reads_with_value += !o.write && o.value.has_value();
  EXPECT_GT(reads_with_value, 0u) << "a history of absent reads checks little";
  auto bad = c.check_history_now();
  EXPECT_TRUE(bad.empty()) << "not linearizable: key " << bad.front();
}

std::uint64_t stat_of(cluster& c, std::uint32_t i, actor_id a, stat s) {
  auto v = c.at(i)->stats(a);
  return v.size() == st_count ? v[s] : UINT64_MAX;
}

TEST(rkv_cluster, memtable_flushes_to_sstables_reads_merge_levels_and_compaction_runs) {
  cluster c("flush", 2, {}, /*flush_bytes=*/2048, /*max_files=*/3);
  elect(c);
  auto cl = c.add_client();
  std::map<std::string, std::optional<std::string>> model;
  std::mt19937_64 rng(7);
  for (int n = 0; n < 600; ++n) {
    const std::string k = "k" + std::to_string(rng() % 120);
    if (rng() % 5 == 0) {
      ASSERT_EQ(c.call(cl, del(k)).value().st, status::ok);
      model[k] = std::nullopt;
    } else {
      const std::string v = k + "=" + std::to_string(n) + std::string(rng() % 40, '.');
      ASSERT_EQ(c.call(cl, put(k, v)).value().st, status::ok);
      model[k] = v;
    }
  }
  for (std::uint32_t i = 0; i < replicas; ++i) {
    EXPECT_GT(stat_of(c, i, mem_id, st_flushes), 3u) << i;
    EXPECT_GT(stat_of(c, i, sst_id, st_compactions), 0u) << i;
    std::size_t files = 0;
    for (auto& e : std::filesystem::directory_iterator(c.dir(i)))
      files += e.path().filename().string().starts_with("sst-");
    EXPECT_GE(files, 1u);
    EXPECT_LE(files, 4u) << "compaction keeps the count near max_files";
  }
  // Every key, newest version first across memtable and files.
  for (const auto& [k, v] : model) {
    auto r = c.call(cl, get(k));
    ASSERT_TRUE(r);
    if (v) {
      EXPECT_EQ(r->st, status::ok) << k;
      EXPECT_EQ(r->value, *v) << k;
    } else {
      EXPECT_EQ(r->st, status::not_found) << k;
    }
  }
  // Keys never written are absent from every level.
  EXPECT_EQ(c.call(cl, get("nope")).value().st, status::not_found);
}

TEST(rkv_cluster, killed_leader_is_replaced_and_no_acknowledged_write_is_lost) {
  cluster c("failover", 3, {.loss = 0.02, .dup = 0.02, .max_delay = 2});
  const auto first = elect(c);
  auto cl = c.add_client();
  for (int n = 0; n < 150; ++n)
    ASSERT_EQ(c.call(cl, put("k" + std::to_string(n), "v" + std::to_string(n))).value().st,
              status::ok);
  c.kill(first);
  const auto second = elect(c);
  EXPECT_NE(second, first);
  for (int n = 0; n < 150; ++n) {
    auto r = c.call(cl, get("k" + std::to_string(n)));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->st, status::ok) << n;
    EXPECT_EQ(r->value, "v" + std::to_string(n)) << "acknowledged write lost: " << n;
  }
  EXPECT_GT(stat_of(c, second, cons_id, st_elections), 0u);
  expect_linearizable(c);
}

TEST(rkv_cluster, an_isolated_leader_acknowledges_nothing_and_serves_no_stale_read) {
  cluster c("isolated", 10);
  const auto old = elect(c);
  auto a = c.add_client();
  auto b = c.add_client();
  ASSERT_EQ(c.call(a, put("x", "1")).value().st, status::ok);
  c.isolate(old, true);
  // A write sent to the cut-off leader cannot be chosen there; it is
  // acknowledged only once the client's retry reached the new majority.
  c.aim(a, old);
  ASSERT_EQ(c.call(a, put("x", "2")).value().st, status::ok);
  // A read sent to the old leader may not answer "1" now.
  c.aim(b, old);
  c.issue(b, get("x"));
  ASSERT_TRUE(c.run_until([&] { return c.idle(b); }, 5000));
  EXPECT_EQ(c.last_response()[b].value, "2");
  c.kill(old);
  c.isolate(old, false);
  auto r = c.call(a, get("x"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->value, "2") << "an acknowledged write was lost with the old leader";
  expect_linearizable(c);
}

TEST(rkv_cluster, replica_restarted_empty_catches_up_and_can_carry_the_majority) {
  cluster c("rejoin", 4, {.loss = 0.02, .dup = 0.02, .max_delay = 2}, /*flush_bytes=*/4096);
  const auto first = elect(c);
  auto cls = clients(c, 3);
  workload w;
  w.keys = 100; // enough distinct keys to make the memtable flush
  ASSERT_TRUE(w.run(c, cls, 400));
  // The leader dies with all its DMOs; its sstable directory stays.
  c.kill(first);
  ASSERT_TRUE(w.run(c, cls, 400));
  c.start(first, cfg_rejoin);
  EXPECT_EQ(stat_of(c, first, cons_id, st_role), 3u) << "a rejoining replica starts as learner";
  ASSERT_TRUE(w.run(c, cls, 400));
  const auto now_leader = c.leader().value();
  ASSERT_TRUE(c.run_until(
      [&] {
        return stat_of(c, first, cons_id, st_role) == 0 &&
               stat_of(c, first, cons_id, st_applied) >= stat_of(c, now_leader, cons_id, st_commit);
      },
      5000))
      << "the restarted replica never caught up";
  EXPECT_GT(stat_of(c, first, cons_id, st_durable), 0u) << "it started from its files";
  // Now the rejoined replica is needed for every majority.
  c.kill(now_leader);
  ASSERT_TRUE(w.run(c, cls, 400));
  EXPECT_TRUE(c.errors().empty() || c.errors().front().why == detail::busy);
  expect_linearizable(c);
}

TEST(rkv_cluster, histories_stay_linearizable_with_loss_duplication_reordering_and_failover) {
  cluster c("linear", 5, {.loss = 0.05, .dup = 0.05, .max_delay = 4}, /*flush_bytes=*/8192);
  elect(c);
  auto cls = clients(c, 4);
  workload w;
  ASSERT_TRUE(w.run(c, cls, 1200));
  const auto l = c.leader().value();
  c.kill(l);
  ASSERT_TRUE(w.run(c, cls, 1000));
  c.start(l, cfg_rejoin);
  ASSERT_TRUE(w.run(c, cls, 1000));
  EXPECT_GE(c.history().size(), 3200u);
  expect_linearizable(c);
}

TEST(rkv_cluster, consensus_and_memtable_migrate_nic_host_nic_under_load) {
  cluster c("migrate", 6, {.loss = 0.01, .dup = 0.01, .max_delay = 2}, /*flush_bytes=*/4096);
  elect(c);
  auto cls = clients(c, 3);
  workload w;
  std::uint64_t steps = 0;
  std::size_t moved = 0;
  ASSERT_TRUE(w.run(c, cls, 2000, [&] {
    if (++steps % 400 != 0)
      return;
    // Alternate: push both actors of every replica to the host, then back.
    for (std::uint32_t i = 0; i < replicas; ++i) {
      auto* n = c.at(i);
      for (actor_id a : {cons_id, mem_id}) {
        auto where = n->nic.info(a);
        ASSERT_TRUE(where);
        runtime::runtime& from = where->state == runtime::actor_state::remote ? n->host : n->nic;
        if (from.migrate(a))
          ++moved;
      }
    }
  }));
  std::uint64_t in_host = 0, in_nic = 0;
  for (std::uint32_t i = 0; i < replicas; ++i) {
    in_host += c.at(i)->host.stats().migrations_in;
    in_nic += c.at(i)->nic.stats().migrations_in;
  }
  EXPECT_GE(moved, 12u);
  EXPECT_GE(in_host, 6u) << "NIC -> host";
  EXPECT_GE(in_nic, 6u) << "host -> NIC";
  expect_linearizable(c);
}

TEST(rkv_cluster, malformed_payloads_are_dropped_and_counted) {
  cluster c("malformed", 8);
  const auto l = elect(c);
  auto cl = c.add_client();
  ASSERT_EQ(c.call(cl, put("a", "1")).value().st, status::ok);
  const std::uint32_t ep = first_client_ep + 50;
  auto good = encode(put("key", "value"));
  const auto before = c.at(l)->stats(cons_id);
  // truncated at every length
  for (std::size_t cut = 0; cut < good.size(); ++cut)
    c.inject(l, ep, std::vector<std::byte>(good.begin(), good.begin() + cut));
  // garbage
  std::mt19937_64 rng(9);
  for (int n = 0; n < 200; ++n) {
    std::vector<std::byte> g(rng() % 200);
    for (auto& b : g)
      b = std::byte(rng());
    // Keep it garbage: not a request, CONFIGURE or STATS by accident.
    if (!g.empty() && (g[0] <= std::byte{3} || g[0] == std::byte{0x20} || g[0] == std::byte{0x21}))
      g[0] = std::byte{0x7f};
    c.inject(l, ep, g);
  }
  // unknown op, bad version, client id 0, a value on a GET, one byte too many
  auto unknown = good;
  unknown[0] = std::byte{9};
  auto version = good;
  version[1] = std::byte{7};
  auto cid0 = encode(request{kind::put, 0, 1, "k", "v"});
  auto getv = encode(request{kind::get, 5, 1, "k", "v"});
  auto longer = good;
  longer.push_back(std::byte{0});
  for (auto* p : {&unknown, &version, &cid0, &getv, &longer})
    c.inject(l, ep, *p);
  // internal kinds from a client, to every actor
  for (std::uint8_t k = 0x30; k < 0x60; ++k)
    for (actor_id a : {cons_id, mem_id, sst_id})
      c.inject(l, ep, {std::byte{k}, std::byte{0}, std::byte{0}}, IPIPE_MSG_ACTOR, a, 1);
  // oversize key and value: a clear error reply
  c.inject(l, ep, encode(request{kind::put, 5, 1, std::string(max_key + 1, 'k'), "v"}));
  c.inject(l, ep, encode(request{kind::put, 5, 2, "k", std::string(max_value + 1, 'v')}));
  c.inject(l, ep, encode(request{kind::get, 5, 3, "", ""}));
  c.run_until([] { return false; }, 50);
  const auto after = c.at(l)->stats(cons_id);
  const auto dropped = [](const std::vector<std::uint64_t>& v) {
    return v[st_malformed] + v[st_foreign];
  };
  EXPECT_EQ(dropped(after) - dropped(before), good.size() + 200 + 5 + 0x30);
  EXPECT_EQ(after[st_oversize] - before[st_oversize], 3u);
  EXPECT_GE(after[st_foreign] - before[st_foreign], 7u) << "Paxos kinds from a client";
  EXPECT_GE(stat_of(c, l, mem_id, st_malformed) + stat_of(c, l, mem_id, st_foreign), 0x30u - 2);
  EXPECT_GE(stat_of(c, l, sst_id, st_foreign), 0x30u);
  auto replies = c.take_unclaimed(ep);
  std::vector<detail> why;
  for (const auto& m : replies) {
    auto r = decode_response(m.payload);
    ASSERT_TRUE(r) << "only well-formed error replies come back";
    EXPECT_EQ(r->st, status::error);
    why.push_back(r->why);
  }
  EXPECT_EQ(why, (std::vector<detail>{detail::key_too_long, detail::value_too_long,
                                      detail::key_too_long}));
  // Still serving.
  auto r = c.call(cl, get("a"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->value, "1");
}

} // namespace
} // namespace ipipe::apps::rkv::testing
