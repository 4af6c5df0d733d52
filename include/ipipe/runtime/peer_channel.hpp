#pragma once

#include <ipipe/common/expected.hpp>
#include <ipipe/runtime/msg_ring.hpp>

namespace ipipe::runtime {

/// One runtime's ends of the four rings that join it to its peer: a
/// message ring and a migration ring in each direction
/// (IPIPE_RING_MSG_H2N/N2H, IPIPE_RING_MIG_H2N/N2H).
///
/// The message rings carry forwarded requests, replies between actors and
/// the migration fence; the migration rings carry the MIG_* stream and the
/// takeover ack. Only runtime::pump() touches them.
struct peer_channel {
  msg_ring_producer msg_out; ///< messages to the peer
  msg_ring_consumer msg_in;  ///< messages from the peer
  msg_ring_producer mig_out; ///< migration stream to the peer
  msg_ring_consumer mig_in;  ///< migration stream from the peer
};

/// Owns the memory of the four rings between a NIC runtime and a host
/// runtime living in one process (tests, benchmarks, direct attach).
class peer_rings {
public:
  /// Creates the rings: message rings of geometry `msg`, migration rings of
  /// geometry `mig` (its slots must hold a MIG_REQUEST of the largest
  /// message, so at least IPIPE_MSG_MAX_PAYLOAD + 64 bytes).
  [[nodiscard]] static expected<peer_rings> create(msg_ring_geometry msg, msg_ring_geometry mig);

  /// Returns the NIC side's ends.
  [[nodiscard]] peer_channel nic_end() const noexcept;
  /// Returns the host side's ends.
  [[nodiscard]] peer_channel host_end() const noexcept;

private:
  peer_rings(msg_ring_buffer h2n, msg_ring_buffer n2h, msg_ring_buffer mig_h2n,
             msg_ring_buffer mig_n2h) noexcept
      : h2n_(std::move(h2n)), n2h_(std::move(n2h)), mig_h2n_(std::move(mig_h2n)),
        mig_n2h_(std::move(mig_n2h)) {}

  msg_ring_buffer h2n_;
  msg_ring_buffer n2h_;
  msg_ring_buffer mig_h2n_;
  msg_ring_buffer mig_n2h_;
};

} // namespace ipipe::runtime
