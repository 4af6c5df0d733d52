#include "units.hpp"

#include <fmt/format.h>

namespace ipipe::ctl {

std::string ns_text(std::uint64_t ns) {
  const auto d = static_cast<double>(ns);
  if (ns < 1000)
    return fmt::format("{}ns", ns);
  if (ns < 1000000)
    return fmt::format("{:.1f}us", d / 1e3);
  if (ns < 1000000000)
    return fmt::format("{:.2f}ms", d / 1e6);
  return fmt::format("{:.2f}s", d / 1e9);
}

std::string bytes_text(std::uint64_t bytes) {
  static constexpr const char* units = "KMGT";
  if (bytes < 1024)
    return fmt::format("{}", bytes);
  int u = 0;
  auto v = static_cast<double>(bytes) / 1024;
  while (v >= 1024 && u < 3) {
    v /= 1024;
    ++u;
  }
  if (v == static_cast<double>(static_cast<std::uint64_t>(v)))
    return fmt::format("{}{}", static_cast<std::uint64_t>(v), units[u]);
  return fmt::format("{:.1f}{}", v, units[u]);
}

std::string fw_version_text(std::uint32_t v) {
  return fmt::format("{}.{}.{}", v >> 16, (v >> 8) & 0xff, v & 0xff);
}

std::string abi_version_text(std::uint32_t v) {
  return fmt::format("{}.{}", v >> 16, v & 0xffff);
}

std::string dev_name(std::uint32_t index) {
  return fmt::format("ipipe{}", index);
}

} // namespace ipipe::ctl
