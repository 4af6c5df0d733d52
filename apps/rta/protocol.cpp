// The client and configuration protocol's encoding, and register_actors().
#include <ipipe/runtime/actor_registry.hpp>

#include "internal.hpp"
#include <common/stats.hpp>
#include <mutex>
#include <utility>

namespace ipipe::apps::rta {

namespace {

using internal::get_terms;
using internal::put_terms;

std::vector<std::byte> bytes_of(const writer& w) {
  auto d = w.data();
  return {d.begin(), d.end()};
}

template <class T>
constexpr std::uint8_t u8(T v) {
  return static_cast<std::uint8_t>(v);
}

} // namespace

std::vector<std::byte> encode(const tweet& t) {
  writer w(SIZE_MAX);
  w.put(u8(kind::tweet)).put(protocol_version).put(t.lang).put<std::uint8_t>(0);
  w.put(static_cast<std::uint16_t>(t.text.size())).put<std::uint16_t>(0);
  w.put(t.id).put(t.time_us).put(t.user).put<std::uint32_t>(0).str(t.text);
  return bytes_of(w);
}

std::optional<tweet> decode_tweet(std::span<const std::byte> p) {
  reader rd(p);
  tweet t;
  const auto k = rd.get<std::uint8_t>();
  const auto ver = rd.get<std::uint8_t>();
  t.lang = rd.get<std::uint8_t>();
  const auto pad0 = rd.get<std::uint8_t>();
  const auto len = rd.get<std::uint16_t>();
  const auto pad1 = rd.get<std::uint16_t>();
  t.id = rd.get<std::uint64_t>();
  t.time_us = rd.get<std::uint64_t>();
  t.user = rd.get<std::uint32_t>();
  const auto pad2 = rd.get<std::uint32_t>();
  t.text = std::string(rd.str(len));
  if (!rd.done() || k != u8(kind::tweet) || ver != protocol_version || t.lang >= 32 || pad0 != 0 ||
      pad1 != 0 || pad2 != 0)
    return std::nullopt;
  return t;
}

std::vector<std::byte> encode(const tweet_reply& r) {
  writer w;
  w.put(u8(r.st)).put(protocol_version).put(u8(kind::tweet)).put(u8(r.why));
  w.put(r.terms).put<std::uint16_t>(0).put(r.id).put(r.window);
  return bytes_of(w);
}

std::optional<tweet_reply> decode_tweet_reply(std::span<const std::byte> p) {
  reader rd(p);
  tweet_reply r;
  r.st = static_cast<status>(rd.get<std::uint8_t>());
  const auto ver = rd.get<std::uint8_t>();
  const auto op = rd.get<std::uint8_t>();
  r.why = static_cast<detail>(rd.get<std::uint8_t>());
  r.terms = rd.get<std::uint16_t>();
  (void)rd.get<std::uint16_t>();
  r.id = rd.get<std::uint64_t>();
  r.window = rd.get<std::uint64_t>();
  if (!rd.done() || ver != protocol_version || op != u8(kind::tweet) || r.st > status::error)
    return std::nullopt;
  return r;
}

std::vector<std::byte> query_request(std::uint64_t window) {
  writer w;
  w.put(u8(kind::query)).put(protocol_version).put<std::uint16_t>(0).put<std::uint32_t>(0);
  w.put(window);
  return bytes_of(w);
}

std::vector<std::byte> encode(const window_answer& a) {
  writer w;
  w.put(u8(a.st)).put(protocol_version).put(u8(kind::query)).put(u8(a.why));
  w.put(static_cast<std::uint8_t>(a.top.size())).put<std::uint8_t>(0).put<std::uint16_t>(0);
  w.put(a.window).put(a.tokens).put(a.distinct).put(a.dropped).put(a.closed);
  put_terms(w, a.top);
  return bytes_of(w);
}

std::optional<window_answer> decode_window_answer(std::span<const std::byte> p) {
  reader rd(p);
  window_answer a;
  a.st = static_cast<status>(rd.get<std::uint8_t>());
  const auto ver = rd.get<std::uint8_t>();
  const auto op = rd.get<std::uint8_t>();
  a.why = static_cast<detail>(rd.get<std::uint8_t>());
  const auto n = rd.get<std::uint8_t>();
  (void)rd.get<std::uint8_t>();
  (void)rd.get<std::uint16_t>();
  a.window = rd.get<std::uint64_t>();
  a.tokens = rd.get<std::uint64_t>();
  a.distinct = rd.get<std::uint64_t>();
  a.dropped = rd.get<std::uint64_t>();
  a.closed = rd.get<std::uint64_t>();
  if (!get_terms(rd, n, a.top) || !rd.done() || ver != protocol_version || op != u8(kind::query) ||
      a.st > status::error)
    return std::nullopt;
  return a;
}

std::vector<std::byte> encode(const filter_config& c) {
  writer w;
  w.put(u8(kind::configure)).put(protocol_version).put(c.flags);
  w.put(static_cast<std::uint8_t>(c.lateness)).put(c.lang_mask).put(c.window_us);
  w.put(c.k).put(c.max_terms).put(c.retain).put(c.rank);
  w.put(static_cast<std::uint32_t>(c.counts.size()));
  for (auto id : c.counts)
    w.put(id);
  return bytes_of(w);
}

std::vector<std::byte> encode(const count_config& c) {
  writer w;
  w.put(u8(kind::configure)).put(protocol_version).put<std::uint16_t>(0);
  w.put(c.index).put(c.k).put(c.max_terms).put(c.windows).put(c.filter).put(c.rank);
  return bytes_of(w);
}

std::vector<std::byte> encode(const rank_config& c) {
  writer w;
  w.put(u8(kind::configure)).put(protocol_version).put<std::uint16_t>(0);
  w.put(c.k).put(c.retain).put(static_cast<std::uint32_t>(c.counts.size()));
  for (auto id : c.counts)
    w.put(id);
  return bytes_of(w);
}

std::optional<status> decode_configure_reply(std::span<const std::byte> p) {
  reader rd(p);
  const auto st = rd.get<std::uint8_t>();
  const auto ver = rd.get<std::uint8_t>();
  const auto op = rd.get<std::uint8_t>();
  (void)rd.get<std::uint8_t>();
  if (!rd.done() || ver != protocol_version || op != u8(kind::configure) || st > u8(status::error))
    return std::nullopt;
  return static_cast<status>(st);
}

std::vector<std::byte> stats_request() {
  return {std::byte{u8(kind::stats)}};
}

std::optional<std::vector<std::uint64_t>> decode_stats(std::span<const std::byte> p) {
  return apps::decode_stats(u8(kind::stats), p);
}

void register_actors() {
  // Both the firmware and ipiped call this; the registry wants each type once.
  static std::once_flag once;
  std::call_once(once, [] {
    using make_fn = std::unique_ptr<runtime::actor> (*)();
    for (auto [type, make] : {std::pair<const char*, make_fn>{filter_type, internal::make_filter},
                              {count_type, internal::make_count},
                              {rank_type, internal::make_rank}})
      (void)runtime::actor_registry::add(type, make);
  });
}

} // namespace ipipe::apps::rta
