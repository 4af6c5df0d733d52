// An actor's messages to another actor arrive in the order it sent them,
// whichever side each was sent from: a migration must not let what the
// sender sends from its new side overtake what it sent from the old one
// and is still on its way (the actor model's per-pair FIFO).
#include <ipipe/runtime/peer_channel.hpp>

#include <gtest/gtest.h>

#include "test_actors.hpp"
#include <cstring>

namespace ipipe::runtime {
using namespace testing;

namespace {

// Counts the numbered messages it gets and those out of order; a REQUEST
// is answered with {received, out_of_order}.
class order_checker final : public actor {
public:
  struct tally {
    std::uint64_t received;
    std::uint64_t out_of_order;
    std::uint64_t last;
  };
  expected<void> init(actor_context& ctx) override {
    auto o = ctx.dmo_malloc(sizeof(tally));
    if (!o)
      return o.err();
    return {};
  }
  void handle(actor_context& ctx, const message& msg) override {
    const object_id obj = ctx.objects().front();
    auto t = ctx.load<tally>(obj);
    if (!t)
      return;
    if (msg.type() == IPIPE_MSG_ACTOR && msg.payload.size() == sizeof(std::uint64_t)) {
      std::uint64_t n = 0;
      std::memcpy(&n, msg.payload.data(), sizeof(n));
      ++t->received;
      if (n != t->last + 1)
        ++t->out_of_order;
      t->last = n;
      (void)ctx.store(obj, 0, *t);
    } else if (msg.type() == IPIPE_MSG_REQUEST) {
      (void)ctx.reply(as_bytes_of(*t));
    }
  }
};

void register_order_types() {
  static const bool done = [] {
    (void)actor_registry::add("t_order", [] { return std::make_unique<order_checker>(); });
    return true;
  }();
  (void)done;
}

// A NIC and a host runtime with an 8-entry message ring, so that a burst
// of output waits for ring room while the migration streams beside it.
struct order_fixture {
  order_fixture()
      : rings(peer_rings::create(*msg_ring_geometry::make(8, 8224),
                                 *msg_ring_geometry::make(8, 16384))
                  .value()),
        nic({.side = IPIPE_LOC_NIC, .default_budget_ns = 60'000'000'000}),
        host({.side = IPIPE_LOC_HOST, .default_budget_ns = 60'000'000'000}) {
    register_test_types();
    register_order_types();
    EXPECT_TRUE(nic.attach_peer(rings.nic_end()));
    EXPECT_TRUE(host.attach_peer(rings.host_end()));
    nic.set_client_sink(replies.sink());
    host.set_client_sink(replies.sink());
  }

  // Creates an actor on the NIC, known to the host; pushed if `on_host`.
  actor_id add(const char* type, bool on_host) {
    auto id = nic.create_actor({.type = type, .mem_quota = 1 << 16});
    EXPECT_TRUE(id);
    EXPECT_TRUE(host.add_remote(*id, type));
    if (on_host) {
      EXPECT_TRUE(nic.migrate(*id));
      settle();
      EXPECT_EQ(host.info(*id)->state, actor_state::local);
    }
    return *id;
  }

  runtime& where(actor_id a) { return nic.info(a)->state == actor_state::local ? nic : host; }

  void burst(actor_id sender, actor_id to, std::uint32_t count) {
    const fanout_order o{to, count};
    (void)where(sender).submit(message::make(IPIPE_MSG_REQUEST, sender, 0, ++req, as_bytes_of(o)));
  }

  void settle() { EXPECT_TRUE(testing::settle(nic, host)) << "never settled"; }

  // The sender bursts, migrates at once with its burst still leaving, and
  // bursts again from the other side as soon as it has arrived there.
  order_checker::tally run(actor_id sender, actor_id checker) {
    burst(sender, checker, 50);
    (void)where(sender).run_until_idle(); // the 50 wait for ring room
    runtime& from = where(sender);
    runtime& to = &from == &nic ? host : nic;
    EXPECT_TRUE(from.migrate(sender));
    bool again = false;
    for (int i = 0; i < 100000 && !again; ++i) {
      (void)nic.pump();
      (void)host.pump();
      if (to.info(sender)->state == actor_state::local) {
        burst(sender, checker, 50);
        again = true;
      }
      (void)nic.run_until_idle();
      (void)host.run_until_idle();
    }
    EXPECT_TRUE(again) << "the sender never arrived";
    settle();
    (void)where(checker).submit(message::make(IPIPE_MSG_REQUEST, checker, 0, ++req));
    settle();
    auto got = replies.take();
    order_checker::tally t{};
    for (const auto& m : got)
      if (m.hdr.src_actor == checker && m.payload.size() == sizeof(t))
        std::memcpy(&t, m.payload.data(), sizeof(t));
    return t;
  }

  peer_rings rings;
  runtime nic;
  runtime host;
  reply_log replies;
  std::uint64_t req = 0;
};

TEST(order, what_a_sender_pulled_back_to_the_nic_sent_from_the_host_arrives_first) {
  order_fixture f;
  const actor_id checker = f.add("t_order", false);
  const actor_id sender = f.add("t_fanout", true);
  const auto t = f.run(sender, checker);
  EXPECT_EQ(t.received, 100u);
  EXPECT_EQ(t.out_of_order, 0u);
}

TEST(order, what_a_sender_pushed_to_the_host_sent_from_the_nic_arrives_first) {
  order_fixture f;
  const actor_id checker = f.add("t_order", true);
  const actor_id sender = f.add("t_fanout", false);
  const auto t = f.run(sender, checker);
  EXPECT_EQ(t.received, 100u);
  EXPECT_EQ(t.out_of_order, 0u);
}

} // namespace
} // namespace ipipe::runtime
