#pragma once

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace ipipe::sched {

/// A per-actor service-time distribution, in virtual ns.
struct service_dist {
  /// The shape of the distribution.
  enum class kind : std::uint8_t {
    /// Always a_ns.
    fixed,
    /// Exponential with mean a_ns.
    exponential,
    /// b_ns with probability b_ppm per million, else a_ns.
    bimodal,
    /// Measured: linear between the values at given quantile levels.
    empirical,
  };
  /// Which distribution.
  kind shape = kind::fixed;
  /// The fixed value, the exponential mean, or the bimodal common value.
  std::uint64_t a_ns = 1000;
  /// The bimodal rare value.
  std::uint64_t b_ns = 0;
  /// The bimodal probability of b_ns, per million.
  std::uint32_t b_ppm = 0;
  /// The empirical (quantile level, ns) knots, levels rising from 0 to 1.
  std::shared_ptr<const std::vector<std::pair<double, std::uint64_t>>> knots;

  /// Returns a fixed distribution of `ns`.
  static service_dist fixed(std::uint64_t ns) { return {kind::fixed, ns, 0, 0, {}}; }
  /// Returns an exponential distribution of mean `ns`.
  static service_dist exponential(std::uint64_t ns) { return {kind::exponential, ns, 0, 0, {}}; }
  /// Returns the distribution whose quantile function is linear between
  /// `knots` (level, ns): levels rising from 0 to 1, values not falling.
  /// Checked by the caller (cost_table's parser checks what it reads).
  static service_dist empirical(std::vector<std::pair<double, std::uint64_t>> knots);

  /// Returns one sample drawn from `rng` (at least 1 ns).
  [[nodiscard]] std::uint64_t sample(std::mt19937_64& rng) const;
  /// Returns the mean in ns.
  [[nodiscard]] double mean_ns() const noexcept;
};

/// One actor of a workload phase: its share of the arrivals and its cost.
struct actor_spec {
  /// Actor id, below policy_config::max_actors.
  std::uint32_t id = 0;
  /// Relative share of the requests (weights need not sum to 1).
  double weight = 1;
  /// Service time of its requests.
  service_dist service;
};

/// A span of time during which the request mix is constant.
struct phase {
  /// Virtual time at which this mix starts.
  std::uint64_t start_ns = 0;
  /// Actors receiving requests during the phase.
  std::vector<actor_spec> actors;
};

/// An open-loop Poisson workload: a sequence of mixes, each request going to
/// one actor drawn by weight.
struct workload {
  /// Name printed by the study ("SBIM2").
  std::string name;
  /// Mixes in start order; the first starts at 0.
  std::vector<phase> phases;

  /// Returns the mean service time of phase `i` in ns.
  [[nodiscard]] double mean_service_ns(std::size_t i = 0) const;
  /// Returns every actor id used by any phase, sorted and unique.
  [[nodiscard]] std::vector<std::uint32_t> actor_ids() const;
};

/// Returns SBIM2: actor 0 takes 0.5 us (99.5%), actor 1 takes 500 us (0.5%).
[[nodiscard]] workload sbim2();
/// Returns DISP2: actor 0 takes 1 us (50%), actor 1 takes 100 us (50%).
[[nodiscard]] workload disp2();
/// Returns a shifting SBIM2-like mix: until `shift_ns` actor 0 is short and
/// actor 1 long (SBIM2 shares); afterwards the roles swap. The mean cost
/// per request is unchanged, so one arrival rate gives the same load in
/// both phases, and the policy must downgrade actor 0 and upgrade actor 1.
[[nodiscard]] workload shifting_mix(std::uint64_t shift_ns);

/// One request of a scripted trace: when it arrives, for whom, how long it runs.
struct scripted_request {
  /// Arrival time in virtual ns.
  std::uint64_t arrival_ns = 0;
  /// Destination actor.
  std::uint32_t actor = 0;
  /// Execution time on a NIC core.
  std::uint64_t service_ns = 0;
  /// The mean cost of the request's type, which a type oracle (DARC's
  /// classifier) knows before the request runs; 0: its own service_ns.
  std::uint64_t type_mean_ns = 0;
};

} // namespace ipipe::sched
