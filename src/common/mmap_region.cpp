#include <ipipe/common/mmap_region.hpp>
#include <ipipe/common/sys.hpp>

#include <sys/mman.h>

namespace ipipe {

mmap_region& mmap_region::operator=(mmap_region&& o) noexcept {
  if (this != &o) {
    reset();
    addr_ = std::exchange(o.addr_, nullptr);
    size_ = std::exchange(o.size_, 0);
  }
  return *this;
}

void mmap_region::reset() noexcept {
  if (addr_ != nullptr)
    ::munmap(addr_, size_);
  addr_ = nullptr;
  size_ = 0;
}

expected<mmap_region> mmap_region::map_shared(int fd, std::size_t size, std::uint64_t offset) {
  if (size == 0)
    return error{errc::bad_length, "mmap of zero bytes"};
  void* p =
      ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, static_cast<off_t>(offset));
  if (p == MAP_FAILED)
    return sys::last_error("mmap");
  return mmap_region{p, size};
}

expected<mmap_region> mmap_region::map_anonymous(std::size_t size) {
  if (size == 0)
    return error{errc::bad_length, "mmap of zero bytes"};
  void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED)
    return sys::last_error("mmap");
  return mmap_region{p, size};
}

} // namespace ipipe
