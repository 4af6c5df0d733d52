#include <ipipe/runtime/dmo_format.hpp>
#include <ipipe/runtime/runtime.hpp>

#include <gtest/gtest.h>

#include "test_actors.hpp"
#include <atomic>
#include <cstring>
#include <thread>

// Inside the namespace, `runtime` names the class rather than the namespace.
namespace ipipe::runtime {
using namespace testing;

namespace {

// Forwards a REQUEST's payload (a destination actor id) as an ACTOR
// message; answers ACTOR messages; counts REPLY and ERROR messages in its
// state object: [replies, errors].
class relay_actor final : public actor {
public:
  expected<void> init(actor_context& ctx) override {
    auto id = ctx.dmo_malloc(16);
    if (!id)
      return id.err();
    return {};
  }
  void handle(actor_context& ctx, const message& m) override {
    const object_id st = ctx.objects().front();
    auto counts = *ctx.load<std::array<std::uint64_t, 2>>(st);
    switch (m.type()) {
    case IPIPE_MSG_REQUEST: {
      actor_id dst = 0;
      std::memcpy(&dst, m.payload.data(), sizeof(dst));
      auto r = ctx.send(dst, m.payload, m.hdr.req_id);
      const std::uint32_t code = r ? 0 : static_cast<std::uint32_t>(r.err().code());
      (void)ctx.reply(as_bytes_of(code));
      break;
    }
    case IPIPE_MSG_ACTOR:
      (void)ctx.reply(m.payload);
      break;
    case IPIPE_MSG_REPLY:
      ++counts[0];
      break;
    case IPIPE_MSG_ERROR:
      ++counts[1];
      break;
    default:
      break;
    }
    (void)ctx.store(st, 0, counts);
  }
};

// Tries to allocate more than its quota in init.
class greedy_actor final : public actor {
public:
  expected<void> init(actor_context& ctx) override {
    auto id = ctx.dmo_malloc(1 << 20);
    if (!id)
      return id.err();
    return {};
  }
  void handle(actor_context&, const message&) override {}
};

void register_types() {
  register_test_types();
  static const bool done = [] {
    (void)actor_registry::add("t_relay", [] { return std::make_unique<relay_actor>(); });
    (void)actor_registry::add("t_greedy", [] { return std::make_unique<greedy_actor>(); });
    return true;
  }();
  (void)done;
}

message request(actor_id dst, std::uint64_t req, std::span<const std::byte> data = {}) {
  return message::make(IPIPE_MSG_REQUEST, dst, 0, req, data);
}

std::array<std::uint64_t, 2> relay_counts(runtime& rt, actor_id id) {
  std::array<std::uint64_t, 2> c{};
  EXPECT_TRUE(rt.with_objects(id, [&](dmo_store& s) {
    EXPECT_TRUE(s.read(s.entries().front().id, 0, std::as_writable_bytes(std::span{c})));
  }));
  return c;
}

} // namespace

TEST(actor_registry, types_are_created_by_name_and_names_are_unique) {
  register_types();
  EXPECT_TRUE(actor_registry::contains("t_counter"));
  EXPECT_TRUE(actor_registry::make("t_counter"));
  EXPECT_EQ(actor_registry::make("no_such_type").err().code(), errc::not_found);
  EXPECT_EQ(actor_registry::add("t_counter", [] { return std::make_unique<counter_actor>(); })
                .err()
                .code(),
            errc::exists);
  EXPECT_EQ(actor_registry::add(std::string(IPIPE_ACTOR_NAME_LEN, 'x'),
                                [] { return std::make_unique<counter_actor>(); })
                .err()
                .code(),
            errc::invalid_argument);
}

TEST(runtime, creating_an_actor_of_an_unknown_type_fails_with_not_found) {
  register_types();
  runtime rt;
  EXPECT_EQ(rt.create_actor({.type = "kv_nothing"}).err().code(), errc::not_found);
}

TEST(runtime, an_init_that_exceeds_its_quota_fails_the_creation_with_no_space) {
  register_types();
  runtime rt;
  auto r = rt.create_actor({.type = "t_greedy", .mem_quota = 4096});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().code(), errc::no_space);
  EXPECT_TRUE(rt.actor_ids().empty()) << "a failed actor stayed in the table";
}

