// The kernel backend: /dev/ipipeN, its ioctls, mmap'd rings and poll.
#include <ipipe/common/mmap_region.hpp>
#include <ipipe/common/sys.hpp>
#include <ipipe/common/unique_fd.hpp>
#include <ipipe/host/device.hpp>

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <cstring>
#include <vector>

namespace ipipe::host {
namespace {

class kernel_device final : public device {
public:
  explicit kernel_device(unique_fd fd) : fd_(std::move(fd)) {}

  std::string_view backend() const noexcept override { return "kernel"; }

  expected<device_info> info() override {
    ipipe_info i{};
    i.size = sizeof(i);
    if (auto r = ioctl_checked(IPIPE_IOC_GET_INFO, &i, "ioctl IPIPE_IOC_GET_INFO"); !r)
      return r.err();
    device_info d;
    d.fw_name = std::string(i.fw_name, strnlen(i.fw_name, sizeof(i.fw_name)));
    d.fw_version = i.fw_version;
    d.abi_version = i.abi_version;
    d.nic_cores = i.nic_cores;
    d.nic_mem = i.nic_mem_size;
    d.nic_data = i.nic_data_size;
    d.max_dma_len = i.max_dma_len;
    return d;
  }

  expected<ring_set> setup_rings(std::uint32_t msg_entries, std::uint32_t msg_slot,
                                 std::uint32_t mig_entries, std::uint32_t mig_slot) override {
    return setup(msg_entries, msg_slot, mig_entries, mig_slot, 0);
  }

  expected<ring_set> setup_runtime_rings(std::uint32_t msg_entries, std::uint32_t msg_slot,
                                         std::uint32_t mig_entries,
                                         std::uint32_t mig_slot) override {
    return setup(msg_entries, msg_slot, mig_entries, mig_slot, IPIPE_RING_SETUP_F_RUNTIME);
  }

  expected<ring_set> setup(std::uint32_t msg_entries, std::uint32_t msg_slot,
                           std::uint32_t mig_entries, std::uint32_t mig_slot, std::uint32_t flags) {
    ipipe_ring_setup rs{};
    rs.size = sizeof(rs);
    rs.flags = flags;
    rs.msg_entries = msg_entries;
    rs.msg_slot_size = msg_slot;
    rs.mig_entries = mig_entries;
    rs.mig_slot_size = mig_slot;
    if (auto r = ioctl_checked(IPIPE_IOC_RING_SETUP, &rs, "ioctl IPIPE_IOC_RING_SETUP"); !r)
      return r.err();
    ring_set set;
    set.ring_id = rs.ring_id;
    auto msg = runtime::msg_ring_geometry::make(rs.off[IPIPE_RING_MSG_H2N].entries,
                                                rs.off[IPIPE_RING_MSG_H2N].slot_size);
    auto mig = runtime::msg_ring_geometry::make(rs.off[IPIPE_RING_MIG_H2N].entries,
                                                rs.off[IPIPE_RING_MIG_H2N].slot_size);
    if (!msg || !mig)
      return error{errc::protocol_error, "driver reported an impossible ring geometry"};
    set.msg = *msg;
    set.mig = *mig;
    for (unsigned t = 0; t < IPIPE_RING_TYPE_LAST; ++t) {
      const ipipe_ring_offsets& o = rs.off[t];
      // The layout the runtime's ring code assumes must be the driver's.
      if (o.desc != IPIPE_RING_DESC_OFF || o.data != set.geometry(t).data_off() ||
          o.mmap_len < set.geometry(t).total_bytes())
        return error{errc::protocol_error, "driver ring layout differs from the uapi"};
      auto m = mmap_region::map_shared(fd_.get(), o.mmap_len, o.mmap_off);
      if (!m)
        return m.err();
      set.base[t] = m->data();
      maps_.push_back(std::move(*m));
    }
    return set;
  }

