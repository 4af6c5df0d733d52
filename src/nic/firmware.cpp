// Firmware lifecycle, the header page and the admin queue loop. The command
// handlers live in admin_exec.cpp.
#include <ipipe/common/clock.hpp>
#include <ipipe/nic/firmware.hpp>

#include <fmt/format.h>

#include <chrono>
#include <cstring>
#include <thread>

namespace ipipe::nic {
namespace {

template <class T>
void store(T& field, T v) noexcept {
  std::atomic_ref<T>(field).store(v, std::memory_order_release);
}
template <class T>
T load(T& field) noexcept {
  return std::atomic_ref<T>(field).load(std::memory_order_acquire);
}

constexpr std::uint64_t admin_sq_event_id = 0xffffffffu; // FW_ERROR arg1 for the admin SQ
constexpr std::uint64_t irq_moderation_ns = 20'000;      // admin CQ interrupt spacing

ipipe_params default_params() noexcept {
  ipipe_params p{};
  p.tail_thresh_ns = 100'000;
  p.mean_thresh_ns = 50'000;
  p.alpha_permille = 200;
  p.drr_quantum_ns = 10'000;
  p.fcfs_cores = 0;
  return p;
}

} // namespace

expected<std::unique_ptr<firmware>> firmware::create(const firmware_config& cfg,
                                                     std::span<std::byte> bar2, dma_provider& host,
                                                     interrupt_line& irq) {
  if (cfg.cores == 0 || cfg.cores > 64)
    return error{errc::invalid_argument, "cores must be 1..64"};
  if (cfg.vectors < IPIPE_NUM_VECTORS || cfg.vectors > 64)
    return error{errc::invalid_argument, "vectors must be 4..64"};
  if (cfg.heartbeat_ms == 0)
    return error{errc::invalid_argument, "heartbeat period must be positive"};
  if (cfg.max_rings == 0 || cfg.max_actors == 0)
    return error{errc::invalid_argument, "max rings and actors must be positive"};
  auto layout = make_bar2_layout(bar2.size());
  if (!layout)
    return layout.err();
  return std::unique_ptr<firmware>{new firmware{cfg, *layout, bar2, host, irq}};
}

firmware::firmware(const firmware_config& cfg, const bar2_layout& layout, std::span<std::byte> bar2,
                   dma_provider& host, interrupt_line& irq)
    : cfg_(cfg), layout_(layout), lim_{cfg.cores,          cfg.max_rings,     cfg.max_actors,
                                       IPIPE_DMA_MAX_SEGS, IPIPE_DMA_MAX_LEN, layout.nic_data_size},
      bar2_(bar2), host_(host), irq_(irq), actors_(cfg.max_actors, layout.nic_data_size),
      builtin_(actors_), dispatch_(&builtin_), rings_(cfg.max_rings),
      events_(bar2.data() + layout.eventq_off, layout.eventq_entries,
              [this](unsigned v) { raise(v); }),
      dma_(host, bar2.subspan(layout.nic_data_off, layout.nic_data_size), lim_),
      sq_view_(bar2.data() + layout.adminq_off, layout.adminq_entries),
      cq_view_(bar2.data() + layout.admincq_off, layout.adminq_entries), params_(default_params()) {
}

firmware::~firmware() {
  shutdown();
}

void firmware::set_dispatch(actor_dispatch* d) {
  dispatch_ = d != nullptr ? d : &builtin_;
  dispatch_->bind(*this);
}

bool firmware::client_router::send(const ipipe_msg_hdr& hdr, std::span<const std::byte> payload) {
  if ((hdr.client & ring_client_base) != 0)
    return fw.rings_.send_to_ring(hdr.client & ~ring_client_base, hdr, payload, fw.counters_,
                                  [this](unsigned v) { fw.raise(v); });
  if (wire != nullptr && hdr.client != 0)
    return wire->send(hdr, payload);
  fw_counters::add(fw.counters_.host_backlog_dropped);
  return false;
}

void firmware::actor_moved(std::uint32_t id, ipipe_location loc) {
  if (actors_.moved(id, loc))
    fw_counters::add(loc == IPIPE_LOC_HOST ? counters_.migrations_to_host
                                           : counters_.migrations_to_nic);
}

ipipe_hw_header* firmware::header() const noexcept {
  return reinterpret_cast<ipipe_hw_header*>(bar2_.data());
}

void firmware::set_state(ipipe_fw_state s) noexcept {
  store(header()->state, static_cast<std::uint32_t>(s));
}

void firmware::write_header() {
  ipipe_hw_header* h = header();
  // The state goes to OFF first so a host that looks while we write never
  // sees a half-written header as valid.
  set_state(IPIPE_FW_STATE_OFF);
  h->abi_version = IPIPE_ABI_VERSION;
  h->fw_version = fw_version;
  h->header_size = sizeof(ipipe_hw_header);
  h->caps = IPIPE_CAP_DMA_SG | IPIPE_CAP_MIGRATION | IPIPE_CAP_DMA_CRC | IPIPE_CAP_FAULT_INJECT |
            (cfg_.wire ? IPIPE_CAP_WIRE : 0);
  h->nic_mem_size = layout_.nic_mem_size;
  h->nic_cores = cfg_.cores;
  h->num_vectors = cfg_.vectors;
  h->adminq_off = layout_.adminq_off;
  h->adminq_entries = layout_.adminq_entries;
  h->admincq_off = layout_.admincq_off;
  h->eventq_off = layout_.eventq_off;
  h->eventq_entries = layout_.eventq_entries;
  h->max_dma_segs = lim_.max_dma_segs;
  h->nic_data_off = layout_.nic_data_off;
  h->nic_data_size = layout_.nic_data_size;
  h->max_dma_len = lim_.max_dma_len;
  h->max_rings = lim_.max_rings;
  h->max_actors = lim_.max_actors;
  std::memset(h->resv0, 0, sizeof(h->resv0));
  store(h->heartbeat_ms, cfg_.heartbeat_ms);
  store(h->fw_error, 0u);
  // The magic last, with release: a reader that sees it sees the rest.
  store(h->magic, static_cast<std::uint32_t>(IPIPE_HW_MAGIC));
}

void firmware::format_admin_queues() {
  sq_view_.format();
  cq_view_.format();
  sq_ = ring_consumer<ipipe_admin_cmd>{sq_view_};
  cq_ = ring_producer<ipipe_admin_cqe>{cq_view_};
  sq_broken_ = false;
}

void firmware::boot() {
  write_header();
  set_state(IPIPE_FW_STATE_BOOTING);
  format_admin_queues();
  events_.format();
  dispatch_->start();
  cores_.start(cfg_.cores, [this](unsigned core) {
    ring_table::env e{dispatch_, &counters_, &events_, [this](unsigned v) { raise(v); }};
    return rings_.serve(core, cfg_.cores, e);
  });
  next_heartbeat_ns_ = monotonic_ns() + std::uint64_t{cfg_.heartbeat_ms} * 1'000'000;
  set_state(IPIPE_FW_STATE_READY);
}

void firmware::shutdown() {
  cores_.stop();
  dispatch_->host_runtime(std::nullopt);
  dispatch_->stop();
  if (load(header()->magic) == IPIPE_HW_MAGIC)
    set_state(IPIPE_FW_STATE_OFF);
}

void firmware::log(const std::string& what) const {
  if (cfg_.log)
    cfg_.log(what);
}

void firmware::reset() {
  log("reset");
  set_state(IPIPE_FW_STATE_RESETTING);
  dispatch_->host_runtime(std::nullopt);
  dispatch_->reset();
  rings_.clear();
  actors_.clear();
  format_admin_queues();
  events_.format();
  hang_ = false;
  delay_cq_ms_ = 0;
  fail_dma_ = 0;
  drop_irq_.store(0, std::memory_order_relaxed);
  {
    std::lock_guard g{params_lock_};
    params_ = default_params();
  }
  ipipe_hw_header* h = header();
  store(h->reset_request, 0u);
  store(h->reset_count, load(h->reset_count) + 1);
  set_state(IPIPE_FW_STATE_READY);
}

void firmware::host_gone() {
  log("host gone: dropping its rings");
  dispatch_->host_runtime(std::nullopt);
  rings_.clear();
}

void firmware::raise(unsigned vec) {
  // Injected fault: swallow the next N interrupts, as a lost MSI would.
  std::uint32_t n = drop_irq_.load(std::memory_order_relaxed);
  while (n != 0) {
    if (drop_irq_.compare_exchange_weak(n, n - 1, std::memory_order_relaxed))
      return;
  }
  if (irq_.raise(vec))
    fw_counters::add(counters_.irqs_raised);
}

bool firmware::post_event(ipipe_event_type type, std::uint32_t actor_id, std::uint64_t arg0,
                          std::uint64_t arg1) {
  if (type == IPIPE_EV_ACTOR_KILLED) {
    fw_counters::add(counters_.watchdog_kills);
    log(fmt::format("actor {} quarantined: its handler overran its budget by {} ns", actor_id,
                    arg0));
  } else if (cfg_.log) {
    log(fmt::format("event {} actor {} arg0 {} arg1 {}", static_cast<unsigned>(type), actor_id,
                    arg0, arg1));
  }
  return events_.post(type, actor_id, arg0, arg1);
}

ipipe_params firmware::params() const {
  std::lock_guard g{params_lock_};
  return params_;
}

void firmware::on_doorbell(unsigned vec, std::uint64_t count) {
  fw_counters::add(counters_.doorbells, count);
  switch (vec) {
  case IPIPE_VEC_ADMIN:
    service_admin();
    break;
  case IPIPE_VEC_RING:
    cores_.kick();
    dispatch_->doorbell();
    break;
  case IPIPE_VEC_TEST:
    raise(IPIPE_VEC_TEST); // loopback, for driver bring-up tests
    break;
  default:
    break;
  }
}

void firmware::tick(std::uint64_t now_ns) {
  if (now_ns >= next_heartbeat_ns_) {
    auto& hb = header()->heartbeat;
    store(hb, load(hb) + 1);
    next_heartbeat_ns_ = now_ns + std::uint64_t{cfg_.heartbeat_ms} * 1'000'000;
  }
  // Fallback for lost or coalesced doorbells.
  service_admin();
}

bool firmware::sq_broken_check() {
  if (sq_broken_)
    return true;
  if (!sq_.broken())
    return false;
  sq_broken_ = true;
  log("admin SQ producer index is impossible: queue marked broken until reset");
  std::atomic_ref<std::uint32_t>(sq_view_.header()->flags).fetch_or(IPIPE_RING_F_BROKEN);
  post_event(IPIPE_EV_FW_ERROR, 0, IPIPE_STS_BAD_INDEX, admin_sq_event_id);
  return true;
}

void firmware::service_admin() {
  if (load(header()->reset_request) != 0) {
    reset();
    raise(IPIPE_VEC_ADMIN);
    return;
  }
  if (hang_ || sq_broken_)
    return;
  bool unsignalled = false;
  std::uint64_t last_irq = monotonic_ns();
  ipipe_admin_cmd cmd;
  // Drain to empty, but only take a command when its completion has room:
  // the host's CQ consumer index is what throttles us.
  while (cq_.free_slots() != 0 && sq_.pop(cmd)) {
    sq_.release();
    fw_counters::add(counters_.admin_cmds);
    exec_result r = execute(cmd);
    if (r.status != IPIPE_STS_OK)
      fw_counters::add(counters_.admin_errors);
    if (delay_cq_ms_ != 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(delay_cq_ms_));
    ipipe_admin_cqe cqe{};
    cqe.cmd_id = cmd.cmd_id;
    cqe.status = static_cast<std::uint16_t>(r.status);
    cqe.result = r.result;
    cqe.value = r.value;
    // RESET reformatted both rings; its completion is the first entry of
    // the fresh CQ.
    if (!cq_.push(cqe))
      break;
    cq_.publish();
    unsignalled = true;
    // Interrupt moderation: one MSI-X per burst of quick commands, but a
    // long drain (big DMAs) signals as it goes so the host can reap and
    // refill while we keep working.
    const std::uint64_t now = monotonic_ns();
    if (now - last_irq >= irq_moderation_ns) {
      raise(IPIPE_VEC_ADMIN);
      last_irq = now;
      unsignalled = false;
    }
    if (hang_)
      break;
  }
  sq_broken_check();
  if (unsignalled)
    raise(IPIPE_VEC_ADMIN);
}

} // namespace ipipe::nic
