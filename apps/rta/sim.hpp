#pragma once
// Test support: one RTA node in the test's process. A NIC runtime and a
// host runtime joined by peer rings, the filter, `n` count actors and the
// rank actor created on the NIC; what leaves the node (answers to the
// client and the operator) is collected. Everything runs on the test's
// thread, so every outcome is a function of the inputs.

#include <ipipe/runtime/peer_channel.hpp>
#include <ipipe/runtime/runtime.hpp>

#include <gtest/gtest.h>

#include "rta.hpp"
#include "stream.hpp"
#include <map>
#include <optional>
#include <ostream>
#include <vector>

namespace ipipe::apps::rta {
/// Prints a top-k line in test failures.
inline std::ostream& operator<<(std::ostream& os, const term_count& t) {
  return os << t.term << ':' << t.count;
}
} // namespace ipipe::apps::rta

namespace ipipe::apps::rta::testing {

using runtime::actor_id;
using runtime::message;

inline constexpr actor_id filter_id = 1, rank_id = 2, first_count_id = 10;
inline constexpr std::uint32_t operator_ep = 1, client_ep = 100;

/// One node running the pipeline.
class node {
public:
  explicit node(filter_config cfg, std::uint32_t counts = 3, std::uint64_t quota = 4 << 20)
      : rings_(runtime::peer_rings::create(*runtime::msg_ring_geometry::make(256, 8224),
                                           *runtime::msg_ring_geometry::make(16, 16384))
                   .value()),
        nic({.side = IPIPE_LOC_NIC, .default_budget_ns = 60'000'000'000}),
        host({.side = IPIPE_LOC_HOST,
              .default_budget_ns = 60'000'000'000,
              .outbound_via_peer = true}) {
    register_actors();
    EXPECT_TRUE(nic.attach_peer(rings_.nic_end()));
    EXPECT_TRUE(host.attach_peer(rings_.host_end()));
    auto sink = [this](message&& m) { out_[m.hdr.client].push_back(std::move(m)); };
    nic.set_client_sink(sink);
    host.set_client_sink(sink);
    cfg.rank = rank_id;
    cfg.counts.clear();
    for (std::uint32_t i = 0; i < counts; ++i)
      cfg.counts.push_back(first_count_id + i);
    cfg_ = cfg;
    EXPECT_TRUE(nic.create_actor({.type = filter_type, .id = filter_id, .mem_quota = 1 << 16}));
    EXPECT_TRUE(nic.create_actor({.type = rank_type, .id = rank_id, .mem_quota = quota}));
    EXPECT_TRUE(host.add_remote(filter_id, filter_type));
    EXPECT_TRUE(host.add_remote(rank_id, rank_type));
    for (auto id : cfg.counts) {
      EXPECT_TRUE(nic.create_actor({.type = count_type, .id = id, .mem_quota = quota}));
      EXPECT_TRUE(host.add_remote(id, count_type));
    }
  }

  /// Sends the filter's CONFIGURE; returns the answer's status.
  std::optional<status> configure() { return configure(encode(cfg_), filter_id); }
  /// Sends a CONFIGURE payload to `id`; returns the answer's status.
  std::optional<status> configure(const std::vector<std::byte>& p, actor_id id) {
    auto got = operator_call(id, p);
    return got ? decode_configure_reply(got->payload) : std::nullopt;
  }

  /// Returns the STATS counters of actor `id` (empty if none came).
  std::vector<std::uint64_t> stats(actor_id id) {
    auto got = operator_call(id, stats_request());
    if (!got)
      return {};
    return decode_stats(got->payload).value_or(std::vector<std::uint64_t>{});
  }

  /// Submits a client request to actor `id` without running anything.
  void submit(actor_id id, std::span<const std::byte> p, std::uint64_t req_id,
              std::uint16_t type = IPIPE_MSG_REQUEST, actor_id src = 0) {
    auto m = message::make(type, id, src, req_id, p);
    m.hdr.client = client_ep;
    nic.submit(std::move(m));
  }

  /// Asks the rank actor about `window` and runs the node until answered.
  std::optional<window_answer> query(std::uint64_t window) {
    submit(rank_id, query_request(window), ++req_);
    settle();
    auto got = take(client_ep);
    if (got.size() != 1)
      return std::nullopt;
    return decode_window_answer(got[0].payload);
  }

  /// Runs both runtimes until nothing moves.
  void settle() {
    for (int i = 0; i < 100000; ++i) {
      const std::size_t n = nic.pump() + host.pump() + nic.run_until_idle() + host.run_until_idle();
      if (n == 0 && nic.quiet() && host.quiet())
        return;
    }
    ADD_FAILURE() << "the node did not settle";
  }

  /// Returns (and forgets) what reached endpoint `ep`.
  std::vector<message> take(std::uint32_t ep) { return std::exchange(out_[ep], {}); }

  /// Pushes every actor to the other side; returns how many moves started.
  std::size_t migrate_all() {
    std::size_t moved = 0;
    for (auto id : actors()) {
      auto where = nic.info(id);
      if (!where)
        continue;
      runtime::runtime& from = where->state == runtime::actor_state::remote ? host : nic;
      if (from.migrate(id))
        ++moved;
    }
    return moved;
  }

  /// Returns the ids of the pipeline's actors.
  std::vector<actor_id> actors() const {
    std::vector<actor_id> ids{filter_id, rank_id};
    ids.insert(ids.end(), cfg_.counts.begin(), cfg_.counts.end());
    return ids;
  }

  [[nodiscard]] const filter_config& config() const noexcept { return cfg_; }

private:
  runtime::peer_rings rings_; // before the runtimes: they use it until destroyed

public:
  runtime::runtime nic;
  runtime::runtime host;

private:
  std::optional<message> operator_call(actor_id id, std::span<const std::byte> p) {
    auto m = message::make(IPIPE_MSG_REQUEST, id, 0, ++req_, p);
    m.hdr.client = operator_ep;
    nic.submit(std::move(m));
    settle();
    auto got = take(operator_ep);
    if (got.size() != 1)
      return std::nullopt;
    return std::move(got[0]);
  }

  filter_config cfg_;
  std::map<std::uint32_t, std::vector<message>> out_;
  std::uint64_t req_ = 1000;
};

/// The reference: what every window of tweets `[0, n)` must hold.
inline std::map<std::uint64_t, window_counts> reference(const stream& s, std::uint64_t n,
                                                        const filter_config& c) {
  std::map<std::uint64_t, window_counts> ref;
  for (std::uint64_t i = 0; i < n; ++i) {
    const auto t = s.at(i);
    ref[window_of(t.time_us, c.window_us)].add(t, c.lang_mask, c.flags);
  }
  return ref;
}

} // namespace ipipe::apps::rta::testing
