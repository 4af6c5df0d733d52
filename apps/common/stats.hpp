#pragma once
// The STATS reply every application actor gives: its first byte (the
// STATS kind), u8 n, then n little-endian u64 counters.

#include "codec.hpp"
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace ipipe::apps {

/// Returns the STATS reply carrying `c`.
template <std::size_t N>
writer encode_stats(std::uint8_t kind, const std::array<std::uint64_t, N>& c) {
  static_assert(N < 256);
  writer w;
  w.put(kind).put(static_cast<std::uint8_t>(N));
  for (auto v : c)
    w.put(v);
  return w;
}

/// Decodes a STATS reply whose first byte must be `kind`.
inline std::optional<std::vector<std::uint64_t>> decode_stats(std::uint8_t kind,
                                                              std::span<const std::byte> p) {
  reader rd(p);
  if (rd.get<std::uint8_t>() != kind)
    return std::nullopt;
  std::vector<std::uint64_t> out(rd.get<std::uint8_t>());
  for (auto& v : out)
    v = rd.get<std::uint64_t>();
  if (!rd.done())
    return std::nullopt;
  return out;
}

} // namespace ipipe::apps