TEST(runtime, quotas_beyond_the_memory_limit_are_refused_with_no_space) {
  register_types();
  runtime rt{{.mem_limit = 3 << 20}};
  ASSERT_TRUE(rt.create_actor({.type = "t_counter", .mem_quota = 2 << 20}));
  EXPECT_EQ(rt.create_actor({.type = "t_counter", .mem_quota = 2 << 20}).err().code(),
            errc::no_space);
}

TEST(runtime, ids_given_twice_fail_with_exists) {
  register_types();
  runtime rt;
  ASSERT_TRUE(rt.create_actor({.type = "t_counter", .id = 5}));
  EXPECT_EQ(rt.create_actor({.type = "t_counter", .id = 5}).err().code(), errc::exists);
}

TEST(runtime, a_request_runs_to_completion_and_its_reply_reaches_the_client) {
  register_types();
  runtime rt;
  reply_log replies;
  rt.set_client_sink(replies.sink());
  auto id = *rt.create_actor({.type = "t_counter"});
  for (std::uint64_t i = 1; i <= 3; ++i) {
    counter_req rq{0, 0, i};
    EXPECT_EQ(rt.submit(request(id, 100 + i, as_bytes_of(rq))), route::queued);
  }
  EXPECT_EQ(rt.mailbox_size(id), 3u);
  EXPECT_EQ(rt.run_until_idle(), 3u);
  auto got = replies.take();
  ASSERT_EQ(got.size(), 3u);
  for (std::uint64_t i = 0; i < 3; ++i) {
    EXPECT_EQ(got[i].hdr.type, IPIPE_MSG_REPLY);
    EXPECT_EQ(got[i].hdr.req_id, 101 + i);
    counter_resp r{};
    std::memcpy(&r, got[i].payload.data(), sizeof(r));
    EXPECT_EQ(r.exec_index, i);
    EXPECT_EQ(r.blob_ok, 1u);
  }
  auto info = *rt.info(id);
  EXPECT_EQ(info.stats.requests, 3u);
  EXPECT_GE(info.stats.exec_ns_sumsq, info.stats.exec_ns_sum > 0 ? 1u : 0u);
  EXPECT_EQ(info.objects, 5u);
}

TEST(runtime, the_uapi_actor_list_entry_carries_state_and_statistics) {
  actor_info i;
  i.id = 3;
  i.type = "kv_memtable";
  i.state = actor_state::quarantined;
  i.location = IPIPE_LOC_HOST;
  i.group = IPIPE_GROUP_DRR;
  i.stats.requests = 4;
  i.stats.exec_ns_sum = 400;         // mean 100
  i.stats.exec_ns_sumsq = 4 * 10400; // variance 400, sigma 20
  i.mailbox_len = 7;
  EXPECT_EQ(to_uapi(i).p50_ns, 0u) << "no execution times: not measured";
  for (int k = 0; k < 98; ++k)
    i.stats.exec_hist.add(100);
  i.stats.exec_hist.add(10000);
  i.stats.exec_hist.add(10000);
  auto u = to_uapi(i);
  EXPECT_EQ(u.actor_id, 3u);
  EXPECT_STREQ(u.type, "kv_memtable");
  EXPECT_EQ(u.location, static_cast<std::uint32_t>(IPIPE_LOC_HOST));
  EXPECT_EQ(u.group, static_cast<std::uint32_t>(IPIPE_GROUP_DRR));
  EXPECT_EQ(u.flags, IPIPE_ACTOR_S_QUARANTINED);
  EXPECT_EQ(u.mean_ns, 100u);
  EXPECT_EQ(u.tail_ns, 160u);
  EXPECT_NEAR(static_cast<double>(u.p50_ns), 100.0, 100.0 / 8);
  EXPECT_NEAR(static_cast<double>(u.p99_ns), 10000.0, 10000.0 / 8);
  EXPECT_EQ(u.mailbox_len, 7u);
}

