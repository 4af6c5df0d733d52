#include <ipipe/runtime/msg_ring.hpp>

namespace ipipe::runtime {

expected<msg_ring_geometry> msg_ring_geometry::make(std::uint32_t entries,
                                                    std::uint32_t slot_size) {
  if (!ring_entries_valid(entries, IPIPE_RING_MIN_ENTRIES, IPIPE_RING_MAX_ENTRIES))
    return error{errc::invalid_argument, "ring entries must be a power of two in range"};
  if (slot_size < 64 || slot_size > IPIPE_RING_MAX_SLOT || slot_size % 8 != 0)
    return error{errc::invalid_argument, "slot size must be a multiple of 8 in [64, 64 KiB]"};
  return msg_ring_geometry{entries, slot_size};
}

expected<msg_ring_buffer> msg_ring_buffer::create(msg_ring_geometry g) {
  auto checked = msg_ring_geometry::make(g.entries, g.slot_size);
  if (!checked)
    return checked.err();
  auto mem = mmap_region::map_anonymous(g.total_bytes());
  if (!mem)
    return mem.err();
  ring_view<ipipe_ring_desc>{mem->data(), g.entries}.format();
  return msg_ring_buffer{std::move(*mem), g};
}

msg_ring_producer::msg_ring_producer(void* base, msg_ring_geometry g) noexcept
    : ring_(ring_view<ipipe_ring_desc>{base, g.entries}),
      data_(static_cast<std::byte*>(base) + g.data_off()), g_(g) {}

expected<void> msg_ring_producer::post(const ipipe_msg_hdr& hdr,
                                       std::span<const std::byte> payload) {
  if (payload.size() > g_.max_payload())
    return error{errc::bad_length, "message larger than a ring slot"};
  return post_with(hdr, static_cast<std::uint32_t>(payload.size()), [&](std::span<std::byte> dst) {
    if (!payload.empty())
      std::memcpy(dst.data(), payload.data(), payload.size());
  });
}

msg_ring_consumer::msg_ring_consumer(void* base, msg_ring_geometry g) noexcept
    : ring_(ring_view<ipipe_ring_desc>{base, g.entries}),
      data_(static_cast<const std::byte*>(base) + g.data_off()), g_(g),
      slot_mask_((g.slot_size & (g.slot_size - 1)) == 0 ? g.slot_size - 1 : 0) {}

bool msg_ring_consumer::next(ipipe_msg_hdr& hdr, std::span<const std::byte>& payload) {
  ipipe_ring_desc d{};
  while (ring_.pop(d)) {
    // `d` is our private copy: the producer cannot change it under us.
    const std::uint64_t area = g_.area_bytes();
    const bool in_area = d.off <= area && d.len <= area - d.off;
    // A mask instead of a division on the hot path when we can.
    const std::uint64_t in_off = slot_mask_ != 0 ? d.off & slot_mask_ : d.off % g_.slot_size;
    const bool in_slot = in_off + d.len <= g_.slot_size;
    if (!in_area || !in_slot || d.len < sizeof(ipipe_msg_hdr) || d.flags != 0) {
      ++bad_;
      continue;
    }
    std::memcpy(&hdr, data_ + d.off, sizeof(hdr));
    if (hdr.len != d.len - sizeof(hdr) || hdr.type >= IPIPE_MSG_TYPE_LAST) {
      ++bad_;
      continue;
    }
    payload = {data_ + d.off + sizeof(hdr), hdr.len};
    return true;
  }
  return false;
}

bool msg_ring_consumer::pop(message& out) {
  std::span<const std::byte> p;
  if (!next(out.hdr, p))
    return false;
  out.payload.assign(p.begin(), p.end());
  return true;
}

} // namespace ipipe::runtime
