#include <ipipe/common/ring.hpp>
#include <ipipe/runtime/dmo_format.hpp>
#include <ipipe/runtime/runtime.hpp>

#include <gtest/gtest.h>

#include "test_actors.hpp"
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <thread>

namespace ipipe::runtime {
using namespace testing;

namespace {

// IPIPE_TEST_SEEDS=N runs N seeds instead of the default (soak testing).
unsigned seeds(unsigned dflt) {
  const char* env = std::getenv("IPIPE_TEST_SEEDS");
  return env != nullptr ? static_cast<unsigned>(std::strtoul(env, nullptr, 10)) : dflt;
}

// A NIC runtime and a host runtime joined by small rings, so that ring-full
// back pressure and multi-chunk objects happen all the time.
struct pair_fixture {
  explicit pair_fixture(std::uint32_t msg_entries = 8, std::uint32_t mig_entries = 8,
                        std::uint32_t nic_mailbox_limit = 0)
      : rings(peer_rings::create(*msg_ring_geometry::make(msg_entries, 8224),
                                 *msg_ring_geometry::make(mig_entries, 16384))
                  .value()),
        // Budgets far beyond any handler, even on a loaded machine: isolation
        // has its own tests.
        nic({.side = IPIPE_LOC_NIC,
             .default_budget_ns = 60'000'000'000,
             .mailbox_limit = nic_mailbox_limit}),
        host({.side = IPIPE_LOC_HOST, .default_budget_ns = 60'000'000'000}) {
    register_test_types();
    EXPECT_TRUE(nic.attach_peer(rings.nic_end()));
    EXPECT_TRUE(host.attach_peer(rings.host_end()));
    nic.set_client_sink(replies.sink());
    host.set_client_sink(replies.sink());
    nic.set_event_sink(&events);
    host.set_event_sink(&events);
  }

  actor_id add_counter() {
    auto id = nic.create_actor({.type = "t_counter", .mem_quota = 1 << 20});
    EXPECT_TRUE(id);
    EXPECT_TRUE(host.add_remote(*id, "t_counter"));
    return *id;
  }

  runtime& side(unsigned s) { return s == 0 ? nic : host; }

  // Pumps and runs both sides until nothing moves.
  void settle() {
    if (testing::settle(nic, host))
      return;
    std::string why;
    for (runtime* rt : {&nic, &host}) {
      for (auto id : rt->actor_ids()) {
        auto i = *rt->info(id);
        why += "side " + std::to_string(rt->side()) + " actor " + std::to_string(id) + " " +
               std::string(to_string(i.state)) + " mailbox " + std::to_string(i.mailbox_len) +
               " held " + std::to_string(i.buffered_len) + "\n";
      }
      why += "protocol " + std::to_string(rt->stats().peer_protocol) + " quiet " +
             std::to_string(rt->quiet()) + "\n";
    }
    ADD_FAILURE() << "the two runtimes never settled:\n" << why;
  }

  peer_rings rings;
  runtime nic;
  runtime host;
  reply_log replies;
  event_log events;
};

message counter_request(actor_id a, unsigned side, std::uint64_t seq, std::uint64_t req_id) {
  counter_req rq{side, 0, seq};
  return message::make(IPIPE_MSG_REQUEST, a, 0, req_id, as_bytes_of(rq));
}

struct sent_req {
  actor_id actor;
  unsigned side;
  std::uint64_t seq;
};

// Every request answered exactly once with a REPLY; per actor the
// execution indices are 0..n-1 with no gap or repeat; per (actor, entry
// side) the sequence numbers ran in the order they were submitted; every
// blob check passed.
void check_replies(const std::vector<message>& got, const std::map<std::uint64_t, sent_req>& sent) {
  std::map<std::uint64_t, int> answered;
  std::map<actor_id, std::map<std::uint64_t, counter_resp>> by_actor; // exec_index -> resp
  for (const auto& m : got) {
    if (m.hdr.type == IPIPE_MSG_ERROR) {
      wire::error_payload p{};
      std::memcpy(&p, m.payload.data(), std::min(sizeof(p), m.payload.size()));
      FAIL() << "req " << m.hdr.req_id << " got an error: status " << p.status << " errc "
             << p.code;
    }
    ASSERT_EQ(m.hdr.type, IPIPE_MSG_REPLY);
    ASSERT_EQ(m.payload.size(), sizeof(counter_resp));
    ++answered[m.hdr.req_id];
    counter_resp r{};
    std::memcpy(&r, m.payload.data(), sizeof(r));
    auto it = sent.find(m.hdr.req_id);
    ASSERT_NE(it, sent.end()) << "a reply to a request never sent";
    EXPECT_EQ(r.seq, it->second.seq);
    EXPECT_EQ(r.blob_ok, 1u) << "object data corrupted";
    EXPECT_EQ(r.violations, 0u) << "the actor saw its requests out of order";
    EXPECT_TRUE(by_actor[it->second.actor].emplace(r.exec_index, r).second)
        << "two requests ran at the same state (state lost or duplicated)";
  }
  for (const auto& [req, s] : sent)
    EXPECT_EQ(answered[req], 1) << "request " << req << " answered " << answered[req] << " times";
  for (const auto& [a, runs] : by_actor) {
    std::uint64_t expect = 0;
    std::uint64_t last[2] = {0, 0};
    for (const auto& [idx, r] : runs) {
      EXPECT_EQ(idx, expect++) << "actor " << a;
      EXPECT_GT(r.seq, last[r.side & 1]) << "actor " << a << " side " << r.side;
      last[r.side & 1] = r.seq;
    }
  }
}

} // namespace

TEST(migration, an_actor_moves_to_the_host_with_its_objects_and_back_again) {
  pair_fixture f;
  const actor_id a = f.add_counter();
  std::vector<object_id> ids_before;
  ASSERT_TRUE(f.nic.with_objects(a, [&](dmo_store& s) {
    for (const auto& e : s.entries())
      ids_before.push_back(e.id);
  }));
  ASSERT_TRUE(f.nic.migrate(a));
  EXPECT_EQ(f.nic.info(a)->state, actor_state::migrating_out);
  f.settle();
  EXPECT_EQ(f.nic.info(a)->state, actor_state::remote);
  EXPECT_EQ(f.host.info(a)->state, actor_state::local);
  EXPECT_EQ(f.host.info(a)->location, IPIPE_LOC_HOST);
  std::vector<object_id> ids_after;
  ASSERT_TRUE(f.host.with_objects(a, [&](dmo_store& s) {
    for (const auto& e : s.entries())
      ids_after.push_back(e.id);
  }));
  EXPECT_EQ(ids_before, ids_after);

  // A request entering at the NIC is forwarded to the host and answered.
  ASSERT_EQ(f.nic.submit(counter_request(a, 0, 1, 1)), route::forwarded);
  f.settle();
  // Pull back: the same code in the other direction.
  ASSERT_TRUE(f.host.migrate(a));
  f.settle();
  EXPECT_EQ(f.nic.info(a)->state, actor_state::local);
  EXPECT_EQ(f.host.info(a)->state, actor_state::remote);
  ASSERT_EQ(f.nic.submit(counter_request(a, 0, 2, 2)), route::queued);
  f.settle();
  check_replies(f.replies.copy(), {{1, {a, 0, 1}}, {2, {a, 0, 2}}});
  EXPECT_EQ(f.nic.info(a)->stats.migrations, 2u);
  EXPECT_EQ(f.nic.info(a)->stats.requests, 2u);

  auto recs = f.nic.migrations();
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].objects, 5u);
  EXPECT_EQ(recs[0].bytes, 8u * 4 + 1 + 100 + 5000 + 70000);
  EXPECT_GT(recs[0].chunks, 5u) << "the 70000-byte object should take several chunks";
  EXPECT_EQ(f.events.count(IPIPE_EV_ACTOR_MIGRATED), 4u); // sent + received, twice
  EXPECT_EQ(f.nic.stats().peer_protocol + f.host.stats().peer_protocol, 0u);
}

