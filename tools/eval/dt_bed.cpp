#include "dt_bed.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace ipipe::eval {

namespace rt = runtime;
namespace dt = apps::dt;

namespace {

constexpr rt::actor_id coord_id = 1, part_a = 2, part_b = 3, log_id = 4;
constexpr std::uint32_t node_ep = 10, first_client_ep = 100;
constexpr std::uint64_t step_ns = 1'000'000;
constexpr unsigned max_clients = 256;

void configured(const std::vector<std::byte>& a, const char* what) {
  auto r = dt::decode_response(a);
  if (!r || r->st != dt::status::ok)
    throw std::runtime_error(fmt::format("DT: CONFIGURE of the {} refused", what));
}

} // namespace

dt_bed::dt_bed(const std::filesystem::path& dir, std::uint32_t accounts, std::int64_t initial)
    : accounts_(accounts), clients_(max_clients) {
  node_ = std::make_unique<node_pair>(
      node_ep, [this](std::uint32_t from, rt::message&& m) { wire_.send(from, std::move(m)); });
  node_->create(IPIPE_LOC_HOST, dt::log_type, log_id, 1 << 16);
  node_->create(IPIPE_LOC_NIC, dt::coordinator_type, coord_id, 4 << 20);
  for (auto p : {part_a, part_b})
    node_->create(IPIPE_LOC_NIC, dt::participant_type, p, 32 << 20);
  // No fsync: this measures migrations, not the disk.
  configured(node_->call(log_id, dt::encode(dt::log_config{dir.string(), dt::log_no_sync})), "log");
  std::uint32_t index = 0;
  for (auto p : {part_a, part_b}) {
    dt::participant_config c;
    c.index = index++;
    c.participants = 2;
    c.accounts = accounts;
    c.initial = initial;
    c.log = log_id;
    c.coordinators = {{0, coord_id}};
    configured(node_->call(p, dt::encode(c)), "participant");
  }
  dt::coordinator_config c;
  c.accounts = accounts;
  c.initial = initial;
  c.participants = {{0, part_a}, {0, part_b}};
  configured(node_->call(coord_id, dt::encode(c)), "coordinator");
}

void dt_bed::step(unsigned load) {
  ++now_;
  for (auto& e : wire_.take())
    if (e.to >= first_client_ep)
      answer(e.to, e.m);
  node_->tick(now_ * step_ns);
  node_->run();
  for (std::size_t c = 0; c < load && c < clients_.size(); ++c) {
    auto& cl = clients_[c];
    if (cl.busy && now_ < cl.retry_step)
      continue;
    if (!cl.busy) {
      // xorshift: the accounts and the amount of a new transfer.
      rng_ ^= rng_ << 13;
      rng_ ^= rng_ >> 7;
      rng_ ^= rng_ << 17;
      cl.req = dt::request{};
      cl.req.from = static_cast<std::uint32_t>(rng_ % accounts_);
      cl.req.to = static_cast<std::uint32_t>((cl.req.from + 1 + (rng_ >> 32) % (accounts_ - 1)) %
                                             accounts_);
      cl.req.amount = 1 + (rng_ >> 40) % 100;
      cl.req.client_id = 1000 + c;
      cl.req.seq = ++cl.seq;
      cl.busy = true;
    }
    send(c);
  }
}

void dt_bed::send(std::size_t c) {
  auto& cl = clients_[c];
  // Each transfer is sent once: an answer always comes (an abort on a
  // timeout at worst); a resend only after "busy".
  cl.retry_step = UINT64_MAX;
  auto m = rt::message::make(IPIPE_MSG_REQUEST, coord_id, 0, cl.seq, dt::encode(cl.req));
  m.hdr.client = first_client_ep + static_cast<std::uint32_t>(c);
  node_->deliver(std::move(m));
}

void dt_bed::answer(std::uint32_t ep, const rt::message& m) {
  if (ep - first_client_ep >= clients_.size())
    return;
  auto& c = clients_[ep - first_client_ep];
  auto r = dt::decode_response(m.payload);
  if (!r || !c.busy || r->client_id != c.req.client_id || r->seq != c.req.seq)
    return;
  if (r->st == dt::status::error && r->why == dt::detail::busy) {
    c.retry_step = now_ + 5;
    return;
  }
  c.busy = false;
  if (r->st == dt::status::committed)
    ++committed_;
  else if (r->st == dt::status::aborted)
    ++aborted_;
  else
    ++errors_;
}

std::vector<migrant> dt_bed::migrants() const {
  return {{part_a, dt::participant_type}, {coord_id, dt::coordinator_type}};
}

std::string dt_bed::verify() {
  // Let every transfer finish, then audit.
  for (int i = 0; i < 5000; ++i) {
    bool idle = true;
    for (const auto& c : clients_)
      idle = idle && !c.busy;
    if (idle)
      break;
    step(0);
  }
  dt::request q;
  q.op = dt::kind::audit;
  q.client_id = 1;
  for (int attempt = 0; attempt < 100; ++attempt) {
    q.seq = attempt + 1;
    auto r = dt::decode_response(node_->call(coord_id, dt::encode(q)));
    if (!r || r->st != dt::status::ok)
      throw std::runtime_error("DT: AUDIT refused");
    if (r->in_doubt != 0) {
      for (int i = 0; i < 100; ++i)
        step(0);
      continue;
    }
    if (r->total != r->expected || errors_ != 0 || committed_ == 0)
      throw std::runtime_error(fmt::format("DT: total {} of {}, {} errors, {} committed", r->total,
                                           r->expected, errors_, committed_));
    return fmt::format("DT: {} transfers committed, {} aborted, total {} conserved", committed_,
                       aborted_, r->total);
  }
  throw std::runtime_error("DT: transactions still in doubt after 100 audits");
}

} // namespace ipipe::eval
