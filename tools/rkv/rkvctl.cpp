#include "rkvctl.hpp"

#include <fmt/core.h>

namespace ipipe::tools::rkvctl {

namespace rkv = apps::rkv;

expected<std::vector<configure_step>> configure_steps(const replica_setup& s) {
  if (s.endpoints.size() != rkv::replicas)
    return error{errc::invalid_argument, fmt::format("--endpoints needs {} handles, got {}",
                                                     rkv::replicas, s.endpoints.size())};
  if (s.self >= rkv::replicas)
    return error{errc::invalid_argument, fmt::format("--replica {} is not 0..2", s.self)};
  if (s.dir.empty() || s.dir.size() > 243)
    return error{errc::invalid_argument, "--dir must be 1..243 bytes"};
  for (auto e : s.endpoints)
    if (e == 0)
      return error{errc::invalid_argument, "--endpoints: handle 0 is no endpoint"};
  std::vector<configure_step> out;
  out.push_back({s.sstable, "sstable", rkv::encode(rkv::sstable_config{s.dir, s.max_files})});
  out.push_back({s.memtable, "memtable",
                 rkv::encode(rkv::memtable_config{s.consensus, s.sstable, s.flush_bytes})});
  rkv::consensus_config c;
  c.self = s.self;
  c.flags = s.rejoin ? rkv::cfg_rejoin : 0;
  c.memtable = s.memtable;
  c.sstable = s.sstable;
  c.election_ticks = s.election_ticks;
  c.log_capacity = s.log_capacity;
  for (std::uint32_t i = 0; i < rkv::replicas; ++i)
    c.peers[i] = {s.endpoints[i], s.consensus};
  out.push_back({s.consensus, "consensus", rkv::encode(c)});
  return out;
}

bool configure_ok(std::span<const std::byte> reply, std::string& why) {
  const auto r = rkv::decode_response(reply);
  if (!r) {
    why = "a reply that is no RKV response";
    return false;
  }
  if (r->op != rkv::kind::configure) {
    why = fmt::format("a reply to op {}", static_cast<int>(r->op));
    return false;
  }
  if (r->st != rkv::status::ok) {
    why = fmt::format("status {} detail {}", static_cast<int>(r->st), static_cast<int>(r->why));
    return false;
  }
  return true;
}

const char* stat_name(std::size_t i) noexcept {
  static constexpr const char* names[rkv::st_count] = {
      "requests",  "malformed", "oversize",  "foreign",     "not_leader", "busy",
      "committed", "elections", "flushes",   "compactions", "role",       "commit",
      "applied",   "durable",   "log_start", "ballot"};
  return i < rkv::st_count ? names[i] : "?";
}

const char* role_name(std::uint64_t role) noexcept {
  switch (role) {
  case 0:
    return "follower";
  case 1:
    return "candidate";
  case 2:
    return "leader";
  case 3:
    return "learner";
  default:
    return "?";
  }
}

std::string render_stats(const std::vector<std::uint64_t>& v, bool json) {
  std::string s = json ? "{" : "";
  for (std::size_t i = 0; i < v.size() && i < rkv::st_count; ++i) {
    const bool role = i == rkv::st_role;
    std::string value = role ? role_name(v[i]) : std::to_string(v[i]);
    if (json && role)
      value = "\"" + value + "\"";
    if (json)
      s += fmt::format("{}\"{}\":{}", i ? "," : "", stat_name(i), value);
    else
      s += fmt::format("{}{}={}", i ? " " : "", stat_name(i), value);
  }
  return json ? s + "}" : s;
}

} // namespace ipipe::tools::rkvctl
