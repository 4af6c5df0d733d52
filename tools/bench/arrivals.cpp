#include "arrivals.hpp"

#include <cmath>
#include <string>
#include <vector>

namespace ipipe::bench {

namespace {

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  for (;;) {
    const auto at = s.find(sep);
    out.push_back(s.substr(0, at));
    if (at == std::string_view::npos)
      return out;
    s.remove_prefix(at + 1);
  }
}

bool to_double(std::string_view s, double& out) {
  const std::string str{s};
  char* end = nullptr;
  out = std::strtod(str.c_str(), &end);
  return !str.empty() && end == str.c_str() + str.size() && std::isfinite(out);
}

} // namespace

expected<rate_schedule> rate_schedule::parse_ramp(std::string_view s) {
  const auto f = split(s, ':');
  rate_schedule r;
  if (f.size() != 4 || !to_double(f[0], r.from) || !to_double(f[1], r.to) ||
      !to_double(f[2], r.step_s) || !to_double(f[3], r.step_rate))
    return error{errc::invalid_argument, "expected FROM:TO:STEP_SECONDS:STEP_RATE"};
  if (r.from <= 0 || r.to <= 0)
    return error{errc::invalid_argument, "rates must be above 0"};
  if (r.step_s <= 0 || r.step_rate <= 0)
    return error{errc::invalid_argument, "STEP_SECONDS and STEP_RATE must be above 0"};
  if (r.to < r.from)
    r.step_rate = -r.step_rate;
  return r;
}

double rate_schedule::rate_of_step(std::uint64_t k) const noexcept {
  if (step_s <= 0)
    return from;
  const double r = from + static_cast<double>(k) * step_rate;
  return step_rate > 0 ? std::min(r, to) : std::max(r, to);
}

double rate_schedule::rate_at(double t) const noexcept {
  if (step_s <= 0 || t < step_s)
    return from;
  return rate_of_step(static_cast<std::uint64_t>(std::floor(t / step_s)));
}

double rate_schedule::ramp_length() const noexcept {
  if (step_s <= 0 || step_rate == 0)
    return 0;
  const double steps = std::ceil(std::abs(to - from) / std::abs(step_rate));
  return (steps + 1) * step_s;
}

double poisson_arrivals::next() noexcept {
  for (;;) {
    const double rate = s_.rate_of_step(step_);
    const double gap = rng_.exponential(rate);
    const bool last = s_.step_s <= 0 || rate == s_.to;
    const double change = static_cast<double>(step_ + 1) * s_.step_s;
    if (last || t_ + gap < change) {
      t_ += gap;
      return t_;
    }
    t_ = change;
    ++step_;
  }
}

} // namespace ipipe::bench
