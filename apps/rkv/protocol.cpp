// The client protocol's encoding and register_actors().
#include <ipipe/runtime/actor_registry.hpp>

#include "internal.hpp"

namespace ipipe::apps::rkv {

std::vector<std::byte> encode(const request& r) {
  writer w(SIZE_MAX);
  w.put(static_cast<std::uint8_t>(r.op)).put(protocol_version);
  w.put(static_cast<std::uint16_t>(r.key.size())).put(static_cast<std::uint32_t>(r.value.size()));
  w.put(r.client_id).put(r.seq).str(r.key).str(r.value);
  auto d = w.data();
  return {d.begin(), d.end()};
}

std::vector<std::byte> encode(const response& r) {
  writer w;
  w.put(static_cast<std::uint8_t>(r.st)).put(protocol_version);
  w.put(static_cast<std::uint8_t>(r.op)).put(static_cast<std::uint8_t>(r.why));
  w.put(static_cast<std::uint32_t>(r.value.size())).put(r.client_id).put(r.seq);
  w.put(r.leader_hint).put<std::uint32_t>(0).str(r.value);
  auto d = w.data();
  return {d.begin(), d.end()};
}

std::optional<response> decode_response(std::span<const std::byte> p) {
  reader rd(p);
  response r;
  r.st = static_cast<status>(rd.get<std::uint8_t>());
  const auto ver = rd.get<std::uint8_t>();
  r.op = static_cast<kind>(rd.get<std::uint8_t>());
  r.why = static_cast<detail>(rd.get<std::uint8_t>());
  const auto vlen = rd.get<std::uint32_t>();
  r.client_id = rd.get<std::uint64_t>();
  r.seq = rd.get<std::uint64_t>();
  r.leader_hint = rd.get<std::uint32_t>();
  (void)rd.get<std::uint32_t>();
  r.value = std::string(rd.str(vlen));
  if (!rd.done() || ver != protocol_version || r.st > status::error)
    return std::nullopt;
  return r;
}

std::vector<std::byte> encode(const consensus_config& c) {
  writer w;
  w.put(static_cast<std::uint8_t>(kind::configure)).put(protocol_version).put<std::uint16_t>(0);
  w.put(c.self).put(c.flags).put(c.memtable).put(c.sstable).put(c.election_ticks);
  w.put(c.log_capacity);
  for (const auto& p : c.peers)
    w.put(p.endpoint).put(p.consensus);
  auto d = w.data();
  return {d.begin(), d.end()};
}

std::vector<std::byte> encode(const memtable_config& c) {
  writer w;
  w.put(static_cast<std::uint8_t>(kind::configure)).put(protocol_version).put<std::uint16_t>(0);
  w.put(c.consensus).put(c.sstable).put(c.flush_bytes);
  auto d = w.data();
  return {d.begin(), d.end()};
}

std::vector<std::byte> encode(const sstable_config& c) {
  writer w;
  w.put(static_cast<std::uint8_t>(kind::configure)).put(protocol_version);
  w.put(static_cast<std::uint16_t>(c.dir.size())).put(c.max_files).str(c.dir);
  auto d = w.data();
  return {d.begin(), d.end()};
}

std::vector<std::byte> stats_request() {
  return {std::byte{static_cast<std::uint8_t>(kind::stats)}};
}

std::optional<std::vector<std::uint64_t>> decode_stats(std::span<const std::byte> p) {
  reader rd(p);
  if (rd.get<std::uint8_t>() != static_cast<std::uint8_t>(kind::stats))
    return std::nullopt;
  const auto n = rd.get<std::uint8_t>();
  std::vector<std::uint64_t> out(n);
  for (auto& v : out)
    v = rd.get<std::uint64_t>();
  if (!rd.done())
    return std::nullopt;
  return out;
}

void register_actors() {
  static const bool done = [] {
    using runtime::actor_registry;
    (void)actor_registry::add(consensus_type, internal::make_consensus);
    (void)actor_registry::add(memtable_type, internal::make_memtable);
    (void)actor_registry::add(sstable_type, internal::make_sstable);
    return true;
  }();
  (void)done;
}

} // namespace ipipe::apps::rkv
