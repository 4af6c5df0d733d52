#pragma once

#include <ipipe/common/expected.hpp>
#include <ipipe/nic/options.hpp>
#include <ipipe/runtime/ids.hpp>

#include "workload.hpp"
#include <cstdint>
#include <map>
#include <rta/rta.hpp>
#include <rta/stream.hpp>
#include <unordered_map>

namespace ipipe::bench {

/// Parameters of the RTA workload. The window, lateness, k, languages and
/// flags must be those the filter actor was configured with (the defaults
/// are apps::rta::filter_config's).
struct rta_params {
  std::uint64_t seed = 1;
  std::uint64_t window_us = apps::rta::filter_config{}.window_us;
  std::uint32_t lateness = apps::rta::filter_config{}.lateness;
  std::uint32_t k = apps::rta::filter_config{}.k;
  std::uint32_t lang_mask = apps::rta::filter_config{}.lang_mask;
  std::uint8_t flags = 0;
  std::uint32_t gap_us = 100;      ///< event time per tweet
  std::uint32_t query_every = 100; ///< every n-th request is a query
  std::uint64_t base_us = 0;       ///< event time of tweet 0; 0: the wall clock
};

/// The RTA workload: the seeded tweet stream (apps/rta/stream.hpp) to the
/// filter actor (target 0), and queries for closed windows to the rank
/// actor (target 1). Request n is a query when (n + 1) % query_every == 0,
/// for the window lateness + 2 behind the newest tweet sent, so the
/// sequence depends on the seed and n alone.
///
/// Each answer to a tweet is checked (its window, its term count, FILTERED
/// exactly for the languages not counted) and its terms are added to the
/// reference of its window when it was counted. A query's answer is
/// compared with that reference: the totals and the top-k exactly, or,
/// when the rank actor reports dropped terms (a count table was full),
/// the count of every term it lists. A window with a tweet whose fate is
/// unknown (timed out, or not answered yet) cannot be checked: such
/// answers are counted as unverified_queries.
class rta_workload final : public workload {
public:
  explicit rta_workload(const rta_params& p);

  outgoing next(std::uint64_t token, std::uint64_t n) override;
  verdict on_answer(std::uint64_t token, const ipipe_msg_hdr& hdr,
                    std::span<const std::byte> body) override;
  void on_timeout(std::uint64_t token) override;
  [[nodiscard]] std::map<std::string, std::uint64_t> counters() const override;

  /// Returns the stream (for tests).
  [[nodiscard]] const apps::rta::stream& tweets() const noexcept { return stream_; }

private:
  struct pending {
    bool query = false;
    std::uint64_t index = 0; ///< tweet index, or the queried window
  };
  // What the client knows of one window.
  struct book {
    apps::rta::window_counts counted; ///< terms of the tweets answered OK
    std::uint64_t sent = 0, answered = 0, unknown = 0;
  };

  verdict judge_tweet(std::uint64_t i, std::span<const std::byte> body);
  verdict judge_query(std::uint64_t w, std::span<const std::byte> body);

  rta_params p_;
  apps::rta::stream stream_;
  std::uint64_t first_window_;
  std::uint64_t next_tweet_ = 0;
  std::unordered_map<std::uint64_t, pending> pending_;
  std::map<std::uint64_t, book> books_;
  std::map<std::string, std::uint64_t> c_;
};

/// Returns an event time for tweet 0 (rta_params::base_us) that no window
/// the filter actor `filter` behind `at` has seen yet reaches: past the
/// newest window it keeps open (its STATS say which), and not before the
/// wall clock. The stream runs ahead of the wall clock whenever tweets
/// arrive faster than one per gap_us, so a later run cannot simply start
/// at the wall clock: its tweets would all be late.
[[nodiscard]] expected<std::uint64_t> rta_fresh_base(const nic::endpoint& at,
                                                     runtime::actor_id filter, const rta_params& p,
                                                     std::uint64_t timeout_ms);

/// Sends the filter actor `filter` behind the wire port `at` its
/// CONFIGURE, which it passes on to the count and rank actors `c` names,
/// and checks that it answers OK. A repeated CONFIGURE with the same values
/// is answered OK again; different values are refused (bad_config).
[[nodiscard]] expected<void> configure_rta(const nic::endpoint& at, runtime::actor_id filter,
                                           const apps::rta::filter_config& c,
                                           std::uint64_t timeout_ms);

} // namespace ipipe::bench
