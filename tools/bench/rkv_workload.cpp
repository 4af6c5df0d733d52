#include "rkv_workload.hpp"

#include <ipipe/common/clock.hpp>

#include <fmt/core.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <rkv/rkv.hpp>

namespace ipipe::bench {

namespace rkv = apps::rkv;

namespace {

std::string key_name(std::uint32_t k) {
  return fmt::format("k{:06}", k);
}

std::uint64_t wall_clock_ns() {
  const auto t = std::chrono::system_clock::now().time_since_epoch();
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(t).count());
}

} // namespace

rkv_workload::rkv_workload(const rkv_params& p)
    : p_(p), rng_(p.seed ^ 0x726b76ULL), seq_base_(wall_clock_ns()),
      client_base_(std::uint64_t{std::random_device{}()} << 24) {
  for (const char* n : {"gets", "puts", "dels", "checked_gets", "unverified_gets", "busy",
                        "not_leader", "client_ids"})
    c_[n] = 0;
}

std::vector<std::byte> rkv_workload::make_value(std::uint64_t id, std::uint32_t key,
                                                std::size_t size) {
  std::vector<std::byte> v(size);
  std::uint64_t state = id ^ (std::uint64_t{key} << 40);
  for (std::size_t i = 0; i < size; i += 8) {
    const std::uint64_t w = rng::splitmix64(state);
    std::memcpy(v.data() + i, &w, std::min<std::size_t>(8, size - i));
  }
  std::memcpy(v.data(), &id, sizeof(id));
  std::memcpy(v.data() + sizeof(id), &key, sizeof(key));
  return v;
}

outgoing rkv_workload::next(std::uint64_t token, std::uint64_t) {
  // The request sequence depends on the seed alone: one draw for the op,
  // one for the key, in this order, per request.
  const std::uint64_t pick = rng_.below(p_.get + p_.put + p_.del);
  const auto key = static_cast<std::uint32_t>(rng_.below(p_.keys));
  if (free_.empty()) {
    clients_.push_back({client_base_ + clients_.size() + 1, seq_base_});
    free_.push_back(clients_.size() - 1);
    ++c_["client_ids"];
  }
  pending q;
  q.client = free_.front();
  free_.pop_front();
  q.key = key;
  q.target = leader_;
  q.seq = ++clients_[q.client].seq;

  rkv::request r;
  r.client_id = clients_[q.client].id;
  r.seq = q.seq;
  r.key = key_name(key);
  if (pick < p_.get) {
    r.op = rkv::kind::get;
    q.read = checker_.begin_read(key);
    ++c_["gets"];
  } else if (pick < p_.get + p_.put) {
    r.op = rkv::kind::put;
    q.write = checker_.begin_write(key, false);
    const auto v = make_value(q.write, key, p_.value_size);
    r.value.assign(reinterpret_cast<const char*>(v.data()), v.size());
    ++c_["puts"];
  } else {
    r.op = rkv::kind::del;
    q.write = checker_.begin_write(key, true);
    ++c_["dels"];
  }
  q.op = static_cast<std::uint8_t>(r.op);
  q.invoke_ns = monotonic_ns();
  pending_.emplace(token, std::move(q));
  return {rkv::encode(r), leader_};
}

void rkv_workload::release(std::uint64_t token) {
  auto it = pending_.find(token);
  if (it == pending_.end())
    return;
  free_.push_back(it->second.client);
  pending_.erase(it);
}

verdict rkv_workload::on_answer(std::uint64_t token, const ipipe_msg_hdr& hdr,
                                std::span<const std::byte> body) {
  auto it = pending_.find(token);
  if (it == pending_.end())
    return {verdict::kind::wrong, 0, "answer to no RKV request"};
  verdict v = judge(it->second, hdr, body);
  if (v.what == verdict::kind::redirect || v.what == verdict::kind::retry_later) {
    it->second.target = v.target;
    return v;
  }
  if (it->second.write && v.what != verdict::kind::ok)
    checker_.end_write(it->second.write, rkv_checker::outcome::unknown);
  record(it->second, v.what == verdict::kind::ok);
  release(token);
  return v;
}

