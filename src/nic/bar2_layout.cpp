#include <ipipe/nic/bar2_layout.hpp>

#include <linux/ipipe.h>

namespace ipipe::nic {
namespace {

constexpr std::uint64_t page_up(std::uint64_t x) noexcept {
  return (x + IPIPE_PAGE_SIZE - 1) & ~std::uint64_t{IPIPE_PAGE_SIZE - 1};
}

template <class Desc>
constexpr std::uint64_t ring_bytes(std::uint32_t entries) noexcept {
  return page_up(IPIPE_RING_DESC_OFF + std::uint64_t{entries} * sizeof(Desc));
}

} // namespace

expected<bar2_layout> make_bar2_layout(std::uint64_t nic_mem_size) {
  if (nic_mem_size < min_nic_mem || nic_mem_size > max_nic_mem ||
      nic_mem_size % IPIPE_PAGE_SIZE != 0)
    return error{errc::invalid_argument,
                 "NIC memory must be a multiple of 4 KiB between 128 KiB and 16 GiB"};
  bar2_layout l;
  l.nic_mem_size = nic_mem_size;
  l.adminq_entries = IPIPE_ADMINQ_MAX_ENTRIES;
  l.eventq_entries = IPIPE_EVENTQ_MAX_ENTRIES;
  std::uint64_t off = IPIPE_PAGE_SIZE; // after the header page
  l.adminq_off = static_cast<std::uint32_t>(off);
  off += ring_bytes<ipipe_admin_cmd>(l.adminq_entries);
  l.admincq_off = static_cast<std::uint32_t>(off);
  off += ring_bytes<ipipe_admin_cqe>(l.adminq_entries);
  l.eventq_off = static_cast<std::uint32_t>(off);
  off += ring_bytes<ipipe_event>(l.eventq_entries);
  l.nic_data_off = off;
  l.nic_data_size = nic_mem_size - off;
  return l;
}

} // namespace ipipe::nic
