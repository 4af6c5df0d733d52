#include <ipipe/common/sys.hpp>
#include <ipipe/nic/memfd_host_memory.hpp>

#include <sys/mman.h>
#include <unistd.h>

namespace ipipe::nic {

expected<std::unique_ptr<memfd_host_memory>> memfd_host_memory::create(std::uint64_t size) {
  if (size == 0 || size > (1ULL << 46))
    return error{errc::bad_length, "host memory size"};
  unique_fd fd{::memfd_create("ipipe-host-mem", MFD_CLOEXEC)};
  if (!fd)
    return sys::last_error("memfd_create host memory");
  if (::ftruncate(fd.get(), static_cast<off_t>(size)) < 0)
    return sys::last_error("ftruncate host memory");
  auto map = guarded_mapping::map(fd.get(), size);
  if (!map)
    return map.err();
  std::unique_ptr<memfd_host_memory> m{new memfd_host_memory};
  m->fd_ = std::move(fd);
  m->map_ = std::move(*map);
  return m;
}

expected<std::span<std::byte>> memfd_host_memory::translate(std::uint64_t addr, std::uint64_t len) {
  if (errc e = check_range(addr, len, map_.size()); e != errc::none)
    return e;
  return std::span<std::byte>{map_.data() + addr, static_cast<std::size_t>(len)};
}

} // namespace ipipe::nic
