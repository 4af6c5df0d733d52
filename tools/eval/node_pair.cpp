#include "node_pair.hpp"

#include <stdexcept>

namespace ipipe::eval {

namespace rt = runtime;

node_pair::node_pair(std::uint32_t endpoint, sink out)
    : rings_(rt::peer_rings::create(
                 *rt::msg_ring_geometry::make(256, sizeof(ipipe_msg_hdr) + IPIPE_MSG_MAX_PAYLOAD),
                 *rt::msg_ring_geometry::make(64, 16384))
                 .value()),
      // Budgets far above any handler: a slow shared machine must not
      // quarantine an actor while it builds its state.
      nic({.side = IPIPE_LOC_NIC, .default_budget_ns = 10'000'000'000}),
      host(
          {.side = IPIPE_LOC_HOST, .default_budget_ns = 10'000'000'000, .outbound_via_peer = true}),
      endpoint_(endpoint) {
  check(nic.attach_peer(rings_.nic_end()), "attach the NIC runtime");
  check(host.attach_peer(rings_.host_end()), "attach the host runtime");
  auto to = [this, out](rt::message&& m) {
    if (m.hdr.client == operator_ep)
      op_answers_.push_back(std::move(m));
    else
      out(endpoint_, std::move(m));
  };
  nic.set_client_sink(to);
  host.set_client_sink(to);
}

void node_pair::create(ipipe_location where, const std::string& type, rt::actor_id id,
                       std::uint64_t quota) {
  rt::runtime& here = where == IPIPE_LOC_NIC ? nic : host;
  rt::runtime& there = where == IPIPE_LOC_NIC ? host : nic;
  check(here.create_actor({.type = type, .id = id, .mem_quota = quota}), "create " + type);
  check(there.add_remote(id, type), "add_remote " + type);
}

std::vector<std::byte> node_pair::call(rt::actor_id id, std::span<const std::byte> payload) {
  op_answers_.clear();
  submit(id, operator_ep, ++op_req_, payload);
  for (int i = 0; i < 100000 && op_answers_.empty(); ++i)
    run();
  if (op_answers_.empty())
    throw std::runtime_error("actor " + std::to_string(id) + " did not answer the operator");
  return std::move(op_answers_.front().payload);
}

void node_pair::submit(rt::actor_id id, std::uint32_t client, std::uint64_t req_id,
                       std::span<const std::byte> payload) {
  auto m = rt::message::make(IPIPE_MSG_REQUEST, id, 0, req_id, payload);
  m.hdr.client = client;
  nic.submit(std::move(m));
}

void node_pair::tick(std::uint64_t now_ns) {
  nic.tick(now_ns);
  host.tick(now_ns);
}

std::size_t node_pair::run() {
  return nic.pump() + host.pump() + nic.run_until_idle() + host.run_until_idle();
}

rt::runtime& node_pair::where(rt::actor_id id) {
  auto i = nic.info(id);
  return i && i->state == rt::actor_state::remote ? host : nic;
}

} // namespace ipipe::eval
