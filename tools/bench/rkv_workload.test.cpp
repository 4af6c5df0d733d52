// The RKV workload through the engine against scripted fake replicas: a
// correct store, a store that loses writes, and a follower that redirects.
#include "rkv_workload.hpp"

#include <gtest/gtest.h>

#include "engine.hpp"
#include "fake_nic.hpp"
#include <cstring>
#include <map>
#include <mutex>
#include <rkv/rkv.hpp>
#include <string>

using namespace ipipe;
using namespace ipipe::bench;
namespace fk = ipipe::bench::testing;
namespace rkv = ipipe::apps::rkv;

namespace {

// Parses a client request (apps.rst, "Client protocol").
rkv::request parse_request(std::span<const std::byte> p) {
  rkv::request r;
  std::uint16_t key_len = 0;
  std::uint32_t value_len = 0;
  r.op = static_cast<rkv::kind>(p[0]);
  std::memcpy(&key_len, p.data() + 2, 2);
  std::memcpy(&value_len, p.data() + 4, 4);
  std::memcpy(&r.client_id, p.data() + 8, 8);
  std::memcpy(&r.seq, p.data() + 16, 8);
  r.key.assign(reinterpret_cast<const char*>(p.data() + 24), key_len);
  r.value.assign(reinterpret_cast<const char*>(p.data() + 24 + key_len), value_len);
  return r;
}

fk::fake_answer answer(const ipipe_msg_hdr& req, const rkv::response& resp) {
  fk::fake_answer a;
  // As the consensus actors answer after commit: an actor message to the
  // external client, matched by req_id.
  a.hdr.type = IPIPE_MSG_ACTOR;
  a.hdr.dst_actor = rkv::client_actor;
  a.hdr.src_actor = req.dst_actor;
  a.hdr.req_id = req.req_id;
  a.body = rkv::encode(resp);
  return a;
}

// A single-node store; with `lose_every` N > 0 it acknowledges every N-th
// PUT without applying it.
class fake_store {
public:
  explicit fake_store(unsigned lose_every = 0) : lose_every_(lose_every) {}

  fk::fake_answer handle(const ipipe_msg_hdr& hdr, std::span<const std::byte> body) {
    const auto q = parse_request(body);
    rkv::response r;
    r.op = q.op;
    r.client_id = q.client_id;
    r.seq = q.seq;
    std::lock_guard g(lock_);
    switch (q.op) {
    case rkv::kind::get: {
      auto it = kv_.find(q.key);
      if (it == kv_.end()) {
        r.st = rkv::status::not_found;
      } else {
        r.value = it->second;
      }
      break;
    }
    case rkv::kind::put:
      if (!lose_every_ || ++puts_ % lose_every_ != 0)
        kv_[q.key] = q.value;
      break;
    default:
      r.st = kv_.erase(q.key) ? rkv::status::ok : rkv::status::not_found;
      break;
    }
    return answer(hdr, r);
  }

private:
  unsigned lose_every_;
  unsigned puts_ = 0;
  std::mutex lock_;
  std::map<std::string, std::string> kv_;
};

target at(const fk::fake_nic& n) {
  return {{INADDR_LOOPBACK, n.port()}, 5};
}

run_result run(rkv_workload& wl, std::vector<target> targets, std::uint64_t n) {
  auto sock = wire_socket::open(std::move(targets));
  EXPECT_TRUE(sock);
  engine_config cfg;
  cfg.schedule = rate_schedule::constant(2000);
  cfg.requests = n;
  cfg.timeout_ms = 3000; // generous: a slow machine must not fail a correct store
  cfg.seed = 17;
  return run_load(cfg, wl, *sock);
}

rkv_params params(std::size_t targets) {
  rkv_params p;
  p.get = 50;
  p.put = 45;
  p.del = 5;
  p.keys = 20;
  p.targets = targets;
  p.seed = 17;
  return p;
}

} // namespace

TEST(rkv_workload, a_correct_store_gives_no_errors_and_checks_most_gets) {
  fake_store store;
  fk::fake_nic replica([&](const ipipe_msg_hdr& h, std::span<const std::byte> b) {
    return std::optional{store.handle(h, b)};
  });
  rkv_workload wl(params(1));
  const auto r = run(wl, {at(replica)}, 1500);
  EXPECT_EQ(r.sent, 1500u);
  EXPECT_EQ(r.ok, 1500u);
  EXPECT_EQ(r.errors(), 0u) << (r.first_errors.empty() ? "" : r.first_errors.front());
  EXPECT_EQ(r.timeouts, 0u);
  EXPECT_GT(r.extra.at("checked_gets"), 500u);
  EXPECT_EQ(r.extra.at("gets") + r.extra.at("puts") + r.extra.at("dels"), 1500u);
}

TEST(rkv_workload, a_store_that_loses_acknowledged_writes_is_caught) {
  fake_store store(5);
  fk::fake_nic replica([&](const ipipe_msg_hdr& h, std::span<const std::byte> b) {
    return std::optional{store.handle(h, b)};
  });
  rkv_workload wl(params(1));
  const auto r = run(wl, {at(replica)}, 1500);
  EXPECT_GT(r.wrong, 0u);
  ASSERT_FALSE(r.first_errors.empty());
  EXPECT_NE(r.first_errors.front().find("GET"), std::string::npos) << r.first_errors.front();
}

TEST(rkv_workload, not_leader_redirects_to_the_hinted_replica) {
  fake_store store;
  fk::fake_nic leader([&](const ipipe_msg_hdr& h, std::span<const std::byte> b) {
    return std::optional{store.handle(h, b)};
  });
  fk::fake_nic follower([](const ipipe_msg_hdr& h, std::span<const std::byte> b) {
    const auto q = parse_request(b);
    rkv::response r;
    r.st = rkv::status::not_leader;
    r.op = q.op;
    r.client_id = q.client_id;
    r.seq = q.seq;
    r.leader_hint = 7; // the leader's wire endpoint handle
    auto a = answer(h, r);
    a.hdr.type = IPIPE_MSG_REPLY;
    return std::optional{a};
  });
  auto p = params(2);
  p.replica_of[7] = 1;
  rkv_workload wl(p);
  const auto r = run(wl, {at(follower), at(leader)}, 300);
  EXPECT_EQ(r.ok, 300u);
  EXPECT_EQ(r.errors(), 0u) << (r.first_errors.empty() ? "" : r.first_errors.front());
  // The first requests go to the follower; once redirected, the workload
  // sends to the leader directly.
  EXPECT_GE(r.redirects, 1u);
  EXPECT_LT(r.redirects, 50u);
  EXPECT_EQ(r.extra.at("not_leader"), r.redirects);
}

TEST(rkv_workload, the_request_sequence_depends_on_the_seed_only) {
  auto p = params(1);
  rkv_workload a(p), b(p);
  p.seed = 18;
  rkv_workload c(p);
  bool differs = false;
  for (std::uint64_t n = 0; n < 200; ++n) {
    auto x = a.next(n + 1, n), y = b.next(n + 1, n), z = c.next(n + 1, n);
    // Bytes 8..23 are client_id and seq, which are not part of the sequence.
    ASSERT_EQ(x.payload.size(), y.payload.size());
    EXPECT_TRUE(std::equal(x.payload.begin(), x.payload.begin() + 8, y.payload.begin()));
    EXPECT_TRUE(std::equal(x.payload.begin() + 24, x.payload.end(), y.payload.begin() + 24));
    differs |= x.payload.size() != z.payload.size() ||
               !std::equal(x.payload.begin() + 24, x.payload.end(), z.payload.begin() + 24);
  }
  EXPECT_TRUE(differs);
}
