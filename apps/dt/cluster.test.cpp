// DT end to end in one process: conflicting transfers over a lossy
// network, a participant restarted from its log, migrations under load,
// bad input.
#include <gtest/gtest.h>

#include "sim.hpp"
#include <cstring>
#include <fstream>
#include <tuple>

namespace ipipe::apps::dt::testing {
namespace {

struct tally {
  std::uint64_t committed = 0, conflicts = 0, insufficient = 0, timeouts = 0, other = 0;
};

// Checks that every account holds exactly the initial balance plus the
// committed transfers (and its version counts them), that nothing stays
// locked, that the total is conserved and that AUDIT says so too.
tally expect_consistent(cluster& c) {
  // Let aborted transactions' stray prepares be resolved by queries.
  for (int i = 0; i < 600; ++i)
    c.step();
  tally t;
  std::map<std::uint32_t, std::int64_t> balance;
  std::map<std::uint32_t, std::uint64_t> version;
  for (std::uint32_t a = 0; a < c.accounts_count(); ++a)
    balance[a] = c.initial();
  for (const auto& o : c.outcomes()) {
    if (o.r.st == status::committed) {
      ++t.committed;
      balance[o.from] -= static_cast<std::int64_t>(o.amount);
      balance[o.to] += static_cast<std::int64_t>(o.amount);
      ++version[o.from];
      ++version[o.to];
    } else if (o.r.st == status::aborted && o.r.why == detail::conflict) {
      ++t.conflicts;
    } else if (o.r.st == status::aborted && o.r.why == detail::insufficient) {
      ++t.insufficient;
    } else if (o.r.st == status::aborted && o.r.why == detail::timeout) {
      ++t.timeouts;
    } else {
      ++t.other;
    }
  }
  const auto all = c.accounts();
  EXPECT_EQ(all.size(), c.accounts_count());
  std::int64_t total = 0;
  for (const auto& [a, s] : all) {
    EXPECT_EQ(s.balance, balance[a]) << "account " << a;
    EXPECT_EQ(s.version, version[a]) << "account " << a;
    EXPECT_FALSE(s.locked) << "account " << a;
    EXPECT_GE(s.balance, 0) << "account " << a;
    total += s.balance;
  }
  EXPECT_EQ(total, c.initial() * c.accounts_count());
  const auto ci = c.add_client();
  request q;
  q.op = kind::audit;
  c.issue(ci, q);
  EXPECT_TRUE(c.run_until([&] { return c.idle(ci); }, 5000));
  EXPECT_FALSE(c.audits().empty());
  if (!c.audits().empty()) {
    const auto& r = c.audits().back();
    EXPECT_EQ(r.st, status::ok);
    EXPECT_EQ(r.total, r.expected);
    EXPECT_EQ(r.total, total);
    EXPECT_EQ(r.accounts, c.accounts_count());
    EXPECT_EQ(r.in_doubt, 0u);
  }
  return t;
}

TEST(dt_cluster, concurrent_conflicting_transfers_conserve_the_total) {
  cluster c("conflicts", 1, 3, 12, 1000, {.loss = 0.02, .dup = 0.02, .max_delay = 3});
  for (int i = 0; i < 16; ++i)
    c.add_client();
  ASSERT_TRUE(c.run_load(1500, 400, [] {}));
  const auto t = expect_consistent(c);
  EXPECT_GE(c.outcomes().size(), 500u);
  EXPECT_GT(t.committed, 100u);
  EXPECT_GT(t.conflicts, 10u) << "16 clients on 12 accounts must collide";
  EXPECT_GT(t.insufficient, 0u);
  EXPECT_EQ(t.other, 0u);
  const auto s = c.coord().stats(coord_id);
  ASSERT_EQ(s.size(), st_count);
  EXPECT_EQ(s[st_committed], t.committed);
  EXPECT_GT(s[st_retries], 0u) << "lost messages were resent";
  EXPECT_EQ(s[st_malformed] + s[st_foreign], 0u);
  EXPECT_EQ(s[st_in_flight], 0u);
}

TEST(dt_cluster, a_participant_restarted_from_its_log_loses_no_committed_transfer) {
  cluster c("restart", 2, 3, 12, 1000, {.loss = 0.01, .dup = 0.01, .max_delay = 2});
  for (int i = 0; i < 12; ++i)
    c.add_client();
  std::uint64_t steps = 0;
  ASSERT_TRUE(c.run_load(1800, 300, [&] {
    ++steps;
    if (steps == 500)
      c.restart_participant(1, 40, false);
    if (steps == 1100)
      c.restart_participant(2, 25, true); // with its log actor and a torn tail
  }));
  const auto t = expect_consistent(c);
  EXPECT_GT(t.committed, 100u);
  const auto p1 = c.part(1).stats(part_id);
  const auto p2 = c.part(2).stats(part_id);
  ASSERT_EQ(p1.size(), st_count);
  ASSERT_EQ(p2.size(), st_count);
  EXPECT_GT(p1[st_recovered], 20u) << "the shard came back from the log";
  EXPECT_GT(p2[st_recovered], 20u);
  EXPECT_EQ(p1[st_recovering] + p2[st_recovering], 0u);
  const auto l2 = c.part(2).stats(log_id);
  ASSERT_EQ(l2.size(), st_count);
  EXPECT_EQ(l2[st_damaged], 11u) << "the torn record was cut off";
  EXPECT_GT(c.coord().stats(coord_id)[st_undeliverable], 0u) << "the dead participant was missed";
}

TEST(dt_cluster, actors_migrate_nic_host_nic_under_load) {
  cluster c("migrate", 3, 3, 24, 500, {.loss = 0.01, .dup = 0.01, .max_delay = 2});
  for (int i = 0; i < 12; ++i)
    c.add_client();
  std::uint64_t steps = 0;
  std::size_t moved = 0;
  ASSERT_TRUE(c.run_load(2000, 200, [&] {
    if (++steps % 250 != 0)
      return;
    // Alternate: every coordinator and participant to the host, then back.
    if (c.coord().where(coord_id).migrate(coord_id))
      ++moved;
    for (std::uint32_t i = 0; i < 3; ++i)
      if (c.part(i).where(part_id).migrate(part_id))
        ++moved;
  }));
  std::uint64_t to_host = 0, to_nic = 0;
  for (auto* n : {&c.coord(), &c.part(0), &c.part(1), &c.part(2)}) {
    to_host += n->host.stats().migrations_in;
    to_nic += n->nic.stats().migrations_in;
  }
  EXPECT_GE(moved, 28u);
  EXPECT_GE(to_host, 12u) << "NIC -> host";
  EXPECT_GE(to_nic, 12u) << "host -> NIC";
  // The log is host only, but the runtime cannot refuse its migration to
  // the NIC: there it refuses to work, and once it is back the
  // participants' resends finish what was pending.
  auto& n = c.part(0);
  ASSERT_TRUE(n.host.migrate(log_id));
  n.settle();
  ASSERT_EQ(n.host.info(log_id)->state, runtime::actor_state::remote);
  for (int i = 0; i < 200; ++i) { // no waiting: commits of participant 0 wait for the log
    c.load(200);
    c.step();
  }
  EXPECT_GT(n.stats(log_id)[st_misplaced], 0u);
  ASSERT_TRUE(n.nic.migrate(log_id));
  n.settle();
  ASSERT_EQ(n.host.info(log_id)->state, runtime::actor_state::local);
  ASSERT_TRUE(c.run_load(300, 200, [] {}));
  const auto t = expect_consistent(c);
  EXPECT_GT(t.committed, 100u);
}

TEST(dt_cluster, bad_input_is_dropped_and_counted) {
  cluster c("bad", 4, 2, 8, 100);
  const auto cl = c.add_client();
  const std::uint32_t ep = first_client_ep + 50;
  const auto before = c.coord().stats(coord_id);
  request good;
  good.from = 1;
  good.to = 2;
  good.amount = 5;
  good.client_id = 7;
  good.seq = 1;
  const auto g = encode(good);
  // truncated at every length, one byte too many
  for (std::size_t cut = 0; cut < g.size(); ++cut)
    c.inject(0, ep, std::vector<std::byte>(g.begin(), g.begin() + cut));
  auto longer = g;
  longer.push_back(std::byte{0});
  // garbage that is not a request, CONFIGURE, STATS or DUMP by accident
  std::mt19937_64 rng(9);
  std::vector<std::vector<std::byte>> junk{longer};
  for (int n = 0; n < 200; ++n) {
    std::vector<std::byte> b(1 + rng() % 100);
    for (auto& x : b)
      x = std::byte(rng());
    if (b[0] <= std::byte{2} || (b[0] >= std::byte{0x20} && b[0] <= std::byte{0x22}))
      b[0] = std::byte{0x7f};
    junk.push_back(b);
  }
  auto version = g;
  version[1] = std::byte{9};
  junk.push_back(version);
  for (const auto& j : junk)
    c.inject(0, ep, j);
  // refused with a clear answer: bad accounts, amounts
  using bad = std::tuple<std::uint32_t, std::uint32_t, std::uint64_t>;
  for (auto [from, to, amount] :
       {bad{8, 1, 1}, bad{1, 1, 1}, bad{1, 2, 0}, bad{1, 2, max_amount + 1}}) {
    request r = good;
    r.from = from;
    r.to = to;
    r.amount = amount;
    c.inject(0, ep, encode(r));
  }
  // internal kinds from a client to every actor, and to the participant
  // from the coordinator's node but another actor
  for (std::uint8_t k = 0x30; k < 0x60; ++k) {
    const std::vector<std::byte> p{std::byte{k}, std::byte{1}, std::byte{0}, std::byte{0}};
    c.inject(0, ep, p, IPIPE_MSG_ACTOR, coord_id, 1);
    c.inject(1, ep, p, IPIPE_MSG_ACTOR, part_id, 1);
    c.inject(1, ep, p, IPIPE_MSG_ACTOR, log_id, 1);
    c.inject(1, first_node_ep, p, IPIPE_MSG_ACTOR, part_id, 9);
  }
  c.run_until([] { return false; }, 50);
  const auto after = c.coord().stats(coord_id);
  ASSERT_EQ(after.size(), st_count);
  ASSERT_EQ(before.size(), st_count);
  const auto dropped = [](const std::vector<std::uint64_t>& v) {
    return v[st_malformed] + v[st_foreign];
  };
  EXPECT_EQ(dropped(after) - dropped(before), g.size() + junk.size() + 0x30);
  EXPECT_EQ(after[st_refused] - before[st_refused], 4u);
  EXPECT_GE(after[st_foreign] - before[st_foreign], 10u);
  const auto p = c.part(0).stats(part_id); // node 1
  const auto l = c.part(0).stats(log_id);
  EXPECT_EQ(p[st_malformed] + p[st_foreign], 2u * 0x30);
  EXPECT_EQ(l[st_foreign], 0x30u);
  std::vector<detail> why;
  for (const auto& m : c.take_unclaimed(ep)) {
    auto r = decode_response(m.payload);
    ASSERT_TRUE(r) << "only well-formed refusals come back";
    EXPECT_EQ(r->st, status::error);
    why.push_back(r->why);
  }
  EXPECT_EQ(why, (std::vector<detail>{detail::bad_account, detail::bad_account, detail::bad_amount,
                                      detail::bad_amount}));
  // A CONFIGURE that would change an identity is refused.
  coordinator_config other;
  other.id = 2;
  other.accounts = 8;
  other.participants = {{first_node_ep + 1, part_id}};
  auto got = c.coord().ask(coord_id, encode(other));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(decode_response(got[0].payload)->why, detail::bad_config);
  // Still serving.
  request r = good;
  c.issue(cl, r);
  ASSERT_TRUE(c.run_until([&] { return c.idle(cl); }, 2000));
  EXPECT_EQ(c.outcomes().back().r.st, status::committed);
  expect_consistent(c);
}

} // namespace
} // namespace ipipe::apps::dt::testing
