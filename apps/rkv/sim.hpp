#pragma once
// Test support: an in-process RKV cluster. Each replica is a node made of a
// NIC runtime and a host runtime joined by peer rings; a simulated network
// carries the messages that leave a node (IPIPE_MSG_F_WIRE and client
// replies) with seeded loss, duplication and reordering; a simulated clock
// drives the ticks. Clients keep one request outstanding, retry on
// timeouts and follow leader hints, and record a history for the
// linearizability checker.

#include <ipipe/runtime/actor_registry.hpp>
#include <ipipe/runtime/peer_channel.hpp>
#include <ipipe/runtime/runtime.hpp>

#include <gtest/gtest.h>

#include "linearizability.hpp"
#include "rkv.hpp"
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace ipipe::apps::rkv::testing {

using runtime::actor_id;
using runtime::message;

inline constexpr actor_id cons_id = 1, mem_id = 2, sst_id = 3;
inline constexpr std::uint32_t first_replica_ep = 10, first_client_ep = 100;
inline constexpr std::uint32_t operator_ep = 1;
inline constexpr std::uint64_t step_ns = 1'000'000; // one step: 1 ms

/// Network behaviour, per direction between any two endpoints.
struct net_faults {
  double loss = 0;             ///< probability a message is dropped
  double dup = 0;              ///< probability it is delivered twice
  std::uint32_t max_delay = 0; ///< extra steps, uniform: reorders
};

/// IPIPE_RKV_SEED=N shifts every cluster's seed by N (soak testing).
inline std::uint64_t seed_offset() {
  const char* env = std::getenv("IPIPE_RKV_SEED");
  return env != nullptr ? std::strtoull(env, nullptr, 10) : 0;
}

/// One replica: a NIC runtime and a host runtime, the three actors.
struct node {
  node(std::uint32_t index, const std::string& dir, std::uint32_t flags, std::uint32_t flush_bytes,
       std::uint32_t max_files, const std::function<void(std::uint32_t, message&&)>& out)
      : rings(runtime::peer_rings::create(*runtime::msg_ring_geometry::make(64, 8224),
                                          *runtime::msg_ring_geometry::make(16, 16384))
                  .value()),
        nic({.side = IPIPE_LOC_NIC, .default_budget_ns = 60'000'000'000}),
        host({.side = IPIPE_LOC_HOST,
              .default_budget_ns = 60'000'000'000,
              .outbound_via_peer = true}),
        endpoint(first_replica_ep + index) {
    register_actors();
    EXPECT_TRUE(nic.attach_peer(rings.nic_end()));
    EXPECT_TRUE(host.attach_peer(rings.host_end()));
    auto sink = [this, out](message&& m) {
      if (m.hdr.client == operator_ep && operator_replies != nullptr)
        operator_replies->push_back(std::move(m));
      else
        out(endpoint, std::move(m));
    };
    nic.set_client_sink(sink);
    host.set_client_sink(sink);
    EXPECT_TRUE(nic.create_actor({.type = consensus_type, .id = cons_id, .mem_quota = 32 << 20}));
    EXPECT_TRUE(nic.create_actor({.type = memtable_type, .id = mem_id, .mem_quota = 32 << 20}));
    EXPECT_TRUE(host.create_actor({.type = sstable_type, .id = sst_id, .mem_quota = 1 << 16}));
    EXPECT_TRUE(host.add_remote(cons_id, consensus_type));
    EXPECT_TRUE(host.add_remote(mem_id, memtable_type));
    EXPECT_TRUE(nic.add_remote(sst_id, sstable_type));
    configure(sst_id, encode(sstable_config{dir, max_files}));
    configure(mem_id, encode(memtable_config{cons_id, sst_id, flush_bytes}));
    consensus_config c;
    c.self = index;
    c.flags = flags;
    c.memtable = mem_id;
    c.sstable = sst_id;
    c.election_ticks = 10;
    c.log_capacity = 8192;
    for (std::uint32_t j = 0; j < replicas; ++j)
      c.peers[j] = replica{first_replica_ep + j, cons_id};
    configure(cons_id, encode(c));
  }

  // Sends an operator request straight to the node and checks the answer.
  void configure(actor_id id, const std::vector<std::byte>& p) {
    std::vector<message> got;
    auto m = message::make(IPIPE_MSG_REQUEST, id, 0, 7, p);
    m.hdr.client = operator_ep; // answers come back to us
    operator_replies = &got;
    nic.submit(std::move(m));
    settle();
    operator_replies = nullptr;
    ASSERT_EQ(got.size(), 1u);
    auto r = decode_response(got[0].payload);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->st, status::ok);
  }

  // Returns the STATS counters of actor `id`.
  std::vector<std::uint64_t> stats(actor_id id) {
    std::vector<message> got;
    auto m = message::make(IPIPE_MSG_REQUEST, id, 0, 8, stats_request());
    m.hdr.client = operator_ep;
    operator_replies = &got;
    nic.submit(std::move(m));
    settle();
    operator_replies = nullptr;
    if (got.size() != 1)
      return {};
    return decode_stats(got[0].payload).value_or(std::vector<std::uint64_t>{});
  }

  // Runs both runtimes until nothing moves.
  std::size_t settle() {
    std::size_t total = 0;
    for (int i = 0; i < 10000; ++i) {
      std::size_t n = nic.pump() + host.pump() + nic.run_until_idle() + host.run_until_idle();
      total += n;
      if (n == 0 && nic.quiet() && host.quiet())
        break;
    }
    return total;
  }

  runtime::peer_rings rings;
  runtime::runtime nic;
  runtime::runtime host;
  std::uint32_t endpoint;
  std::vector<message>* operator_replies = nullptr;
};

/// A client: one request at a time, retried until answered.
struct client {
  std::uint64_t id = 0;
  std::uint32_t endpoint = 0;
  std::uint64_t seq = 0;
  bool busy = false;
  request req;
  std::size_t hist = 0;       // index of its op in the history
  std::uint32_t target = 0;   // replica index it sends to
  std::uint64_t sent_at = 0;  // step of the last (re)send
  std::uint64_t retry_at = 0; // step to send again
  std::uint64_t completed = 0;
};

/// The cluster, the network, the clock and the clients.
class cluster {
public:
  explicit cluster(const std::string& name, std::uint64_t seed, net_faults f = {},
                   std::uint32_t flush_bytes = 1 << 20, std::uint32_t max_files = 4)
      : rng_(seed + seed_offset()), faults_(f), flush_bytes_(flush_bytes), max_files_(max_files) {
    base_ =
        std::filesystem::temp_directory_path() / ("rkv-" + name + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(base_);
    std::filesystem::create_directories(base_);
    for (std::uint32_t i = 0; i < replicas; ++i)
      start(i, 0);
  }
  ~cluster() {
    nodes_.clear();
    std::filesystem::remove_all(base_);
  }

  std::string dir(std::uint32_t i) const {
    return (base_ / ("replica" + std::to_string(i))).string();
  }

  /// (Re)creates replica i with a fresh state (its directory is kept).
  void start(std::uint32_t i, std::uint32_t flags) {
    if (nodes_.size() <= i)
      nodes_.resize(i + 1);
    nodes_[i].reset();
    nodes_[i] = std::make_unique<node>(
        i, dir(i), flags, flush_bytes_, max_files_,
        [this](std::uint32_t from, message&& m) { out(from, std::move(m)); });
  }
  /// Cuts (or heals) replica i off from the other replicas.
  void isolate(std::uint32_t i, bool cut) {
    if (cut)
      isolated_.insert(first_replica_ep + i);
    else
      isolated_.erase(first_replica_ep + i);
  }
  /// Makes client `ci` send its next request to replica i.
  void aim(std::size_t ci, std::uint32_t i) { clients_[ci].target = i; }
  /// Kills replica i: its runtimes and every DMO are gone.
  void kill(std::uint32_t i) { nodes_[i].reset(); }
  node* at(std::uint32_t i) { return nodes_[i].get(); }
  bool alive(std::uint32_t i) const { return nodes_[i] != nullptr; }

  /// Returns the live replica that says it leads (the highest ballot).
  std::optional<std::uint32_t> leader() {
    std::optional<std::uint32_t> best;
    std::uint64_t ballot = 0;
    for (std::uint32_t i = 0; i < replicas; ++i) {
      if (!alive(i))
        continue;
      auto s = nodes_[i]->stats(cons_id);
      if (s.size() == st_count && s[st_role] == 2 && s[st_ballot] >= ballot)
        best = i, ballot = s[st_ballot];
    }
    return best;
  }

  // -- the network ------------------------------------------------------------

  void out(std::uint32_t from, message&& m) {
    const std::uint32_t to = m.hdr.client;
    if (to < first_client_ep && (isolated_.count(from) != 0 || isolated_.count(to) != 0)) {
      ++dropped_;
      return; // a partition between replicas; clients still reach everyone
    }
    m.hdr.client = from;
    m.hdr.flags &= static_cast<std::uint16_t>(~IPIPE_MSG_F_WIRE);
    std::uniform_real_distribution<double> u(0, 1);
    if (u(rng_) < faults_.loss) {
      ++dropped_;
      return;
    }
    const int copies = u(rng_) < faults_.dup ? 2 : 1;
    for (int c = 0; c < copies; ++c) {
      const std::uint64_t d =
          1 + (faults_.max_delay
                   ? std::uniform_int_distribution<std::uint32_t>(0, faults_.max_delay)(rng_)
                   : 0);
      wire_.push_back({now_ + d, to, m});
    }
  }

  /// Injects a raw payload from client endpoint `ep` to replica i.
  void inject(std::uint32_t i, std::uint32_t ep, std::vector<std::byte> payload,
              std::uint16_t type = IPIPE_MSG_REQUEST, actor_id dst = cons_id, actor_id src = 0) {
    auto m = message::make(type, dst, src, 99, payload);
    m.hdr.client = ep;
    wire_.push_back({now_ + 1, first_replica_ep + i, std::move(m)});
  }

  /// Messages that reached client endpoint `ep` and no client took.
  std::vector<message> take_unclaimed(std::uint32_t ep) { return std::move(unclaimed_[ep]); }

  // -- clients ------------------------------------------------------------------

  /// Adds a client; returns its index.
  std::size_t add_client() {
    client c;
    c.id = clients_.size() + 1;
    c.endpoint = first_client_ep + static_cast<std::uint32_t>(clients_.size());
    clients_.push_back(c);
    return clients_.size() - 1;
  }

  /// Starts `r` on client `ci` (which must be idle).
  void issue(std::size_t ci, request r) {
    auto& c = clients_[ci];
    c.busy = true;
    r.client_id = c.id;
    r.seq = ++c.seq;
    c.req = std::move(r);
    operation o;
    o.key = c.req.key;
    o.write = c.req.op != kind::get;
    if (c.req.op == kind::put)
      o.value = c.req.value;
    o.invoke = now_;
    history_.push_back(o);
    c.hist = history_.size() - 1;
    send(c);
  }

  void send(client& c) {
    while (!alive(c.target))
      c.target = (c.target + 1) % replicas;
    auto m = message::make(IPIPE_MSG_REQUEST, cons_id, 0, c.seq, encode(c.req));
    m.hdr.client = c.endpoint;
    wire_.push_back({now_ + 1, first_replica_ep + c.target, std::move(m)});
    c.sent_at = now_;
    c.retry_at = now_ + retry_steps;
  }

  bool idle(std::size_t ci) const { return !clients_[ci].busy; }
  const client& get_client(std::size_t ci) const { return clients_[ci]; }
  std::vector<operation>& history() { return history_; }
  /// The last response each client got, by client index.
  std::map<std::size_t, response>& last_response() { return last_; }

  void deliver_to_client(std::uint32_t ep, message&& m) {
    if (ep < first_client_ep || ep - first_client_ep >= clients_.size()) {
      unclaimed_[ep].push_back(std::move(m));
      return;
    }
    auto& c = clients_[ep - first_client_ep];
    auto r = decode_response(m.payload);
    if (!r || !c.busy || r->client_id != c.id || r->seq != c.seq) {
      unclaimed_[ep].push_back(std::move(m));
      return;
    }
    if (r->st == status::not_leader) {
      for (std::uint32_t j = 0; j < replicas; ++j)
        if (r->leader_hint == first_replica_ep + j)
          c.target = j;
      if (r->leader_hint == 0)
        c.target = (c.target + 1) % replicas;
      c.retry_at = now_ + (r->leader_hint == 0 ? 20 : 1);
      return;
    }
    if (r->st == status::error) {
      errors_.push_back(*r);
      c.retry_at = now_ + 20;
      return;
    }
    auto& o = history_[c.hist];
    o.answer = now_;
    if (!o.write)
      o.value = r->st == status::ok ? std::optional<std::string>(r->value) : std::nullopt;
    leader_seen_ = c.target;
    last_[ep - first_client_ep] = *r;
    c.busy = false;
    ++c.completed;
    ++answered_;
  }

  // -- time -------------------------------------------------------------------------

  /// Advances the simulation by one step (1 ms).
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
      if (p.to >= first_client_ep) {
        deliver_to_client(p.to, std::move(p.m));
        continue;
      }
      const std::uint32_t i = p.to - first_replica_ep;
      if (i < replicas && alive(i))
        nodes_[i]->nic.submit(std::move(p.m));
    }
    const bool tick = now_ % 10 == 0;
    for (auto& n : nodes_) {
      if (!n)
        continue;
      if (tick) {
        n->nic.tick(now_ * step_ns);
        n->host.tick(now_ * step_ns);
      }
      n->settle();
    }
    for (auto& c : clients_)
      if (c.busy && now_ >= c.retry_at) {
        if (now_ - c.sent_at >= retry_steps)
          c.target = (c.target + 1) % replicas; // no answer: try another
        send(c);
      }
  }

  /// Steps until `pred` holds or `max` steps passed; returns pred().
  template <class F>
  bool run_until(F pred, std::uint64_t max) {
    for (std::uint64_t i = 0; i < max && !pred(); ++i)
      step();
    return pred();
  }

  /// Runs one request to completion on client `ci`; returns its answer.
  std::optional<response> call(std::size_t ci, request r, std::uint64_t max = 5000) {
    issue(ci, std::move(r));
    if (!run_until([&] { return idle(ci); }, max))
      return std::nullopt;
    return last_[ci];
  }

  /// Runs the checker over the history recorded so far.
  std::vector<std::string> check_history_now() const { return check_history(history_); }

  std::uint64_t now() const { return now_; }
  std::uint64_t answered() const { return answered_; }
  const std::vector<response>& errors() const { return errors_; }

  static constexpr std::uint64_t retry_steps = 60;

private:
  struct pending {
    std::uint64_t at;
    std::uint32_t to;
    message m;
  };

  std::mt19937_64 rng_;
  net_faults faults_;
  std::uint32_t flush_bytes_, max_files_;
  std::filesystem::path base_;
  std::vector<std::unique_ptr<node>> nodes_;
  std::deque<pending> wire_;
  std::vector<client> clients_;
  std::vector<operation> history_;
  std::map<std::size_t, response> last_;
  std::map<std::uint32_t, std::vector<message>> unclaimed_;
  std::vector<response> errors_;
  std::optional<std::uint32_t> leader_seen_;
  std::set<std::uint32_t> isolated_;
  std::uint64_t now_ = 0, dropped_ = 0, answered_ = 0;
};

/// Shorthands for requests.
inline request put(std::string k, std::string v) {
  return request{kind::put, 0, 0, std::move(k), std::move(v)};
}
inline request get(std::string k) {
  return request{kind::get, 0, 0, std::move(k), {}};
}
inline request del(std::string k) {
  return request{kind::del, 0, 0, std::move(k), {}};
}

} // namespace ipipe::apps::rkv::testing
