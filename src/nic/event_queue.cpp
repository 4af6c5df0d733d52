#include <ipipe/common/clock.hpp>
#include <ipipe/nic/event_queue.hpp>

namespace ipipe::nic {

event_queue::event_queue(void* base, std::uint32_t entries, std::function<void(unsigned)> raise)
    : view_(base, entries), raise_(std::move(raise)) {}

void event_queue::format() {
  std::lock_guard g{lock_};
  view_.format();
  prod_ = ring_producer<ipipe_event>{view_};
}

bool event_queue::post(ipipe_event_type type, std::uint32_t actor_id, std::uint64_t arg0,
                       std::uint64_t arg1) {
  ipipe_event ev{};
  ev.type = static_cast<std::uint16_t>(type);
  ev.actor_id = actor_id;
  ev.ts_ns = monotonic_ns();
  ev.arg0 = arg0;
  ev.arg1 = arg1;
  {
    std::lock_guard g{lock_};
    if (!prod_.push(ev)) {
      prod_.count_drop();
      return false;
    }
    prod_.publish();
  }
  raise_(IPIPE_VEC_EVENT);
  return true;
}

} // namespace ipipe::nic
