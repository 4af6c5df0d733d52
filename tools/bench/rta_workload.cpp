#include "rta_workload.hpp"

#include <fmt/core.h>

#include "round_trip.hpp"
#include "wire_socket.hpp"
#include <algorithm>
#include <chrono>

namespace ipipe::bench {

namespace rta = apps::rta;

namespace {

constexpr std::size_t filter_target = 0, rank_target = 1;
// Windows of reference kept behind the one queried last.
constexpr std::uint64_t books_kept = 64;

// The stream's start: the wall clock, rounded up to a window, so that a
// later run's windows are new to the filter (its earlier windows closed).
std::uint64_t start_us(const rta_params& p) {
  if (p.base_us != 0)
    return p.base_us;
  const auto now = std::chrono::duration_cast<std::chrono::microseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  return (static_cast<std::uint64_t>(now) / p.window_us + 1) * p.window_us;
}

rta::stream_params stream_of(const rta_params& p) {
  rta::stream_params s;
  s.seed = p.seed;
  s.base_us = start_us(p);
  s.gap_us = p.gap_us;
  return s;
}

} // namespace

rta_workload::rta_workload(const rta_params& p)
    : p_(p), stream_(stream_of(p)),
      first_window_(rta::window_of(stream_.params().base_us, p.window_us)) {
  for (const char* n :
       {"tweets", "queries", "counted", "filtered", "late", "checked_queries", "unverified_queries",
        "inexact_windows", "not_closed", "wrong_tweets", "wrong_queries"})
    c_[n] = 0;
}

outgoing rta_workload::next(std::uint64_t token, std::uint64_t n) {
  if (p_.query_every != 0 && (n + 1) % p_.query_every == 0 && next_tweet_ > 0) {
    const auto newest = rta::window_of(stream_.at(next_tweet_ - 1).time_us, p_.window_us);
    if (newest >= first_window_ + p_.lateness + 2) {
      const std::uint64_t w = newest - p_.lateness - 2;
      pending_[token] = {true, w};
      ++c_["queries"];
      // Forget the reference of windows no query will ask for again.
      while (!books_.empty() && books_.begin()->first + books_kept < w)
        books_.erase(books_.begin());
      return {rta::query_request(w), rank_target};
    }
  }
  const std::uint64_t i = next_tweet_++;
  const auto t = stream_.at(i);
  ++books_[rta::window_of(t.time_us, p_.window_us)].sent;
  pending_[token] = {false, i};
  ++c_["tweets"];
  return {rta::encode(t), filter_target};
}

verdict rta_workload::on_answer(std::uint64_t token, const ipipe_msg_hdr& hdr,
                                std::span<const std::byte> body) {
  auto it = pending_.find(token);
  if (it == pending_.end())
    return {verdict::kind::wrong, 0, "answer to no RTA request"};
  if (hdr.type == IPIPE_MSG_ERROR) {
    on_timeout(token); // its fate is unknown
    return {verdict::kind::error_reply, 0, error_reply_reason(body)};
  }
  if (hdr.type != IPIPE_MSG_REPLY)
    return {verdict::kind::wrong, 0, fmt::format("message type {}", hdr.type)};
  const pending p = it->second;
  verdict v = p.query ? judge_query(p.index, body) : judge_tweet(p.index, body);
  if (v.what == verdict::kind::wrong) // which check failed, beyond the first reasons
    ++c_[p.query ? "wrong_queries" : "wrong_tweets"];
  if (v.what != verdict::kind::retry_later)
    pending_.erase(token);
  return v;
}

verdict rta_workload::judge_tweet(std::uint64_t i, std::span<const std::byte> body) {
  using vk = verdict::kind;
  const auto t = stream_.at(i);
  const auto w = rta::window_of(t.time_us, p_.window_us);
  book& b = books_[w];
  const auto r = rta::decode_tweet_reply(body);
  if (!r) {
    ++b.unknown;
    return {vk::wrong, 0, "malformed RTA tweet answer"};
  }
  if (r->st == rta::status::error) {
    ++b.unknown; // not counted, but say so as an error
    return {vk::error_reply, 0, fmt::format("RTA error, detail {}", static_cast<int>(r->why))};
  }
  ++b.answered;
  const bool counts = rta::lang_matches(p_.lang_mask, t.lang);
  const auto tally = rta::for_each_term(t.text, p_.flags, [](std::string_view) {});
  if (r->id != t.id || r->window != w)
    return {vk::wrong, 0,
            fmt::format("tweet {}: answer for tweet {} window {}, want window {}", t.id, r->id,
                        r->window, w)};
  switch (r->st) {
  case rta::status::ok:
    if (!counts || r->terms != tally.counted)
      return {vk::wrong, 0,
              fmt::format("tweet {}: {} terms counted, want {}", t.id, r->terms,
                          counts ? tally.counted : 0)};
    b.counted.add(t, p_.lang_mask, p_.flags);
    ++c_["counted"];
    return {};
  case rta::status::filtered:
    if (counts)
      return {vk::wrong, 0, fmt::format("tweet {}: FILTERED, language {}", t.id, t.lang)};
    ++c_["filtered"];
    return {};
  case rta::status::late:
    ++c_["late"];
    return {};
  default:
    return {vk::wrong, 0, fmt::format("tweet {}: status {}", t.id, static_cast<int>(r->st))};
  }
}

verdict rta_workload::judge_query(std::uint64_t w, std::span<const std::byte> body) {
  using vk = verdict::kind;
  const auto a = rta::decode_window_answer(body);
  if (!a || a->window != w)
    return {vk::wrong, 0, fmt::format("window {}: malformed RTA query answer", w)};
  switch (a->st) {
  case rta::status::not_closed:
    ++c_["not_closed"];
    return {vk::retry_later, rank_target, {}};
  case rta::status::evicted:
    return {vk::error_reply, 0, fmt::format("window {}: evicted", w)};
  case rta::status::error:
    return {vk::error_reply, 0,
            fmt::format("window {}: RTA error, detail {}", w, static_cast<int>(a->why))};
  case rta::status::ok:
    break;
  default:
    return {vk::wrong, 0, fmt::format("window {}: status {}", w, static_cast<int>(a->st))};
  }
  const book empty;
  const auto it = books_.find(w);
  const book& b = it != books_.end() ? it->second : empty;
  if (b.unknown != 0 || b.answered < b.sent) {
    ++c_["unverified_queries"];
    return {};
  }
  const auto& ref = b.counted;
  if (a->dropped != 0) {
    // A full count table: the terms it did count have exact counts.
    ++c_["inexact_windows"];
    if (a->tokens + a->dropped != ref.tokens)
      return {vk::wrong, 0,
              fmt::format("window {}: {} + {} dropped terms, want {}", w, a->tokens, a->dropped,
                          ref.tokens)};
    for (const auto& t : a->top) {
      const auto c = ref.counts.find(t.term);
      if (c == ref.counts.end() || c->second != t.count)
        return {vk::wrong, 0,
                fmt::format("window {}: {} counted {} times, want {}", w, t.term, t.count,
                            c == ref.counts.end() ? 0 : c->second)};
    }
    ++c_["checked_queries"];
    return {};
  }
  if (a->tokens != ref.tokens || a->distinct != ref.counts.size())
    return {vk::wrong, 0,
            fmt::format("window {}: {} terms ({} distinct), want {} ({})", w, a->tokens,
                        a->distinct, ref.tokens, ref.counts.size())};
  const auto want = ref.top(p_.k);
  if (a->top != want) {
    std::size_t i = 0;
    while (i < a->top.size() && i < want.size() && a->top[i] == want[i])
      ++i;
    return {vk::wrong, 0, fmt::format("window {}: top-{} differs at place {}", w, p_.k, i + 1)};
  }
  ++c_["checked_queries"];
  return {};
}

void rta_workload::on_timeout(std::uint64_t token) {
  auto it = pending_.find(token);
  if (it == pending_.end())
    return;
  if (!it->second.query)
    ++books_[rta::window_of(stream_.at(it->second.index).time_us, p_.window_us)].unknown;
  pending_.erase(it);
}

std::map<std::string, std::uint64_t> rta_workload::counters() const {
  return c_;
}

expected<std::uint64_t> rta_fresh_base(const nic::endpoint& at, runtime::actor_id filter,
                                       const rta_params& p, std::uint64_t timeout_ms) {
  auto sock = wire_socket::open({{at, filter}});
  if (!sock)
    return sock.err();
  auto a = round_trip(*sock, 0, random_req_base(), rta::stats_request(), timeout_ms, 3);
  if (!a)
    return error{a.err().code(), "STATS of the filter: " + a.err().message()};
  const auto st = a->hdr.type == IPIPE_MSG_REPLY ? rta::decode_stats(a->body) : std::nullopt;
  if (!st || st->size() <= rta::st_closed)
    return error{errc::protocol_error, "STATS of the filter: answered with something else"};
  rta_params q = p;
  q.base_us = 0;
  const std::uint64_t wall = start_us(q);
  // The filter keeps windows [open, open + lateness] open; 0: no tweet yet.
  const std::uint64_t open = (*st)[rta::st_closed];
  return open == 0 ? wall : std::max(wall, (open + p.lateness + 1) * p.window_us);
}

expected<void> configure_rta(const nic::endpoint& at, runtime::actor_id filter,
                             const rta::filter_config& c, std::uint64_t timeout_ms) {
  auto sock = wire_socket::open({{at, filter}});
  if (!sock)
    return sock.err();
  auto a = round_trip(*sock, 0, random_req_base(), rta::encode(c), timeout_ms, 3);
  if (!a)
    return error{a.err().code(), "CONFIGURE of the filter: " + a.err().message()};
  if (a->hdr.type == IPIPE_MSG_ERROR)
    return error{errc::protocol_error, "CONFIGURE of the filter: " + error_reply_reason(a->body)};
  const auto st = rta::decode_configure_reply(a->body);
  if (!st)
    return error{errc::protocol_error, "CONFIGURE of the filter: answered with something else"};
  if (*st != rta::status::ok)
    return error{errc::protocol_error, "CONFIGURE of the filter: refused (bad_config)"};
  return {};
}

} // namespace ipipe::bench
