// The DT workload through the engine against scripted fake coordinators: a
// bank that conserves money, one that loses some, one that answers
// garbage; and the audit's verdict on each.
#include "dt_workload.hpp"

#include <gtest/gtest.h>

#include "engine.hpp"
#include "fake_nic.hpp"
#include <common/codec.hpp>
#include <dt/dt.hpp>
#include <map>
#include <mutex>
#include <utility>

using namespace ipipe;
using namespace ipipe::bench;
namespace fk = ipipe::bench::testing;
namespace dt = ipipe::apps::dt;

namespace {

constexpr std::uint32_t accounts = 10;
constexpr std::int64_t initial = 50;

// Reads a request as apps/dt's coordinator does (dt.rst, "Client protocol").
dt::request parse(std::span<const std::byte> p) {
  apps::reader rd(p);
  dt::request q;
  q.op = static_cast<dt::kind>(rd.get<std::uint8_t>());
  (void)rd.get<std::uint8_t>();
  (void)rd.get<std::uint16_t>();
  if (q.op == dt::kind::transfer) {
    q.from = rd.get<std::uint32_t>();
    q.to = rd.get<std::uint32_t>();
    (void)rd.get<std::uint32_t>();
    q.amount = rd.get<std::uint64_t>();
  } else {
    (void)rd.get<std::uint32_t>();
  }
  q.client_id = rd.get<std::uint64_t>();
  q.seq = rd.get<std::uint64_t>();
  return q;
}

// A one-node bank. With `leak_every` N > 0 every N-th commit debits without
// crediting; with `garbage`, every 50th answer is cut short.
class fake_bank {
public:
  fake_bank(unsigned leak_every, bool garbage) : leak_every_(leak_every), garbage_(garbage) {
    for (std::uint32_t a = 0; a < accounts; ++a)
      balance_[a] = initial;
  }

  fk::fake_answer handle(const ipipe_msg_hdr& hdr, std::span<const std::byte> body) {
    const auto q = parse(body);
    dt::response r;
    r.op = q.op;
    r.client_id = q.client_id;
    r.seq = q.seq;
    std::lock_guard g(lock_);
    if (q.op == dt::kind::audit) {
      r.st = dt::status::ok;
      r.accounts = accounts;
      r.expected = initial * accounts;
      for (const auto& [a, b] : balance_)
        r.total += b;
    } else if (++n_ % 7 == 0) {
      r.st = dt::status::aborted;
      r.why = dt::detail::conflict;
    } else if (balance_[q.from] < static_cast<std::int64_t>(q.amount)) {
      r.st = dt::status::aborted;
      r.why = dt::detail::insufficient;
    } else {
      r.txid = n_;
      balance_[q.from] -= static_cast<std::int64_t>(q.amount);
      if (!leak_every_ || ++commits_ % leak_every_ != 0)
        balance_[q.to] += static_cast<std::int64_t>(q.amount);
    }
    fk::fake_answer a;
    a.hdr.type = IPIPE_MSG_REPLY;
    a.hdr.src_actor = hdr.dst_actor;
    a.hdr.req_id = hdr.req_id;
    a.body = dt::encode(r);
    if (garbage_ && q.op == dt::kind::transfer && n_ % 50 == 0)
      a.body.resize(a.body.size() - 3);
    return a;
  }

private:
  unsigned leak_every_;
  bool garbage_;
  unsigned n_ = 0, commits_ = 0;
  std::mutex lock_;
  std::map<std::uint32_t, std::int64_t> balance_;
};

struct outcome {
  run_result r;
  expected<dt_audit_result> audit = errc::none;
};

outcome run(fake_bank& bank, std::uint64_t n) {
  fk::fake_nic coord([&](const ipipe_msg_hdr& h, std::span<const std::byte> b) {
    return std::optional{bank.handle(h, b)};
  });
  auto sock = wire_socket::open({{{INADDR_LOOPBACK, coord.port()}, 1}});
  EXPECT_TRUE(sock);
  dt_params p;
  p.accounts = accounts;
  p.max_amount = 30;
  p.seed = 5;
  dt_workload wl(p);
  engine_config cfg;
  cfg.schedule = rate_schedule::constant(2000);
  cfg.requests = n;
  cfg.timeout_ms = 3000; // generous: a slow machine must not fail a correct bank
  cfg.seed = 5;
  outcome o{run_load(cfg, wl, *sock), errc::none};
  o.audit = dt_audit(*sock, 0, 3000);
  apply_audit(o.r, o.audit);
  return o;
}

} // namespace

TEST(dt_workload, a_bank_that_conserves_money_passes_the_audit) {
  fake_bank bank(0, false);
  const auto o = run(bank, 1000);
  EXPECT_EQ(o.r.ok, 1000u);
  EXPECT_EQ(o.r.errors(), 0u) << (o.r.first_errors.empty() ? "" : o.r.first_errors.front());
  const auto& x = o.r.extra;
  EXPECT_EQ(x.at("committed") + x.at("aborted_conflict") + x.at("aborted_insufficient"), 1000u);
  EXPECT_GT(x.at("committed"), 100u);
  EXPECT_GT(x.at("aborted_insufficient"), 0u) << "50 per account, up to 30 a transfer";
  ASSERT_TRUE(o.audit);
  EXPECT_TRUE(o.audit->conserved());
  EXPECT_EQ(x.at("audit_conserved"), 1u);
  EXPECT_EQ(x.at("audit_total"), static_cast<std::uint64_t>(initial * accounts));
}

