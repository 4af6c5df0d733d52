#include "rkv_bed.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace ipipe::eval {

namespace rt = runtime;
namespace rkv = apps::rkv;

namespace {

constexpr rt::actor_id cons_id = 1, mem_id = 2, sst_id = 3, echo_id = 4, counter_id = 5;
constexpr std::uint32_t first_replica_ep = 10, first_client_ep = 100;
constexpr std::uint32_t builtin_client_ep = first_client_ep + 999; // answers dropped
constexpr std::uint64_t step_ns = 1'000'000; // simulated time per step, for ticks only
constexpr unsigned max_clients = 256;

// Checks a CONFIGURE answer.
void configured(const std::vector<std::byte>& a, const char* what) {
  auto r = rkv::decode_response(a);
  if (!r || r->st != rkv::status::ok)
    throw std::runtime_error(fmt::format("CONFIGURE of the {} refused", what));
}

} // namespace

rkv_bed::rkv_bed(const std::filesystem::path& dir, std::uint32_t value_size)
    : value_size_(value_size) {
  for (std::uint32_t i = 0; i < rkv::replicas; ++i) {
    auto n = std::make_unique<node_pair>(
        first_replica_ep + i,
        [this](std::uint32_t from, rt::message&& m) { wire_.send(from, std::move(m)); });
    constexpr std::uint64_t quota = 96ULL << 20; // the log and the skiplist of 32 MiB and more
    n->create(IPIPE_LOC_NIC, rkv::consensus_type, cons_id, quota);
    n->create(IPIPE_LOC_NIC, rkv::memtable_type, mem_id, quota);
    n->create(IPIPE_LOC_HOST, rkv::sstable_type, sst_id, 1 << 16);
    n->create(IPIPE_LOC_NIC, "echo", echo_id, 1 << 16);
    n->create(IPIPE_LOC_NIC, "counter", counter_id, 1 << 16);
    configured(n->call(sst_id, rkv::encode(rkv::sstable_config{
                                   (dir / fmt::format("replica{}", i)).string(), 4})),
               "sstable");
    // Never flush by size: the memtable is to hold all of the state.
    configured(n->call(mem_id, rkv::encode(rkv::memtable_config{cons_id, sst_id, 0xf0000000u})),
               "memtable");
    rkv::consensus_config c;
    c.self = i;
    c.memtable = mem_id;
    c.sstable = sst_id;
    c.log_capacity = 1 << 17; // more than twice the commands: no flush, no truncation
    for (std::uint32_t j = 0; j < rkv::replicas; ++j)
      c.peers[j] = rkv::replica{first_replica_ep + j, cons_id};
    configured(n->call(cons_id, rkv::encode(c)), "consensus actor");
    nodes_.push_back(std::move(n));
  }
  for (unsigned c = 0; c < max_clients; ++c)
    clients_.push_back(client{.id = 1000 + c, .endpoint = first_client_ep + c});
}

std::uint64_t rkv_bed::fill(std::uint64_t bytes, unsigned clients) {
  // A leader first: the first answer comes from it.
  for (int i = 0; i < 5000 && answered_ == 0; ++i)
    step(1);
  if (answered_ == 0)
    throw std::runtime_error("RKV: no leader elected in 5000 steps");
  leader_ = target_;
  while (true) {
    for (int i = 0; i < 200; ++i)
      step(clients);
    auto info = nodes_[leader_]->nic.info(mem_id);
    if (!info)
      throw std::runtime_error("RKV: the memtable vanished");
    if (info->mem_used >= bytes)
      break;
  }
  overwrite_ = true;
  return answered_;
}

void rkv_bed::step(unsigned load) {
  ++now_;
  for (auto& e : wire_.take()) {
    if (e.to >= first_client_ep)
      answer(e.to, e.m);
    else if (e.to >= first_replica_ep && e.to < first_replica_ep + rkv::replicas)
      nodes_[e.to - first_replica_ep]->deliver(std::move(e.m));
  }
  // The built-in actors of the leader's node get a request each per step.
  if (overwrite_)
    for (rt::actor_id a : {echo_id, counter_id})
      nodes_[leader_]->submit(a, builtin_client_ep, ++pokes_,
                              std::vector<std::byte>(64, std::byte{0x5a}));
  for (auto& n : nodes_) {
    n->tick(now_ * step_ns);
    n->run();
  }
  for (unsigned c = 0; c < load && c < clients_.size(); ++c) {
    auto& cl = clients_[c];
    if (!cl.busy) {
      issue(cl);
    } else if (now_ >= cl.retry_step) {
      if (now_ - cl.sent_step > 200)
        target_ = (target_ + 1) % rkv::replicas; // no answer: another replica
      send(cl);
    }
  }
}

std::vector<migrant> rkv_bed::migrants() const {
  return {{mem_id, rkv::memtable_type},
          {cons_id, rkv::consensus_type},
          {counter_id, "counter"},
          {echo_id, "echo"}};
}

std::string rkv_bed::verify() {
  if (errors_ != 0)
    throw std::runtime_error(fmt::format("RKV: {} error answers", errors_));
  return fmt::format("RKV: {} requests answered, no errors", answered_);
}

void rkv_bed::issue(client& c) {
  c.busy = true;
  c.req = rkv::request{};
  c.req.client_id = c.id;
  c.req.seq = ++c.seq;
  if (overwrite_ && keys_ > 0) {
    c.req.key = fmt::format("k{:08}", next_rand() % keys_);
    c.req.op = next_rand() % 2 ? rkv::kind::get : rkv::kind::put;
  } else {
    c.req.key = fmt::format("k{:08}", keys_++);
    c.req.op = rkv::kind::put;
  }
  if (c.req.op == rkv::kind::put)
    c.req.value.assign(value_size_, static_cast<char>('a' + c.seq % 26));
  send(c);
}

void rkv_bed::send(client& c) {
  auto m = rt::message::make(IPIPE_MSG_REQUEST, cons_id, 0, c.seq, rkv::encode(c.req));
  m.hdr.client = c.endpoint;
  wire_.post(first_replica_ep + target_, std::move(m));
  c.sent_step = now_;
  c.retry_step = now_ + 200;
}

void rkv_bed::answer(std::uint32_t ep, const rt::message& m) {
  if (ep - first_client_ep >= clients_.size())
    return;
  auto& c = clients_[ep - first_client_ep];
  auto r = rkv::decode_response(m.payload);
  if (!r || !c.busy || r->client_id != c.id || r->seq != c.seq)
    return;
  if (r->st == rkv::status::not_leader) {
    if (r->leader_hint >= first_replica_ep && r->leader_hint < first_replica_ep + rkv::replicas)
      target_ = r->leader_hint - first_replica_ep;
    else
      target_ = (target_ + 1) % rkv::replicas;
    c.retry_step = now_ + (r->leader_hint == 0 ? 20 : 1);
    return;
  }
  if (r->st == rkv::status::error) {
    if (r->why != rkv::detail::busy) // busy: the log is full, retry later
      ++errors_;
    c.retry_step = now_ + 20;
    return;
  }
  c.busy = false;
  ++answered_;
}

std::uint64_t rkv_bed::next_rand() {
  rng_ ^= rng_ << 13;
  rng_ ^= rng_ >> 7;
  rng_ ^= rng_ << 17;
  return rng_;
}

} // namespace ipipe::eval
