#pragma once

#include <ipipe/common/ring.hpp>

#include <linux/ipipe.h>

#include <cstdint>
#include <functional>
#include <mutex>

namespace ipipe::nic {

/// The event ring in BAR2: the firmware posts struct ipipe_event entries and
/// raises IPIPE_VEC_EVENT. Any thread may post.
class event_queue {
public:
  /// Uses the ring at `base` with `entries` slots; `raise` signals the host.
  event_queue(void* base, std::uint32_t entries, std::function<void(unsigned)> raise);

  /// Empties the ring (indices zero, flags clear); used at boot and reset.
  void format();

  /// Posts one event and raises IPIPE_VEC_EVENT. Returns false (and counts
  /// the drop in the ring header) when the ring is full.
  bool post(ipipe_event_type type, std::uint32_t actor_id, std::uint64_t arg0,
            std::uint64_t arg1 = 0);

private:
  std::mutex lock_; // one producer at a time
  ring_view<ipipe_event> view_;
  ring_producer<ipipe_event> prod_;
  std::function<void(unsigned)> raise_;
};

} // namespace ipipe::nic
