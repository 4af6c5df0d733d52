#include "args.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <limits>

namespace ipipe::ctl {

namespace {

std::optional<std::uint64_t> to_u64(std::string_view s) noexcept {
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc{} || p != s.data() + s.size())
    return std::nullopt;
  return v;
}

constexpr std::string_view param_keys =
    "tail_thresh_ns, mean_thresh_ns, alpha_permille, drr_quantum_ns, fcfs_cores";

} // namespace

usage_error invalid_argument(std::string_view arg, std::string_view why) {
  return {fmt::format("Error: argument \"{}\" is wrong: {}", arg, why)};
}

usage_error incomplete_command() {
  return {"Command line is not complete. Try option \"help\""};
}

parsed<std::uint32_t> parse_dev(std::string_view text) {
  std::string_view n = text;
  if (n.starts_with("/dev/"))
    n.remove_prefix(5);
  if (n.starts_with("ipipe"))
    n.remove_prefix(5);
  auto v = to_u64(n);
  if (!v || *v > std::numeric_limits<std::uint32_t>::max())
    return {std::nullopt, invalid_argument(text, "expected a device: ipipeN, /dev/ipipeN or N")};
  return {static_cast<std::uint32_t>(*v), {}};
}

parsed<std::uint32_t> parse_actor_id(std::string_view text) {
  auto v = to_u64(text);
  if (!v || *v == 0 || *v > std::numeric_limits<std::uint32_t>::max())
    return {std::nullopt, invalid_argument(text, "expected an actor id (1..4294967295)")};
  return {static_cast<std::uint32_t>(*v), {}};
}

parsed<netlink::params_update> parse_param_pairs(std::span<const std::string> words) {
  if (words.empty() || words.size() % 2 != 0)
    return {std::nullopt, incomplete_command()};
  netlink::params_update p;
  for (std::size_t i = 0; i < words.size(); i += 2) {
    std::string key = words[i];
    std::replace(key.begin(), key.end(), '-', '_');
    const std::string& text = words[i + 1];
    auto v = to_u64(text);
    const auto bad_number = [&](std::string_view what) {
      return parsed<netlink::params_update>{
          std::nullopt, invalid_argument(text, fmt::format("{} expects {}", key, what))};
    };
    const auto set32 = [&](std::optional<std::uint32_t>& f) {
      if (!v || *v > std::numeric_limits<std::uint32_t>::max())
        return false;
      f = static_cast<std::uint32_t>(*v);
      return true;
    };
    bool ok = true;
    bool dup = false;
    if (key == "tail_thresh_ns" || key == "mean_thresh_ns") {
      auto& f = key == "tail_thresh_ns" ? p.tail_thresh_ns : p.mean_thresh_ns;
      dup = f.has_value();
      ok = v.has_value();
      f = v;
    } else if (key == "alpha_permille") {
      dup = p.alpha_permille.has_value();
      ok = set32(p.alpha_permille);
    } else if (key == "drr_quantum_ns") {
      dup = p.drr_quantum_ns.has_value();
      ok = set32(p.drr_quantum_ns);
    } else if (key == "fcfs_cores") {
      dup = p.fcfs_cores.has_value();
      ok = set32(p.fcfs_cores);
    } else {
      return {std::nullopt,
              invalid_argument(words[i], fmt::format("unknown parameter (one of {})", param_keys))};
    }
    if (dup)
      return {std::nullopt, invalid_argument(words[i], "given twice")};
    if (!ok)
      return bad_number(key.ends_with("_ns") && key != "drr_quantum_ns"
                            ? "an unsigned 64-bit integer"
                            : "an unsigned 32-bit integer");
  }
  return {p, {}};
}

} // namespace ipipe::ctl
