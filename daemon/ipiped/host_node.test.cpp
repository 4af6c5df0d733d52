// ipiped's host node against an in-process NIC running the runtime: actors
// pushed to the host run on the workers and answer through the NIC.
#include "host_node.hpp"

#include <ipipe/fw/builtin_actors.hpp>
#include <ipipe/fw/runtime_dispatch.hpp>

#include "../../src/fw/test_wire_client.hpp"
#include "../../src/nic/test_nic.hpp"
#include <thread>

using namespace ipipe;
using namespace std::chrono_literals;

namespace {

// The built-in "counter" counts its requests in a DMO, so state lost in a
// move shows.
void register_types() {
  fw::register_builtin_actors();
}

node::node_config node_cfg() {
  register_types();
  node::node_config c;
  c.engine.policy.cores = 2;
  c.engine.policy.max_actors = 257;
  c.engine.policy.migrate = false;
  return c;
}

nic::emulator_config emu_cfg(fw::runtime_dispatch& d) {
  auto c = nic::testing::running_nic::default_config();
  c.dispatch = &d;
  c.wire = nic::endpoint{INADDR_LOOPBACK, 0};
  c.fw.wire = true;
  return c;
}

config::actor_config actor(std::string type, config::actor_location loc, int line) {
  config::actor_config a;
  a.type = std::move(type);
  a.location = loc;
  a.mem_quota = 1 << 16;
  a.line = line;
  return a;
}

bool wait_location(nic::testing::running_nic& nic, std::uint32_t id, ipipe_location loc) {
  for (int i = 0; i < 5000; ++i) {
    for (const auto& a : nic.emu().fw().actors().list())
      if (a.actor_id == id && a.location == loc && (a.flags & IPIPE_ACTOR_S_MIGRATING) == 0)
        return true;
    std::this_thread::sleep_for(2ms);
  }
  return false;
}

struct node_fixture {
  node_fixture() : dispatch(node_cfg()), nic(emu_cfg(dispatch)) {
    config::device_config d;
    d.kind = config::device_kind::direct;
    d.path = nic.socket();
    auto n = daemon::host_node::open(d, {.workers = 2, .busy_poll = 20us});
    EXPECT_TRUE(n) << n.err().message();
    if (n)
      node = std::move(*n);
  }
  fw::runtime_dispatch dispatch;
  nic::testing::running_nic nic;
  std::unique_ptr<daemon::host_node> node;
};

TEST(host_node, configured_actors_start_where_the_file_says_and_answer) {
  node_fixture f;
  ASSERT_TRUE(f.node);
  ASSERT_TRUE(f.node->register_actors({actor("counter", config::actor_location::nic, 3),
                                       actor("counter", config::actor_location::host, 7)}));
  f.node->start();
  fw::testing::wire_client c{f.nic.emu().wire_port_number()};
  for (std::uint64_t i = 1; i <= 20; ++i) {
    EXPECT_EQ(c.tally(1, i), i) << "NIC actor";
    EXPECT_EQ(c.tally(2, 100 + i), i) << "host actor, through the NIC";
  }
  EXPECT_EQ(f.node->counters().local_actors, 1u);
  EXPECT_GE(f.node->counters().executed, 20u);
}

TEST(host_node, an_actor_with_an_id_outlives_the_daemon_and_is_adopted_by_the_next) {
  fw::runtime_dispatch dispatch{node_cfg()};
  nic::testing::running_nic nic{emu_cfg(dispatch)};
  config::device_config d;
  d.kind = config::device_kind::direct;
  d.path = nic.socket();
  auto with_id = actor("counter", config::actor_location::nic, 4);
  with_id.id = 9;
  auto without = actor("counter", config::actor_location::nic, 8);
  fw::testing::wire_client c{nic.emu().wire_port_number()};
  {
    auto n = daemon::host_node::open(d, {.workers = 1});
    ASSERT_TRUE(n);
    ASSERT_TRUE((*n)->register_actors({with_id, without}));
    (*n)->start();
    EXPECT_EQ(c.tally(9, 1), 1u);
    EXPECT_EQ(c.tally(1, 2), 1u);
    (void)(*n)->stop(1s);
  }
  // The daemon is gone: the NIC still serves the persistent actor, with
  // its state, but not the one that belonged to the daemon's handle.
  EXPECT_EQ(c.tally(9, 3), 2u);
  EXPECT_EQ(c.tally(1, 4), 0u);
  auto n = daemon::host_node::open(d, {.workers = 1});
  ASSERT_TRUE(n);
  ASSERT_TRUE((*n)->register_actors({with_id}));
  (*n)->start();
  EXPECT_EQ(c.tally(9, 5), 3u) << "adopted, state intact";
}

TEST(host_node, an_unknown_actor_type_fails_naming_the_line) {
  node_fixture f;
  ASSERT_TRUE(f.node);
  auto r = f.node->register_actors({actor("no_such_type", config::actor_location::nic, 12)});
  ASSERT_FALSE(r);
  EXPECT_NE(r.err().message().find("line 12"), std::string::npos) << r.err().message();
}

TEST(host_node, thresholds_reach_the_firmware) {
  node_fixture f;
  ASSERT_TRUE(f.node);
  config::params_config p;
  p.tail_thresh_ns = 77'000;
  p.alpha_permille = 300;
  ASSERT_TRUE(f.node->apply_params(p));
  const ipipe_params now = f.nic.emu().fw().params();
  EXPECT_EQ(now.tail_thresh_ns, 77'000u);
  EXPECT_EQ(now.alpha_permille, 300u);
  EXPECT_EQ(f.dispatch.node().tuning().tail_thresh_ns(), 77'000u) << "and the scheduler";
}

TEST(host_node, actors_pushed_to_the_host_run_there_and_go_home_on_stop) {
  node_fixture f;
  ASSERT_TRUE(f.node);
  ASSERT_TRUE(f.node->register_actors({actor("counter", config::actor_location::nic, 1)}));
  f.node->start();
  fw::testing::wire_client c{f.nic.emu().wire_port_number()};
  std::uint64_t n = 0;
  for (int i = 0; i < 10; ++i)
    ASSERT_EQ(c.tally(1, ++n), n);
  // The NIC decides (here: the test, as an operator would through netlink).
  ASSERT_EQ(f.dispatch.migrate(1, IPIPE_LOC_HOST), IPIPE_STS_OK);
  ASSERT_TRUE(wait_location(f.nic, 1, IPIPE_LOC_HOST));
  for (int i = 0; i < 10; ++i)
    ASSERT_EQ(c.tally(1, ++n), n);
  EXPECT_EQ(f.node->counters().local_actors, 1u);
  EXPECT_EQ(f.node->stop(5s), 0u) << "every actor went back";
  ASSERT_TRUE(wait_location(f.nic, 1, IPIPE_LOC_NIC));
  for (int i = 0; i < 10; ++i)
    ASSERT_EQ(c.tally(1, ++n), n) << "state intact after the round trip";
}

TEST(host_node, a_missing_device_is_an_error_naming_it) {
  config::device_config d;
  d.kind = config::device_kind::direct;
  d.path = "/nonexistent/ipipe.sock";
  auto n = daemon::host_node::open(d, {});
  ASSERT_FALSE(n);
  EXPECT_NE(n.err().message().find("/nonexistent/ipipe.sock"), std::string::npos)
      << n.err().message();
}

} // namespace
