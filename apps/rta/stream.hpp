#pragma once
// The seeded tweet stream and the reference answers. Tweet i is a pure
// function of the stream's parameters and i, so the tests, the load
// generator and the actors' reference all see the same stream without
// storing it. The terms of a tweet are what the filter actor counts
// (terms()), and top_k() orders them as the rank actor does.

#include "rta.hpp"
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace ipipe::apps::rta {

/// Parameters of a stream (every field feeds the tweets).
struct stream_params {
  std::uint64_t seed = 1;
  std::uint64_t base_us = 0;  ///< event time of tweet 0's slot
  std::uint32_t gap_us = 100; ///< event time slot per tweet (a tweet lies inside its slot)
  std::uint32_t words = 5000; ///< vocabulary
  std::uint32_t hashtags = 300;
  std::uint32_t users = 10000;
  double zipf_s = 1.1;         ///< exponent of words, hashtags and users
  std::uint32_t min_terms = 4; ///< terms per tweet, uniform
  std::uint32_t max_terms = 16;
  std::uint32_t stop_pct = 25; ///< share of stop words, percent
  std::uint32_t hashtag_pct = 15;
  std::uint32_t long_per_mille = 5; ///< terms longer than max_term
};

/// Draws ranks 0..n-1 with probability proportional to 1 / (rank+1)^s.
class zipf {
public:
  zipf(std::uint32_t n, double s);
  /// Returns the rank for a uniform `u` in [0, 1).
  [[nodiscard]] std::uint32_t operator()(double u) const;

private:
  std::vector<double> cdf_;
};

/// The stream: tweet(i) for any i.
class stream {
public:
  explicit stream(const stream_params& p);

  /// Returns tweet `i` (its id is i + 1; its event time lies in slot i).
  [[nodiscard]] tweet at(std::uint64_t i) const;
  /// Returns the first index whose event time is at or after `time_us`.
  [[nodiscard]] std::uint64_t first_at(std::uint64_t time_us) const;
  [[nodiscard]] const stream_params& params() const noexcept { return p_; }

  /// Returns the name of word `w` (distinct syllables, lower case).
  [[nodiscard]] static std::string word(std::uint32_t w);

private:
  stream_params p_;
  zipf words_, tags_, users_;
};

/// The stop words (lower case, sorted).
[[nodiscard]] std::span<const std::string_view> stop_words() noexcept;
/// Returns true if `term` is a stop word.
[[nodiscard]] bool is_stop_word(std::string_view term) noexcept;

/// What the filter does with the terms of a tweet.
struct term_tally {
  std::uint32_t counted = 0;
  std::uint32_t stop = 0; ///< stop words, and non-hashtags with cfg_hashtags_only
  std::uint32_t too_long = 0;
};

/// Splits `text` at spaces, lower-cases ASCII letters, skips stop words
/// (and non-hashtags with cfg_hashtags_only) and terms longer than
/// max_term, and calls `fn` with each counted term, in text order.
term_tally for_each_term(std::string_view text, std::uint8_t flags,
                         const std::function<void(std::string_view)>& fn);

/// Returns true if the filter counts tweets of language `lang`.
[[nodiscard]] inline bool lang_matches(std::uint32_t lang_mask, std::uint8_t lang) noexcept {
  return lang < 32 && (lang_mask >> lang & 1u) != 0;
}

/// Returns true if `a` ranks before `b`: higher count, then smaller term.
[[nodiscard]] inline bool ranks_before(const term_count& a, const term_count& b) noexcept {
  return a.count != b.count ? a.count > b.count : a.term < b.term;
}

/// A window's exact counts, as the reference computes them.
struct window_counts {
  std::map<std::string, std::uint32_t> counts;
  std::uint64_t tokens = 0;

  /// Counts the terms of `t` (if the filter would).
  void add(const tweet& t, std::uint32_t lang_mask, std::uint8_t flags);
  /// Returns the top `k` terms, ranks_before order.
  [[nodiscard]] std::vector<term_count> top(std::uint32_t k) const;
};

/// Returns the window of event time `time_us`.
[[nodiscard]] inline std::uint64_t window_of(std::uint64_t time_us, std::uint64_t window_us) {
  return time_us / window_us;
}

/// Returns the term's 64-bit hash (FNV-1a): the filter's sharding and the
/// count actors' tables use it.
[[nodiscard]] inline std::uint64_t term_hash(std::string_view t) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : t)
    h = (h ^ c) * 0x100000001b3ull;
  return h;
}

/// Returns the count actor (shard) of a term among `n`.
[[nodiscard]] inline std::uint32_t shard_of(std::string_view t, std::uint32_t n) noexcept {
  return static_cast<std::uint32_t>((term_hash(t) >> 7) % n);
}

} // namespace ipipe::apps::rta
