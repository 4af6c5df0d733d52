// The direct-attach backend: this process is an ivshmem peer of ipipe-nic
// and drives its admin queue itself, with a memfd as "host memory". The
// commands are the ones ipipe.ko sends, so the same rings work on both.
#include <ipipe/host/device.hpp>
#include <ipipe/nic/attach.hpp>

#include <unistd.h>

#include <cstring>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace ipipe::host {
namespace {

// The firmware's status as the error a caller can act on.
errc errc_of(std::uint16_t status) noexcept {
  switch (status) {
  case IPIPE_STS_OK:
    return errc::none;
  case IPIPE_STS_BAD_OPCODE:
    return errc::not_supported;
  case IPIPE_STS_BAD_ADDR:
    return errc::bad_address;
  case IPIPE_STS_BAD_LEN:
  case IPIPE_STS_TOO_MANY_SEGS:
    return errc::bad_length;
  case IPIPE_STS_NO_SPACE:
    return errc::no_space;
  case IPIPE_STS_NOT_FOUND:
    return errc::not_found;
  case IPIPE_STS_EXISTS:
    return errc::exists;
  case IPIPE_STS_BUSY:
    return errc::busy;
  case IPIPE_STS_DMA_ERROR:
  case IPIPE_STS_INTERNAL:
    return errc::protocol_error;
  default:
    return errc::invalid_argument;
  }
}

class direct_device final : public device {
public:
  explicit direct_device(std::unique_ptr<nic::attachment> a) : a_(std::move(a)) {}

  ~direct_device() override {
    // Give the NIC back its rings before the memory behind them goes.
    for (unsigned t = 0; t < IPIPE_RING_TYPE_LAST && rings_ready_; ++t) {
      ipipe_admin_cmd c{};
      c.opcode = IPIPE_ADMIN_RING_DESTROY;
      c.ring.ring_id = ring_id_;
      c.ring.type = t;
      (void)a_->submit(c);
    }
    for (auto id : actors_) {
      ipipe_admin_cmd c{};
      c.opcode = IPIPE_ADMIN_ACTOR_DESTROY;
      c.target.actor_id = id;
      (void)a_->submit(c);
    }
    for (const auto& b : buffers_)
      a_->free(b);
  }

  std::string_view backend() const noexcept override { return "direct"; }

  expected<device_info> info() override {
    auto buf = a_->alloc(sizeof(ipipe_identify));
    if (!buf)
      return buf.err();
    ipipe_admin_cmd c{};
    c.opcode = IPIPE_ADMIN_IDENTIFY;
    c.buf.addr = buf->bus;
    c.buf.len = sizeof(ipipe_identify);
    auto r = exec(c, "IDENTIFY");
    ipipe_identify id{};
    std::memcpy(&id, buf->ptr, sizeof(id));
    a_->free(*buf);
    if (!r)
      return r.err();
    device_info d;
    d.fw_name = std::string(id.fw_name, strnlen(id.fw_name, sizeof(id.fw_name)));
    d.fw_version = id.fw_version;
    d.abi_version = id.abi_version;
    d.nic_cores = id.nic_cores;
    d.nic_mem = id.nic_mem_size;
    d.nic_data = a_->header()->nic_data_size;
    d.max_dma_len = std::min<std::uint32_t>(id.max_dma_len, kDmaBounce);
    return d;
  }

  expected<ring_set> setup_rings(std::uint32_t msg_entries, std::uint32_t msg_slot,
                                 std::uint32_t mig_entries, std::uint32_t mig_slot) override {
    return setup(msg_entries, msg_slot, mig_entries, mig_slot, 0);
  }

  expected<ring_set> setup_runtime_rings(std::uint32_t msg_entries, std::uint32_t msg_slot,
                                         std::uint32_t mig_entries,
                                         std::uint32_t mig_slot) override {
    return setup(msg_entries, msg_slot, mig_entries, mig_slot, IPIPE_RING_CREATE_F_RUNTIME);
  }

  // The runtime's message slots hold the largest message.
  static constexpr std::uint32_t runtime_msg_slot = sizeof(ipipe_msg_hdr) + IPIPE_MSG_MAX_PAYLOAD;

