#include <ipipe/runtime/arena.hpp>

namespace ipipe::runtime {

namespace {
constexpr std::uint64_t round_up(std::uint64_t v, std::uint64_t a) noexcept {
  return (v + a - 1) & ~(a - 1);
}
} // namespace

arena::arena(std::uint64_t capacity) : capacity_(capacity & ~(alignment - 1)) {
  if (capacity_ > 0)
    insert_free(0, capacity_);
}

void arena::insert_free(std::uint64_t off, std::uint64_t size) {
  free_by_off_.emplace(off, size);
  free_by_size_.emplace(size, off);
}

void arena::erase_free(std::map<std::uint64_t, std::uint64_t>::iterator it) {
  free_by_size_.erase({it->second, it->first});
  free_by_off_.erase(it);
}

expected<std::uint64_t> arena::allocate(std::uint64_t size) {
  if (size == 0)
    return error{errc::bad_length, "zero-sized allocation"};
  // Rounding a size near 2^64 would wrap; such a block cannot fit anyway.
  if (size > capacity_)
    return error{errc::no_space, "allocation larger than the arena"};
  const std::uint64_t need = round_up(size, alignment);
  auto fit = free_by_size_.lower_bound({need, 0});
  if (fit == free_by_size_.end())
    return error{errc::no_space, "no free block large enough"};
  const std::uint64_t off = fit->second;
  const std::uint64_t have = fit->first;
  erase_free(free_by_off_.find(off));
  if (have > need)
    insert_free(off + need, have - need);
  used_blocks_.emplace(off, need);
  used_ += need;
  return off;
}

expected<void> arena::release(std::uint64_t offset) {
  auto blk = used_blocks_.find(offset);
  if (blk == used_blocks_.end())
    return error{errc::not_found, "no block at this offset"};
  std::uint64_t off = blk->first;
  std::uint64_t size = blk->second;
  used_ -= size;
  used_blocks_.erase(blk);

  auto next = free_by_off_.lower_bound(off);
  if (next != free_by_off_.end() && off + size == next->first) {
    size += next->second;
    auto after = std::next(next);
    erase_free(next);
    next = after;
  }
  if (next != free_by_off_.begin()) {
    auto prev = std::prev(next);
    if (prev->first + prev->second == off) {
      off = prev->first;
      size += prev->second;
      erase_free(prev);
    }
  }
  insert_free(off, size);
  return {};
}

std::uint64_t arena::block_size(std::uint64_t offset) const noexcept {
  auto it = used_blocks_.find(offset);
  return it == used_blocks_.end() ? 0 : it->second;
}

std::uint64_t arena::largest_free() const noexcept {
  return free_by_size_.empty() ? 0 : free_by_size_.rbegin()->first;
}

} // namespace ipipe::runtime
