#pragma once

#include <ipipe/runtime/ids.hpp>

#include <linux/ipipe.h>

#include <cstdint>

namespace ipipe::runtime {

/// The record of one completed migration, kept by the sending runtime.
///
/// The phases are the paper's, measured on the sender: (1) quiesce, from
/// migrate() until no handler of the actor runs; (2) collect, taking the
/// object table; (3) transfer, streaming every object through the migration
/// ring until the last chunk is posted and the receiver's fence arrived;
/// (4) forward, sending the buffered requests and END, until the receiver
/// acknowledged the takeover and the old copy was retired.
struct migration_record {
  actor_id id = 0;                     ///< the actor
  ipipe_location from = IPIPE_LOC_NIC; ///< sending side
  ipipe_location to = IPIPE_LOC_HOST;  ///< receiving side
  std::uint64_t quiesce_ns = 0;        ///< phase 1
  std::uint64_t collect_ns = 0;        ///< phase 2
  std::uint64_t transfer_ns = 0;       ///< phase 3
  std::uint64_t forward_ns = 0;        ///< phase 4
  std::uint64_t objects = 0;           ///< objects moved
  std::uint64_t bytes = 0;             ///< object bytes moved
  std::uint64_t requests = 0;          ///< buffered requests moved in the stream
  std::uint64_t chunks = 0;            ///< MIG_OBJECT messages sent

  /// Returns the sum of the four phases.
  [[nodiscard]] std::uint64_t total_ns() const noexcept {
    return quiesce_ns + collect_ns + transfer_ns + forward_ns;
  }
};

} // namespace ipipe::runtime
