#include <ipipe/common/sys.hpp>
#include <ipipe/nic/file_host_memory.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ipipe::nic {

expected<std::unique_ptr<file_host_memory>> file_host_memory::open(std::string path) {
  if (path.empty())
    return error{errc::invalid_argument, "host memory file path is empty"};
  std::unique_ptr<file_host_memory> m{new file_host_memory{std::move(path)}};
  if (::access(m->path_.c_str(), F_OK) == 0) {
    if (auto r = m->try_map(); !r && r.err().code() != errc::not_found)
      return r.err();
  }
  return m;
}

expected<void> file_host_memory::try_map() {
  std::lock_guard g{lock_};
  if (map_)
    return {};
  unique_fd fd{::open(path_.c_str(), O_RDWR | O_CLOEXEC)};
  if (!fd)
    return errno == ENOENT ? error{errc::not_found, path_} : sys::last_error("open " + path_);
  struct stat st {};
  if (::fstat(fd.get(), &st) < 0)
    return sys::last_error("fstat " + path_);
  if (st.st_size <= 0)
    return error{errc::not_found, path_ + " has no size yet"};
  auto map = guarded_mapping::map(fd.get(), static_cast<std::size_t>(st.st_size));
  if (!map)
    return map.err();
  map_ = std::move(*map);
  size_.store(map_.size(), std::memory_order_release);
  return {};
}

expected<std::span<std::byte>> file_host_memory::translate(std::uint64_t addr, std::uint64_t len) {
  std::uint64_t size = size_.load(std::memory_order_acquire);
  if (size == 0) {
    if (!try_map())
      return check_range(addr, len, 0);
    size = size_.load(std::memory_order_acquire);
  }
  if (errc e = check_range(addr, len, size); e != errc::none)
    return e;
  return std::span<std::byte>{map_.data() + addr, static_cast<std::size_t>(len)};
}

} // namespace ipipe::nic
