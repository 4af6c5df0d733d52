// The seeded tweet stream, the filter's tokenizer and the reference.
#include "stream.hpp"

#include <algorithm>
#include <array>
#include <cmath>

namespace ipipe::apps::rta {

namespace {

// splitmix64: each tweet draws from its own stream, seeded by (seed, i),
// so tweet i never depends on tweets before it.
std::uint64_t mix(std::uint64_t& state) noexcept {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

double uniform(std::uint64_t& state) noexcept {
  return static_cast<double>(mix(state) >> 11) * 0x1.0p-53;
}

std::uint64_t below(std::uint64_t& state, std::uint64_t n) noexcept {
  return static_cast<std::uint64_t>((static_cast<unsigned __int128>(mix(state)) * n) >> 64);
}

// Sorted, for binary search.
constexpr std::array<std::string_view, 40> stops = {
    "a",   "about", "an",   "and", "are",  "as", "at",  "be",  "but",  "by",
    "for", "from",  "had",  "has", "have", "he", "her", "his", "i",    "if",
    "in",  "is",    "it",   "its", "me",   "my", "not", "of",  "on",   "or",
    "she", "so",    "that", "the", "this", "to", "was", "we",  "with", "you",
};

} // namespace

zipf::zipf(std::uint32_t n, double s) : cdf_(std::max<std::uint32_t>(n, 1)) {
  double sum = 0;
  for (std::size_t r = 0; r < cdf_.size(); ++r)
    cdf_[r] = sum += 1.0 / std::pow(static_cast<double>(r + 1), s);
  for (auto& c : cdf_)
    c /= sum;
}

std::uint32_t zipf::operator()(double u) const {
  const auto it = std::upper_bound(cdf_.begin(), cdf_.end(), u);
  return static_cast<std::uint32_t>(std::min<std::size_t>(it - cdf_.begin(), cdf_.size() - 1));
}

stream::stream(const stream_params& p)
    : p_(p), words_(p.words, p.zipf_s), tags_(p.hashtags, p.zipf_s), users_(p.users, p.zipf_s) {}

std::string stream::word(std::uint32_t w) {
  // Base-80 digits as consonant-vowel syllables: distinct words get
  // distinct names. A few ("be", "me", "to") are stop words, which the
  // filter and the reference skip alike.
  static constexpr std::string_view cons = "bdfgklmnprtvzcjx";
  static constexpr std::string_view vow = "aeiou";
  std::string s;
  do {
    s += cons[w % 16];
    s += vow[(w / 16) % 5];
    w /= 80;
  } while (w != 0);
  return s;
}

tweet stream::at(std::uint64_t i) const {
  std::uint64_t st = p_.seed * 0x2545f4914f6cdd1dull ^ (i + 1) * 0x9e3779b97f4a7c15ull;
  tweet t;
  t.id = i + 1;
  t.time_us = p_.base_us + i * p_.gap_us + below(st, std::max<std::uint32_t>(p_.gap_us, 1));
  t.user = users_(uniform(st));
  // Languages 0..3 with weights 6:2:1:1.
  const auto l = below(st, 10);
  t.lang = static_cast<std::uint8_t>(l < 6 ? 0 : l < 8 ? 1 : l < 9 ? 2 : 3);
  const auto span = p_.max_terms >= p_.min_terms ? p_.max_terms - p_.min_terms + 1 : 1;
  const auto n = p_.min_terms + below(st, span);
  for (std::uint64_t j = 0; j < n; ++j) {
    if (j != 0)
      t.text += ' ';
    const auto pick = below(st, 1000);
    if (pick < p_.long_per_mille) {
      t.text += "loooong" + std::string(max_term, 'o') + word(static_cast<std::uint32_t>(j));
    } else if (pick < p_.long_per_mille + 10 * p_.stop_pct) {
      t.text += stops[below(st, stops.size())];
    } else if (pick < p_.long_per_mille + 10 * (p_.stop_pct + p_.hashtag_pct)) {
      t.text += "#" + word(tags_(uniform(st)));
    } else {
      auto w = word(words_(uniform(st)));
      if (below(st, 20) == 0)
        w[0] = static_cast<char>(w[0] - 'a' + 'A'); // the filter folds case
      t.text += w;
    }
  }
  return t;
}

std::uint64_t stream::first_at(std::uint64_t time_us) const {
  if (time_us <= p_.base_us)
    return 0;
  const std::uint64_t gap = std::max<std::uint32_t>(p_.gap_us, 1);
  std::uint64_t i = (time_us - p_.base_us) / gap; // the slot holding time_us
  return at(i).time_us >= time_us ? i : i + 1;
}

std::span<const std::string_view> stop_words() noexcept {
  return stops;
}

bool is_stop_word(std::string_view term) noexcept {
  return std::binary_search(stops.begin(), stops.end(), term);
}

term_tally for_each_term(std::string_view text, std::uint8_t flags,
                         const std::function<void(std::string_view)>& fn) {
  term_tally t;
  std::array<char, max_term> buf{};
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto end = std::min(text.find(' ', pos), text.size());
    const auto raw = text.substr(pos, end - pos);
    pos = end + 1;
    if (raw.empty())
      continue;
    if (raw.size() > max_term) {
      ++t.too_long;
      continue;
    }
    for (std::size_t i = 0; i < raw.size(); ++i)
      buf[i] = raw[i] >= 'A' && raw[i] <= 'Z' ? static_cast<char>(raw[i] - 'A' + 'a') : raw[i];
    const std::string_view term(buf.data(), raw.size());
    if (is_stop_word(term) || ((flags & cfg_hashtags_only) != 0 && term[0] != '#')) {
      ++t.stop;
      continue;
    }
    ++t.counted;
    fn(term);
  }
  return t;
}

void window_counts::add(const tweet& t, std::uint32_t lang_mask, std::uint8_t flags) {
  if (!lang_matches(lang_mask, t.lang) || t.text.size() > max_text)
    return;
  (void)for_each_term(t.text, flags, [&](std::string_view term) {
    ++counts[std::string(term)];
    ++tokens;
  });
}

std::vector<term_count> window_counts::top(std::uint32_t k) const {
  std::vector<term_count> all;
  all.reserve(counts.size());
  for (const auto& [term, n] : counts)
    all.push_back({term, n});
  const auto n = std::min<std::size_t>(k, all.size());
  std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n), all.end(),
                    ranks_before);
  all.resize(n);
  return all;
}

} // namespace ipipe::apps::rta
