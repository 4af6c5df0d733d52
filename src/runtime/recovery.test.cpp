// A NIC that keeps a recovery record of every actor it pushes rebuilds the
// actor when the host runtime dies: no answer the clients got is undone,
// none is given twice, and nothing the host never answered is lost.
#include <ipipe/runtime/dmo_format.hpp>
#include <ipipe/runtime/peer_channel.hpp>

#include <gtest/gtest.h>

#include "test_actors.hpp"
#include <map>
#include <memory>
#include <optional>

namespace ipipe::runtime {
using namespace testing;

namespace {

// Counts every message it gets (ticks apart) and answers requests with
// {messages, ticks}; a request carrying an actor id makes it send that
// actor a message first.
class tally_actor final : public actor {
public:
  struct counts {
    std::uint64_t messages;
    std::uint64_t ticks;
  };
  expected<void> init(actor_context& ctx) override {
    auto o = ctx.dmo_malloc(sizeof(counts));
    if (!o)
      return o.err();
    return {};
  }
  std::uint64_t tick_period_ns() const noexcept override { return 1000; }
  void handle(actor_context& ctx, const message& msg) override {
    const object_id o = ctx.objects().front();
    auto c = ctx.load<counts>(o);
    if (!c)
      return;
    if (is_tick(msg)) {
      ++c->ticks;
    } else {
      ++c->messages;
      if (msg.type() == IPIPE_MSG_REQUEST && msg.payload.size() == sizeof(actor_id)) {
        actor_id to = 0;
        std::memcpy(&to, msg.payload.data(), sizeof(to));
        const std::byte hello[] = {std::byte{'h'}};
        (void)ctx.send(to, hello);
      }
    }
    (void)ctx.store(o, 0, *c);
    if (msg.type() == IPIPE_MSG_REQUEST)
      (void)ctx.reply(as_bytes_of(*c));
  }
};

void register_tally() {
  static const bool done = [] {
    (void)actor_registry::add("t_tally", [] { return std::make_unique<tally_actor>(); });
    return true;
  }();
  (void)done;
}

// A NIC runtime keeping recovery records, and a host runtime that can die.
struct recovery_fixture {
  explicit recovery_fixture(std::uint32_t log_entries = 64)
      : rings(peer_rings::create(*msg_ring_geometry::make(8, 8224),
                                 *msg_ring_geometry::make(8, 16384))
                  .value()),
        nic({.side = IPIPE_LOC_NIC,
             .default_budget_ns = 60'000'000'000,
             .recovery_log = log_entries}),
        host(std::make_unique<runtime>(
            runtime_config{.side = IPIPE_LOC_HOST, .default_budget_ns = 60'000'000'000})) {
    register_test_types();
    register_tally();
    EXPECT_TRUE(nic.attach_peer(rings.nic_end()));
    EXPECT_TRUE(host->attach_peer(rings.host_end()));
    nic.set_client_sink(replies.sink());
    host->set_client_sink(host_replies.sink());
  }

  actor_id add(const char* type) {
    auto id = nic.create_actor({.type = type, .mem_quota = 1 << 20});
    EXPECT_TRUE(id);
    EXPECT_TRUE(host->add_remote(*id, type));
    return *id;
  }

  // An actor that lives on the host, known to the NIC as remote.
  actor_id add_on_host(const char* type) {
    auto id = host->create_actor({.type = type});
    EXPECT_TRUE(id);
    EXPECT_TRUE(nic.add_remote(*id, type));
    return *id;
  }

  void settle() { EXPECT_TRUE(testing::settle(nic, *host)) << "never settled"; }

  void push(actor_id a) {
    ASSERT_TRUE(nic.migrate(a));
    settle();
    ASSERT_EQ(nic.info(a)->state, actor_state::remote);
    ASSERT_EQ(host->info(a)->state, actor_state::local);
  }

  // The host process dies: the NIC sees its peer go, the host's memory goes.
  std::vector<actor_id> kill_host() {
    auto rebuilt = nic.detach_peer();
    host.reset();
    return rebuilt;
  }

  peer_rings rings;
  runtime nic;
  std::unique_ptr<runtime> host;
  reply_log replies;      // what the clients got (all through the NIC)
  reply_log host_replies; // must stay empty: a recoverable actor answers via the NIC
};

message counter_request(actor_id a, std::uint64_t seq) {
  counter_req rq{0, 0, seq};
  return message::make(IPIPE_MSG_REQUEST, a, 0, seq, as_bytes_of(rq));
}

// Every request 1..n answered exactly once, with execution indices 0..n-1
// in request order: the counter neither lost nor repeated a request.
void expect_exactly_once(const std::vector<message>& got, std::uint64_t n) {
  std::map<std::uint64_t, counter_resp> by_req;
  for (const auto& m : got) {
    ASSERT_EQ(m.hdr.type, IPIPE_MSG_REPLY) << "req " << m.hdr.req_id;
    ASSERT_EQ(m.payload.size(), sizeof(counter_resp));
    counter_resp r{};
    std::memcpy(&r, m.payload.data(), sizeof(r));
    EXPECT_TRUE(by_req.emplace(m.hdr.req_id, r).second) << "req " << m.hdr.req_id << " twice";
  }
  ASSERT_EQ(by_req.size(), n);
  std::uint64_t want = 0;
  for (const auto& [req, r] : by_req) {
    EXPECT_EQ(req, want + 1);
    EXPECT_EQ(r.exec_index, want) << "req " << req;
    EXPECT_EQ(r.blob_ok, 1u);
    EXPECT_EQ(r.violations, 0u);
    ++want;
  }
}

TEST(recovery, a_pushed_actor_outlives_its_host_with_every_answer_given_once) {
  recovery_fixture f;
  const actor_id a = f.add("t_counter");
  std::uint64_t seq = 0;
  for (int i = 0; i < 5; ++i)
    f.nic.submit(counter_request(a, ++seq));
  f.settle();
  f.push(a);
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(f.nic.submit(counter_request(a, ++seq)), route::forwarded);
  f.settle();
  ASSERT_EQ(f.replies.size(), 15u) << "the host answered through the NIC";
  EXPECT_EQ(f.host_replies.size(), 0u);
  // Three more reach the host's ring, and the host dies before running them.
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(f.nic.submit(counter_request(a, ++seq)), route::forwarded);
  (void)f.nic.pump();
  EXPECT_EQ(f.kill_host(), std::vector<actor_id>{a});
  EXPECT_EQ(f.nic.info(a)->state, actor_state::local);
  f.nic.run_until_idle();
  EXPECT_EQ(f.nic.stats().recovered, 1u);
  EXPECT_EQ(f.nic.stats().replay_suppressed, 10u) << "the 10 answers the clients had";
  // And it carries on.
  f.nic.submit(counter_request(a, ++seq));
  f.nic.run_until_idle();
  expect_exactly_once(f.replies.take(), seq);
}

TEST(recovery, answers_the_host_ran_but_never_sent_are_sent_by_the_replay) {
  recovery_fixture f;
  const actor_id a = f.add("t_counter");
  f.push(a);
  for (std::uint64_t s = 1; s <= 4; ++s)
    f.nic.submit(counter_request(a, s));
  // The host runs all four, but dies before its pump posts the answers.
  (void)f.nic.pump();
  (void)f.host->pump();
  EXPECT_EQ(f.host->run_until_idle(), 4u);
  f.kill_host();
  f.nic.run_until_idle();
  EXPECT_EQ(f.nic.stats().replay_suppressed, 0u);
  expect_exactly_once(f.replies.take(), 4);
}

TEST(recovery, checkpoints_from_the_host_keep_the_log_short) {
  recovery_fixture f(8);
  const actor_id a = f.add("t_counter");
  f.push(a);
  std::uint64_t seq = 0;
  for (int round = 0; round < 10; ++round) {
    for (int i = 0; i < 3; ++i)
      ASSERT_EQ(f.nic.submit(counter_request(a, ++seq)), route::forwarded) << "seq " << seq;
    f.settle();
  }
  EXPECT_GE(f.host->stats().checkpoints, 3u);
  EXPECT_EQ(f.nic.stats().checkpoints, f.host->stats().checkpoints);
  EXPECT_EQ(f.nic.stats().recovery_refused, 0u) << "30 requests through an 8-entry log";
  f.nic.submit(counter_request(a, ++seq));
  (void)f.nic.pump();
  f.kill_host();
  f.nic.run_until_idle();
  EXPECT_LT(f.nic.stats().replay_suppressed, 8u) << "replayed from a checkpoint, not the push";
  expect_exactly_once(f.replies.take(), seq);
  EXPECT_EQ(f.nic.stats().peer_protocol, 0u);
}

// The host's outputs and its checkpoint travel on different rings: a
// checkpoint that counts outputs still queued at the host must not become
// the image, or the replay would leave those outputs out.
TEST(recovery, a_checkpoint_ahead_of_its_outputs_waits_for_them) {
  recovery_fixture f(4);
  const actor_id sink = f.add("t_tally"); // stays on the NIC
  const actor_id a = f.add("t_fanout");
  f.push(a);
  const fanout_order many{sink, 20}, none{sink, 0};
  f.nic.submit(message::make(IPIPE_MSG_REQUEST, a, 0, 1, as_bytes_of(many)));
  (void)f.nic.pump();
  (void)f.host->pump();
  ASSERT_EQ(f.host->run_until_idle(), 1u) << "21 outputs wait at the host";
  // The second input fills half the log: the NIC asks for a checkpoint.
  f.nic.submit(message::make(IPIPE_MSG_REQUEST, a, 0, 2, as_bytes_of(none)));
  (void)f.nic.pump();
  // The host posts 8 outputs (the ring's size) and a checkpoint that
  // counts all 21; the NIC takes in the checkpoint first, then the 8.
  (void)f.host->pump();
  (void)f.nic.pump();
  EXPECT_EQ(f.nic.stats().checkpoints, 1u);
  f.kill_host();
  f.nic.run_until_idle();
  EXPECT_EQ(f.nic.stats().replay_suppressed, 8u) << "from the push image, not the checkpoint";
  auto got = f.replies.take();
  ASSERT_EQ(got.size(), 2u);
  std::map<std::uint64_t, std::uint64_t> handled;
  for (const auto& m : got) {
    ASSERT_EQ(m.hdr.type, IPIPE_MSG_REPLY);
    std::uint64_t n = 0;
    ASSERT_EQ(m.payload.size(), sizeof(n));
    std::memcpy(&n, m.payload.data(), sizeof(n));
    handled[m.hdr.req_id] = n;
  }
  EXPECT_EQ(handled[1], 1u);
  EXPECT_EQ(handled[2], 2u);
  // The sink got each of the 20 messages once: 8 before the crash, 12 from
  // the replay.
  f.nic.submit(message::make(IPIPE_MSG_REQUEST, sink, 0, 3));
  f.nic.run_until_idle();
  got = f.replies.take();
  ASSERT_EQ(got.size(), 1u);
  tally_actor::counts c{};
  std::memcpy(&c, got[0].payload.data(), sizeof(c));
  EXPECT_EQ(c.messages, 21u) << "20 from the fan-out and this request";
}

TEST(recovery, a_full_log_refuses_with_busy_and_keeps_what_it_took) {
  recovery_fixture f(4);
  const actor_id a = f.add("t_counter");
  f.push(a);
  // The host takes nothing in (a stuck daemon): no checkpoint comes.
  for (std::uint64_t s = 1; s <= 6; ++s)
    f.nic.submit(counter_request(a, s));
  EXPECT_EQ(f.nic.stats().recovery_refused, 2u);
  // Another actor's message is work already acknowledged: logged anyway.
  EXPECT_EQ(f.nic.submit(message::make(IPIPE_MSG_ACTOR, a, a, 99, {}, IPIPE_MSG_F_NO_REPLY)),
            route::forwarded);
  EXPECT_EQ(f.nic.stats().recovery_refused, 2u);
  auto got = f.replies.take();
  ASSERT_EQ(got.size(), 2u);
  for (const auto& m : got) {
    ASSERT_EQ(m.hdr.type, IPIPE_MSG_ERROR);
    wire::error_payload p{};
    std::memcpy(&p, m.payload.data(), sizeof(p));
    EXPECT_EQ(p.status, IPIPE_STS_BUSY);
    EXPECT_GE(m.hdr.req_id, 5u);
  }
  f.kill_host();
  f.nic.run_until_idle();
  expect_exactly_once(f.replies.take(), 4);
}

TEST(recovery, ticks_of_a_recoverable_actor_come_from_the_nic_and_are_replayed) {
  recovery_fixture f;
  const actor_id a = f.add("t_tally");
  f.push(a);
  EXPECT_EQ(f.host->tick(1'000'000), 0u);
  EXPECT_EQ(f.host->tick(9'000'000), 0u) << "the host never ticks a recoverable actor";
  EXPECT_EQ(f.nic.tick(1'000'000), 0u) << "the first call starts the period";
  EXPECT_EQ(f.nic.tick(2'000'000), 1u);
  EXPECT_EQ(f.nic.tick(3'000'000), 1u);
  f.settle();
  f.nic.submit(message::make(IPIPE_MSG_REQUEST, a, 0, 1));
  f.settle();
  auto before = f.replies.take();
  ASSERT_EQ(before.size(), 1u);
  tally_actor::counts c{};
  std::memcpy(&c, before[0].payload.data(), sizeof(c));
  EXPECT_EQ(c.ticks, 2u);
  f.kill_host();
  f.nic.run_until_idle();
  f.nic.submit(message::make(IPIPE_MSG_REQUEST, a, 0, 2));
  f.nic.run_until_idle();
  auto after = f.replies.take();
  ASSERT_EQ(after.size(), 1u) << "the replayed answer was suppressed";
  std::memcpy(&c, after[0].payload.data(), sizeof(c));
  EXPECT_EQ(c.ticks, 2u);
  EXPECT_EQ(c.messages, 2u);
}

TEST(recovery, a_host_actor_writing_to_a_recoverable_one_goes_through_the_nic) {
  recovery_fixture f;
  const actor_id a = f.add("t_tally");
  f.push(a);
  const actor_id b = f.add_on_host("t_tally");
  const auto fwd_before = f.nic.stats().forwarded;
  f.nic.submit(message::make(IPIPE_MSG_REQUEST, b, 0, 1, as_bytes_of(a)));
  f.settle();
  // NIC -> host (the request), then b's message to a: host -> NIC -> host.
  EXPECT_EQ(f.nic.stats().forwarded - fwd_before, 2u);
  f.kill_host();
  f.nic.run_until_idle();
  f.nic.submit(message::make(IPIPE_MSG_REQUEST, a, 0, 2));
  f.nic.run_until_idle();
  auto got = f.replies.take();
  ASSERT_FALSE(got.empty());
  tally_actor::counts c{};
  std::memcpy(&c, got.back().payload.data(), sizeof(c));
  EXPECT_EQ(c.messages, 2u) << "b's message was logged and replayed";
}

// The other way round: a recoverable actor's output goes through the NIC
// to be counted, also when it is for an actor that lives on the host and
// has no record there (DT's participants write to their log, pinned on
// the host); the NIC sends it back rather than refusing it.
TEST(recovery, a_recoverable_actor_writing_to_a_host_actor_reaches_it_through_the_nic) {
  recovery_fixture f;
  const actor_id a = f.add("t_tally");
  f.push(a);
  const actor_id b = f.add_on_host("t_tally");
  for (std::uint64_t i = 1; i <= 3; ++i)
    f.nic.submit(message::make(IPIPE_MSG_REQUEST, a, 0, i, as_bytes_of(b)));
  f.settle();
  EXPECT_EQ(f.nic.stats().peer_protocol, 0u);
  EXPECT_EQ(f.host->stats().peer_protocol, 0u);
  EXPECT_EQ(f.nic.stats().rejected, 0u);
  EXPECT_EQ(f.replies.take().size(), 3u);
  f.nic.submit(message::make(IPIPE_MSG_REQUEST, b, 0, 9));
  f.settle();
  auto got = f.host_replies.take(); // b is no recoverable actor: it answers from the host
  ASSERT_EQ(got.size(), 1u);
  ASSERT_EQ(got[0].hdr.type, IPIPE_MSG_REPLY);
  tally_actor::counts c{};
  std::memcpy(&c, got[0].payload.data(), sizeof(c));
  EXPECT_EQ(c.messages, 4u) << "a's three messages, then the request";
  // They were a's outputs, counted like its answers: a replay after a
  // crash suppresses all six.
  f.kill_host();
  f.nic.run_until_idle();
  EXPECT_EQ(f.nic.stats().replay_suppressed, 6u);
  EXPECT_TRUE(f.replies.take().empty());
}

TEST(recovery, an_actor_that_came_home_has_no_record_left) {
  recovery_fixture f;
  const actor_id a = f.add("t_counter");
  f.push(a);
  f.nic.submit(counter_request(a, 1));
  f.settle();
  ASSERT_TRUE(f.host->migrate(a));
  f.settle();
  ASSERT_EQ(f.nic.info(a)->state, actor_state::local);
  EXPECT_TRUE(f.kill_host().empty());
  EXPECT_EQ(f.nic.stats().recovered, 0u);
  f.nic.submit(counter_request(a, 2));
  f.nic.run_until_idle();
  expect_exactly_once(f.replies.take(), 2);
  // Its memory went back too: destroying it leaves a clean table.
  EXPECT_TRUE(f.nic.destroy_actor(a));
}

TEST(recovery, without_a_record_the_actors_of_a_dead_host_stay_lost) {
  recovery_fixture f(0);
  const actor_id a = f.add("t_counter");
  f.push(a);
  EXPECT_TRUE(f.kill_host().empty());
  EXPECT_EQ(f.nic.info(a)->state, actor_state::remote);
  f.nic.submit(counter_request(a, 1));
  auto got = f.replies.take();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].hdr.type, IPIPE_MSG_ERROR);
}

} // namespace
} // namespace ipipe::runtime
