// The admin command handlers. Every command has passed check_admin_cmd()
// before it gets here; what is left are the checks that need host memory or
// firmware state.
#include <ipipe/common/clock.hpp>
#include <ipipe/nic/firmware.hpp>

#include <algorithm>
#include <cstring>

namespace ipipe::nic {

firmware::exec_result firmware::execute(const ipipe_admin_cmd& cmd) {
  if (ipipe_status st = check_admin_cmd(cmd, lim_); st != IPIPE_STS_OK) {
    if (cmd.opcode == IPIPE_ADMIN_DMA)
      fw_counters::add(counters_.dma_errors);
    return {st};
  }
  switch (static_cast<ipipe_admin_opcode>(cmd.opcode)) {
  case IPIPE_ADMIN_NOP:
    return {};
  case IPIPE_ADMIN_IDENTIFY:
    return identify(cmd);
  case IPIPE_ADMIN_SET_PARAMS:
    return set_params(cmd);
  case IPIPE_ADMIN_GET_PARAMS:
    return get_params(cmd);
  case IPIPE_ADMIN_ACTOR_CREATE:
    return actor_create(cmd);
  case IPIPE_ADMIN_ACTOR_DESTROY: {
    const ipipe_status st = actors_.destroy(cmd.target.actor_id);
    if (st == IPIPE_STS_OK)
      dispatch_->actor_destroyed(cmd.target.actor_id);
    return {st};
  }
  case IPIPE_ADMIN_RING_CREATE:
    return ring_create(cmd);
  case IPIPE_ADMIN_RING_DESTROY: {
    // The host frees the ring once this completes: the runtime lets go of
    // it first.
    const bool runtime = rings_.is_runtime(cmd.ring.ring_id);
    if (runtime && rings_.runtime_rings())
      dispatch_->host_runtime(std::nullopt);
    return {rings_.destroy(cmd.ring.ring_id, cmd.ring.type)};
  }
  case IPIPE_ADMIN_DMA:
    return dma(cmd);
  case IPIPE_ADMIN_MIGRATE:
    return migrate(cmd);
  case IPIPE_ADMIN_RESET:
    reset();
    return {};
  case IPIPE_ADMIN_GET_STATS: {
    ipipe_fw_stats s = counters_.snapshot();
    dispatch_->refine(s);
    return write_host(cmd.buf.addr, cmd.buf.len, &s, sizeof(s));
  }
  case IPIPE_ADMIN_ACTOR_LIST:
    return actor_list(cmd);
  case IPIPE_ADMIN_FAULT:
    return fault(cmd);
  case IPIPE_ADMIN_OP_LAST:
    break;
  }
  return {IPIPE_STS_BAD_OPCODE};
}

firmware::exec_result firmware::write_host(std::uint64_t addr, std::uint32_t len, const void* data,
                                           std::size_t size) {
  // The whole buffer the host named must be host memory, not just the part
  // we fill: a buffer that runs off the end is a driver bug worth reporting.
  auto dst = host_.translate(addr, len);
  if (!dst)
    return {status_of(dst.err().code())};
  std::memcpy(dst->data(), data, std::min<std::size_t>(size, len));
  return {IPIPE_STS_OK, 0, std::min<std::uint64_t>(size, len)};
}

firmware::exec_result firmware::identify(const ipipe_admin_cmd& cmd) {
  ipipe_identify id{};
  id.abi_version = IPIPE_ABI_VERSION;
  id.fw_version = fw_version;
  id.caps = header()->caps;
  id.nic_mem_size = layout_.nic_mem_size;
  id.nic_cores = cfg_.cores;
  id.max_rings = lim_.max_rings;
  id.max_actors = lim_.max_actors;
  id.max_dma_segs = lim_.max_dma_segs;
  id.max_dma_len = lim_.max_dma_len;
  id.max_ring_entries = IPIPE_RING_MAX_ENTRIES;
  id.max_slot_size = IPIPE_RING_MAX_SLOT;
  std::strncpy(id.fw_name, fw_name, sizeof(id.fw_name) - 1);
  std::uint32_t n = 0;
  for (const std::string& t : dispatch_->types()) {
    if (n == std::size(id.actor_types))
      break;
    if (t.empty() || t.size() >= IPIPE_ACTOR_NAME_LEN)
      continue;
    std::memcpy(id.actor_types[n++], t.data(), t.size());
  }
  id.num_actor_types = n;
  return write_host(cmd.buf.addr, cmd.buf.len, &id, sizeof(id));
}

firmware::exec_result firmware::set_params(const ipipe_admin_cmd& cmd) {
  const auto& p = cmd.params;
  std::lock_guard g{params_lock_};
  if (p.mask & IPIPE_PARAM_TAIL_THRESH)
    params_.tail_thresh_ns = p.tail_thresh_ns;
  if (p.mask & IPIPE_PARAM_MEAN_THRESH)
    params_.mean_thresh_ns = p.mean_thresh_ns;
  if (p.mask & IPIPE_PARAM_ALPHA)
    params_.alpha_permille = p.alpha_permille;
  if (p.mask & IPIPE_PARAM_DRR_QUANTUM)
    params_.drr_quantum_ns = p.drr_quantum_ns;
  if (p.mask & IPIPE_PARAM_FCFS_CORES)
    params_.fcfs_cores = p.fcfs_cores;
  dispatch_->params_changed(params_);
  return {};
}

firmware::exec_result firmware::get_params(const ipipe_admin_cmd& cmd) {
  ipipe_params p = params();
  // Until the runtime's scheduler resizes the groups, the configured split
  // is the actual one; "automatic" puts every core in the FCFS group.
  p.fcfs_cores_now = p.fcfs_cores != 0 ? p.fcfs_cores : cfg_.cores;
  p.drr_cores_now = cfg_.cores - p.fcfs_cores_now;
  return write_host(cmd.buf.addr, cmd.buf.len, &p, sizeof(p));
}

firmware::exec_result firmware::actor_create(const ipipe_admin_cmd& cmd) {
  if (!dispatch_->has_type(cmd.actor.type))
    return {IPIPE_STS_NOT_FOUND};
  std::uint32_t id = 0;
  ipipe_status st = actors_.create(cmd, id);
  if (st != IPIPE_STS_OK)
    return {st};
  st = dispatch_->actor_created(cmd, id);
  if (st != IPIPE_STS_OK) {
    (void)actors_.destroy(id);
    return {st};
  }
  return {st, 0, id};
}

firmware::exec_result firmware::ring_create(const ipipe_admin_cmd& cmd) {
  auto region = host_.translate(cmd.ring.addr, cmd.ring.size);
  if (!region)
    return {status_of(region.err().code())};
  ipipe_status st = rings_.create(cmd, *region);
  // The fourth ring of the runtime context joins the host runtime.
  if (st == IPIPE_STS_OK && rings_.is_runtime(cmd.ring.ring_id))
    if (auto rr = rings_.runtime_rings()) {
      st = dispatch_->host_runtime(rr);
      if (st != IPIPE_STS_OK)
        (void)rings_.destroy(cmd.ring.ring_id, cmd.ring.type);
    }
  return {st};
}

firmware::exec_result firmware::dma(const ipipe_admin_cmd& cmd) {
  if (fail_dma_ != 0) {
    --fail_dma_;
    fw_counters::add(counters_.dma_errors);
    return {IPIPE_STS_DMA_ERROR};
  }
  dma_result r = dma_.run(cmd);
  if (r.status != IPIPE_STS_OK) {
    fw_counters::add(counters_.dma_errors);
    return {r.status};
  }
  fw_counters::add(counters_.dma_cmds);
  fw_counters::add(counters_.dma_bytes, r.bytes);
  return {IPIPE_STS_OK, r.crc, r.bytes};
}

firmware::exec_result firmware::migrate(const ipipe_admin_cmd& cmd) {
  const auto& t = cmd.target;
  // A runtime moves the state over the host runtime's rings, whoever asks.
  if (dispatch_->moves_state()) {
    ipipe_status st = actors_.begin_migrate(t.actor_id, t.to);
    if (st != IPIPE_STS_OK)
      return {st};
    st = dispatch_->migrate(t.actor_id, static_cast<ipipe_location>(t.to));
    if (st != IPIPE_STS_OK) {
      actors_.abort_migrate(t.actor_id);
      return {st};
    }
    return {IPIPE_STS_OK, 0, t.actor_id};
  }
  // The state moves over the migration ring of the direction of travel.
  const std::uint32_t ring = t.to == IPIPE_LOC_HOST ? IPIPE_RING_MIG_N2H : IPIPE_RING_MIG_H2N;
  const std::uint64_t start = monotonic_ns();
  if (!rings_.has(t.ring_id, ring))
    return {IPIPE_STS_NOT_FOUND};
  ipipe_status st = actors_.migrate(t.actor_id, t.to);
  if (st != IPIPE_STS_OK)
    return {st};
  fw_counters::add(t.to == IPIPE_LOC_HOST ? counters_.migrations_to_host
                                          : counters_.migrations_to_nic);
  post_event(IPIPE_EV_ACTOR_MIGRATED, t.actor_id, t.to, monotonic_ns() - start);
  return {IPIPE_STS_OK, 0, t.actor_id};
}

firmware::exec_result firmware::actor_list(const ipipe_admin_cmd& cmd) {
  std::vector<ipipe_actor_info> all = actors_.list();
  for (auto& a : all)
    dispatch_->refine(a);
  const std::size_t fit = std::min<std::size_t>(all.size(), cmd.buf.len / sizeof(ipipe_actor_info));
  auto dst = host_.translate(cmd.buf.addr, cmd.buf.len);
  if (!dst)
    return {status_of(dst.err().code())};
  if (fit != 0)
    std::memcpy(dst->data(), all.data(), fit * sizeof(ipipe_actor_info));
  return {IPIPE_STS_OK, static_cast<std::uint32_t>(all.size()), fit};
}

firmware::exec_result firmware::fault(const ipipe_admin_cmd& cmd) {
  const auto& f = cmd.fault;
  log("fault injection: kind " + std::to_string(f.kind) + " arg " + std::to_string(f.arg));
  switch (f.kind) {
  case IPIPE_FAULT_NONE:
    hang_ = false;
    delay_cq_ms_ = 0;
    fail_dma_ = 0;
    drop_irq_.store(0, std::memory_order_relaxed);
    break;
  case IPIPE_FAULT_DROP_IRQ:
    drop_irq_.store(f.arg, std::memory_order_relaxed);
    break;
  case IPIPE_FAULT_DELAY_CQ:
    delay_cq_ms_ = f.arg;
    break;
  case IPIPE_FAULT_FAIL_DMA:
    fail_dma_ = f.arg;
    break;
  case IPIPE_FAULT_HANG:
    hang_ = true;
    break;
  default:
    return {IPIPE_STS_BAD_FIELD};
  }
  return {};
}

} // namespace ipipe::nic
