#pragma once
// RTA, the real-time analytics engine of iPipe (SIGCOMM 2019), as ipipe
// actors over a tweet-like stream: "rta_filter" (drops non-matching tweets
// and stop words, shards the terms), "rta_count" (tumbling event-time
// windows, term counts in DMO hash tables of fixed size) and "rta_rank"
// (merges each window's partial top-k, answers queries for closed
// windows). Protocol and design: Documentation/design/rta.rst.

#include <ipipe/runtime/ids.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace ipipe::apps::rta {

/// Registers the three actor types (idempotent, thread safe).
void register_actors();

inline constexpr const char* filter_type = "rta_filter";
inline constexpr const char* count_type = "rta_count";
inline constexpr const char* rank_type = "rta_rank";

inline constexpr std::uint8_t protocol_version = 1;
inline constexpr std::size_t max_text = 1024;   ///< longest tweet text, bytes
inline constexpr std::size_t max_term = 32;     ///< longer terms are skipped
inline constexpr std::uint32_t max_counts = 16; ///< count actors per filter
inline constexpr std::uint32_t max_k = 64;      ///< longest top-k list
inline constexpr std::uint32_t max_lateness = 7;
inline constexpr std::size_t tweet_hdr_size = 32;
inline constexpr std::size_t tweet_reply_size = 24;
inline constexpr std::size_t query_size = 16;
inline constexpr std::size_t answer_hdr_size = 48;

/// The first payload byte of every RTA message.
enum class kind : std::uint8_t {
  tweet = 1,        ///< client -> filter: one tweet
  query = 2,        ///< client -> rank: the top-k of a closed window
  configure = 0x20, ///< operator: the actor's configuration, once after creation
  stats = 0x21,     ///< operator: return the actor's counters
  // 0x30..0x3f: internal (filter -> count -> rank).
};

/// Result of a client request.
enum class status : std::uint8_t {
  ok = 0,         ///< tweet: its terms are counted; query: the answer follows
  filtered = 1,   ///< tweet: does not match the filter (language): not counted
  late = 2,       ///< tweet: its window was closed already: not counted
  not_closed = 3, ///< query: the window is still open (ask again later)
  evicted = 4,    ///< query: the window is older than what the rank actor keeps
  error = 5,      ///< see detail
};

/// Why a request got status::error.
enum class detail : std::uint8_t {
  none = 0,
  text_too_long = 1,  ///< tweet text longer than max_text
  not_configured = 2, ///< the actor has not received CONFIGURE yet
  bad_config = 3,     ///< CONFIGURE malformed, or repeated with other values
  internal = 4,       ///< a DMO operation failed
};

/// A tweet (IPIPE_MSG_REQUEST payload to the filter actor).
struct tweet {
  std::uint64_t id = 0;
  std::uint64_t time_us = 0; ///< event time, microseconds
  std::uint32_t user = 0;
  std::uint8_t lang = 0; ///< 0..31
  std::string text;      ///< terms separated by spaces
};

/// The filter's answer to a tweet.
struct tweet_reply {
  status st = status::ok;
  detail why = detail::none;
  std::uint16_t terms = 0; ///< terms forwarded to the count actors
  std::uint64_t id = 0;    ///< the tweet's id, echoed
  std::uint64_t window = 0;
};

/// One line of a top-k list.
struct term_count {
  std::string term;
  std::uint32_t count = 0;
  bool operator==(const term_count&) const = default;
};

/// The rank actor's answer to a query.
struct window_answer {
  status st = status::ok;
  detail why = detail::none;
  std::uint64_t window = 0;
  std::uint64_t tokens = 0;    ///< terms counted in the window
  std::uint64_t distinct = 0;  ///< distinct terms counted
  std::uint64_t dropped = 0;   ///< terms not counted: a count table was full
  std::uint64_t closed = 0;    ///< every window below this one is closed
  std::vector<term_count> top; ///< count descending, then term ascending
};

