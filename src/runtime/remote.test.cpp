// Messages that leave the node: send_remote(), replies to other nodes, and
// the host runtime reaching the network through its NIC.
#include <ipipe/runtime/actor_registry.hpp>
#include <ipipe/runtime/peer_channel.hpp>

#include <gtest/gtest.h>

#include "test_actors.hpp"

namespace ipipe::runtime {
namespace {

using testing::reply_log;

// A request {endpoint, dst} makes it send one message to actor `dst` at
// `endpoint`; a message from another node is answered.
class gossip_actor final : public actor {
public:
  struct order {
    std::uint32_t endpoint;
    std::uint32_t dst;
  };

  expected<void> init(actor_context&) override { return {}; }
  void handle(actor_context& ctx, const message& msg) override {
    if (msg.type() == IPIPE_MSG_REQUEST && msg.payload.size() == sizeof(order)) {
      order o{};
      std::memcpy(&o, msg.payload.data(), sizeof(o));
      const std::byte ping[] = {std::byte{'p'}};
      (void)ctx.send_remote(o.endpoint, o.dst, ping, 77);
      (void)ctx.reply({});
    } else if (msg.type() == IPIPE_MSG_ACTOR) {
      const std::byte pong[] = {std::byte{'q'}};
      (void)ctx.reply(pong);
    }
  }
};

void register_gossip() {
  static const bool done = [] {
    (void)actor_registry::add("t_gossip", [] { return std::make_unique<gossip_actor>(); });
    return true;
  }();
  (void)done;
}

message order_msg(actor_id dst, std::uint32_t endpoint, std::uint32_t remote_dst) {
  gossip_actor::order o{endpoint, remote_dst};
  return message::make(IPIPE_MSG_REQUEST, dst, 0, 1, as_bytes_of(o));
}

TEST(remote, send_remote_leaves_the_node_flagged_and_addressed) {
  register_gossip();
  runtime rt;
  reply_log out;
  rt.set_client_sink(out.sink());
  auto id = *rt.create_actor({.type = "t_gossip"});
  rt.submit(order_msg(id, 9, 4));
  rt.run_until_idle();
  auto got = out.take();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].hdr.type, IPIPE_MSG_ACTOR);
  EXPECT_EQ(got[0].hdr.flags & IPIPE_MSG_F_WIRE, IPIPE_MSG_F_WIRE);
  EXPECT_EQ(got[0].hdr.client, 9u);
  EXPECT_EQ(got[0].hdr.dst_actor, 4u);
  EXPECT_EQ(got[0].hdr.src_actor, id);
  EXPECT_EQ(got[1].hdr.type, IPIPE_MSG_REPLY);
  EXPECT_EQ(got[1].hdr.flags & IPIPE_MSG_F_WIRE, 0);
}

TEST(remote, send_remote_needs_an_endpoint_and_an_actor) {
  register_gossip();
  runtime rt;
  reply_log out;
  rt.set_client_sink(out.sink());
  auto id = *rt.create_actor({.type = "t_gossip"});
  rt.submit(order_msg(id, 0, 4));
  rt.submit(order_msg(id, 3, 0));
  rt.run_until_idle();
  for (const auto& m : out.take())
    EXPECT_EQ(m.hdr.type, IPIPE_MSG_REPLY) << "nothing but the two replies leaves";
}

TEST(remote, a_message_from_another_nodes_actor_is_answered_on_the_wire) {
  register_gossip();
  runtime rt;
  reply_log out;
  rt.set_client_sink(out.sink());
  auto id = *rt.create_actor({.type = "t_gossip"});
  // Actor 3 of the node at endpoint 5 writes to us; a local actor 3 must
  // not get the answer.
  auto m = message::make(IPIPE_MSG_ACTOR, id, 3, 42);
  m.hdr.client = 5;
  rt.submit(std::move(m));
  rt.run_until_idle();
  auto got = out.take();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].hdr.type, IPIPE_MSG_REPLY);
  EXPECT_EQ(got[0].hdr.dst_actor, 3u);
  EXPECT_EQ(got[0].hdr.client, 5u);
  EXPECT_EQ(got[0].hdr.req_id, 42u);
  EXPECT_EQ(got[0].hdr.flags & IPIPE_MSG_F_WIRE, IPIPE_MSG_F_WIRE);
}

