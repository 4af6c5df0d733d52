#include <ipipe/sched/cost_table.hpp>

#include <charconv>
#include <cstdlib>

namespace ipipe::sched {

namespace {

std::vector<std::string_view> split(std::string_view line) {
  std::vector<std::string_view> f;
  for (std::size_t at = 0;;) {
    const std::size_t comma = line.find(',', at);
    f.push_back(line.substr(at, comma == std::string_view::npos ? comma : comma - at));
    if (comma == std::string_view::npos)
      return f;
    at = comma + 1;
  }
}

bool to_u64(std::string_view s, std::uint64_t& v) {
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc{} && end == s.data() + s.size();
}

// "p99.9_ns" -> 0.999, "max_ns" -> 1; negative when not a level column.
double level_of(std::string_view col) {
  if (col == "max_ns")
    return 1;
  if (col.size() < 5 || col.front() != 'p' || col.substr(col.size() - 3) != "_ns")
    return -1;
  const std::string pct{col.substr(1, col.size() - 4)};
  char* end = nullptr;
  const double v = std::strtod(pct.c_str(), &end);
  return end == pct.c_str() + pct.size() && v >= 0 && v <= 100 ? v / 100 : -1;
}

error bad(std::size_t line, const std::string& why) {
  return {errc::invalid_argument, "cost table line " + std::to_string(line) + ": " + why};
}

} // namespace

expected<cost_table> parse_cost_table(std::string_view csv) {
  cost_table t;
  std::vector<double> levels;
  std::size_t n = 0;
  while (!csv.empty()) {
    const std::size_t nl = csv.find('\n');
    std::string_view line = csv.substr(0, nl);
    csv = nl == std::string_view::npos ? std::string_view{} : csv.substr(nl + 1);
    ++n;
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    if (line.empty() || line.front() == '#')
      continue;
    const auto f = split(line);
    if (levels.empty()) {
      const char* fixed[] = {"app", "actor", "side", "kind", "count", "mean_ns"};
      for (std::size_t i = 0; i < 6; ++i)
        if (f.size() <= i || f[i] != fixed[i])
          return bad(n, "the header must start app,actor,side,kind,count,mean_ns");
      for (std::size_t i = 6; i < f.size(); ++i) {
        const double q = level_of(f[i]);
        if (q < 0 || (!levels.empty() && q <= levels.back()))
          return bad(n, "quantile columns must be pN_ns or max_ns, rising");
        levels.push_back(q);
      }
      if (levels.size() < 2 || levels.front() != 0 || levels.back() != 1)
        return bad(n, "the quantile columns must run from p0_ns to max_ns");
      continue;
    }
    if (f.size() != 6 + levels.size())
      return bad(n, "expected " + std::to_string(6 + levels.size()) + " fields");
    cost_row r{std::string{f[0]}, std::string{f[1]}, std::string{f[2]}, std::string{f[3]}, 0, {}};
    std::uint64_t mean = 0;
    if (!to_u64(f[4], r.count) || !to_u64(f[5], mean))
      return bad(n, "count and mean_ns must be unsigned integers");
    if (r.side != "nic" && r.side != "host")
      return bad(n, "side must be nic or host");
    std::vector<std::pair<double, std::uint64_t>> knots;
    for (std::size_t i = 0; i < levels.size(); ++i) {
      std::uint64_t v = 0;
      if (!to_u64(f[6 + i], v) || (!knots.empty() && v < knots.back().second))
        return bad(n, "quantile values must be unsigned integers that do not fall");
      knots.emplace_back(levels[i], v);
    }
    r.cost = service_dist::empirical(std::move(knots));
    t.rows.push_back(std::move(r));
  }
  if (levels.empty())
    return bad(n, "no header");
  return t;
}

} // namespace ipipe::sched
