#include "cost_report.hpp"

#include "kind_names.hpp"
#include <algorithm>
#include <cctype>
#include <string>

namespace ipipe::apps::costs {

namespace {

std::string app_of(const std::string& type) {
  std::string app = type.substr(0, type.find('_'));
  std::transform(app.begin(), app.end(), app.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return app;
}

unsigned long long ull(std::uint64_t v) {
  return static_cast<unsigned long long>(v);
}

} // namespace

std::map<cost_key, cost_row> summarise(cost_run run, std::uint64_t floor_ns, std::uint64_t add_ns) {
  std::map<cost_key, cost_row> rows;
  for (auto& [key, s] : run) {
    auto& v = s.ns;
    if (v.empty())
      continue;
    double sum = 0;
    for (auto& x : v) {
      x = (x > floor_ns ? x - floor_ns : 1) + add_ns;
      sum += static_cast<double>(x);
    }
    std::sort(v.begin(), v.end());
    cost_row r;
    r.count = v.size();
    r.mean_ns = static_cast<std::uint64_t>(sum / static_cast<double>(v.size()));
    // The lower nearest rank at each level.
    for (std::size_t i = 0; i < cost_levels.size(); ++i)
      r.at[i] = v[static_cast<std::size_t>(cost_levels[i] * static_cast<double>(v.size() - 1))];
    rows[key] = r;
  }
  return rows;
}

std::map<cost_key, cost_row> least_of(const std::vector<std::map<cost_key, cost_row>>& runs) {
  std::map<cost_key, cost_row> out;
  std::map<cost_key, std::uint64_t> seen;
  for (const auto& run : runs)
    for (const auto& [key, r] : run) {
      auto [it, fresh] = out.try_emplace(key, r);
      ++seen[key];
      if (fresh)
        continue;
      cost_row& m = it->second;
      m.count += r.count;
      m.mean_ns = std::min(m.mean_ns, r.mean_ns);
      for (std::size_t i = 0; i < m.at.size(); ++i)
        m.at[i] = std::min(m.at[i], r.at[i]);
    }
  for (auto& [key, r] : out)
    r.count /= seen[key];
  return out;
}

void report(const std::map<cost_key, cost_row>& rows, const char* note, std::FILE* csv) {
  if (csv) {
    std::fprintf(
        csv,
        "# Handler costs of the applications' actors, written by app_cost_bench (apps/costs).\n"
        "# %s\napp,actor,side,kind,count,mean_ns",
        note);
    for (double q : cost_levels)
      q == 1 ? std::fprintf(csv, ",max_ns") : std::fprintf(csv, ",p%g_ns", q * 100);
    std::fprintf(csv, "\n");
  }
  std::printf("\nHandler cost per message kind: %s\n", note);
  std::printf("%-4s %-15s %-4s %-10s %8s %9s %9s %9s %9s %9s\n", "app", "actor", "side", "kind",
              "count", "mean", "p50", "p90", "p99", "max");
  for (const auto& [key, r] : rows) {
    const auto& [type, side, kind] = key;
    const char* sd = side == IPIPE_LOC_NIC ? "nic" : "host";
    const std::string app = app_of(type);
    const std::string name = kind_name(type, kind);
    std::printf("%-4s %-15s %-4s %-10s %8llu %9llu %9llu %9llu %9llu %9llu\n", app.c_str(),
                type.c_str(), sd, name.c_str(), ull(r.count), ull(r.mean_ns), ull(r.at[3]),
                ull(r.at[5]), ull(r.at[6]), ull(r.at[8]));
    if (!csv)
      continue;
    std::fprintf(csv, "%s,%s,%s,%s,%llu,%llu", app.c_str(), type.c_str(), sd, name.c_str(),
                 ull(r.count), ull(r.mean_ns));
    for (auto v : r.at)
      std::fprintf(csv, ",%llu", ull(v));
    std::fprintf(csv, "\n");
  }
}

} // namespace ipipe::apps::costs
