#pragma once

#include <cmath>
#include <cstdint>

namespace ipipe::bench {

/// A seeded pseudo-random generator (xoshiro256**, seeded by splitmix64).
/// Written out rather than taken from <random>, whose distributions differ
/// between standard libraries: the same seed must give the same request
/// sequence everywhere.
class rng {
public:
  /// Seeds the four words from `seed` with splitmix64.
  explicit rng(std::uint64_t seed) noexcept {
    for (auto& w : s_)
      w = splitmix64(seed);
  }

  /// Returns the next 64 random bits.
  std::uint64_t next() noexcept {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  /// Returns a uniform double in [0, 1).
  double uniform() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

  /// Returns a uniform integer in [0, n) (n > 0), without modulo bias
  /// (Lemire's multiply-and-reject).
  std::uint64_t below(std::uint64_t n) noexcept {
    for (;;) {
      const unsigned __int128 m = static_cast<unsigned __int128>(next()) * n;
      const auto low = static_cast<std::uint64_t>(m);
      if (low >= n || low >= (0 - n) % n)
        return static_cast<std::uint64_t>(m >> 64);
    }
  }

  /// Returns an exponentially distributed value with mean 1 / rate.
  double exponential(double rate) noexcept { return -std::log1p(-uniform()) / rate; }

  /// Advances `state` and returns the next splitmix64 output.
  static std::uint64_t splitmix64(std::uint64_t& state) noexcept {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

private:
  static std::uint64_t rotl(std::uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }

  std::uint64_t s_[4]{};
};

} // namespace ipipe::bench
