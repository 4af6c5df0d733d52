#include <ipipe/common/sys.hpp>
#include <ipipe/nic/guarded_mapping.hpp>

#include <sys/mman.h>
#include <unistd.h>

namespace ipipe::nic {
namespace {

std::size_t page_size() noexcept {
  static const auto pg = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  return pg;
}

} // namespace

guarded_mapping& guarded_mapping::operator=(guarded_mapping&& o) noexcept {
  if (this != &o) {
    reset();
    base_ = std::exchange(o.base_, nullptr);
    total_ = std::exchange(o.total_, 0);
    size_ = std::exchange(o.size_, 0);
  }
  return *this;
}

std::byte* guarded_mapping::data() const noexcept {
  return base_ == nullptr ? nullptr : static_cast<std::byte*>(base_) + page_size();
}

void guarded_mapping::reset() noexcept {
  if (base_ != nullptr)
    ::munmap(base_, total_);
  base_ = nullptr;
  total_ = 0;
  size_ = 0;
}

expected<guarded_mapping> guarded_mapping::map(int fd, std::size_t size) {
  const std::size_t pg = page_size();
  if (size == 0 || size > (SIZE_MAX >> 1))
    return error{errc::bad_length, "guarded mapping size"};
  const std::size_t span = (size + pg - 1) / pg * pg;
  const std::size_t total = span + 2 * pg;
  // Reserve window plus guards as PROT_NONE, then put the file over the
  // middle: the guards stay inaccessible for the life of the mapping.
  void* base =
      ::mmap(nullptr, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (base == MAP_FAILED)
    return sys::last_error("mmap guard reservation");
  void* win = ::mmap(static_cast<std::byte*>(base) + pg, span, PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_FIXED, fd, 0);
  if (win == MAP_FAILED) {
    auto err = sys::last_error("mmap shared window");
    ::munmap(base, total);
    return err;
  }
  guarded_mapping m;
  m.base_ = base;
  m.total_ = total;
  m.size_ = size;
  return m;
}

} // namespace ipipe::nic