  using device::register_actor;
  expected<std::uint32_t> register_actor(const actor_registration& a) override {
    ipipe_actor_reg reg{};
    reg.size = sizeof(reg);
    if (a.type.empty() || a.type.size() >= sizeof(reg.type))
      return error{errc::invalid_argument, "actor type name length"};
    std::memcpy(reg.type, a.type.data(), a.type.size());
    reg.actor_id = a.id;
    reg.location = a.location;
    reg.mem_quota = a.mem_quota;
    reg.flags = a.flags;
    if (auto r = ioctl_checked(IPIPE_IOC_ACTOR_REGISTER, &reg, "ioctl IPIPE_IOC_ACTOR_REGISTER");
        !r)
      return r.err();
    return reg.actor_id;
  }

  expected<void> unregister_actor(std::uint32_t id) override {
    ipipe_actor_cmd c{};
    c.size = sizeof(c);
    c.actor_id = id;
    return void_of(
        ioctl_checked(IPIPE_IOC_ACTOR_UNREGISTER, &c, "ioctl IPIPE_IOC_ACTOR_UNREGISTER"));
  }

  expected<void> migrate(std::uint32_t id, ipipe_location to) override {
    ipipe_actor_cmd c{};
    c.size = sizeof(c);
    c.actor_id = id;
    c.to = to;
    return void_of(ioctl_checked(IPIPE_IOC_ACTOR_MIGRATE, &c, "ioctl IPIPE_IOC_ACTOR_MIGRATE"));
  }

  expected<void> kick() override {
    return void_of(sys::check(::ioctl(fd_.get(), IPIPE_IOC_KICK), "ioctl IPIPE_IOC_KICK"));
  }

  expected<bool> wait(std::chrono::milliseconds timeout) override {
    pollfd p{fd_.get(), POLLIN | POLLPRI, 0};
    int n = ::poll(&p, 1, static_cast<int>(timeout.count()));
    if (n < 0)
      return sys::last_error("poll /dev/ipipe");
    if (n > 0 && (p.revents & (POLLERR | POLLHUP)))
      return error{errc::closed, "the ipipe device went away"};
    return n > 0;
  }

  int event_fd() const noexcept override { return fd_.get(); }
  void ack_event() noexcept override {}
  expected<void> set_params(const ipipe_params&, std::uint32_t) override {
    return error{errc::not_supported, "set parameters through netlink or sysfs"};
  }

  expected<std::uint32_t> dma(bool to_nic, std::span<std::byte> buf,
                              std::uint64_t nic_off) override {
    ipipe_dma_xfer x{};
    x.size = sizeof(x);
    x.user_addr = reinterpret_cast<std::uintptr_t>(buf.data());
    x.nic_off = nic_off;
    x.len = static_cast<std::uint32_t>(buf.size());
    auto r =
        ioctl_checked(to_nic ? IPIPE_IOC_DMA_WRITE : IPIPE_IOC_DMA_READ, &x, "ioctl IPIPE_IOC_DMA");
    if (!r)
      return r.err();
    return x.crc32c;
  }

  expected<ipipe_fw_stats> fw_stats() override {
    ipipe_stats st{};
    st.size = sizeof(st);
    if (auto r = ioctl_checked(IPIPE_IOC_GET_STATS, &st, "ioctl IPIPE_IOC_GET_STATS"); !r)
      return r.err();
    return st.fw;
  }

private:
  expected<int> ioctl_checked(unsigned long req, void* arg, const char* what) {
    return sys::check(::ioctl(fd_.get(), req, arg), what);
  }
  static expected<void> void_of(const expected<int>& r) {
    if (!r)
      return r.err();
    return {};
  }

  unique_fd fd_;
  std::vector<mmap_region> maps_; // unmapped before fd_ closes
};

} // namespace

expected<std::unique_ptr<device>> device::open_kernel(const std::string& path) {
  unique_fd fd{::open(path.c_str(), O_RDWR | O_CLOEXEC)};
  if (!fd)
    return sys::last_error("open " + path);
  return std::unique_ptr<device>(std::make_unique<kernel_device>(std::move(fd)));
}

} // namespace ipipe::host
