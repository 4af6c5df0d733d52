#include <ipipe/host/device.hpp>

namespace ipipe::host {

runtime::peer_channel host_channel(const ring_set& r) noexcept {
  runtime::peer_channel ch;
  ch.msg_out = runtime::msg_ring_producer{r.base[IPIPE_RING_MSG_H2N], r.msg};
  ch.msg_in = runtime::msg_ring_consumer{r.base[IPIPE_RING_MSG_N2H], r.msg};
  ch.mig_out = runtime::msg_ring_producer{r.base[IPIPE_RING_MIG_H2N], r.mig};
  ch.mig_in = runtime::msg_ring_consumer{r.base[IPIPE_RING_MIG_N2H], r.mig};
  return ch;
}

} // namespace ipipe::host
