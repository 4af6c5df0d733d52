// DT as ipipe-bench runs it: the coordinator and both participants on one
// node's NIC, their log on its host, every message between them local (a
// ring crossing when they sit on different sides), the NIC keeping a
// recovery record of whatever it pushes. A seeded driver interleaves
// transfers, ring pumping, handlers, ticks and migrations of the three
// actors in both directions; at the end no money is made or lost and no
// transaction stays in doubt.
#include <ipipe/runtime/peer_channel.hpp>
#include <ipipe/runtime/runtime.hpp>

#include <gtest/gtest.h>

#include <unistd.h>

#include "dt.hpp"
#include <array>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <vector>

namespace ipipe::apps::dt::testing {
namespace {

using runtime::actor_id;
using runtime::actor_state;
using runtime::message;

// IPIPE_TEST_SEEDS=N runs N seeds instead of the default (soak testing).
unsigned seeds(unsigned dflt) {
  const char* env = std::getenv("IPIPE_TEST_SEEDS");
  return env != nullptr ? static_cast<unsigned>(std::strtoul(env, nullptr, 10)) : dflt;
}

constexpr actor_id coord = 21, part_a = 22, part_b = 23, log_actor = 24;
constexpr std::uint32_t operator_ep = 1, first_client_ep = 100;
constexpr std::uint32_t accounts = 40;
constexpr std::int64_t initial = 1000;

// One node: a NIC runtime with a recovery log and a host runtime sending
// everything through it, as ipipe-nic and ipiped run them.
struct dt_node {
  explicit dt_node(const std::string& dir)
      : rings(runtime::peer_rings::create(*runtime::msg_ring_geometry::make(16, 8224),
                                          *runtime::msg_ring_geometry::make(8, 16384))
                  .value()),
        nic({.side = IPIPE_LOC_NIC,
             .default_budget_ns = 60'000'000'000,
             .recovery_log = 4096,
             .mailbox_limit = 4096}),
        host({.side = IPIPE_LOC_HOST,
              .default_budget_ns = 60'000'000'000,
              .outbound_via_peer = true}) {
    register_actors();
    EXPECT_TRUE(nic.attach_peer(rings.nic_end()));
    EXPECT_TRUE(host.attach_peer(rings.host_end()));
    auto sink = [this](message&& m) {
      std::lock_guard l(mu);
      out.push_back(std::move(m));
    };
    nic.set_client_sink(sink);
    host.set_client_sink(sink);
    for (auto [id, type] : {std::pair{coord, coordinator_type},
                            {part_a, participant_type},
                            {part_b, participant_type}}) {
      EXPECT_TRUE(nic.create_actor({.type = type, .id = id, .mem_quota = 1 << 20}));
      EXPECT_TRUE(host.add_remote(id, type));
    }
    EXPECT_TRUE(host.create_actor({.type = log_type, .id = log_actor, .mem_quota = 1 << 16}));
    EXPECT_TRUE(nic.add_remote(log_actor, log_type));
    configure(log_actor, encode(log_config{dir, log_no_sync}));
    for (std::uint32_t i = 0; i < 2; ++i) {
      participant_config p;
      p.index = i;
      p.participants = 2;
      p.accounts = accounts;
      p.initial = initial;
      p.log = log_actor;
      p.coordinators = {{0, coord}};
      configure(i == 0 ? part_a : part_b, encode(p));
    }
    coordinator_config c;
    c.id = 1;
    c.accounts = accounts;
    c.initial = initial;
    c.participants = {{0, part_a}, {0, part_b}};
    configure(coord, encode(c));
  }

  void settle() {
    for (int i = 0; i < 100000; ++i) {
      const std::size_t n = nic.pump() + host.pump() + nic.run_until_idle() + host.run_until_idle();
      if (n == 0 && nic.quiet() && host.quiet())
        return;
    }
    ADD_FAILURE() << "never settled";
  }

  std::vector<message> take() {
    std::lock_guard l(mu);
    return std::move(out);
  }

  // An operator request to `id`, entering at the NIC as from the wire.
  std::vector<message> ask(actor_id id, const std::vector<std::byte>& p) {
    auto m = message::make(IPIPE_MSG_REQUEST, id, 0, 7, p);
    m.hdr.client = operator_ep;
    nic.submit(std::move(m));
    settle();
    std::vector<message> got;
    for (auto& r : take())
      if (r.hdr.client == operator_ep)
        got.push_back(std::move(r));
    return got;
  }
  void configure(actor_id id, const std::vector<std::byte>& p) {
    auto got = ask(id, p);
    ASSERT_EQ(got.size(), 1u);
    auto r = decode_response(got[0].payload);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->st, status::ok);
  }
  runtime::runtime& where(actor_id id) {
    auto i = nic.info(id);
    return i && i->state == actor_state::remote ? host : nic;
  }

