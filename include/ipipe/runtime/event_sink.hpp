#pragma once

#include <linux/ipipe.h>

namespace ipipe::runtime {

/// Where a runtime reports events (struct ipipe_event of the uapi): the
/// firmware puts them on the event queue, ipiped multicasts them over
/// netlink, tests record them.
///
/// Called from whichever thread noticed the event (a handler's core, the
/// pump, the watchdog), so an implementation must be thread safe and quick.
class event_sink {
public:
  virtual ~event_sink() = default;
  /// Reports one event (IPIPE_EV_ACTOR_KILLED, IPIPE_EV_ACTOR_MIGRATED, ...).
  virtual void raise(const ipipe_event& ev) noexcept = 0;
};

} // namespace ipipe::runtime