TEST(migration, requests_for_a_stalled_host_wait_at_the_nic_bounded_and_the_rest_are_shed) {
  pair_fixture f(8, 8, 4);
  const actor_id a = f.add_counter();
  ASSERT_TRUE(f.nic.migrate(a));
  f.settle();
  ASSERT_EQ(f.nic.info(a)->state, actor_state::remote);
  // Nobody pumps: the host looks stalled, so everything waits at the NIC.
  std::map<std::uint64_t, sent_req> sent;
  unsigned shed = 0;
  for (std::uint64_t i = 1; i <= 20; ++i) {
    const route r = f.nic.submit(counter_request(a, 0, i, i));
    if (r == route::forwarded)
      sent[i] = {a, 0, i};
    else
      ++shed;
  }
  EXPECT_EQ(sent.size(), 4u);
  EXPECT_EQ(shed, 16u);
  EXPECT_EQ(f.nic.stats().shed, 16u);
  f.settle();
  std::vector<message> replies;
  unsigned busy = 0;
  for (auto& m : f.replies.take()) {
    if (m.hdr.type != IPIPE_MSG_ERROR) {
      replies.push_back(std::move(m));
      continue;
    }
    wire::error_payload p{};
    std::memcpy(&p, m.payload.data(), std::min(sizeof(p), m.payload.size()));
    EXPECT_EQ(p.status, IPIPE_STS_BUSY);
    EXPECT_EQ(sent.count(m.hdr.req_id), 0u) << "a forwarded request was refused too";
    ++busy;
  }
  EXPECT_EQ(busy, 16u);
  check_replies(replies, sent);
}

