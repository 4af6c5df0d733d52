#include <ipipe/fw/runtime_dispatch.hpp>
#include <ipipe/runtime/actor_registry.hpp>
#include <ipipe/runtime/msg_ring.hpp>
#include <ipipe/runtime/peer_channel.hpp>

#include <algorithm>
#include <cstring>

namespace ipipe::fw {
namespace {

ipipe_status status_of(errc e) noexcept {
  switch (e) {
  case errc::not_found:
    return IPIPE_STS_NOT_FOUND;
  case errc::exists:
    return IPIPE_STS_EXISTS;
  case errc::no_space:
    return IPIPE_STS_NO_SPACE;
  case errc::busy:
    return IPIPE_STS_BUSY;
  case errc::invalid_argument:
    return IPIPE_STS_BAD_FIELD;
  case errc::bad_length:
    return IPIPE_STS_BAD_LEN;
  default:
    return IPIPE_STS_INTERNAL;
  }
}

// Kinds of message that may enter the runtime from outside: requests from
// clients, and actor traffic (with its answers) from other nodes. The
// migration protocol only ever travels the host runtime's rings.
bool enters_from_outside(std::uint16_t type) noexcept {
  return type == IPIPE_MSG_REQUEST || type == IPIPE_MSG_ACTOR || type == IPIPE_MSG_REPLY ||
         type == IPIPE_MSG_ERROR;
}

} // namespace

runtime_dispatch::runtime_dispatch(node::node_config cfg)
    : node_([&] {
        cfg.events = this;
        cfg.on_migration_done = [this](runtime::actor_id id, bool push, bool ok) {
          migration_done(id, push, ok);
        };
        return cfg;
      }()) {
  node_.nic_runtime().set_peer_signal([this] {
    if (host_ != nullptr)
      host_->signal_host();
  });
  node_.nic_runtime().set_client_sink([this](runtime::message&& m) {
    if (host_ != nullptr)
      (void)host_->outbound().send(m.hdr, m.payload);
  });
}

runtime_dispatch::~runtime_dispatch() {
  stop();
}

bool runtime_dispatch::has_type(std::string_view name) const {
  return runtime::actor_registry::contains(name);
}

std::vector<std::string> runtime_dispatch::types() const {
  return runtime::actor_registry::types();
}

void runtime_dispatch::deliver(const ipipe_msg_hdr& hdr, std::span<const std::byte> payload,
                               nic::message_sink& out) {
  if (!enters_from_outside(hdr.type) || hdr.dst_actor == 0) {
    refused_.fetch_add(1, std::memory_order_relaxed);
    (void)nic::send_error_reply(hdr, IPIPE_STS_BAD_FIELD, out);
    return;
  }
  runtime::message m;
  m.hdr = hdr;
  m.payload.assign(payload.begin(), payload.end());
  delivered_.fetch_add(1, std::memory_order_relaxed);
  // A rejection (unknown actor, quarantined, host gone) is answered by the
  // runtime itself, through the client sink.
  (void)node_.submit(std::move(m));
}

void runtime_dispatch::start() {
  std::lock_guard g{life_};
  if (started_)
    return;
  started_ = node_.start().has_value();
}

void runtime_dispatch::stop() {
  std::lock_guard g{life_};
  if (!started_)
    return;
  node_.stop();
  started_ = false;
}

ipipe_status runtime_dispatch::actor_created(const ipipe_admin_cmd& cmd, std::uint32_t id) {
  const auto& a = cmd.actor;
  const std::string type(a.type, strnlen(a.type, sizeof(a.type)));
  const bool pinned = (a.flags & IPIPE_ACTOR_F_PINNED) != 0;
  expected<void> r;
  if (a.location == IPIPE_LOC_HOST) {
    r = node_.add_host_actor(id, type, pinned);
  } else {
    runtime::actor_spec spec;
    spec.type = type;
    spec.id = id;
    spec.mem_quota = a.mem_quota;
    auto made = node_.create_actor(spec, pinned);
    if (!made)
      r = made.err();
  }
  return r ? IPIPE_STS_OK : status_of(r.err().code());
}

void runtime_dispatch::actor_destroyed(std::uint32_t id) {
  (void)node_.destroy_actor(id);
}

ipipe_status runtime_dispatch::migrate(std::uint32_t id, ipipe_location to) {
  auto info = node_.nic_runtime().info(id);
  if (!info)
    return IPIPE_STS_NOT_FOUND;
  if (!node_.nic_runtime().peer_attached())
    return IPIPE_STS_NOT_FOUND; // no host runtime to go to or come from
  const bool here = info->state == runtime::actor_state::local;
  const bool there = info->state == runtime::actor_state::remote;
  if ((to == IPIPE_LOC_HOST && !here) || (to == IPIPE_LOC_NIC && !there))
    return IPIPE_STS_BUSY;
  // An operator's placement sticks: the policy must not undo it a few
  // decision windows later.
  (void)node_.engine().set_pinned(id, true);
  node_.request_migration(id);
  return IPIPE_STS_OK;
}

void runtime_dispatch::params_changed(const ipipe_params& p) {
  sched::params s;
  s.tail_thresh_ns = p.tail_thresh_ns;
  s.mean_thresh_ns = p.mean_thresh_ns;
  s.alpha_permille = p.alpha_permille;
  s.drr_quantum_ns = p.drr_quantum_ns;
  s.fcfs_cores = p.fcfs_cores;
  node_.tuning().set(s, sched::tunables::all_fields);
}

ipipe_status runtime_dispatch::host_runtime(const std::optional<nic::host_runtime_rings>& rings) {
  if (!rings) {
    node_.detach_host();
    return IPIPE_STS_OK;
  }
  auto geometry = [&](unsigned t) {
    return runtime::msg_ring_geometry::make(rings->entries[t], rings->slot_size[t]);
  };
  auto g_msg_in = geometry(IPIPE_RING_MSG_H2N), g_msg_out = geometry(IPIPE_RING_MSG_N2H);
  auto g_mig_in = geometry(IPIPE_RING_MIG_H2N), g_mig_out = geometry(IPIPE_RING_MIG_N2H);
  if (!g_msg_in || !g_msg_out || !g_mig_in || !g_mig_out)
    return IPIPE_STS_BAD_LEN;
  runtime::peer_channel ch;
  ch.msg_in = runtime::msg_ring_consumer{rings->region[IPIPE_RING_MSG_H2N].data(), *g_msg_in};
  ch.msg_out = runtime::msg_ring_producer{rings->region[IPIPE_RING_MSG_N2H].data(), *g_msg_out};
  ch.mig_in = runtime::msg_ring_consumer{rings->region[IPIPE_RING_MIG_H2N].data(), *g_mig_in};
  ch.mig_out = runtime::msg_ring_producer{rings->region[IPIPE_RING_MIG_N2H].data(), *g_mig_out};
  // Slots too small for the largest message (or stream chunk) are refused.
  if (auto r = node_.attach_host(std::move(ch), nullptr); !r)
    return IPIPE_STS_BAD_LEN;
  return IPIPE_STS_OK;
}

void runtime_dispatch::reset() {
  for (auto id : node_.nic_runtime().actor_ids())
    (void)node_.destroy_actor(id);
}

void runtime_dispatch::refine(ipipe_actor_info& info) const {
  auto i = node_.nic_runtime().info(info.actor_id);
  if (!i)
    return;
  const ipipe_actor_info u = runtime::to_uapi(*i);
  info.group = u.group;
  info.mailbox_len = u.mailbox_len;
  info.flags |= u.flags & IPIPE_ACTOR_S_QUARANTINED;
  // Statistics follow the actor through migrations; what the NIC holds of
  // an actor at the host dates from when it left.
  info.mem_used = u.mem_used;
  info.requests = std::max(info.requests, u.requests);
  info.mean_ns = u.mean_ns;
  info.tail_ns = u.tail_ns;
  info.p50_ns = u.p50_ns;
  info.p99_ns = u.p99_ns;
}

void runtime_dispatch::refine(ipipe_fw_stats& stats) const {
  const auto s = node_.nic_runtime().stats();
  stats.actors_recovered = s.recovered;
  stats.recovery_refused = s.recovery_refused;
  stats.recovery_checkpoints = s.checkpoints;
  stats.mailbox_full = s.shed;
}

dispatch_stats runtime_dispatch::stats() const noexcept {
  return {delivered_.load(std::memory_order_relaxed), refused_.load(std::memory_order_relaxed)};
}

void runtime_dispatch::raise(const ipipe_event& ev) noexcept {
  if (host_ == nullptr)
    return;
  if (ev.type == IPIPE_EV_ACTOR_MIGRATED)
    host_->actor_moved(ev.actor_id, static_cast<ipipe_location>(ev.arg0));
  (void)host_->post_event(static_cast<ipipe_event_type>(ev.type), ev.actor_id, ev.arg0, ev.arg1);
}

void runtime_dispatch::migration_done(runtime::actor_id id, bool push, bool ok) {
  // Success was reported by the MIGRATED event; a failure leaves the actor
  // where it was, which clears its migrating mark.
  if (!ok && host_ != nullptr)
    host_->actor_moved(id, push ? IPIPE_LOC_NIC : IPIPE_LOC_HOST);
}

} // namespace ipipe::fw