TEST(remote, the_host_runtime_reaches_the_network_through_its_nic) {
  register_gossip();
  auto rings =
      peer_rings::create(*msg_ring_geometry::make(8, 8224), *msg_ring_geometry::make(8, 16384));
  ASSERT_TRUE(rings);
  runtime nic({.side = IPIPE_LOC_NIC});
  runtime host({.side = IPIPE_LOC_HOST, .outbound_via_peer = true});
  ASSERT_TRUE(nic.attach_peer(rings->nic_end()));
  ASSERT_TRUE(host.attach_peer(rings->host_end()));
  reply_log nic_out, host_out;
  nic.set_client_sink(nic_out.sink());
  host.set_client_sink(host_out.sink());
  auto id = *host.create_actor({.type = "t_gossip"});
  ASSERT_TRUE(nic.add_remote(id, "t_gossip"));
  // A client request reaches the NIC, which forwards it to the host actor.
  auto rq = order_msg(id, 9, 4);
  rq.hdr.client = 300;
  EXPECT_EQ(nic.submit(std::move(rq)), route::forwarded);
  for (int i = 0; i < 1000; ++i) {
    std::size_t n = nic.pump() + host.pump() + host.run_until_idle();
    if (n == 0 && nic_out.size() == 2)
      break;
  }
  EXPECT_EQ(host_out.size(), 0u) << "the host runtime must not answer clients itself";
  auto got = nic_out.take();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].hdr.client, 9u);
  EXPECT_EQ(got[0].hdr.flags & IPIPE_MSG_F_WIRE, IPIPE_MSG_F_WIRE);
  EXPECT_EQ(got[1].hdr.type, IPIPE_MSG_REPLY);
  EXPECT_EQ(got[1].hdr.client, 300u);
  EXPECT_EQ(got[1].hdr.dst_actor, 0u);
}

// Counts its ticks in a DMO and answers requests with the count.
class ticking_actor final : public actor {
public:
  expected<void> init(actor_context& ctx) override {
    auto o = ctx.dmo_malloc(sizeof(std::uint64_t));
    if (!o)
      return o.err();
    return {};
  }
  std::uint64_t tick_period_ns() const noexcept override { return 1000; }
  void handle(actor_context& ctx, const message& msg) override {
    const object_id o = ctx.objects().front();
    auto n = ctx.load<std::uint64_t>(o);
    if (is_tick(msg)) {
      (void)ctx.store(o, 0, *n + 1);
      return;
    }
    (void)ctx.reply(as_bytes_of(*n));
  }
};