  expected<ring_set> setup(std::uint32_t msg_entries, std::uint32_t msg_slot,
                           std::uint32_t mig_entries, std::uint32_t mig_slot, std::uint32_t flags) {
    if (rings_ready_)
      return error{errc::busy, "rings already set up"};
    auto msg = runtime::msg_ring_geometry::make(msg_entries ? msg_entries : 256,
                                                msg_slot     ? msg_slot
                                                : flags != 0 ? runtime_msg_slot
                                                             : 2048);
    auto mig = runtime::msg_ring_geometry::make(mig_entries ? mig_entries : 64,
                                                mig_slot ? mig_slot : 16384);
    if (!msg)
      return msg.err();
    if (!mig)
      return mig.err();
    ring_set set;
    set.ring_id = ring_id_;
    set.msg = *msg;
    set.mig = *mig;
    for (unsigned t = 0; t < IPIPE_RING_TYPE_LAST; ++t) {
      const auto& g = set.geometry(t);
      auto b = a_->alloc(g.total_bytes(), IPIPE_PAGE_SIZE);
      if (!b)
        return b.err();
      buffers_.push_back(*b);
      ring_view<ipipe_ring_desc>(b->ptr, g.entries).format();
      ipipe_admin_cmd c{};
      c.opcode = IPIPE_ADMIN_RING_CREATE;
      c.ring.addr = b->bus;
      c.ring.size = g.total_bytes();
      c.ring.ring_id = ring_id_;
      c.ring.type = t;
      c.ring.entries = g.entries;
      c.ring.slot_size = g.slot_size;
      c.ring.flags = flags;
      if (auto r = exec(c, "RING_CREATE"); !r)
        return r.err();
      set.base[t] = b->ptr;
    }
    rings_ready_ = true;
    return set;
  }

  using device::register_actor;
  expected<std::uint32_t> register_actor(const actor_registration& a) override {
    ipipe_admin_cmd c{};
    if (a.type.empty() || a.type.size() >= sizeof(c.actor.type))
      return error{errc::invalid_argument, "actor type name length"};
    if (!rings_ready_)
      return error{errc::invalid_argument, "register_actor before setup_rings"};
    if ((a.flags & ~(IPIPE_ACTOR_F_PINNED | IPIPE_ACTOR_F_PERSIST)) != 0)
      return error{errc::invalid_argument, "unknown actor flags"};
    c.opcode = IPIPE_ADMIN_ACTOR_CREATE;
    std::memcpy(c.actor.type, a.type.data(), a.type.size());
    c.actor.actor_id = a.id;
    c.actor.location = a.location;
    c.actor.mem_quota = a.mem_quota;
    c.actor.ring_id = ring_id_;
    c.actor.flags = a.flags & IPIPE_ACTOR_F_PINNED; // PERSIST is the host's business
    auto r = exec(c, "ACTOR_CREATE");
    if (!r)
      return r.err();
    // Persistent actors stay when this handle goes, as with the kernel.
    if ((a.flags & IPIPE_ACTOR_F_PERSIST) == 0)
      actors_.push_back(static_cast<std::uint32_t>(r->value));
    return static_cast<std::uint32_t>(r->value);
  }

  expected<void> unregister_actor(std::uint32_t id) override {
    ipipe_admin_cmd c{};
    c.opcode = IPIPE_ADMIN_ACTOR_DESTROY;
    c.target.actor_id = id;
    if (auto r = exec(c, "ACTOR_DESTROY"); !r)
      return r.err();
    std::erase(actors_, id);
    return {};
  }

  expected<void> migrate(std::uint32_t id, ipipe_location to) override {
    ipipe_admin_cmd c{};
    c.opcode = IPIPE_ADMIN_MIGRATE;
    c.target.actor_id = id;
    c.target.to = to;
    c.target.ring_id = ring_id_;
    if (auto r = exec(c, "MIGRATE"); !r)
      return r.err();
    return {};
  }

