#include <ipipe/runtime/peer_channel.hpp>

namespace ipipe::runtime {

expected<peer_rings> peer_rings::create(msg_ring_geometry msg, msg_ring_geometry mig) {
  auto h2n = msg_ring_buffer::create(msg);
  if (!h2n)
    return h2n.err();
  auto n2h = msg_ring_buffer::create(msg);
  if (!n2h)
    return n2h.err();
  auto mh2n = msg_ring_buffer::create(mig);
  if (!mh2n)
    return mh2n.err();
  auto mn2h = msg_ring_buffer::create(mig);
  if (!mn2h)
    return mn2h.err();
  return peer_rings{std::move(*h2n), std::move(*n2h), std::move(*mh2n), std::move(*mn2h)};
}

peer_channel peer_rings::nic_end() const noexcept {
  return {msg_ring_producer{n2h_.base(), n2h_.geometry()},
          msg_ring_consumer{h2n_.base(), h2n_.geometry()},
          msg_ring_producer{mig_n2h_.base(), mig_n2h_.geometry()},
          msg_ring_consumer{mig_h2n_.base(), mig_h2n_.geometry()}};
}

peer_channel peer_rings::host_end() const noexcept {
  return {msg_ring_producer{h2n_.base(), h2n_.geometry()},
          msg_ring_consumer{n2h_.base(), n2h_.geometry()},
          msg_ring_producer{mig_h2n_.base(), mig_h2n_.geometry()},
          msg_ring_consumer{mig_n2h_.base(), mig_n2h_.geometry()}};
}

} // namespace ipipe::runtime
