// The firmware running the actor runtime, end to end: an in-process
// emulator with the runtime dispatcher, a host runtime attached over the
// runtime ring context (as ipiped does), and a client on the wire.
#include <ipipe/common/clock.hpp>
#include <ipipe/common/unique_fd.hpp>
#include <ipipe/fw/builtin_actors.hpp>
#include <ipipe/fw/runtime_dispatch.hpp>
#include <ipipe/host/device.hpp>
#include <ipipe/nic/ring_table.hpp>
#include <ipipe/nic/wire.hpp>
#include <ipipe/runtime/actor.hpp>
#include <ipipe/runtime/actor_context.hpp>
#include <ipipe/runtime/actor_registry.hpp>
#include <ipipe/runtime/runtime.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include "../nic/test_nic.hpp"
#include "test_wire_client.hpp"
#include <array>
#include <atomic>
#include <cstring>
#include <thread>

using namespace ipipe;
using namespace std::chrono_literals;

namespace {

// Spins until the watchdog stops it.
class runaway_actor final : public runtime::actor {
public:
  expected<void> init(runtime::actor_context&) override { return {}; }
  void handle(runtime::actor_context& ctx, const runtime::message&) override {
    while (!ctx.stop_requested())
      std::this_thread::yield();
  }
};

// The built-in "counter" counts its requests in a DMO: a lost or duplicated
// state shows up as a wrong count.
void register_types() {
  fw::register_builtin_actors();
  static const bool done = [] {
    (void)runtime::actor_registry::add("fw_t_runaway",
                                       [] { return std::make_unique<runaway_actor>(); });
    return true;
  }();
  (void)done;
}

// The NIC with the runtime, and a host runtime on a thread of its own.
struct fw_fixture {
  explicit fw_fixture(std::uint32_t recovery_log = 0)
      : dispatch(node_cfg(recovery_log)), nic(emu_cfg(dispatch)) {
    register_types();
    auto d = host::device::attach_direct(nic.socket());
    EXPECT_TRUE(d) << d.err().message();
    dev = std::move(*d);
  }

  ~fw_fixture() { stop_host(); }

  static node::node_config node_cfg(std::uint32_t recovery_log) {
    register_types();
    node::node_config c;
    c.runtime.recovery_log = recovery_log;
    c.engine.policy.cores = 2;
    c.engine.policy.max_actors = 257;
    c.engine.policy.migrate = false; // only the test moves actors
    return c;
  }

  static nic::emulator_config emu_cfg(fw::runtime_dispatch& d) {
    auto c = nic::testing::running_nic::default_config();
    c.dispatch = &d;
    c.wire = nic::endpoint{INADDR_LOOPBACK, 0};
    c.fw.wire = true;
    return c;
  }

  void start_host() {
    auto rs = dev->setup_runtime_rings(0, 0, 0, 0);
    ASSERT_TRUE(rs) << rs.err().message();
    rings = *rs;
    ASSERT_TRUE(host.attach_peer(host::host_channel(rings)));
    pumper = std::thread([this] {
      while (!stop.load(std::memory_order_acquire)) {
        std::size_t n = host.pump() + host.run_until_idle();
        if (n != 0)
          (void)dev->kick();
        else
          (void)dev->wait(1ms);
      }
    });
  }

  void stop_host() {
    stop.store(true, std::memory_order_release);
    if (pumper.joinable())
      pumper.join();
  }

  // Waits until the firmware's actor table puts `id` at `loc`.
  bool wait_location(std::uint32_t id, ipipe_location loc) {
    for (int i = 0; i < 5000; ++i) {
      for (const auto& a : nic.emu().fw().actors().list())
        if (a.actor_id == id && a.location == loc && (a.flags & IPIPE_ACTOR_S_MIGRATING) == 0)
          return true;
      std::this_thread::sleep_for(2ms);
    }
    return false;
  }

  fw::runtime_dispatch dispatch;
  nic::testing::running_nic nic;
  std::unique_ptr<host::device> dev;
  host::ring_set rings;
  runtime::runtime host{{.side = IPIPE_LOC_HOST, .outbound_via_peer = true}};
  std::atomic<bool> stop{false};
  std::thread pumper;
};

TEST(fw_runtime, wire_requests_reach_stateful_nic_actors) {
  fw_fixture f;
  ASSERT_TRUE(f.dev->setup_rings(0, 0, 0, 0));
  auto id = f.dev->register_actor("counter", 0, IPIPE_LOC_NIC, 1 << 16);
  ASSERT_TRUE(id) << id.err().message();
  fw::testing::wire_client c{f.nic.emu().wire_port_number()};
  for (std::uint64_t i = 1; i <= 50; ++i)
    ASSERT_EQ(c.tally(*id, i), i);
  // An unknown actor gets an error reply, not silence.
  c.send(77, 9);
  auto m = c.receive();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->hdr.type, IPIPE_MSG_ERROR);
  EXPECT_EQ(m->hdr.req_id, 9u);
}