  int event_fd() const noexcept override { return a_->irq_fd(IPIPE_VEC_RING); }
  int control_fd() const noexcept override { return a_->server_fd(); }
  bool check_alive() noexcept override { return a_->poll_server(); }
  void ack_event() noexcept override {
    std::uint64_t n = 0;
    [[maybe_unused]] ssize_t r = ::read(a_->irq_fd(IPIPE_VEC_RING), &n, sizeof(n));
  }
  expected<void> set_params(const ipipe_params& p, std::uint32_t mask) override {
    ipipe_admin_cmd c{};
    c.opcode = IPIPE_ADMIN_SET_PARAMS;
    c.params.mask = mask;
    c.params.tail_thresh_ns = p.tail_thresh_ns;
    c.params.mean_thresh_ns = p.mean_thresh_ns;
    c.params.alpha_permille = p.alpha_permille;
    c.params.drr_quantum_ns = p.drr_quantum_ns;
    c.params.fcfs_cores = p.fcfs_cores;
    if (auto r = exec(c, "SET_PARAMS"); !r)
      return r.err();
    return {};
  }

  expected<void> kick() override { return a_->doorbell(IPIPE_VEC_RING); }

  expected<bool> wait(std::chrono::milliseconds timeout) override {
    auto r = a_->wait_irq(IPIPE_VEC_RING, timeout);
    if (!r)
      return r.err().code() == errc::timed_out ? expected<bool>(false) : r.err();
    return *r > 0;
  }

  expected<std::uint32_t> dma(bool to_nic, std::span<std::byte> buf,
                              std::uint64_t nic_off) override {
    if (buf.empty() || buf.size() > kDmaBounce)
      return error{errc::bad_length, "DMA length"};
    std::lock_guard lock(dma_lock_);
    if (!bounce_) {
      auto b = a_->alloc(kDmaBounce + IPIPE_PAGE_SIZE, IPIPE_PAGE_SIZE);
      if (!b)
        return b.err();
      bounce_ = *b;
      buffers_.push_back(*b);
    }
    // One segment list page, then the data: the same SG command the
    // kernel driver builds, with a single segment.
    auto* seg = reinterpret_cast<ipipe_dma_seg*>(bounce_->ptr);
    std::byte* data = bounce_->ptr + IPIPE_PAGE_SIZE;
    *seg = ipipe_dma_seg{bounce_->bus + IPIPE_PAGE_SIZE, static_cast<std::uint32_t>(buf.size()), 0};
    if (to_nic)
      std::memcpy(data, buf.data(), buf.size());
    ipipe_admin_cmd c{};
    c.opcode = IPIPE_ADMIN_DMA;
    c.dma.sgl_addr = bounce_->bus;
    c.dma.nic_off = nic_off;
    c.dma.nsegs = 1;
    c.dma.dir = to_nic ? IPIPE_DMA_TO_NIC : IPIPE_DMA_FROM_NIC;
    auto r = exec(c, "DMA");
    if (!r)
      return r.err();
    if (!to_nic)
      std::memcpy(buf.data(), data, buf.size());
    return r->result;
  }

  expected<ipipe_fw_stats> fw_stats() override {
    auto buf = a_->alloc(sizeof(ipipe_fw_stats));
    if (!buf)
      return buf.err();
    ipipe_admin_cmd c{};
    c.opcode = IPIPE_ADMIN_GET_STATS;
    c.buf.addr = buf->bus;
    c.buf.len = sizeof(ipipe_fw_stats);
    auto r = exec(c, "GET_STATS");
    ipipe_fw_stats st{};
    std::memcpy(&st, buf->ptr, sizeof(st));
    a_->free(*buf);
    if (!r)
      return r.err();
    return st;
  }

private:
  static constexpr std::size_t kDmaBounce = 8u << 20;

  expected<ipipe_admin_cqe> exec(const ipipe_admin_cmd& c, const char* what) {
    auto r = a_->submit(c);
    if (!r)
      return r.err();
    if (r->status != IPIPE_STS_OK)
      return error{errc_of(r->status), std::string("admin ") + what};
    return *r;
  }

  std::unique_ptr<nic::attachment> a_;
  std::uint32_t ring_id_ = 0; // a direct attachment is the NIC's only host
  bool rings_ready_ = false;
  std::vector<std::uint32_t> actors_;
  std::vector<nic::host_buffer> buffers_;
  std::mutex dma_lock_; // protects bounce_
  std::optional<nic::host_buffer> bounce_;
};

} // namespace

expected<std::unique_ptr<device>> device::attach_direct(const std::string& socket) {
  auto a = nic::attachment::connect(socket);
  if (!a)
    return a.err();
  return std::unique_ptr<device>(std::make_unique<direct_device>(std::move(*a)));
}

} // namespace ipipe::host