TEST(runtime, execute_runs_a_message_directly_and_reports_its_time) {
  register_types();
  runtime rt;
  reply_log replies;
  rt.set_client_sink(replies.sink());
  auto id = *rt.create_actor({.type = "t_counter"});
  counter_req rq{0, 0, 1};
  auto r = rt.execute(id, request(id, 1, as_bytes_of(rq)));
  EXPECT_TRUE(r.executed);
  EXPECT_EQ(replies.size(), 1u);
  EXPECT_EQ(rt.stats().executed, 1u);
}

TEST(runtime, a_message_to_an_unregistered_actor_is_answered_with_an_error_and_counted) {
  register_types();
  runtime rt;
  reply_log replies;
  rt.set_client_sink(replies.sink());
  EXPECT_EQ(rt.submit(request(4242, 9)), route::rejected);
  EXPECT_FALSE(rt.execute(4242, request(4242, 10)).executed);
  auto got = replies.take();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].hdr.type, IPIPE_MSG_ERROR);
  EXPECT_EQ(got[0].hdr.req_id, 9u);
  wire::error_payload p{};
  ASSERT_EQ(got[0].payload.size(), sizeof(p));
  std::memcpy(&p, got[0].payload.data(), sizeof(p));
  EXPECT_EQ(p.status, static_cast<std::uint32_t>(IPIPE_STS_NOT_FOUND));
  EXPECT_EQ(rt.stats().rejected, 2u);
  EXPECT_EQ(rt.run_until_idle(), 0u) << "a rejected message was delivered";
}

TEST(runtime, an_oversized_message_is_rejected_with_bad_length) {
  register_types();
  runtime rt;
  reply_log replies;
  rt.set_client_sink(replies.sink());
  auto id = *rt.create_actor({.type = "t_counter"});
  std::vector<std::byte> big(IPIPE_MSG_MAX_PAYLOAD + 1);
  EXPECT_EQ(rt.submit(request(id, 1, big)), route::rejected);
  EXPECT_EQ(rt.mailbox_size(id), 0u);
  ASSERT_EQ(replies.size(), 1u);
}

TEST(runtime, actors_message_each_other_and_a_send_to_nobody_returns_an_error_message) {
  register_types();
  runtime rt;
  reply_log replies;
  rt.set_client_sink(replies.sink());
  auto a = *rt.create_actor({.type = "t_relay"});
  auto b = *rt.create_actor({.type = "t_relay"});
  // a sends to b; b answers a with a REPLY.
  EXPECT_EQ(rt.submit(request(a, 1, as_bytes_of(b))), route::queued);
  // a sends to 999, which does not exist: a gets an IPIPE_MSG_ERROR.
  EXPECT_EQ(rt.submit(request(a, 2, as_bytes_of(actor_id{999}))), route::queued);
  rt.run_until_idle();
  EXPECT_EQ(relay_counts(rt, a), (std::array<std::uint64_t, 2>{1, 1}));
  auto got = replies.take();
  ASSERT_EQ(got.size(), 2u);
  std::uint32_t code = 0;
  std::memcpy(&code, got[1].payload.data(), sizeof(code));
  EXPECT_EQ(code, static_cast<std::uint32_t>(errc::not_found));
}

TEST(runtime, the_scheduler_can_take_ready_notifications_and_regroup_actors) {
  register_types();
  runtime rt;
  std::vector<actor_id> ready;
  rt.set_ready_hook([&](actor_id id) { ready.push_back(id); });
  auto id = *rt.create_actor({.type = "t_counter", .group = IPIPE_GROUP_FCFS});
  counter_req rq{0, 0, 1};
  (void)rt.submit(request(id, 1, as_bytes_of(rq)));
  ASSERT_EQ(ready, std::vector<actor_id>{id});
  EXPECT_FALSE(rt.next_ready()) << "the hook replaces the internal FIFO";
  ASSERT_TRUE(rt.set_group(id, IPIPE_GROUP_DRR));
  EXPECT_EQ(rt.info(id)->group, IPIPE_GROUP_DRR);
  EXPECT_TRUE(rt.run_next(id).executed);
  EXPECT_FALSE(rt.run_next(id).executed);
}