TEST(fw_runtime, an_actor_moves_to_the_host_runtime_with_its_state_and_back) {
  fw_fixture f;
  f.start_host();
  auto id = f.dev->register_actor("counter", 0, IPIPE_LOC_NIC, 1 << 16);
  ASSERT_TRUE(id);
  fw::testing::wire_client c{f.nic.emu().wire_port_number()};
  std::uint64_t req = 0;
  for (int i = 0; i < 20; ++i, ++req)
    ASSERT_EQ(c.tally(*id, req), req + 1);

  ASSERT_TRUE(f.dev->migrate(*id, IPIPE_LOC_HOST));
  ASSERT_TRUE(f.wait_location(*id, IPIPE_LOC_HOST));
  ASSERT_EQ(f.host.info(*id)->state, runtime::actor_state::local);
  for (int i = 0; i < 20; ++i, ++req)
    ASSERT_EQ(c.tally(*id, req), req + 1) << "answered by the host, through the NIC";
  EXPECT_GE(f.host.info(*id)->stats.requests, 20u);

  ASSERT_TRUE(f.dev->migrate(*id, IPIPE_LOC_NIC));
  ASSERT_TRUE(f.wait_location(*id, IPIPE_LOC_NIC));
  for (int i = 0; i < 20; ++i, ++req)
    ASSERT_EQ(c.tally(*id, req), req + 1);
  const auto st = f.nic.emu().fw().counters().snapshot();
  EXPECT_EQ(st.migrations_to_host, 1u);
  EXPECT_EQ(st.migrations_to_nic, 1u);
}

TEST(fw_runtime, migrating_without_a_host_runtime_is_refused) {
  fw_fixture f;
  ASSERT_TRUE(f.dev->setup_rings(0, 0, 0, 0));
  auto id = f.dev->register_actor("counter", 0, IPIPE_LOC_NIC, 1 << 16);
  ASSERT_TRUE(id);
  EXPECT_EQ(f.dev->migrate(*id, IPIPE_LOC_HOST).err().code(), errc::not_found);
  EXPECT_TRUE(f.wait_location(*id, IPIPE_LOC_NIC)) << "no migrating mark left behind";
}

TEST(fw_runtime, migrating_twice_or_to_where_it_is_is_refused) {
  fw_fixture f;
  f.start_host();
  auto id = f.dev->register_actor("counter", 0, IPIPE_LOC_NIC, 1 << 16);
  ASSERT_TRUE(id);
  EXPECT_EQ(f.dev->migrate(*id, IPIPE_LOC_NIC).err().code(), errc::busy) << "already there";
  ASSERT_TRUE(f.dev->migrate(*id, IPIPE_LOC_HOST));
  ASSERT_TRUE(f.wait_location(*id, IPIPE_LOC_HOST));
  EXPECT_EQ(f.dev->migrate(*id, IPIPE_LOC_HOST).err().code(), errc::busy);
}

ipipe_admin_cmd ring_cmd(std::uint32_t ring_id, std::uint32_t type, std::uint32_t flags) {
  ipipe_admin_cmd c{};
  c.opcode = IPIPE_ADMIN_RING_CREATE;
  c.ring.ring_id = ring_id;
  c.ring.type = type;
  c.ring.entries = 8;
  c.ring.slot_size = 8224;
  c.ring.flags = flags;
  return c;
}

TEST(fw_runtime, one_runtime_context_per_nic_and_all_its_rings_agree) {
  nic::ring_table t{4};
  const auto geom = *runtime::msg_ring_geometry::make(8, 8224);
  std::vector<std::vector<std::byte>> mem;
  auto region = [&] {
    mem.emplace_back(geom.total_bytes() + 4096);
    auto* p = mem.back().data();
    auto* aligned = reinterpret_cast<std::byte*>((reinterpret_cast<std::uintptr_t>(p) + 4095) &
                                                 ~std::uintptr_t{4095});
    return std::span<std::byte>{aligned, geom.total_bytes()};
  };
  const auto rt = IPIPE_RING_CREATE_F_RUNTIME;
  EXPECT_EQ(t.create(ring_cmd(1, IPIPE_RING_MSG_H2N, rt), region()), IPIPE_STS_OK);
  EXPECT_EQ(t.create(ring_cmd(1, IPIPE_RING_MSG_N2H, 0), region()), IPIPE_STS_BAD_FIELD);
  EXPECT_EQ(t.create(ring_cmd(2, IPIPE_RING_MSG_H2N, rt), region()), IPIPE_STS_BUSY);
  EXPECT_EQ(t.create(ring_cmd(2, IPIPE_RING_MSG_H2N, 0), region()), IPIPE_STS_OK);
  EXPECT_FALSE(t.runtime_rings()) << "not before all four exist";
  for (std::uint32_t type = 1; type < IPIPE_RING_TYPE_LAST; ++type)
    EXPECT_EQ(t.create(ring_cmd(1, type, rt), region()), IPIPE_STS_OK);
  auto rr = t.runtime_rings();
  ASSERT_TRUE(rr);
  EXPECT_EQ(rr->entries[IPIPE_RING_MIG_N2H], 8u);
  EXPECT_TRUE(t.is_runtime(1));
  EXPECT_FALSE(t.is_runtime(2));
  // Gone once every ring of it is gone; then another context may be it.
  for (std::uint32_t type = 0; type < IPIPE_RING_TYPE_LAST; ++type)
    EXPECT_EQ(t.destroy(1, type), IPIPE_STS_OK);
  EXPECT_FALSE(t.is_runtime(1));
  EXPECT_EQ(t.create(ring_cmd(3, IPIPE_RING_MSG_H2N, rt), region()), IPIPE_STS_OK);
}