TEST(dt_workload, a_bank_that_loses_money_fails_the_audit) {
  fake_bank bank(20, false);
  const auto o = run(bank, 1000);
  ASSERT_TRUE(o.audit);
  EXPECT_FALSE(o.audit->conserved());
  EXPECT_LT(o.audit->total, o.audit->expected);
  EXPECT_EQ(o.r.wrong, 1u) << "the audit, and no single answer, is wrong";
  ASSERT_FALSE(o.r.first_errors.empty());
  EXPECT_NE(o.r.first_errors.back().find("audit"), std::string::npos);
  EXPECT_EQ(o.r.extra.at("audit_conserved"), 0u);
}

TEST(dt_workload, malformed_answers_are_wrong) {
  fake_bank bank(0, true);
  const auto o = run(bank, 500);
  EXPECT_EQ(o.r.wrong, 10u) << "every 50th answer is cut short";
  ASSERT_FALSE(o.r.first_errors.empty());
  EXPECT_NE(o.r.first_errors.front().find("malformed"), std::string::npos);
  ASSERT_TRUE(o.audit);
  EXPECT_TRUE(o.audit->conserved());
}

TEST(dt_workload, the_request_sequence_depends_on_the_seed_only) {
  dt_params p;
  p.accounts = 100;
  p.seed = 9;
  dt_workload a(p), b(p);
  p.seed = 10;
  dt_workload c(p);
  bool differs = false;
  for (std::uint64_t n = 0; n < 200; ++n) {
    auto x = a.next(n + 1, n), y = b.next(n + 1, n), z = c.next(n + 1, n);
    // Bytes 24..39 are client_id and seq, which are not part of the sequence.
    ASSERT_EQ(x.payload.size(), dt::transfer_size);
    EXPECT_TRUE(std::equal(x.payload.begin(), x.payload.begin() + 24, y.payload.begin()));
    differs |= !std::equal(x.payload.begin(), x.payload.begin() + 24, z.payload.begin());
    const auto q = parse(x.payload);
    EXPECT_NE(q.from, q.to);
    EXPECT_LT(q.from, 100u);
    EXPECT_LT(q.to, 100u);
    EXPECT_GE(q.amount, 1u);
  }
  EXPECT_TRUE(differs);
}

// A node whose actors record each CONFIGURE and answer OK, or refuse the
// one sent to `refuse`.
TEST(dt_workload, configure_sends_the_log_then_the_participants_then_the_coordinator) {
  std::mutex lock;
  std::vector<std::pair<std::uint32_t, std::vector<std::byte>>> got;
  std::uint32_t refuse = 0;
  fk::fake_nic node([&](const ipipe_msg_hdr& h, std::span<const std::byte> b) {
    std::lock_guard g(lock);
    got.emplace_back(h.dst_actor, std::vector<std::byte>(b.begin(), b.end()));
    dt::response r;
    r.op = dt::kind::configure;
    r.st = h.dst_actor == refuse ? dt::status::error : dt::status::ok;
    r.why = h.dst_actor == refuse ? dt::detail::bad_config : dt::detail::none;
    fk::fake_answer a;
    a.hdr.type = IPIPE_MSG_REPLY;
    a.hdr.req_id = h.req_id;
    a.body = dt::encode(r);
    return std::optional{a};
  });
  dt_setup s;
  s.coordinator = 7;
  s.participants = {8, 9};
  s.log = 10;
  s.accounts = 100;
  s.initial = 5;
  s.log_dir = "/var/tmp/dt";
  // The fake's thread writes `got`: read it (and set `refuse`) under the lock.
  const auto take = [&] {
    std::lock_guard g(lock);
    return std::exchange(got, {});
  };
  ASSERT_TRUE(configure_dt({INADDR_LOOPBACK, node.port()}, s, 2000));
  auto sent = take();
  ASSERT_EQ(sent.size(), 4u);
  EXPECT_EQ(sent[0].first, 10u);
  EXPECT_EQ(sent[0].second, dt::encode(dt::log_config{"/var/tmp/dt", 0}));
  for (std::uint32_t i = 0; i < 2; ++i) {
    dt::participant_config c;
    c.index = i;
    c.participants = 2;
    c.accounts = 100;
    c.initial = 5;
    c.log = 10;
    c.coordinators = {{0, 7}};
    EXPECT_EQ(sent[1 + i].first, s.participants[i]);
    EXPECT_EQ(sent[1 + i].second, dt::encode(c)) << "participant " << i;
  }
  dt::coordinator_config c;
  c.accounts = 100;
  c.initial = 5;
  c.participants = {{0, 8}, {0, 9}};
  EXPECT_EQ(sent[3].first, 7u);
  EXPECT_EQ(sent[3].second, dt::encode(c));

  {
    std::lock_guard g(lock);
    refuse = 9;
  }
  s.sync = false;
  auto r = configure_dt({INADDR_LOOPBACK, node.port()}, s, 2000);
  ASSERT_FALSE(r);
  EXPECT_NE(r.err().message().find("actor 9"), std::string::npos) << r.err().message();
  sent = take();
  ASSERT_EQ(sent.size(), 3u) << "the coordinator is not configured after a refusal";
  EXPECT_EQ(sent[0].second, dt::encode(dt::log_config{"/var/tmp/dt", dt::log_no_sync}));
}

TEST(dt_workload, configure_without_an_answer_times_out) {
  fk::fake_nic nobody;
  dt_setup s;
  s.coordinator = 1;
  s.participants = {2};
  s.log = 3;
  s.accounts = 10;
  s.log_dir = "/tmp";
  auto r = configure_dt({INADDR_LOOPBACK, nobody.port()}, s, 50);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().code(), errc::timed_out);
}
