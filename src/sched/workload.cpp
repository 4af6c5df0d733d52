#include <ipipe/sched/workload.hpp>

#include <algorithm>
#include <cmath>

namespace ipipe::sched {

namespace {

// Uniform in (0, 1], from 53 random bits; our own transform so the numbers
// do not depend on the standard library's distribution implementations.
double unit(std::mt19937_64& rng) {
  return (static_cast<double>(rng() >> 11) + 1.0) * (1.0 / 9007199254740992.0);
}

} // namespace

std::uint64_t service_dist::sample(std::mt19937_64& rng) const {
  switch (shape) {
  case kind::fixed:
    return std::max<std::uint64_t>(a_ns, 1);
  case kind::exponential:
    return std::max<std::uint64_t>(
        static_cast<std::uint64_t>(-std::log(unit(rng)) * static_cast<double>(a_ns)), 1);
  case kind::bimodal:
    return std::max<std::uint64_t>(rng() % 1'000'000 < b_ppm ? b_ns : a_ns, 1);
  case kind::empirical: {
    // Inverse transform: the level u falls between two knots.
    const auto& k = *knots;
    const double u = unit(rng);
    const auto hi = std::lower_bound(k.begin() + 1, k.end() - 1, u,
                                     [](const auto& knot, double q) { return knot.first < q; });
    const auto lo = hi - 1;
    const double span = hi->first - lo->first;
    const double f = span > 0 ? (u - lo->first) / span : 1;
    const double v = static_cast<double>(lo->second) +
                     f * (static_cast<double>(hi->second) - static_cast<double>(lo->second));
    return std::max<std::uint64_t>(static_cast<std::uint64_t>(v), 1);
  }
  }
  return 1;
}

service_dist service_dist::empirical(std::vector<std::pair<double, std::uint64_t>> knots) {
  service_dist d;
  d.shape = kind::empirical;
  d.knots = std::make_shared<const std::vector<std::pair<double, std::uint64_t>>>(std::move(knots));
  return d;
}

double service_dist::mean_ns() const noexcept {
  switch (shape) {
  case kind::bimodal:
    return (static_cast<double>(a_ns) * (1'000'000 - b_ppm) + static_cast<double>(b_ns) * b_ppm) /
           1e6;
  case kind::empirical: {
    // The mean of a quantile function linear between knots: trapezoids.
    double m = 0;
    for (std::size_t i = 1; i < knots->size(); ++i) {
      const auto& [q0, v0] = (*knots)[i - 1];
      const auto& [q1, v1] = (*knots)[i];
      m += (q1 - q0) * (static_cast<double>(v0) + static_cast<double>(v1)) / 2;
    }
    return m;
  }
  case kind::fixed:
  case kind::exponential:
    break;
  }
  return static_cast<double>(a_ns);
}

double workload::mean_service_ns(std::size_t i) const {
  double w = 0;
  double m = 0;
  for (const auto& a : phases.at(i).actors) {
    w += a.weight;
    m += a.weight * a.service.mean_ns();
  }
  return w > 0 ? m / w : 0;
}

std::vector<std::uint32_t> workload::actor_ids() const {
  std::vector<std::uint32_t> ids;
  for (const auto& p : phases)
    for (const auto& a : p.actors)
      ids.push_back(a.id);
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

workload sbim2() {
  return {"SBIM2",
          {{0, {{0, 0.995, service_dist::fixed(500)}, {1, 0.005, service_dist::fixed(500'000)}}}}};
}

workload disp2() {
  return {"DISP2",
          {{0, {{0, 0.5, service_dist::fixed(1'000)}, {1, 0.5, service_dist::fixed(100'000)}}}}};
}

workload shifting_mix(std::uint64_t shift_ns) {
  workload w{"SHIFT", {}};
  w.phases.push_back(
      {0, {{0, 0.995, service_dist::fixed(500)}, {1, 0.005, service_dist::fixed(500'000)}}});
  w.phases.push_back(
      {shift_ns, {{0, 0.005, service_dist::fixed(500'000)}, {1, 0.995, service_dist::fixed(500)}}});
  return w;
}

} // namespace ipipe::sched