TEST(ticks, come_once_per_period_and_only_to_actors_that_ask) {
  static const bool done = [] {
    (void)actor_registry::add("t_ticking", [] { return std::make_unique<ticking_actor>(); });
    return true;
  }();
  (void)done;
  register_gossip();
  runtime rt;
  reply_log out;
  rt.set_client_sink(out.sink());
  auto ticking = *rt.create_actor({.type = "t_ticking"});
  (void)*rt.create_actor({.type = "t_gossip"});
  EXPECT_EQ(rt.tick(10'000), 0u) << "the first call only starts the period";
  EXPECT_EQ(rt.tick(10'500), 0u);
  EXPECT_EQ(rt.tick(11'000), 1u);
  EXPECT_EQ(rt.tick(11'999), 0u);
  EXPECT_EQ(rt.tick(50'000), 1u) << "missed ticks are not made up";
  rt.run_until_idle();
  rt.submit(message::make(IPIPE_MSG_REQUEST, ticking, 0, 1));
  rt.run_until_idle();
  auto got = out.take();
  ASSERT_EQ(got.size(), 1u) << "ticks are never answered";
  std::uint64_t n = 0;
  std::memcpy(&n, got[0].payload.data(), sizeof(n));
  EXPECT_EQ(n, 2u);
}

TEST(ticks, a_message_from_a_client_is_never_a_tick) {
  auto m = message::make(IPIPE_MSG_ACTOR, 4, 4, 0, {}, IPIPE_MSG_F_NO_REPLY);
  EXPECT_TRUE(is_tick(m));
  m.hdr.client = 7;
  EXPECT_FALSE(is_tick(m));
  EXPECT_FALSE(is_tick(message::make(IPIPE_MSG_ACTOR, 4, 5, 0, {}, IPIPE_MSG_F_NO_REPLY)));
  EXPECT_FALSE(is_tick(message::make(IPIPE_MSG_REQUEST, 4, 4, 0, {}, IPIPE_MSG_F_NO_REPLY)));
}

// Holds requests ('h') and answers all of them when released ('r'). The
// saved answers live in a DMO, as an actor that may migrate keeps them.
class deferring_actor final : public actor {
public:
  expected<void> init(actor_context& ctx) override {
    auto o = ctx.dmo_malloc(sizeof(std::uint32_t) + 8 * sizeof(reply_token));
    if (!o)
      return o.err();
    return {};
  }
  void handle(actor_context& ctx, const message& msg) override {
    const object_id o = ctx.objects().front();
    auto n = ctx.load<std::uint32_t>(o);
    if (!n || msg.payload.size() != 1)
      return;
    const std::uint64_t slot0 = sizeof(std::uint32_t);
    if (msg.payload[0] == std::byte{'h'}) {
      auto t = ctx.defer_reply();
      if (!t || *n == 8)
        return;
      (void)ctx.store(o, slot0 + *n * sizeof(reply_token), *t);
      (void)ctx.store(o, 0, *n + 1);
      (void)ctx.reply({}); // deferred: this second answer must be refused
      return;
    }
    const std::byte side{static_cast<unsigned char>(ctx.side())};
    for (std::uint32_t i = 0; i < *n; ++i) {
      auto t = ctx.load<reply_token>(o, slot0 + i * sizeof(reply_token));
      (void)ctx.reply_to(*t, std::span<const std::byte>{&side, 1});
    }
    (void)ctx.store(o, 0, std::uint32_t{0});
    (void)ctx.reply({});
  }
};

TEST(deferred_reply, answers_later_from_another_handler_keeping_the_sender) {
  static const bool done = [] {
    (void)actor_registry::add("t_deferring", [] { return std::make_unique<deferring_actor>(); });
    return true;
  }();
  (void)done;
  runtime rt({.side = IPIPE_LOC_HOST});
  reply_log out;
  rt.set_client_sink(out.sink());
  auto id = *rt.create_actor({.type = "t_deferring"});
  const std::byte hold[] = {std::byte{'h'}};
  const std::byte release[] = {std::byte{'r'}};
  auto from_wire = message::make(IPIPE_MSG_REQUEST, id, 0, 11, hold);
  from_wire.hdr.client = 300;
  rt.submit(std::move(from_wire));
  rt.submit(message::make(IPIPE_MSG_REQUEST, id, 0, 12, hold));
  rt.submit(message::make(IPIPE_MSG_REQUEST, id, 0, 13, hold, IPIPE_MSG_F_NO_REPLY));
  rt.run_until_idle();
  EXPECT_EQ(out.size(), 0u) << "held requests are not answered, not even with an error";
  rt.submit(message::make(IPIPE_MSG_REQUEST, id, 0, 14, release));
  rt.run_until_idle();
  auto got = out.take();
  ASSERT_EQ(got.size(), 3u) << "two held answers (one wanted none) and the release's";
  EXPECT_EQ(got[0].hdr.req_id, 11u);
  EXPECT_EQ(got[0].hdr.client, 300u);
  EXPECT_EQ(got[0].hdr.type, IPIPE_MSG_REPLY);
  EXPECT_EQ(got[0].hdr.src_actor, id);
  ASSERT_EQ(got[0].payload.size(), 1u);
  EXPECT_EQ(got[0].payload[0], std::byte{IPIPE_LOC_HOST}) << "side() is the runtime's";
  EXPECT_EQ(got[1].hdr.req_id, 12u);
  EXPECT_EQ(got[1].hdr.client, 0u);
  EXPECT_EQ(got[2].hdr.req_id, 14u);
}

} // namespace
} // namespace ipipe::runtime