TEST(fw_runtime, host_actors_answer_through_the_nic_and_fail_cleanly_when_it_goes) {
  fw_fixture f;
  f.start_host();
  auto id = f.dev->register_actor("counter", 0, IPIPE_LOC_HOST, 1 << 16);
  ASSERT_TRUE(id);
  ASSERT_TRUE(f.host.create_actor({.type = "counter", .id = *id}));
  fw::testing::wire_client c{f.nic.emu().wire_port_number()};
  for (std::uint64_t i = 1; i <= 10; ++i)
    ASSERT_EQ(c.tally(*id, i), i);
  // The host runtime goes away: its rings are destroyed, the NIC detaches.
  f.stop_host();
  f.dev.reset();
  c.send(*id, 100);
  auto m = c.receive();
  ASSERT_TRUE(m) << "a request for an unreachable actor is answered";
  EXPECT_EQ(m->hdr.type, IPIPE_MSG_ERROR);
}

TEST(fw_runtime, a_quarantine_is_counted_in_the_firmware_statistics) {
  fw_fixture f;
  ASSERT_TRUE(f.dev->setup_rings(0, 0, 0, 0));
  auto bad = f.dev->register_actor("fw_t_runaway", 0, IPIPE_LOC_NIC, 1 << 16);
  ASSERT_TRUE(bad) << bad.err().message();
  fw::testing::wire_client c{f.nic.emu().wire_port_number()};
  c.send(*bad, 1);
  auto m = c.receive();
  ASSERT_TRUE(m) << "a request cut off by the watchdog is answered";
  EXPECT_EQ(m->hdr.type, IPIPE_MSG_ERROR);
  EXPECT_EQ(f.nic.emu().fw().counters().snapshot().watchdog_kills, 1u);
}

// What a crash of ipiped looks like to the NIC: the host runtime's rings
// go (the kernel closes its file; in direct attach the peer hangs up).
TEST(fw_runtime, an_actor_on_a_host_that_dies_is_rebuilt_on_the_nic_with_its_count) {
  fw_fixture f(64);
  f.start_host();
  // Persistent, as ipiped's configured actors are: it outlives the file.
  auto id = f.dev->register_actor({"counter", 0, IPIPE_LOC_NIC, 1 << 16, IPIPE_ACTOR_F_PERSIST});
  ASSERT_TRUE(id);
  fw::testing::wire_client c{f.nic.emu().wire_port_number()};
  std::uint64_t req = 0;
  for (int i = 0; i < 10; ++i, ++req)
    ASSERT_EQ(c.tally(*id, req), req + 1);
  ASSERT_TRUE(f.dev->migrate(*id, IPIPE_LOC_HOST));
  ASSERT_TRUE(f.wait_location(*id, IPIPE_LOC_HOST));
  // More than the log holds: the host's checkpoints keep it short.
  for (int i = 0; i < 150; ++i, ++req)
    ASSERT_EQ(c.tally(*id, req), req + 1) << "answered by the host";
  EXPECT_GE(f.host.stats().checkpoints, 2u);

  f.stop_host();
  f.dev.reset();
  ASSERT_TRUE(f.wait_location(*id, IPIPE_LOC_NIC)) << "rebuilt where it came from";
  for (int i = 0; i < 10; ++i, ++req)
    ASSERT_EQ(c.tally(*id, req), req + 1) << "no acknowledged increment lost or repeated";
  ipipe_fw_stats st = f.nic.emu().fw().counters().snapshot();
  f.dispatch.refine(st);
  EXPECT_EQ(st.actors_recovered, 1u);
  EXPECT_EQ(st.recovery_refused, 0u);
  EXPECT_GE(st.recovery_checkpoints, 2u);
}

} // namespace
