// Structural checks of admin commands. Each opcode's union member covers all
// 56 bytes after the common header, so "every reserved field is zero" is a
// check of the member's resv words; the order of the checks is the one the
// hardware spec documents, so a command with several faults reports the
// first one deterministically.
#include <ipipe/common/ring.hpp>
#include <ipipe/nic/admin_checks.hpp>

#include <cstring>

namespace ipipe::nic {
namespace {

template <class T, std::size_t N>
bool zero(const T (&a)[N]) noexcept {
  for (const T& x : a)
    if (x != 0)
      return false;
  return true;
}

// addr + len must not wrap and len must be non-zero.
bool len_ok(std::uint64_t addr, std::uint64_t len) noexcept {
  return len != 0 && addr + len >= addr;
}

ipipe_status check_buf(const ipipe_admin_cmd& c, std::size_t need, const fw_limits& lim) noexcept {
  if (!zero(c.buf.resv))
    return IPIPE_STS_BAD_FIELD;
  if (!len_ok(c.buf.addr, c.buf.len) || c.buf.len < need || c.buf.len > lim.max_dma_len)
    return IPIPE_STS_BAD_LEN;
  return IPIPE_STS_OK;
}

ipipe_status check_params(const ipipe_admin_cmd& c, const fw_limits& lim) noexcept {
  const auto& p = c.params;
  if (p.resv0 != 0 || !zero(p.resv) || p.mask == 0 || (p.mask & ~IPIPE_PARAM_ALL) != 0)
    return IPIPE_STS_BAD_FIELD;
  // A field the mask does not select must be zero: a set bit forgotten in
  // the mask would otherwise be silently ignored.
  auto field = [&](std::uint32_t bit, std::uint64_t v, bool valid) {
    return (p.mask & bit) ? valid : v == 0;
  };
  if (!field(IPIPE_PARAM_TAIL_THRESH, p.tail_thresh_ns, p.tail_thresh_ns != 0) ||
      !field(IPIPE_PARAM_MEAN_THRESH, p.mean_thresh_ns, p.mean_thresh_ns != 0) ||
      !field(IPIPE_PARAM_ALPHA, p.alpha_permille, p.alpha_permille <= 1000) ||
      !field(IPIPE_PARAM_DRR_QUANTUM, p.drr_quantum_ns, p.drr_quantum_ns != 0) ||
      !field(IPIPE_PARAM_FCFS_CORES, p.fcfs_cores, p.fcfs_cores <= lim.nic_cores))
    return IPIPE_STS_BAD_FIELD;
  return IPIPE_STS_OK;
}

ipipe_status check_actor_create(const ipipe_admin_cmd& c, const fw_limits& lim) noexcept {
  const auto& a = c.actor;
  if (!actor_type_valid(a.type) || a.location > IPIPE_LOC_HOST ||
      (a.flags & ~IPIPE_ACTOR_F_PINNED) != 0)
    return IPIPE_STS_BAD_FIELD;
  if (a.actor_id > lim.max_actors || a.ring_id >= lim.max_rings)
    return IPIPE_STS_BAD_INDEX;
  return IPIPE_STS_OK;
}

ipipe_status check_target(const ipipe_admin_cmd& c, const fw_limits& lim, bool migrate) noexcept {
  const auto& t = c.target;
  if (!zero(t.resv))
    return IPIPE_STS_BAD_FIELD;
  if (!migrate && (t.to != 0 || t.ring_id != 0))
    return IPIPE_STS_BAD_FIELD;
  if (migrate && t.to > IPIPE_LOC_HOST)
    return IPIPE_STS_BAD_FIELD;
  if (t.actor_id == 0 || t.actor_id > lim.max_actors || (migrate && t.ring_id >= lim.max_rings))
    return IPIPE_STS_BAD_INDEX;
  return IPIPE_STS_OK;
}

ipipe_status check_ring_create(const ipipe_admin_cmd& c, const fw_limits& lim) noexcept {
  const auto& r = c.ring;
  if (!zero(r.resv) || r.type >= IPIPE_RING_TYPE_LAST ||
      (r.flags & ~IPIPE_RING_CREATE_F_RUNTIME) != 0)
    return IPIPE_STS_BAD_FIELD;
  if (r.ring_id >= lim.max_rings)
    return IPIPE_STS_BAD_INDEX;
  if (!ring_entries_valid(r.entries, IPIPE_RING_MIN_ENTRIES, IPIPE_RING_MAX_ENTRIES))
    return IPIPE_STS_BAD_FIELD;
  if (r.slot_size < sizeof(ipipe_msg_hdr) || r.slot_size > IPIPE_RING_MAX_SLOT ||
      r.slot_size % 8 != 0)
    return IPIPE_STS_BAD_LEN;
  if (!len_ok(r.addr, r.size) || r.size < ring_region_bytes(r.entries, r.slot_size))
    return IPIPE_STS_BAD_LEN;
  if (r.addr % IPIPE_PAGE_SIZE != 0)
    return IPIPE_STS_BAD_ADDR;
  return IPIPE_STS_OK;
}

ipipe_status check_ring_destroy(const ipipe_admin_cmd& c, const fw_limits& lim) noexcept {
  const auto& r = c.ring;
  if (!zero(r.resv) || r.addr != 0 || r.size != 0 || r.entries != 0 || r.slot_size != 0 ||
      r.flags != 0 || r.type >= IPIPE_RING_TYPE_LAST)
    return IPIPE_STS_BAD_FIELD;
  if (r.ring_id >= lim.max_rings)
    return IPIPE_STS_BAD_INDEX;
  return IPIPE_STS_OK;
}

ipipe_status check_dma(const ipipe_admin_cmd& c, const fw_limits& lim) noexcept {
  const auto& d = c.dma;
  if (!zero(d.resv) || d.dir > IPIPE_DMA_FROM_NIC || d.nsegs == 0)
    return IPIPE_STS_BAD_FIELD;
  if (d.nsegs > lim.max_dma_segs)
    return IPIPE_STS_TOO_MANY_SEGS;
  if (!len_ok(d.sgl_addr, std::uint64_t{d.nsegs} * sizeof(ipipe_dma_seg)))
    return IPIPE_STS_BAD_LEN;
  if (d.nic_off >= lim.nic_data_size)
    return IPIPE_STS_BAD_ADDR;
  return IPIPE_STS_OK;
}

ipipe_status check_fault(const ipipe_admin_cmd& c) noexcept {
  const auto& f = c.fault;
  if (!zero(f.resv))
    return IPIPE_STS_BAD_FIELD;
  switch (f.kind) {
  case IPIPE_FAULT_NONE:
  case IPIPE_FAULT_HANG:
    return f.arg == 0 ? IPIPE_STS_OK : IPIPE_STS_BAD_FIELD;
  case IPIPE_FAULT_DROP_IRQ:
  case IPIPE_FAULT_FAIL_DMA:
    return f.arg != 0 ? IPIPE_STS_OK : IPIPE_STS_BAD_FIELD;
  case IPIPE_FAULT_DELAY_CQ:
    return f.arg <= 10000 ? IPIPE_STS_OK : IPIPE_STS_BAD_FIELD;
  default:
    return IPIPE_STS_BAD_FIELD;
  }
}

} // namespace

bool actor_type_valid(const char (&name)[IPIPE_ACTOR_NAME_LEN]) noexcept {
  const void* nul = std::memchr(name, 0, IPIPE_ACTOR_NAME_LEN);
  if (nul == nullptr || nul == name)
    return false;
  for (auto* p = static_cast<const char*>(nul); p != name + IPIPE_ACTOR_NAME_LEN; ++p)
    if (*p != 0)
      return false;
  return true;
}

ipipe_status check_admin_cmd(const ipipe_admin_cmd& c, const fw_limits& lim) noexcept {
  if (c.opcode >= IPIPE_ADMIN_OP_LAST)
    return IPIPE_STS_BAD_OPCODE;
  // Only DMA has flags: whether to compute the CRC32C of what it moves.
  const std::uint32_t allowed = c.opcode == IPIPE_ADMIN_DMA ? IPIPE_DMA_F_NO_CRC : 0;
  if ((c.flags & ~allowed) != 0)
    return IPIPE_STS_BAD_FIELD;
  switch (static_cast<ipipe_admin_opcode>(c.opcode)) {
  case IPIPE_ADMIN_NOP:
  case IPIPE_ADMIN_RESET:
    return zero(c.raw) ? IPIPE_STS_OK : IPIPE_STS_BAD_FIELD;
  case IPIPE_ADMIN_IDENTIFY:
    return check_buf(c, sizeof(ipipe_identify), lim);
  case IPIPE_ADMIN_GET_PARAMS:
    return check_buf(c, sizeof(ipipe_params), lim);
  case IPIPE_ADMIN_GET_STATS:
    return check_buf(c, sizeof(ipipe_fw_stats), lim);
  case IPIPE_ADMIN_ACTOR_LIST:
    return check_buf(c, sizeof(ipipe_actor_info), lim);
  case IPIPE_ADMIN_SET_PARAMS:
    return check_params(c, lim);
  case IPIPE_ADMIN_ACTOR_CREATE:
    return check_actor_create(c, lim);
  case IPIPE_ADMIN_ACTOR_DESTROY:
    return check_target(c, lim, false);
  case IPIPE_ADMIN_MIGRATE:
    return check_target(c, lim, true);
  case IPIPE_ADMIN_RING_CREATE:
    return check_ring_create(c, lim);
  case IPIPE_ADMIN_RING_DESTROY:
    return check_ring_destroy(c, lim);
  case IPIPE_ADMIN_DMA:
    return check_dma(c, lim);
  case IPIPE_ADMIN_FAULT:
    return check_fault(c);
  case IPIPE_ADMIN_OP_LAST:
    break;
  }
  return IPIPE_STS_BAD_OPCODE;
}

} // namespace ipipe::nic
