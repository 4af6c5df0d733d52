// The client and operator protocol's encoding, and register_actors().
#include <ipipe/runtime/actor_registry.hpp>

#include "internal.hpp"

namespace ipipe::apps::dt {

namespace {

std::vector<std::byte> bytes_of(const writer& w) {
  auto d = w.data();
  return {d.begin(), d.end()};
}

void put_addresses(writer& w, const std::vector<address>& all) {
  for (const auto& a : all)
    w.put(a.endpoint).put(a.actor);
}

} // namespace

std::vector<std::byte> encode(const request& r) {
  writer w;
  w.put(static_cast<std::uint8_t>(r.op)).put(protocol_version).put<std::uint16_t>(0);
  if (r.op == kind::audit) {
    w.put<std::uint32_t>(0).put(r.client_id).put(r.seq);
  } else {
    w.put(r.from).put(r.to).put<std::uint32_t>(0).put(r.amount).put(r.client_id).put(r.seq);
  }
  return bytes_of(w);
}

std::vector<std::byte> encode(const response& r) {
  writer w;
  w.put(static_cast<std::uint8_t>(r.st)).put(protocol_version);
  w.put(static_cast<std::uint8_t>(r.op)).put(static_cast<std::uint8_t>(r.why));
  w.put<std::uint32_t>(0).put(r.client_id).put(r.seq).put(r.txid);
  w.put(r.accounts).put(r.in_doubt).put(r.total).put(r.expected);
  return bytes_of(w);
}

std::optional<response> decode_response(std::span<const std::byte> p) {
  reader rd(p);
  response r;
  r.st = static_cast<status>(rd.get<std::uint8_t>());
  const auto ver = rd.get<std::uint8_t>();
  r.op = static_cast<kind>(rd.get<std::uint8_t>());
  r.why = static_cast<detail>(rd.get<std::uint8_t>());
  (void)rd.get<std::uint32_t>();
  r.client_id = rd.get<std::uint64_t>();
  r.seq = rd.get<std::uint64_t>();
  r.txid = rd.get<std::uint64_t>();
  r.accounts = rd.get<std::uint32_t>();
  r.in_doubt = rd.get<std::uint32_t>();
  r.total = rd.get<std::int64_t>();
  r.expected = rd.get<std::int64_t>();
  if (!rd.done() || ver != protocol_version || r.st > status::ok || r.why > detail::no_address)
    return std::nullopt;
  return r;
}

std::vector<std::byte> encode(const coordinator_config& c) {
  writer w;
  w.put(static_cast<std::uint8_t>(kind::configure)).put(protocol_version);
  w.put(static_cast<std::uint16_t>(c.participants.size()));
  w.put(c.id).put(c.accounts).put<std::uint32_t>(0).put(c.initial);
  put_addresses(w, c.participants);
  return bytes_of(w);
}

std::vector<std::byte> encode(const participant_config& c) {
  writer w;
  w.put(static_cast<std::uint8_t>(kind::configure)).put(protocol_version).put(c.flags);
  w.put(c.index).put(c.participants).put(c.accounts).put(c.initial).put(c.log);
  w.put(static_cast<std::uint16_t>(c.coordinators.size())).put<std::uint16_t>(0);
  put_addresses(w, c.coordinators);
  return bytes_of(w);
}

std::vector<std::byte> encode(const log_config& c) {
  writer w;
  w.put(static_cast<std::uint8_t>(kind::configure)).put(protocol_version);
  w.put(static_cast<std::uint16_t>(c.dir.size())).put(c.flags).str(c.dir);
  return bytes_of(w);
}

std::vector<std::byte> stats_request() {
  return {std::byte{static_cast<std::uint8_t>(kind::stats)}};
}

std::optional<std::vector<std::uint64_t>> decode_stats(std::span<const std::byte> p) {
  reader rd(p);
  if (rd.get<std::uint8_t>() != static_cast<std::uint8_t>(kind::stats))
    return std::nullopt;
  std::vector<std::uint64_t> out(rd.get<std::uint8_t>());
  for (auto& v : out)
    v = rd.get<std::uint64_t>();
  if (!rd.done())
    return std::nullopt;
  return out;
}

std::vector<std::byte> dump_request(std::uint32_t first) {
  writer w;
  w.put(static_cast<std::uint8_t>(kind::dump)).put(protocol_version).put<std::uint16_t>(0);
  w.put(first);
  return bytes_of(w);
}

std::optional<std::vector<account_state>> decode_dump(std::span<const std::byte> p, bool& more) {
  reader rd(p);
  if (rd.get<std::uint8_t>() != static_cast<std::uint8_t>(kind::dump))
    return std::nullopt;
  more = rd.get<std::uint8_t>() != 0;
  std::vector<account_state> out(rd.get<std::uint16_t>());
  (void)rd.get<std::uint32_t>();
  for (auto& a : out) {
    a.account = rd.get<std::uint32_t>();
    a.locked = rd.get<std::uint32_t>() != 0;
    a.balance = rd.get<std::int64_t>();
    a.version = rd.get<std::uint64_t>();
  }
  if (!rd.done())
    return std::nullopt;
  return out;
}

void register_actors() {
  static const bool done = [] {
    using runtime::actor_registry;
    (void)actor_registry::add(coordinator_type, internal::make_coordinator);
    (void)actor_registry::add(participant_type, internal::make_participant);
    (void)actor_registry::add(log_type, internal::make_log);
    return true;
  }();
  (void)done;
}

} // namespace ipipe::apps::dt