/// Encodes a tweet (no length checks: oversize tweets can be built).
[[nodiscard]] std::vector<std::byte> encode(const tweet& t);
/// Decodes a tweet; nullopt if malformed (an oversize text is not).
[[nodiscard]] std::optional<tweet> decode_tweet(std::span<const std::byte> p);
[[nodiscard]] std::vector<std::byte> encode(const tweet_reply& r);
[[nodiscard]] std::optional<tweet_reply> decode_tweet_reply(std::span<const std::byte> p);
/// Returns the payload of a query for `window`.
[[nodiscard]] std::vector<std::byte> query_request(std::uint64_t window);
[[nodiscard]] std::vector<std::byte> encode(const window_answer& a);
[[nodiscard]] std::optional<window_answer> decode_window_answer(std::span<const std::byte> p);

/// filter_config::flags: count only hashtags (terms starting with '#').
inline constexpr std::uint8_t cfg_hashtags_only = 1u << 0;

/// CONFIGURE of "rta_filter": the whole pipeline. The filter passes the
/// count and rank parts on to those actors (the same CONFIGURE format an
/// operator could send them), so the three never disagree.
struct filter_config {
  std::uint64_t window_us = 100'000; ///< tumbling window length, event time
  std::uint32_t lateness = 1;        ///< windows kept open behind the newest
  std::uint8_t flags = 0;            ///< cfg_*
  std::uint32_t lang_mask = 0x3;     ///< languages counted (bit per lang)
  std::uint32_t k = 10;              ///< top-k length, 1..max_k
  std::uint32_t max_terms = 4096;    ///< distinct terms per window per count actor
  std::uint32_t retain = 64;         ///< closed windows the rank actor keeps
  runtime::actor_id rank = 0;
  std::vector<runtime::actor_id> counts; ///< 1..max_counts
};

/// CONFIGURE of "rta_count" (the filter sends it).
struct count_config {
  std::uint32_t index = 0; ///< this actor's shard, 0..n-1
  std::uint32_t k = 10;
  std::uint32_t max_terms = 4096;
  std::uint32_t windows = 2; ///< tables: lateness + 1
  runtime::actor_id filter = 0;
  runtime::actor_id rank = 0;
};

/// CONFIGURE of "rta_rank" (the filter sends it).
struct rank_config {
  std::uint32_t k = 10;
  std::uint32_t retain = 64;
  std::vector<runtime::actor_id> counts; ///< by shard index
};

[[nodiscard]] std::vector<std::byte> encode(const filter_config& c);
[[nodiscard]] std::vector<std::byte> encode(const count_config& c);
[[nodiscard]] std::vector<std::byte> encode(const rank_config& c);
/// Decodes a CONFIGURE reply: status ok or error/bad_config.
[[nodiscard]] std::optional<status> decode_configure_reply(std::span<const std::byte> p);
/// Returns the payload of a STATS request.
[[nodiscard]] std::vector<std::byte> stats_request();
/// Decodes a STATS reply: the counters, named by enum stat.
[[nodiscard]] std::optional<std::vector<std::uint64_t>> decode_stats(std::span<const std::byte> p);

/// Counter positions in a STATS reply (all three actors use the prefix).
enum stat : std::size_t {
  st_requests = 0,     ///< messages handled (ticks excluded)
  st_malformed = 1,    ///< dropped: truncated, garbage, unknown kind, out of range
  st_oversize = 2,     ///< tweets refused for a too long text
  st_foreign = 3,      ///< internal messages from senders not in the config
  st_unconfigured = 4, ///< requests before CONFIGURE
  st_tweets = 5,       ///< filter: tweets counted
  st_filtered = 6,     ///< filter: tweets of another language
  st_late = 7,         ///< filter: tweets of a closed window
  st_terms = 8,        ///< filter: terms forwarded; count: terms received
  st_stop_words = 9,   ///< filter: stop words skipped (and non-hashtags)
  st_long_terms = 10,  ///< filter: terms longer than max_term skipped
  st_dropped = 11,     ///< count: terms not counted, table full; rank: in results
  st_windows = 12,     ///< count: partials sent; rank: partials merged
  st_queries = 13,     ///< rank: queries answered
  st_evicted = 14,     ///< rank: windows forgotten early (more pending than kept)
  st_closed = 15,      ///< gauge: filter/count: first open window; rank: first not closed
  st_count = 16,
};

} // namespace ipipe::apps::rta