verdict rkv_workload::judge(pending& p, const ipipe_msg_hdr& hdr, std::span<const std::byte> body) {
  using vk = verdict::kind;
  if (hdr.type == IPIPE_MSG_ERROR)
    return {vk::error_reply, 0, error_reply_reason(body)};
  if (hdr.type != IPIPE_MSG_REPLY && hdr.type != IPIPE_MSG_ACTOR)
    return {vk::wrong, 0, fmt::format("message type {}", hdr.type)};
  const auto r = rkv::decode_response(body);
  if (!r)
    return {vk::wrong, 0, "malformed RKV response"};
  if (r->client_id != clients_[p.client].id || r->seq != p.seq ||
      static_cast<std::uint8_t>(r->op) != p.op)
    return {vk::wrong, 0,
            fmt::format("answer for client {} seq {} op {}, asked client {} seq {} op {}",
                        r->client_id, r->seq, static_cast<int>(r->op), clients_[p.client].id, p.seq,
                        p.op)};
  const std::size_t next_target = (p.target + 1) % p_.targets;
  switch (r->st) {
  case rkv::status::not_leader: {
    ++c_["not_leader"];
    auto at = p_.replica_of.find(r->leader_hint);
    if (r->leader_hint != 0 && at != p_.replica_of.end()) {
      leader_ = at->second;
      return {vk::redirect, at->second, {}};
    }
    leader_ = next_target; // no usable hint: ask the next replica
    return {vk::retry_later, next_target, {}};
  }
  case rkv::status::error:
    if (r->why == rkv::detail::busy) {
      ++c_["busy"];
      return {vk::retry_later, p.target, {}};
    }
    return {vk::error_reply, 0, fmt::format("RKV error, detail {}", static_cast<int>(r->why))};
  case rkv::status::ok:
  case rkv::status::not_found:
    break;
  default:
    return {vk::wrong, 0, fmt::format("RKV status {}", static_cast<int>(r->st))};
  }
  const bool found = r->st == rkv::status::ok;
  switch (static_cast<rkv::kind>(p.op)) {
  case rkv::kind::put:
    if (!found)
      return {vk::wrong, 0, "PUT answered NOT_FOUND"};
    checker_.end_write(p.write, rkv_checker::outcome::acked);
    return {};
  case rkv::kind::del:
    checker_.end_write(p.write, rkv_checker::outcome::acked);
    return {};
  default:
    break;
  }
  std::uint64_t id = 0;
  p.answered = true;
  if (found) {
    std::uint32_t key = 0;
    if (r->value.size() == p_.value_size && r->value.size() >= 12) {
      std::memcpy(&id, r->value.data(), sizeof(id));
      std::memcpy(&key, r->value.data() + sizeof(id), sizeof(key));
    }
    const auto want = make_value(id, key, p_.value_size);
    const bool ours = key == p.key && id != 0 && want.size() == r->value.size() &&
                      std::memcmp(want.data(), r->value.data(), want.size()) == 0;
    p.got = ours ? id : foreign_value;
    if (!ours) {
      if (!p.read.known) {
        ++c_["unverified_gets"]; // not ours: written before this run
        return {};
      }
      return {vk::wrong, 0, fmt::format("GET {}: a value this run did not write", key_name(p.key))};
    }
  }
  switch (checker_.end_read(p.read, id)) {
  case rkv_checker::judgement::ok:
    ++c_["checked_gets"];
    return {};
  case rkv_checker::judgement::unverified:
    ++c_["unverified_gets"];
    return {};
  case rkv_checker::judgement::wrong:
    break;
  }
  return {vk::wrong, 0,
          found ? fmt::format("GET {}: stale or lost value (write {})", key_name(p.key), id)
                : fmt::format("GET {}: NOT_FOUND after an acknowledged PUT", key_name(p.key))};
}

void rkv_workload::on_timeout(std::uint64_t token) {
  auto it = pending_.find(token);
  if (it == pending_.end())
    return;
  if (it->second.write)
    checker_.end_write(it->second.write, rkv_checker::outcome::unknown);
  record(it->second, false);
  // The leader may be gone: try the next replica from now on.
  if (it->second.target == leader_)
    leader_ = (leader_ + 1) % p_.targets;
  release(token);
}

void rkv_workload::record(const pending& p, bool acked) {
  if (!record_)
    return;
  history_entry h{p.key, p.op, p.write, p.invoke_ns, acked ? monotonic_ns() : 0};
  if (p.op == static_cast<std::uint8_t>(rkv::kind::del)) {
    h.value = 0;
  } else if (p.op == static_cast<std::uint8_t>(rkv::kind::get)) {
    if (!p.answered)
      return; // an unanswered read constrains nothing
    h.value = p.got;
    h.answer_ns = monotonic_ns(); // a wrong read is kept: the check must fail on it
  }
  history_.push_back(h);
}

expected<void> rkv_workload::write_history(const std::string& path) const {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f{std::fopen(path.c_str(), "w"), &std::fclose};
  if (!f)
    return error{errc::system_error, "history " + path, errno};
  for (const auto& h : history_) {
    const char* op = h.op == static_cast<std::uint8_t>(rkv::kind::put)   ? "put"
                     : h.op == static_cast<std::uint8_t>(rkv::kind::del) ? "del"
                                                                         : "get";
    const std::string value = h.value == 0               ? "-"
                              : h.value == foreign_value ? "?"
                                                         : std::to_string(h.value);
    fmt::print(f.get(), "{} {} {} {} {}\n", key_name(h.key), op, value, h.invoke_ns,
               h.answer_ns ? std::to_string(h.answer_ns) : "-");
  }
  if (std::fflush(f.get()) != 0)
    return error{errc::system_error, "history " + path, errno};
  return {};
}

std::map<std::string, std::uint64_t> rkv_workload::counters() const {
  return c_;
}

} // namespace ipipe::bench