TEST(migration, the_nic_pulls_an_actor_back_by_asking_the_host) {
  pair_fixture f;
  const actor_id a = f.add_counter();
  EXPECT_EQ(f.nic.request_pull(a).err().code(), errc::invalid_argument) << "it is here";
  ASSERT_TRUE(f.nic.migrate(a));
  f.settle();
  ASSERT_EQ(f.nic.info(a)->state, actor_state::remote);
  ASSERT_TRUE(f.nic.request_pull(a));
  f.settle();
  EXPECT_EQ(f.nic.info(a)->state, actor_state::local);
  EXPECT_EQ(f.host.info(a)->state, actor_state::remote);
  EXPECT_EQ(f.host.stats().pulls_refused, 0u);
  // A pull for an actor the host does not hold is refused and counted.
  ASSERT_TRUE(f.nic.add_remote(99, "t_counter"));
  ASSERT_TRUE(f.nic.request_pull(99));
  f.settle();
  EXPECT_EQ(f.host.stats().pulls_refused, 1u);
  EXPECT_EQ(f.nic.request_pull(12345).err().code(), errc::not_found);
}

TEST(migration, a_peer_that_goes_away_mid_stream_leaves_the_actor_running_here) {
  pair_fixture f;
  const actor_id a = f.add_counter();
  ASSERT_TRUE(f.nic.migrate(a));
  // Phase 1 and part of the stream go out; the host never answers.
  (void)f.nic.pump();
  ASSERT_EQ(f.nic.info(a)->state, actor_state::migrating_out);
  ASSERT_EQ(f.nic.submit(counter_request(a, 0, 1, 1)), route::buffered);
  f.nic.detach_peer();
  EXPECT_FALSE(f.nic.peer_attached());
  EXPECT_EQ(f.nic.info(a)->state, actor_state::local);
  EXPECT_EQ(f.nic.run_until_idle(), 1u);
  check_replies(f.replies.copy(), {{1, {a, 0, 1}}});
  EXPECT_EQ(f.nic.migrate(a).err().code(), errc::invalid_argument) << "no peer to go to";
  f.nic.detach_peer(); // twice is harmless
  // A new peer can be attached; the host's half-received copy was dropped
  // there the same way.
  f.host.detach_peer();
  EXPECT_NE(f.host.info(a)->state, actor_state::local);
}

TEST(migration, requests_queued_or_arriving_during_a_migration_run_once_in_order_on_the_far_side) {
  pair_fixture f;
  const actor_id a = f.add_counter();
  std::map<std::uint64_t, sent_req> sent;
  std::uint64_t req = 0;
  for (std::uint64_t s = 1; s <= 3; ++s) {
    sent[++req] = {a, 0, s};
    ASSERT_EQ(f.nic.submit(counter_request(a, 0, s, req)), route::queued);
  }
  ASSERT_TRUE(f.nic.migrate(a));
  std::map<route, int> routes;
  for (std::uint64_t s = 4; s <= 40; ++s) {
    sent[++req] = {a, 0, s};
    ++routes[f.nic.submit(counter_request(a, 0, s, req))];
    f.nic.pump();
    f.host.pump();
  }
  EXPECT_GT(routes[route::buffered], 0);
  EXPECT_EQ(routes[route::buffered] + routes[route::forwarded], 37);
  f.settle();
  check_replies(f.replies.copy(), sent);
  EXPECT_EQ(f.host.info(a)->stats.requests, 40u);
  EXPECT_EQ(f.nic.info(a)->stats.requests, 0u);
}

