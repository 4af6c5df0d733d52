#include <ipipe/node/nic_node.hpp>
#include <ipipe/runtime/actor_registry.hpp>

#include <linux/ipipe.h>

#include <gtest/gtest.h>

#include "../runtime/test_actors.hpp"
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <thread>
#include <vector>

namespace ipipe::node {
namespace {

using runtime::actor_id;
using runtime::message;
using runtime::testing::counter_req;
using runtime::testing::counter_resp;
using runtime::testing::event_log;
using runtime::testing::reply_log;

// The engine's manual clock: handlers of "n_spin" advance it by the time
// their request asks for, so execution times are exact and no wall-clock
// time is ever measured.
std::atomic<std::uint64_t> manual_now{1};
std::uint64_t manual_clock() noexcept {
  return manual_now.load();
}

// Replies with its request's payload after "spending" the ns it names.
class spin_actor final : public runtime::actor {
public:
  expected<void> init(runtime::actor_context&) override { return {}; }
  void handle(runtime::actor_context& ctx, const message& m) override {
    std::uint64_t ns = 0;
    if (m.payload.size() == sizeof(ns))
      std::memcpy(&ns, m.payload.data(), sizeof(ns));
    manual_now.fetch_add(ns);
    (void)ctx.reply(m.payload);
  }
};

// Blocks in its handler until the test lets it go.
std::atomic<bool> let_go{false};
class stuck_actor final : public runtime::actor {
public:
  expected<void> init(runtime::actor_context&) override { return {}; }
  void handle(runtime::actor_context&, const message&) override {
    while (!let_go.load())
      std::this_thread::yield();
  }
};

void register_types() {
  runtime::testing::register_test_types();
  static const bool done = [] {
    (void)runtime::actor_registry::add("n_spin", [] { return std::make_unique<spin_actor>(); });
    (void)runtime::actor_registry::add("n_stuck", [] { return std::make_unique<stuck_actor>(); });
    return true;
  }();
  (void)done;
}

unsigned seeds(unsigned dflt) {
  const char* env = std::getenv("IPIPE_TEST_SEEDS");
  return env != nullptr ? static_cast<unsigned>(std::strtoul(env, nullptr, 10)) : dflt;
}

message spin_request(actor_id a, std::uint64_t ns, std::uint64_t req) {
  return message::make(IPIPE_MSG_REQUEST, a, 0, req, runtime::as_bytes_of(ns));
}

// Waits for `pred` with an upper bound that only catches hangs.
template <class P>
bool eventually(P pred) {
  const auto limit = std::chrono::steady_clock::now() + std::chrono::minutes(2);
  while (!pred()) {
    if (std::chrono::steady_clock::now() > limit)
      return false;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return true;
}

} // namespace

TEST(nic_node, a_slow_actor_is_downgraded_once_the_threshold_drops_and_a_fast_one_keeps_fcfs) {
  register_types();
  event_log events;
  reply_log replies;
  node_config cfg;
  cfg.engine.policy.cores = 1;
  cfg.engine.policy.max_actors = 8;
  cfg.engine.clock = &manual_clock;
  cfg.engine.initial.tail_thresh_ns = 10'000'000; // nobody is slow yet
  cfg.events = &events;
  cfg.migrate = false;
  nic_node node{cfg};
  node.nic_runtime().set_client_sink(replies.sink());
  const actor_id slow = *node.create_actor({.type = "n_spin"});
  const actor_id fast = *node.create_actor({.type = "n_spin"});

  std::uint64_t req = 0;
  auto round = [&](int n) {
    for (int i = 0; i < n; ++i) {
      EXPECT_EQ(node.submit(spin_request(slow, 200'000, ++req)), runtime::route::queued);
      EXPECT_EQ(node.submit(spin_request(fast, 1'000, ++req)), runtime::route::queued);
      while (node.engine().poll(0)) {
      }
    }
  };
  round(40);
  EXPECT_EQ(node.engine().group_of(slow), sched::group::fcfs);
  EXPECT_EQ(events.count(IPIPE_EV_ACTOR_DOWNGRADED), 0u);

  // Changed at run time: the next windows judge the slow actor by it.
  sched::params p = node.tuning().get();
  p.tail_thresh_ns = 50'000;
  node.tuning().set(p, sched::tunables::all_fields);
  round(40);

  EXPECT_EQ(node.engine().group_of(slow), sched::group::drr);
  EXPECT_EQ(node.nic_runtime().info(slow)->group, IPIPE_GROUP_DRR);
  EXPECT_EQ(node.engine().group_of(fast), sched::group::fcfs);
  EXPECT_EQ(node.nic_runtime().info(fast)->group, IPIPE_GROUP_FCFS);
  EXPECT_EQ(node.stats().downgrades, 1u);
  ASSERT_EQ(events.count(IPIPE_EV_ACTOR_DOWNGRADED), 1u);
  for (const auto& ev : events.events())
    if (ev.type == IPIPE_EV_ACTOR_DOWNGRADED) {
      EXPECT_EQ(ev.actor_id, slow);
      EXPECT_GT(ev.arg0, 50'000u);
    }
  // Every request ran under the engine and was answered once.
  EXPECT_EQ(node.engine().executed(), req);
  EXPECT_EQ(node.nic_runtime().stats().executed, req);
  auto got = replies.take();
  ASSERT_EQ(got.size(), req);
  std::vector<int> seen(req + 1, 0);
  for (const auto& m : got) {
    ASSERT_EQ(m.hdr.type, IPIPE_MSG_REPLY);
    ++seen[m.hdr.req_id];
  }
  for (std::uint64_t i = 1; i <= req; ++i)
    EXPECT_EQ(seen[i], 1) << "request " << i;
}

TEST(nic_node, an_operator_group_change_reaches_the_runtime_and_the_event_sink) {
  register_types();
  event_log events;
  sched::decision_log decisions;
  node_config cfg;
  cfg.engine.policy.cores = 1;
  cfg.engine.policy.max_actors = 4;
  cfg.events = &events;
  cfg.decisions = &decisions;
  cfg.migrate = false;
  nic_node node{cfg};
  const actor_id a = *node.create_actor({.type = "n_spin"});
  ASSERT_TRUE(node.set_group(a, sched::group::drr));
  EXPECT_EQ(node.nic_runtime().info(a)->group, IPIPE_GROUP_DRR);
  ASSERT_TRUE(node.set_group(a, sched::group::fcfs));
  EXPECT_EQ(node.nic_runtime().info(a)->group, IPIPE_GROUP_FCFS);
  EXPECT_EQ(events.count(IPIPE_EV_ACTOR_DOWNGRADED), 1u);
  EXPECT_EQ(events.count(IPIPE_EV_ACTOR_UPGRADED), 1u);
  EXPECT_EQ(decisions.count(sched::decision_kind::downgrade), 1u);
  EXPECT_EQ(decisions.count(sched::decision_kind::upgrade), 1u);
}

TEST(nic_node, an_actor_id_beyond_the_engine_is_refused_and_not_left_behind) {
  register_types();
  node_config cfg;
  cfg.engine.policy.max_actors = 4;
  nic_node node{cfg};
  auto r = node.create_actor({.type = "n_spin", .id = 9});
  ASSERT_FALSE(r);
  EXPECT_FALSE(node.nic_runtime().info(9));
}

TEST(nic_node, the_management_thread_quarantines_a_handler_running_past_its_budget) {
  register_types();
  event_log events;
  reply_log replies;
  node_config cfg;
  cfg.engine.policy.cores = 2;
  cfg.engine.policy.max_actors = 4;
  cfg.events = &events;
  cfg.migrate = false;
  nic_node node{cfg};
  node.nic_runtime().set_client_sink(replies.sink());
  const actor_id a = *node.create_actor({.type = "n_stuck", .budget_ns = 1'000'000});
  ASSERT_TRUE(node.start());
  let_go = false;
  node.submit(message::make(IPIPE_MSG_REQUEST, a, 0, 1, {}));
  // The handler never returns by itself: only the watchdog can see it.
  ASSERT_TRUE(eventually([&] { return events.count(IPIPE_EV_ACTOR_KILLED) == 1; }));
  EXPECT_EQ(node.nic_runtime().info(a)->state, runtime::actor_state::quarantined);
  let_go = true;
  ASSERT_TRUE(eventually([&] { return replies.size() == 1; }));
  node.stop();
  EXPECT_EQ(replies.take().front().hdr.type, IPIPE_MSG_ERROR);
}

// The policy's own push and pull: one actor overloads the single FCFS
// core (manual clock), is pushed to the host runtime, and once the NIC is
// idle it is pulled back; its requests are answered throughout.
TEST(nic_node, an_overloaded_nic_pushes_an_actor_to_the_host_and_pulls_it_back_by_decision) {
  register_types();
  auto rings = runtime::peer_rings::create(*runtime::msg_ring_geometry::make(16, 8224),
                                           *runtime::msg_ring_geometry::make(8, 16384))
                   .value();
  event_log events;
  reply_log replies;
  sched::decision_log decisions;
  runtime::runtime host({.side = IPIPE_LOC_HOST});
  ASSERT_TRUE(host.attach_peer(rings.host_end()));
  host.set_client_sink(replies.sink());
  node_config cfg;
  cfg.engine.policy.cores = 1;
  cfg.engine.policy.max_actors = 4;
  cfg.engine.clock = &manual_clock;
  cfg.engine.initial.tail_thresh_ns = 10'000'000; // keep it FCFS
  cfg.engine.initial.mean_thresh_ns = 20'000;
  cfg.events = &events;
  cfg.decisions = &decisions;
  nic_node node{cfg};
  node.nic_runtime().set_client_sink(replies.sink());
  ASSERT_TRUE(node.attach_host(rings.nic_end(), &host));
  const actor_id a = *node.create_actor({.type = "n_spin"});
  ASSERT_TRUE(host.add_remote(a, "n_spin"));

  std::uint64_t req = 0;
  auto step = [&] {
    for (int k = 0; k < 4; ++k) {
      while (node.engine().poll(0)) {
      }
      node.manage_once();
      host.pump();
      host.run_until_idle();
    }
  };
  // A core's worth of 100 us requests: pushed.
  for (int i = 0; i < 4000 && node.stats().pushes == 0; ++i) {
    node.submit(spin_request(a, 100'000, ++req));
    step();
  }
  ASSERT_GE(node.stats().pushes, 1u);
  // The same load, now forwarded: the NIC still sees it and keeps the
  // actor on the host (100 ms, five times the first hold).
  for (int i = 0; i < 1000; ++i) {
    node.submit(spin_request(a, 100'000, ++req));
    step();
  }
  EXPECT_EQ(node.stats().pulls, 0u) << "pulled back while its load would fill the NIC";
  // A light load: one request every 10 ms. It comes back.
  for (int i = 0; i < 4000 && node.stats().pulls == 0; ++i) {
    manual_now.fetch_add(1'000'000);
    if (i % 10 == 0)
      node.submit(spin_request(a, 100'000, ++req));
    step();
  }
  for (int k = 0; k < 1000 && (replies.size() < req || !node.migrations_settled()); ++k) {
    (void)node.engine().poll(0);
    node.manage_once();
    host.pump();
    host.run_until_idle();
  }
  EXPECT_GE(decisions.count(sched::decision_kind::push_to_host), 1u);
  EXPECT_GE(decisions.count(sched::decision_kind::pull_to_nic), 1u);
  EXPECT_GE(node.stats().pushes, 1u);
  EXPECT_GE(node.stats().pulls, 1u);
  EXPECT_GT(host.stats().executed, 0u);
  EXPECT_EQ(replies.size(), req);
  EXPECT_EQ(node.stats().migrations_failed, 0u);
}

// Requests stream into three counter actors on two engine cores while a
// seeded script downgrades, upgrades, pushes to the host runtime and pulls
// back: every request is answered exactly once, in per-actor order, with
// the actor's state intact.
TEST(nic_node, every_request_is_answered_once_and_in_order_while_actors_change_group_and_move) {
  register_types();
  for (unsigned seed = 1; seed <= seeds(2); ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    auto rings = runtime::peer_rings::create(*runtime::msg_ring_geometry::make(16, 8224),
                                             *runtime::msg_ring_geometry::make(8, 16384))
                     .value();
    event_log events;
    reply_log replies;
    runtime::runtime host({.side = IPIPE_LOC_HOST, .default_budget_ns = 60'000'000'000});
    ASSERT_TRUE(host.attach_peer(rings.host_end()));
    host.set_client_sink(replies.sink());
    host.set_event_sink(&events);

    node_config cfg;
    cfg.runtime.default_budget_ns = 60'000'000'000; // isolation has its own tests
    cfg.engine.policy.cores = 2;
    cfg.engine.policy.max_actors = 8;
    // No decision of the policy's own: the script makes them all.
    cfg.engine.initial.tail_thresh_ns = 60'000'000'000;
    cfg.engine.initial.mean_thresh_ns = 60'000'000'000;
    cfg.engine.policy.migrate = false;
    cfg.events = &events;
    nic_node node{cfg};
    node.nic_runtime().set_client_sink(replies.sink());
    ASSERT_TRUE(node.attach_host(rings.nic_end(), &host));
    std::vector<actor_id> actors;
    for (int i = 0; i < 3; ++i) {
      auto id = node.create_actor({.type = "t_counter", .mem_quota = 1 << 20});
      ASSERT_TRUE(id);
      ASSERT_TRUE(host.add_remote(*id, "t_counter"));
      actors.push_back(*id);
    }
    ASSERT_TRUE(node.start());

    std::atomic<bool> done{false};
    std::thread host_side([&] {
      while (!done.load()) {
        if (host.pump() + host.run_until_idle() == 0)
          std::this_thread::yield();
      }
    });

    constexpr std::uint64_t per_actor = 300;
    std::map<std::uint64_t, std::pair<actor_id, std::uint64_t>> sent; // req -> (actor, seq)
    std::thread client([&, seed] {
      std::mt19937 rng(seed);
      std::map<actor_id, std::uint64_t> seq;
      std::uint64_t req = 0;
      while (req < per_actor * actors.size()) {
        const actor_id a = actors[rng() % actors.size()];
        if (seq[a] == per_actor)
          continue;
        counter_req rq{0, 0, ++seq[a]};
        sent[++req] = {a, rq.seq};
        node.submit(message::make(IPIPE_MSG_REQUEST, a, 0, req, runtime::as_bytes_of(rq)));
        if (rng() % 8 == 0)
          std::this_thread::yield();
      }
    });

    // The script: every actor goes DRR, back to FCFS, to the host and back,
    // in a seeded order, interleaved with the traffic.
    std::mt19937 rng(seed * 7919);
    std::vector<std::pair<actor_id, int>> steps;
    for (auto a : actors)
      for (int s = 0; s < 4; ++s)
        steps.push_back({a, s});
    std::shuffle(steps.begin(), steps.end(), rng);
    std::map<actor_id, int> next; // each actor's steps stay in order
    while (!steps.empty()) {
      auto it = std::find_if(steps.begin(), steps.end(),
                             [&](const auto& s) { return s.second == next[s.first]; });
      const auto [a, s] = *it;
      steps.erase(it);
      ++next[a];
      switch (s) {
      case 0:
        EXPECT_TRUE(node.set_group(a, sched::group::drr));
        break;
      case 1:
        EXPECT_TRUE(node.set_group(a, sched::group::fcfs));
        break;
      case 2:
      case 3:
        node.request_migration(a);
        ASSERT_TRUE(eventually([&] { return node.migrations_settled(); }));
        break;
      }
      std::this_thread::sleep_for(std::chrono::microseconds(rng() % 2000));
    }
    client.join();
    const bool all = eventually([&] {
      return replies.size() >= sent.size() && node.migrations_settled() && host.quiet() &&
             node.nic_runtime().quiet();
    });
    done = true;
    host_side.join();
    node.stop();
    ASSERT_TRUE(all) << replies.size() << " of " << sent.size() << " replies";

    const node_stats st = node.stats();
    EXPECT_EQ(st.downgrades, actors.size());
    EXPECT_EQ(st.upgrades, actors.size());
    EXPECT_EQ(st.pushes, actors.size());
    EXPECT_EQ(st.pulls, actors.size());
    EXPECT_EQ(st.migrations_failed, 0u);
    EXPECT_EQ(events.count(IPIPE_EV_ACTOR_DOWNGRADED), actors.size());
    EXPECT_EQ(events.count(IPIPE_EV_ACTOR_UPGRADED), actors.size());
    EXPECT_EQ(events.count(IPIPE_EV_ACTOR_MIGRATED), 4 * actors.size()); // both sides, twice
    EXPECT_GT(node.engine().executed(), 0u);
    for (auto a : actors)
      EXPECT_EQ(node.nic_runtime().info(a)->state, runtime::actor_state::local);

    std::map<std::uint64_t, int> answered;
    std::map<actor_id, std::map<std::uint64_t, std::uint64_t>> runs; // exec index -> seq
    for (const auto& m : replies.take()) {
      ASSERT_EQ(m.hdr.type, IPIPE_MSG_REPLY) << "request " << m.hdr.req_id;
      ASSERT_EQ(m.payload.size(), sizeof(counter_resp));
      counter_resp r{};
      std::memcpy(&r, m.payload.data(), sizeof(r));
      ++answered[m.hdr.req_id];
      auto s = sent.find(m.hdr.req_id);
      ASSERT_NE(s, sent.end());
      EXPECT_EQ(r.seq, s->second.second);
      EXPECT_EQ(r.blob_ok, 1u);
      EXPECT_EQ(r.violations, 0u);
      EXPECT_TRUE(runs[s->second.first].emplace(r.exec_index, r.seq).second);
    }
    for (const auto& [req, s] : sent)
      EXPECT_EQ(answered[req], 1) << "request " << req;
    for (const auto& [a, r] : runs) {
      std::uint64_t idx = 0;
      std::uint64_t last = 0;
      for (const auto& [i, sq] : r) {
        EXPECT_EQ(i, idx++) << "actor " << a;
        EXPECT_EQ(sq, last + 1) << "actor " << a; // submission order, one entry side
        last = sq;
      }
    }
  }
}

} // namespace ipipe::node
