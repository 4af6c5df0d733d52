#include "dt_workload.hpp"

#include <fmt/core.h>

#include "round_trip.hpp"
#include <chrono>
#include <cstring>
#include <dt/dt.hpp>
#include <random>
#include <thread>

namespace ipipe::bench {

namespace dt = apps::dt;

dt_workload::dt_workload(const dt_params& p)
    : p_(p), rng_(p.seed ^ 0x6474ULL), client_id_(std::uint64_t{std::random_device{}()} << 24 | 1) {
  for (const char* n : {"transfers", "committed", "aborted_conflict", "aborted_insufficient",
                        "aborted_timeout", "busy", "unknown_outcome"})
    c_[n] = 0;
}

outgoing dt_workload::next(std::uint64_t token, std::uint64_t n) {
  // The sequence depends on the seed alone: from, to, amount, in order.
  dt::request r;
  r.op = dt::kind::transfer;
  r.from = static_cast<std::uint32_t>(rng_.below(p_.accounts));
  r.to = static_cast<std::uint32_t>((r.from + 1 + rng_.below(p_.accounts - 1)) % p_.accounts);
  r.amount = 1 + rng_.below(p_.max_amount);
  r.client_id = client_id_;
  r.seq = ++seq_;
  const auto target = static_cast<std::size_t>(n % p_.targets);
  pending_[token] = {r.seq, target};
  ++c_["transfers"];
  return {dt::encode(r), target};
}

verdict dt_workload::on_answer(std::uint64_t token, const ipipe_msg_hdr& hdr,
                               std::span<const std::byte> body) {
  using vk = verdict::kind;
  auto it = pending_.find(token);
  if (it == pending_.end())
    return {vk::wrong, 0, "answer to no DT request"};
  const auto seq = it->second.seq;
  if (hdr.type == IPIPE_MSG_ERROR) {
    pending_.erase(it);
    return {vk::error_reply, 0, error_reply_reason(body)};
  }
  const auto r = dt::decode_response(body);
  if (hdr.type != IPIPE_MSG_REPLY || !r) {
    pending_.erase(it);
    return {vk::wrong, 0,
            hdr.type != IPIPE_MSG_REPLY ? fmt::format("message type {}", hdr.type)
                                        : "malformed DT response"};
  }
  if (r->client_id != client_id_ || r->seq != seq || r->op != dt::kind::transfer) {
    pending_.erase(it);
    return {vk::wrong, 0,
            fmt::format("answer for client {} seq {}, asked seq {}", r->client_id, r->seq, seq)};
  }
  if (r->st == dt::status::error && r->why == dt::detail::busy) {
    ++c_["busy"];
    return {vk::retry_later, it->second.target, {}};
  }
  pending_.erase(it);
  switch (r->st) {
  case dt::status::committed:
    if (r->txid == 0)
      return {vk::wrong, 0, "COMMITTED without a transaction id"};
    ++c_["committed"];
    return {};
  case dt::status::aborted:
    switch (r->why) {
    case dt::detail::conflict:
      ++c_["aborted_conflict"];
      return {};
    case dt::detail::insufficient:
      ++c_["aborted_insufficient"];
      return {};
    case dt::detail::timeout:
      ++c_["aborted_timeout"];
      return {};
    default:
      return {vk::wrong, 0, fmt::format("ABORTED with detail {}", static_cast<int>(r->why))};
    }
  case dt::status::error:
    return {vk::error_reply, 0, fmt::format("DT error, detail {}", static_cast<int>(r->why))};
  default:
    return {vk::wrong, 0, fmt::format("DT status {} for a transfer", static_cast<int>(r->st))};
  }
}

void dt_workload::on_timeout(std::uint64_t token) {
  // Committed or not, nobody told us: the audit still checks the money.
  if (pending_.erase(token) != 0)
    ++c_["unknown_outcome"];
}

std::map<std::string, std::uint64_t> dt_workload::counters() const {
  return c_;
}

namespace {

// Returns the error an answer of `op` carries, if any.
expected<dt::response> dt_answer(const expected<reply>& a, dt::kind op, const char* what) {
  if (!a)
    return error{a.err().code(), fmt::format("{}: {}", what, a.err().message())};
  if (a->hdr.type == IPIPE_MSG_ERROR)
    return error{errc::protocol_error, fmt::format("{}: {}", what, error_reply_reason(a->body))};
  auto r = dt::decode_response(a->body);
  if (a->hdr.type != IPIPE_MSG_REPLY || !r || r->op != op)
    return error{errc::protocol_error, fmt::format("{}: answered with something else", what)};
  if (r->st != dt::status::ok)
    return error{errc::protocol_error,
                 fmt::format("{}: refused, detail {}", what, static_cast<int>(r->why))};
  return *r;
}

} // namespace

expected<dt_audit_result> dt_audit(wire_socket& sock, std::size_t t, std::uint64_t timeout_ms,
                                   unsigned attempts) {
  const std::uint64_t base = random_req_base();
  dt::request q;
  q.op = dt::kind::audit;
  q.client_id = base;
  q.seq = 1;
  const auto payload = dt::encode(q);
  dt_audit_result out;
  for (unsigned i = 0; i < attempts; ++i) {
    if (i > 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const auto a = round_trip(sock, t, base + i, payload, timeout_ms);
    // A NIC shedding load refuses the audit like any request: ask again.
    if (a && a->hdr.type == IPIPE_MSG_ERROR && a->body.size() >= sizeof(std::uint32_t) &&
        i + 1 < attempts) {
      std::uint32_t st = 0;
      std::memcpy(&st, a->body.data(), sizeof(st));
      if (st == IPIPE_STS_BUSY)
        continue;
    }
    auto r = dt_answer(a, dt::kind::audit, "AUDIT");
    if (!r)
      return r.err();
    out = {r->accounts, r->in_doubt, r->total, r->expected};
    if (r->in_doubt == 0)
      break;
  }
  return out;
}

expected<void> configure_dt(const nic::endpoint& at, const dt_setup& s, std::uint64_t timeout_ms) {
  // One target per actor, in the order they are configured: the log
  // before the participants that write to it, the participants before
  // the coordinator that sends them transactions.
  std::vector<target> ts{{at, s.log}};
  for (auto p : s.participants)
    ts.push_back({at, p});
  ts.push_back({at, s.coordinator});
  auto sock = wire_socket::open(ts);
  if (!sock)
    return sock.err();

  std::vector<std::vector<std::byte>> payloads;
  payloads.push_back(dt::encode(dt::log_config{s.log_dir, s.sync ? 0 : dt::log_no_sync}));
  for (std::uint32_t i = 0; i < s.participants.size(); ++i) {
    dt::participant_config c;
    c.index = i;
    c.participants = static_cast<std::uint32_t>(s.participants.size());
    c.accounts = s.accounts;
    c.initial = s.initial;
    c.log = s.log;
    c.coordinators = {{0, s.coordinator}}; // endpoint 0: this node
    payloads.push_back(dt::encode(c));
  }
  dt::coordinator_config c;
  c.accounts = s.accounts;
  c.initial = s.initial;
  for (auto p : s.participants)
    c.participants.push_back({0, p});
  payloads.push_back(dt::encode(c));

  const std::uint64_t base = random_req_base();
  for (std::size_t i = 0; i < ts.size(); ++i) {
    const auto what = fmt::format("CONFIGURE of actor {}", ts[i].actor);
    auto r = dt_answer(round_trip(*sock, i, base + i, payloads[i], timeout_ms, 3),
                       dt::kind::configure, what.c_str());
    if (!r)
      return r.err();
  }
  return {};
}

void apply_audit(run_result& r, const expected<dt_audit_result>& a) {
  if (!a) {
    ++r.wrong;
    r.first_errors.push_back("audit: " + a.err().message());
    return;
  }
  r.extra["audit_accounts"] = a->accounts;
  r.extra["audit_in_doubt"] = a->in_doubt;
  r.extra["audit_total"] = static_cast<std::uint64_t>(a->total);
  r.extra["audit_expected"] = static_cast<std::uint64_t>(a->expected);
  r.extra["audit_conserved"] = a->conserved() ? 1 : 0;
  if (!a->conserved()) {
    ++r.wrong;
    r.first_errors.push_back(fmt::format("audit: total {}, expected {}, {} in doubt", a->total,
                                         a->expected, a->in_doubt));
  }
}

} // namespace ipipe::bench