  runtime::peer_rings rings;
  runtime::runtime nic;
  runtime::runtime host;
  std::mutex mu;
  std::vector<message> out;
};

struct client {
  bool busy = false;
  std::uint64_t seq = 0;
  request req;
};

TEST(dt_node, transfers_stay_atomic_while_the_actors_migrate_both_ways) {
  std::uint64_t moves = 0, committed_all = 0;
  for (unsigned seed = 1; seed <= seeds(20); ++seed) {
    const auto dir = std::filesystem::temp_directory_path() /
                     ("dt-node-" + std::to_string(::getpid()) + "-" + std::to_string(seed));
    std::filesystem::remove_all(dir);
    dt_node n(dir.string());
    std::mt19937_64 rng(seed);
    std::uint64_t to_host = 0;
    std::vector<client> clients(12);
    std::map<std::uint32_t, std::int64_t> balance;
    for (std::uint32_t a = 0; a < accounts; ++a)
      balance[a] = initial;
    std::uint64_t now = 1'000'000'000, committed = 0, answered = 0;
    const auto collect = [&] {
      for (auto& m : n.take()) {
        const std::uint32_t ci = m.hdr.client - first_client_ep;
        auto r = decode_response(m.payload);
        if (m.hdr.client < first_client_ep || ci >= clients.size() || !clients[ci].busy)
          continue;
        auto& c = clients[ci];
        if (m.hdr.type == IPIPE_MSG_ERROR) { // refused by the runtime: never ran
          c.busy = false;
          continue;
        }
        ASSERT_TRUE(r);
        if (r->seq != c.seq)
          continue;
        c.busy = false;
        if (r->st == status::committed) {
          ++committed;
          balance[c.req.from] -= static_cast<std::int64_t>(c.req.amount);
          balance[c.req.to] += static_cast<std::int64_t>(c.req.amount);
        }
      }
    };
    const auto tick = [&](std::uint64_t ns) {
      now += ns;
      n.nic.tick(now);
      n.host.tick(now);
    };
    for (int step = 0; step < 20000; ++step) {
      switch (rng() % 12) {
      case 0:
      case 1: {
        const std::size_t ci = rng() % clients.size();
        auto& c = clients[ci];
        if (c.busy)
          break;
        c.busy = true;
        c.req = request{};
        c.req.from = static_cast<std::uint32_t>(rng() % accounts);
        c.req.to = static_cast<std::uint32_t>((c.req.from + 1 + rng() % (accounts - 1)) % accounts);
        c.req.amount = 1 + rng() % 300;
        c.req.client_id = ci + 1;
        c.req.seq = ++c.seq;
        auto m = message::make(IPIPE_MSG_REQUEST, coord, 0, c.seq, encode(c.req));
        m.hdr.client = first_client_ep + static_cast<std::uint32_t>(ci);
        n.nic.submit(std::move(m));
        break;
      }
      case 2:
        n.nic.pump();
        break;
      case 3:
        n.host.pump();
        break;
      case 4:
        n.nic.run_until_idle(1 + rng() % 4);
        break;
      case 5:
        n.host.run_until_idle(1 + rng() % 4);
        break;
      case 6:
        tick(1'000'000 + rng() % 3'000'000);
        break;
      case 7:
        if (rng() % 8 == 0) {
          const actor_id a = std::array{coord, part_a, part_b}[rng() % 3];
          if (n.nic.migrate(a)) {
            ++moves;
            to_host += a != coord;
          } else if (n.host.migrate(a)) {
            ++moves;
          }
        }
        break;
      default:
        n.nic.pump();
        n.host.pump();
        break;
      }
      collect();
      if (::testing::Test::HasFatalFailure())
        return;
    }
    // Quiet: let every transaction finish and every stray prepare resolve.
    for (int i = 0; i < 1500; ++i) {
      n.settle();
      tick(10'000'000);
      collect();
    }
    for (const auto& c : clients)
      answered += !c.busy;
    std::int64_t total = 0;
    bool locked = false;
    for (actor_id p : {part_a, part_b}) {
      bool more = true;
      for (std::uint32_t first = 0; more; first += 256) {
        auto got = n.ask(p, dump_request(first));
        ASSERT_EQ(got.size(), 1u) << "seed " << seed;
        auto d = decode_dump(got[0].payload, more);
        ASSERT_TRUE(d);
        for (const auto& a : *d) {
          total += a.balance;
          locked = locked || a.locked;
          EXPECT_EQ(a.balance, balance[a.account]) << "seed " << seed << " account " << a.account;
        }
      }
    }
    EXPECT_EQ(total, initial * accounts) << "seed " << seed;
    EXPECT_FALSE(locked) << "seed " << seed << ": a transaction stays in doubt";
    EXPECT_EQ(answered, clients.size()) << "seed " << seed << ": a transfer never answered";
    // A participant on the host writes to its log (on the host too)
    // through the NIC, which counts a recoverable actor's output.
    EXPECT_EQ(n.nic.stats().peer_protocol + n.host.stats().peer_protocol, 0u) << "seed " << seed;
    EXPECT_GT(to_host, 0u) << "seed " << seed << ": no participant went to the host";
    committed_all += committed;
    std::filesystem::remove_all(dir);
    if (::testing::Test::HasFailure()) {
      ADD_FAILURE() << "first failing seed: " << seed;
      return;
    }
  }
  EXPECT_GT(moves, 100u * seeds(20)) << "the driver hardly migrated anything";
  EXPECT_GT(committed_all, 50u * seeds(20));
}

} // namespace
} // namespace ipipe::apps::dt::testing
