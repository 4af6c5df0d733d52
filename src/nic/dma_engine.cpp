#include <ipipe/nic/crc32c.hpp>
#include <ipipe/nic/dma_engine.hpp>

#include <array>
#include <cstring>

namespace ipipe::nic {

ipipe_status status_of(errc e) noexcept {
  switch (e) {
  case errc::none:
    return IPIPE_STS_OK;
  case errc::bad_length:
    return IPIPE_STS_BAD_LEN;
  case errc::bad_address:
    return IPIPE_STS_BAD_ADDR;
  default:
    return IPIPE_STS_INTERNAL;
  }
}

dma_result dma_engine::run(const ipipe_admin_cmd& cmd) const {
  const auto& d = cmd.dma;
  if (d.nsegs == 0 || d.nsegs > lim_.max_dma_segs || d.nsegs > IPIPE_DMA_MAX_SEGS)
    return {IPIPE_STS_TOO_MANY_SEGS};

  // Copy the segment list out of host memory once: the host may rewrite it
  // while we work, and we must act on what we checked.
  auto sgl = host_.translate(d.sgl_addr, std::uint64_t{d.nsegs} * sizeof(ipipe_dma_seg));
  if (!sgl)
    return {status_of(sgl.err().code())};
  std::array<ipipe_dma_seg, IPIPE_DMA_MAX_SEGS> segs;
  std::memcpy(segs.data(), sgl->data(), d.nsegs * sizeof(ipipe_dma_seg));

  std::array<std::byte*, IPIPE_DMA_MAX_SEGS> ptrs;
  std::uint64_t total = 0;
  for (std::uint32_t i = 0; i < d.nsegs; ++i) {
    if (segs[i].resv != 0)
      return {IPIPE_STS_BAD_FIELD};
    auto span = host_.translate(segs[i].addr, segs[i].len);
    if (!span)
      return {status_of(span.err().code())};
    ptrs[i] = span->data();
    total += segs[i].len; // at most 64 * 4 GiB: cannot wrap
    if (total > lim_.max_dma_len)
      return {IPIPE_STS_BAD_LEN};
  }
  if (d.nic_off > nic_.size() || total > nic_.size() - d.nic_off)
    return {IPIPE_STS_BAD_ADDR};

  std::byte* nic = nic_.data() + d.nic_off;
  std::uint32_t crc = 0;
  const bool with_crc = (cmd.flags & IPIPE_DMA_F_NO_CRC) == 0;
  for (std::uint32_t i = 0; i < d.nsegs; ++i) {
    const std::size_t len = segs[i].len;
    std::byte* dst = d.dir == IPIPE_DMA_TO_NIC ? nic : ptrs[i];
    const std::byte* src = d.dir == IPIPE_DMA_TO_NIC ? ptrs[i] : nic;
    if (with_crc)
      crc = copy_crc32c(dst, src, len, crc);
    else
      std::memcpy(dst, src, len);
    nic += len;
  }
  return {IPIPE_STS_OK, total, crc};
}

} // namespace ipipe::nic