TEST(migration, a_receiver_without_memory_refuses_and_the_sender_resumes_the_actor_in_order) {
  pair_fixture f;
  // Budgets far beyond any handler on a loaded machine, as in pair_fixture.
  runtime small_host{
      {.side = IPIPE_LOC_HOST, .mem_limit = 64 << 10, .default_budget_ns = 60'000'000'000}};
  // Rewire: the fixture's host is replaced by one that cannot hold 1 MiB.
  auto rings =
      peer_rings::create(*msg_ring_geometry::make(8, 8224), *msg_ring_geometry::make(8, 16384))
          .value();
  runtime nic{{.side = IPIPE_LOC_NIC, .default_budget_ns = 60'000'000'000}};
  ASSERT_TRUE(nic.attach_peer(rings.nic_end()));
  ASSERT_TRUE(small_host.attach_peer(rings.host_end()));
  nic.set_client_sink(f.replies.sink());
  small_host.set_client_sink(f.replies.sink());
  const actor_id a = *nic.create_actor({.type = "t_counter", .mem_quota = 1 << 20});
  ASSERT_TRUE(small_host.add_remote(a, "t_counter"));
  std::map<std::uint64_t, sent_req> sent;
  std::uint64_t req = 0, nic_seq = 0, host_seq = 0;
  for (int i = 0; i < 3; ++i) {
    sent[++req] = {a, 0, ++nic_seq};
    (void)nic.submit(counter_request(a, 0, nic_seq, req));
  }
  ASSERT_TRUE(nic.migrate(a));
  for (int round = 0; round < 50; ++round) {
    sent[++req] = {a, 0, ++nic_seq};
    (void)nic.submit(counter_request(a, 0, nic_seq, req));
    sent[++req] = {a, 1, ++host_seq};
    (void)small_host.submit(counter_request(a, 1, host_seq, req));
    nic.pump();
    small_host.pump();
    nic.run_until_idle(1);
  }
  for (int i = 0; i < 1000; ++i) {
    nic.pump();
    small_host.pump();
    nic.run_until_idle();
  }
  EXPECT_EQ(nic.stats().migrations_refused, 1u);
  EXPECT_EQ(nic.stats().migrations_out, 0u);
  EXPECT_EQ(nic.info(a)->state, actor_state::local);
  EXPECT_EQ(small_host.info(a)->state, actor_state::remote);
  EXPECT_TRUE(nic.quiet());
  ASSERT_EQ(f.replies.size(), sent.size());
  check_replies(f.replies.copy(), sent);
}

TEST(migration, migrating_twice_or_from_the_wrong_side_is_refused) {
  pair_fixture f;
  const actor_id a = f.add_counter();
  EXPECT_EQ(f.host.migrate(a).err().code(), errc::invalid_argument);
  ASSERT_TRUE(f.nic.migrate(a));
  EXPECT_EQ(f.nic.migrate(a).err().code(), errc::busy);
  EXPECT_EQ(f.nic.migrate(777).err().code(), errc::not_found);
  EXPECT_EQ(f.nic.destroy_actor(a).err().code(), errc::busy);
  f.settle();
  runtime lonely;
  EXPECT_EQ(lonely.migrate(a).err().code(), errc::invalid_argument);
}

TEST(migration, garbage_on_the_migration_ring_is_counted_and_changes_nothing) {
  pair_fixture f;
  const actor_id a = f.add_counter();
  peer_channel evil = f.rings.host_end();
  // Objects and END for an actor that is not being received, and an ACK
  // for a migration that does not exist.
  wire::mig_object mo{make_object_id(a, 1), 8, 0, 0, 0};
  ipipe_msg_hdr h{};
  h.dst_actor = a;
  h.type = IPIPE_MSG_MIG_OBJECT;
  ASSERT_TRUE(evil.mig_out.post(h, as_bytes_of(mo)));
  h.type = IPIPE_MSG_MIG_END;
  ASSERT_TRUE(evil.mig_out.post(h, {}));
  h.type = IPIPE_MSG_MIG_ACK;
  h.req_id = static_cast<std::uint64_t>(wire::ack_stage::takeover);
  ASSERT_TRUE(evil.mig_out.post(h, {}));
  h.type = IPIPE_MSG_MIG_BEGIN;
  ASSERT_TRUE(evil.mig_out.post(h, std::vector<std::byte>(7)));
  evil.mig_out.publish();
  f.nic.pump();
  EXPECT_EQ(f.nic.stats().peer_protocol, 4u);
  EXPECT_EQ(f.nic.info(a)->state, actor_state::local);
  (void)f.nic.submit(counter_request(a, 0, 1, 1));
  f.nic.run_until_idle();
  check_replies(f.replies.copy(), {{1, {a, 0, 1}}});
}

namespace {
// A bulk copier that counts what it moves, standing in for the DMA engine.
class counting_copier final : public bulk_copier {
public:
  void copy(std::span<std::byte> dst, std::span<const std::byte> src) override {
    ASSERT_EQ(dst.size(), src.size());
    bytes += src.size();
    if (!src.empty())
      std::memcpy(dst.data(), src.data(), src.size());
  }
  std::uint64_t bytes = 0;
};
} // namespace

TEST(migration, object_bytes_move_through_the_bulk_copier_on_both_sides) {
  pair_fixture f;
  counting_copier nic_dma, host_copy;
  f.nic.set_bulk_copier(&nic_dma);
  f.host.set_bulk_copier(&host_copy);
  const actor_id a = f.add_counter();
  ASSERT_TRUE(f.nic.migrate(a));
  f.settle();
  const std::uint64_t bytes = f.nic.migrations().at(0).bytes;
  EXPECT_EQ(nic_dma.bytes, bytes) << "the sender must fill slots through the copier";
  EXPECT_EQ(host_copy.bytes, bytes) << "the receiver must empty slots through the copier";
  (void)f.nic.submit(counter_request(a, 0, 1, 1));
  f.settle();
  check_replies(f.replies.copy(), {{1, {a, 0, 1}}});
}

TEST(migration, hostile_descriptors_on_the_message_ring_are_counted_and_never_delivered) {
  register_test_types();
  auto msg = *msg_ring_geometry::make(8, 8224);
  auto mig = *msg_ring_geometry::make(8, 16384);
  auto in = msg_ring_buffer::create(msg).value();
  auto out = msg_ring_buffer::create(msg).value();
  auto mig_in = msg_ring_buffer::create(mig).value();
  auto mig_out = msg_ring_buffer::create(mig).value();
  runtime nic{{.side = IPIPE_LOC_NIC}};
  ASSERT_TRUE(nic.attach_peer(
      {msg_ring_producer{out.base(), msg}, msg_ring_consumer{in.base(), msg},
       msg_ring_producer{mig_out.base(), mig}, msg_ring_consumer{mig_in.base(), mig}}));
  const actor_id a = *nic.create_actor({.type = "t_counter"});

  // The peer writes one good message into slot 0, then publishes
  // descriptors that point past the payload area, wrap, or lie about the
  // length, and finally one for the good message.
  const message good = counter_request(a, 1, 1, 1);
  auto* area = static_cast<std::byte*>(in.base()) + msg.data_off();
  ipipe_msg_hdr h = good.hdr;
  std::memcpy(area, &h, sizeof(h));
  std::memcpy(area + sizeof(h), good.payload.data(), good.payload.size());
  ring_producer<ipipe_ring_desc> raw{ring_view<ipipe_ring_desc>{in.base(), msg.entries}};
  const std::uint32_t len = static_cast<std::uint32_t>(sizeof(h) + good.payload.size());
  for (auto [off, l] : {std::pair<std::uint64_t, std::uint32_t>{msg.area_bytes(), len},
                        {~0ULL - 8, len},
                        {0, len + 8},
                        {0, 8}}) {
    ipipe_ring_desc d{};
    d.off = off;
    d.len = l;
    ASSERT_TRUE(raw.push(d));
  }
  ipipe_ring_desc d{};
  d.len = len;
  ASSERT_TRUE(raw.push(d));
  raw.publish();

  nic.pump();
  EXPECT_EQ(nic.stats().peer_bad_desc, 4u);
  EXPECT_EQ(nic.mailbox_size(a), 1u) << "the good message must still arrive, once";
}

// A seeded driver interleaves requests entering at either side, ring
// pumping, dispatch and migrations in both directions, in random order.
TEST(migration, random_interleavings_of_requests_and_migrations_lose_and_reorder_nothing) {
  std::uint64_t to_host = 0, to_nic = 0;
  for (unsigned seed = 1; seed <= seeds(30); ++seed) {
    pair_fixture f{8, 8};
    std::mt19937 rng(seed);
    std::vector<actor_id> actors;
    for (int i = 0; i < 4; ++i)
      actors.push_back(f.add_counter());
    std::map<std::uint64_t, sent_req> sent;
    std::map<std::pair<actor_id, unsigned>, std::uint64_t> seq;
    std::uint64_t req = 0;
    constexpr std::uint64_t total = 400;
    while (req < total) {
      switch (rng() % 10) {
      case 0:
      case 1:
      case 2: {
        const actor_id a = actors[rng() % actors.size()];
        const unsigned s = rng() % 2;
        const std::uint64_t q = ++seq[{a, s}];
        sent[++req] = {a, s, q};
        (void)f.side(s).submit(counter_request(a, s, q, req));
        break;
      }
      case 3:
        f.nic.pump();
        break;
      case 4:
        f.host.pump();
        break;
      case 5:
        f.nic.run_until_idle(1 + rng() % 3);
        break;
      case 6:
        f.host.run_until_idle(1 + rng() % 3);
        break;
      case 7: {
        const actor_id a = actors[rng() % actors.size()];
        // Exactly one side can start it, unless it is already moving.
        if (!f.nic.migrate(a))
          (void)f.host.migrate(a);
        break;
      }
      default:
        f.nic.pump();
        f.host.pump();
        break;
      }
    }
    f.settle();
    ASSERT_EQ(f.replies.size(), total) << "seed " << seed;
    check_replies(f.replies.copy(), sent);
    EXPECT_EQ(f.nic.stats().peer_protocol + f.host.stats().peer_protocol, 0u) << "seed " << seed;
    EXPECT_EQ(f.nic.stats().peer_bad_desc + f.host.stats().peer_bad_desc, 0u);
    to_host += f.nic.stats().migrations_out;
    to_nic += f.host.stats().migrations_out;
    if (::testing::Test::HasFailure()) {
      ADD_FAILURE() << "first failing seed: " << seed;
      return;
    }
  }
  EXPECT_GT(to_host, 30u) << "the driver hardly migrated anything";
  EXPECT_GT(to_nic, 30u);
}

// The same with real threads: a NIC core and a host core each pump, run
// and migrate at random, while the main thread submits at both sides.
TEST(migration, concurrent_requests_and_migrations_on_threads_lose_and_reorder_nothing) {
  for (unsigned seed = 1; seed <= seeds(3); ++seed) {
    pair_fixture f{16, 8};
    std::vector<actor_id> actors;
    for (int i = 0; i < 4; ++i)
      actors.push_back(f.add_counter());
    constexpr std::uint64_t total = 3000;
    std::atomic<bool> done{false};
    auto core = [&](runtime& rt, unsigned s) {
      std::mt19937 rng(seed * 2 + s);
      while (!done.load(std::memory_order_acquire)) {
        std::size_t n = rt.pump();
        n += rt.run_until_idle(1 + rng() % 4);
        if (rng() % 64 == 0)
          (void)rt.migrate(actors[rng() % actors.size()]);
        if (n == 0)
          std::this_thread::yield();
      }
    };
    std::thread nic_core(core, std::ref(f.nic), 0u);
    std::thread host_core(core, std::ref(f.host), 1u);
    std::map<std::uint64_t, sent_req> sent;
    std::map<std::pair<actor_id, unsigned>, std::uint64_t> seq;
    std::mt19937 rng(seed);
    for (std::uint64_t req = 1; req <= total; ++req) {
      const actor_id a = actors[rng() % actors.size()];
      const unsigned s = rng() % 2;
      const std::uint64_t q = ++seq[{a, s}];
      sent[req] = {a, s, q};
      (void)f.side(s).submit(counter_request(a, s, q, req));
      for (unsigned k = rng() % 256; k > 0; --k) // vary the interleaving
        std::atomic_signal_fence(std::memory_order_seq_cst);
    }
    while (f.replies.size() < total)
      std::this_thread::yield();
    done.store(true, std::memory_order_release);
    nic_core.join();
    host_core.join();
    f.settle();
    ASSERT_EQ(f.replies.size(), total);
    check_replies(f.replies.copy(), sent);
    EXPECT_EQ(f.nic.stats().peer_protocol + f.host.stats().peer_protocol, 0u);
  }
}

} // namespace ipipe::runtime