// Answers once the test lets it go: a handler caught running.
std::atomic<bool> gate_open{false}, gate_entered{false};
class gated_actor final : public actor {
public:
  expected<void> init(actor_context& ctx) override {
    auto id = ctx.dmo_malloc(64);
    if (!id)
      return id.err();
    return {};
  }
  void handle(actor_context& ctx, const message&) override {
    gate_entered = true;
    while (!gate_open)
      std::this_thread::yield();
    (void)ctx.reply({});
  }
};

// ipiped's handle closes right after a client got its answer: the handler
// that sent it may still be finishing, and the NIC has already forgotten
// the actor. It must be gone from the runtime too, not refused as busy.
TEST(runtime, an_actor_destroyed_while_its_handler_runs_goes_when_the_handler_returns) {
  register_types();
  static const bool added = [] {
    return actor_registry::add("t_gated", [] { return std::make_unique<gated_actor>(); })
        .has_value();
  }();
  (void)added;
  runtime rt{{.mem_limit = 1 << 20}};
  reply_log replies;
  rt.set_client_sink(replies.sink());
  auto id = *rt.create_actor({.type = "t_gated", .mem_quota = 1 << 20});
  gate_open = false;
  gate_entered = false;
  std::thread core([&] { (void)rt.execute(id, message::make(IPIPE_MSG_REQUEST, id, 0, 1)); });
  while (!gate_entered)
    std::this_thread::yield();
  ASSERT_TRUE(rt.destroy_actor(id));
  EXPECT_EQ(rt.submit(request(id, 2)), route::rejected) << "unreachable at once";
  gate_open = true;
  core.join();
  auto got = replies.take();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].hdr.type, IPIPE_MSG_ERROR) << "request 2, refused";
  EXPECT_EQ(got[1].hdr.type, IPIPE_MSG_REPLY) << "request 1 finished and answered";
  EXPECT_TRUE(rt.create_actor({.type = "t_counter", .mem_quota = 1 << 20}))
      << "its memory went back";
}

TEST(runtime, a_full_mailbox_sheds_with_busy_and_counts_it) {
  register_types();
  runtime rt{{.mailbox_limit = 3}};
  reply_log replies;
  rt.set_client_sink(replies.sink());
  auto id = *rt.create_actor({.type = "t_counter"});
  for (std::uint64_t i = 1; i <= 5; ++i) {
    counter_req rq{0, 0, i};
    EXPECT_EQ(rt.submit(request(id, i, as_bytes_of(rq))), i <= 3 ? route::queued : route::rejected);
  }
  // Another actor's message carries work already acknowledged: never shed.
  EXPECT_EQ(rt.submit(message::make(IPIPE_MSG_ACTOR, id, id, 7, {}, IPIPE_MSG_F_NO_REPLY)),
            route::queued);
  EXPECT_EQ(rt.stats().shed, 2u);
  auto got = replies.take();
  ASSERT_EQ(got.size(), 2u);
  for (const auto& m : got) {
    EXPECT_EQ(m.hdr.type, IPIPE_MSG_ERROR);
    wire::error_payload p{};
    std::memcpy(&p, m.payload.data(), sizeof(p));
    EXPECT_EQ(p.status, IPIPE_STS_BUSY);
  }
  EXPECT_EQ(rt.run_until_idle(), 4u) << "the four it took run";
  counter_req rq{0, 0, 6};
  EXPECT_EQ(rt.submit(request(id, 6, as_bytes_of(rq))), route::queued) << "room again";
}

TEST(runtime, a_destroyed_actor_receives_nothing_more) {
  register_types();
  runtime rt;
  reply_log replies;
  rt.set_client_sink(replies.sink());
  auto id = *rt.create_actor({.type = "t_counter"});
  ASSERT_TRUE(rt.destroy_actor(id));
  EXPECT_EQ(rt.submit(request(id, 1)), route::rejected);
  EXPECT_EQ(rt.destroy_actor(id).err().code(), errc::not_found);
}

} // namespace ipipe::runtime
