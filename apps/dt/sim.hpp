#pragma once
// Test support: an in-process DT deployment. Node 0 runs the coordinator,
// nodes 1..P one participant each (NIC) with its dt_log (host); every node
// is a NIC runtime and a host runtime joined by peer rings. A simulated
// network carries what leaves a node, with seeded loss, duplication and
// reordering between the nodes (never to or from clients, whose requests
// are not retried: each answer must say what happened). A simulated clock
// ticks every 10 steps. Clients keep one transfer outstanding and record
// what was committed, for a reference replay.

#include <ipipe/runtime/peer_channel.hpp>
#include <ipipe/runtime/runtime.hpp>

#include <gtest/gtest.h>

#include <unistd.h>

#include "dt.hpp"
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace ipipe::apps::dt::testing {

using runtime::actor_id;
using runtime::message;

inline constexpr actor_id coord_id = 1, part_id = 2, log_id = 3;
inline constexpr std::uint32_t first_node_ep = 10, first_client_ep = 100, operator_ep = 1;
inline constexpr std::uint64_t step_ns = 1'000'000; // one step: 1 ms

/// Network behaviour between nodes.
struct net_faults {
  double loss = 0;
  double dup = 0;
  std::uint32_t max_delay = 0; ///< extra steps, uniform: reorders
};

/// One node: a NIC runtime and a host runtime.
struct node {
  explicit node(std::uint32_t ep, const std::function<void(std::uint32_t, message&&)>& out)
      : rings(runtime::peer_rings::create(*runtime::msg_ring_geometry::make(64, 8224),
                                          *runtime::msg_ring_geometry::make(16, 16384))
                  .value()),
        nic({.side = IPIPE_LOC_NIC, .default_budget_ns = 60'000'000'000}),
        host({.side = IPIPE_LOC_HOST,
              .default_budget_ns = 60'000'000'000,
              .outbound_via_peer = true}),
        endpoint(ep) {
    register_actors();
    EXPECT_TRUE(nic.attach_peer(rings.nic_end()));
    EXPECT_TRUE(host.attach_peer(rings.host_end()));
    auto sink = [this, out](message&& m) {
      if (m.hdr.client == operator_ep)
        operator_replies.push_back(std::move(m));
      else
        out(endpoint, std::move(m));
    };
    nic.set_client_sink(sink);
    host.set_client_sink(sink);
  }

  /// Sends an operator request to actor `id` and returns the answers.
  std::vector<message> ask(actor_id id, const std::vector<std::byte>& p) {
    operator_replies.clear();
    auto m = message::make(IPIPE_MSG_REQUEST, id, 0, 7, p);
    m.hdr.client = operator_ep;
    nic.submit(std::move(m));
    settle();
    return std::move(operator_replies);
  }
  /// Sends a CONFIGURE and checks that it is answered OK.
  void configure(actor_id id, const std::vector<std::byte>& p) {
    auto got = ask(id, p);
    ASSERT_EQ(got.size(), 1u);
    auto r = decode_response(got[0].payload);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->st, status::ok);
  }
  /// Returns the STATS counters of actor `id` (empty if unanswered).
  std::vector<std::uint64_t> stats(actor_id id) {
    auto got = ask(id, stats_request());
    if (got.size() != 1)
      return {};
    return decode_stats(got[0].payload).value_or(std::vector<std::uint64_t>{});
  }
  /// Runs both runtimes until nothing moves.
  void settle() {
    for (int i = 0; i < 10000; ++i) {
      const std::size_t n = nic.pump() + host.pump() + nic.run_until_idle() + host.run_until_idle();
      if (n == 0 && nic.quiet() && host.quiet())
        break;
    }
  }
  /// Returns the runtime where `id` runs now.
  runtime::runtime& where(actor_id id) {
    auto i = nic.info(id);
    return i && i->state == runtime::actor_state::remote ? host : nic;
  }

  runtime::peer_rings rings;
  runtime::runtime nic;
  runtime::runtime host;
  std::uint32_t endpoint;
  std::vector<message> operator_replies;
};

/// One committed or aborted transfer, as its client saw it.
struct outcome {
  std::uint32_t from = 0, to = 0;
  std::uint64_t amount = 0;
  response r;
};

/// A client: one transfer at a time.
struct client {
  std::uint64_t id = 0, seq = 0;
  bool busy = false;
  request req;
};

/// The deployment, the network, the clock and the clients.
class cluster {
public:
  cluster(const std::string& name, std::uint64_t seed, std::uint32_t participants,
          std::uint32_t accounts, std::int64_t initial, net_faults f = {})
      : rng_(seed), faults_(f), participants_(participants), accounts_(accounts),
        initial_(initial) {
    base_ =
        std::filesystem::temp_directory_path() / ("dt-" + name + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(base_);
    for (std::uint32_t i = 0; i <= participants; ++i)
      nodes_.push_back(std::make_unique<node>(
          first_node_ep + i, [this](std::uint32_t from, message&& m) { out(from, std::move(m)); }));
    auto& c = *nodes_[0];
    EXPECT_TRUE(
        c.nic.create_actor({.type = coordinator_type, .id = coord_id, .mem_quota = 1 << 20}));
    EXPECT_TRUE(c.host.add_remote(coord_id, coordinator_type));
    coordinator_config cc;
    cc.id = 1;
    cc.accounts = accounts;
    cc.initial = initial;
    for (std::uint32_t i = 0; i < participants; ++i)
      cc.participants.push_back({first_node_ep + 1 + i, part_id});
    c.configure(coord_id, encode(cc));
    for (std::uint32_t i = 0; i < participants; ++i) {
      auto& n = *nodes_[1 + i];
      EXPECT_TRUE(n.host.create_actor({.type = log_type, .id = log_id, .mem_quota = 1 << 16}));
      EXPECT_TRUE(n.nic.add_remote(log_id, log_type));
      n.configure(log_id, encode(log_config{dir(i), log_no_sync}));
      EXPECT_TRUE(
          n.nic.create_actor({.type = participant_type, .id = part_id, .mem_quota = 1 << 20}));
      EXPECT_TRUE(n.host.add_remote(part_id, participant_type));
      n.configure(part_id, encode(part_config(i, 0)));
    }
  }
  ~cluster() {
    nodes_.clear();
    std::filesystem::remove_all(base_);
  }

  std::string dir(std::uint32_t i) const { return (base_ / ("p" + std::to_string(i))).string(); }
  /// The log file of participant i.
  std::string log_path(std::uint32_t i) const {
    return dir(i) + "/dt-part-" + std::to_string(part_id) + ".log";
  }
  participant_config part_config(std::uint32_t i, std::uint16_t flags) const {
    participant_config p;
    p.flags = flags;
    p.index = i;
    p.participants = participants_;
    p.accounts = accounts_;
    p.initial = initial_;
    p.log = log_id;
    p.coordinators = {{first_node_ep, coord_id}};
    return p;
  }

  node& coord() { return *nodes_[0]; }
  node& part(std::uint32_t i) { return *nodes_[1 + i]; }

  /// Restarts participant i: the actor and every DMO are destroyed, the
  /// node is down for `down` steps, then a new actor recovers from the log.
  /// With `torn_tail`, the log actor is restarted too and a torn record is
  /// left at the end of the file, as a crash in the middle of a write would.
  void restart_participant(std::uint32_t i, std::uint64_t down, bool torn_tail) {
    auto& n = part(i);
    ASSERT_TRUE(n.nic.destroy_actor(part_id));
    ASSERT_TRUE(n.host.destroy_actor(part_id));
    if (torn_tail) {
      n.settle(); // the log writes what the participant sent before it died
      ASSERT_TRUE(n.host.destroy_actor(log_id));
      ASSERT_TRUE(n.nic.destroy_actor(log_id));
      std::FILE* f = std::fopen(log_path(i).c_str(), "ab");
      ASSERT_NE(f, nullptr);
      const unsigned char torn[] = {60, 0, 0, 0, 1, 2, 3, 4, 1, 9, 9};
      std::fwrite(torn, 1, sizeof(torn), f);
      std::fclose(f);
    }
    for (std::uint64_t s = 0; s < down; ++s)
      step();
    if (torn_tail) {
      ASSERT_TRUE(n.host.create_actor({.type = log_type, .id = log_id, .mem_quota = 1 << 16}));
      ASSERT_TRUE(n.nic.add_remote(log_id, log_type));
      n.configure(log_id, encode(log_config{dir(i), log_no_sync}));
    }
    ASSERT_TRUE(
        n.nic.create_actor({.type = participant_type, .id = part_id, .mem_quota = 1 << 20}));
    ASSERT_TRUE(n.host.add_remote(part_id, participant_type));
    n.configure(part_id, encode(part_config(i, cfg_recover)));
  }

  // -- the network ----------------------------------------------------------------

  void out(std::uint32_t from, message&& m) {
    const std::uint32_t to = m.hdr.client;
    m.hdr.client = from;
    m.hdr.flags &= static_cast<std::uint16_t>(~IPIPE_MSG_F_WIRE);
    int copies = 1;
    std::uint64_t delay = 1;
    if (to < first_client_ep && from < first_client_ep) {
      std::uniform_real_distribution<double> u(0, 1);
      if (u(rng_) < faults_.loss)
        return;
      copies = u(rng_) < faults_.dup ? 2 : 1;
    }
    for (int c = 0; c < copies; ++c) {
      if (to < first_client_ep && faults_.max_delay)
        delay = 1 + std::uniform_int_distribution<std::uint32_t>(0, faults_.max_delay)(rng_);
      wire_.push_back({now_ + delay, to, m});
    }
  }

  /// Injects a raw payload from endpoint `ep` to actor `dst` of node `n`.
  void inject(std::uint32_t n, std::uint32_t ep, std::vector<std::byte> payload,
              std::uint16_t type = IPIPE_MSG_REQUEST, actor_id dst = coord_id, actor_id src = 0) {
    auto m = message::make(type, dst, src, 99, payload);
    m.hdr.client = ep;
    wire_.push_back({now_ + 1, first_node_ep + n, std::move(m)});
  }
  /// Messages that reached endpoint `ep` and no client took.
  std::vector<message> take_unclaimed(std::uint32_t ep) { return std::move(unclaimed_[ep]); }

  // -- clients -----------------------------------------------------------------------

  std::size_t add_client() {
    clients_.push_back({clients_.size() + 1, 0, false, {}});
    return clients_.size() - 1;
  }
  bool idle(std::size_t ci) const { return !clients_[ci].busy; }
  bool all_idle() const {
    for (const auto& c : clients_)
      if (c.busy)
        return false;
    return true;
  }

  /// Starts `r` on client `ci`.
  void issue(std::size_t ci, request r) {
    auto& c = clients_[ci];
    c.busy = true;
    r.client_id = c.id;
    r.seq = ++c.seq;
    c.req = r;
    auto m = message::make(IPIPE_MSG_REQUEST, coord_id, 0, c.seq, encode(r));
    m.hdr.client = first_client_ep + static_cast<std::uint32_t>(ci);
    wire_.push_back({now_ + 1, first_node_ep, std::move(m)});
  }

  /// Issues a random transfer on every idle client.
  void load(std::uint64_t max_amount_) {
    for (std::size_t ci = 0; ci < clients_.size(); ++ci) {
      if (!idle(ci))
        continue;
      request r;
      r.from = static_cast<std::uint32_t>(rng_() % accounts_);
      r.to = static_cast<std::uint32_t>((r.from + 1 + rng_() % (accounts_ - 1)) % accounts_);
      r.amount = 1 + rng_() % max_amount_;
      issue(ci, r);
    }
  }

  void deliver_to_client(std::uint32_t ep, message&& m) {
    const std::size_t ci = ep - first_client_ep;
    auto r = decode_response(m.payload);
    if (ci >= clients_.size() || !r || !clients_[ci].busy || r->client_id != clients_[ci].id ||
        r->seq != clients_[ci].seq) {
      unclaimed_[ep].push_back(std::move(m));
      return;
    }
    auto& c = clients_[ci];
    c.busy = false;
    if (c.req.op == kind::audit)
      audits_.push_back(*r);
    else
      outcomes_.push_back({c.req.from, c.req.to, c.req.amount, *r});
  }

  // -- time ----------------------------------------------------------------------------

  void step() {
    ++now_;
    std::vector<pending> due;
    for (auto it = wire_.begin(); it != wire_.end();) {
      if (it->at <= now_) {
        due.push_back(std::move(*it));
        it = wire_.erase(it);
      } else {
        ++it;
      }
    }
    for (auto& p : due) {
      if (p.to >= first_client_ep)
        deliver_to_client(p.to, std::move(p.m));
      else if (p.to - first_node_ep < nodes_.size())
        nodes_[p.to - first_node_ep]->nic.submit(std::move(p.m));
    }
    const bool tick = now_ % 10 == 0;
    for (auto& n : nodes_) {
      if (tick) {
        n->nic.tick(now_ * step_ns);
        n->host.tick(now_ * step_ns);
      }
      n->settle();
    }
  }
  template <class F>
  bool run_until(F pred, std::uint64_t max) {
    for (std::uint64_t i = 0; i < max && !pred(); ++i)
      step();
    return pred();
  }
  /// Runs `steps` steps with every idle client issuing transfers, calling
  /// `each` before every step; then waits for every answer.
  template <class F>
  bool run_load(std::uint64_t steps, std::uint64_t max_amount_, F each) {
    for (std::uint64_t i = 0; i < steps; ++i) {
      load(max_amount_);
      each();
      step();
    }
    return run_until([this] { return all_idle(); }, 20000);
  }

  /// Every account of every participant, by account number.
  std::map<std::uint32_t, account_state> accounts() {
    std::map<std::uint32_t, account_state> all;
    for (std::uint32_t i = 0; i < participants_; ++i) {
      bool more = true;
      for (std::uint32_t first = 0; more; first += 256) {
        auto got = part(i).ask(part_id, dump_request(first));
        if (got.size() != 1)
          return {};
        auto d = decode_dump(got[0].payload, more);
        if (!d)
          return {};
        for (const auto& a : *d)
          all[a.account] = a;
      }
    }
    return all;
  }

  const std::vector<outcome>& outcomes() const { return outcomes_; }
  const std::vector<response>& audits() const { return audits_; }
  std::uint32_t accounts_count() const { return accounts_; }
  std::int64_t initial() const { return initial_; }
  std::uint64_t now() const { return now_; }

private:
  struct pending {
    std::uint64_t at;
    std::uint32_t to;
    message m;
  };

  std::mt19937_64 rng_;
  net_faults faults_;
  std::uint32_t participants_, accounts_;
  std::int64_t initial_;
  std::filesystem::path base_;
  std::vector<std::unique_ptr<node>> nodes_;
  std::deque<pending> wire_;
  std::vector<client> clients_;
  std::vector<outcome> outcomes_;
  std::vector<response> audits_;
  std::map<std::uint32_t, std::vector<message>> unclaimed_;
  std::uint64_t now_ = 0;
};

} // namespace ipipe::apps::dt::testing
