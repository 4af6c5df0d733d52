#pragma once

#include <cstdint>
#include <type_traits>

namespace ipipe::sched {

/// One message of one actor, as the scheduler sees it: the boundary between
/// the scheduler and the actor runtime.
///
/// The scheduler never looks inside a message. It calls `fn(ctx, arg)` on a
/// core, which must run the actor's handler to completion and return. The
/// runtime plugs in its `execute(actor_id, message)` by passing itself as
/// `ctx`, a message handle (ring slot, pointer or index) as `arg`, and a
/// static thunk as `fn`; make_work_item() builds that thunk from any
/// callable. A plain function pointer keeps the item trivially copyable
/// (40 bytes) and its dispatch free of allocation and virtual calls.
struct work_item {
  /// Destination actor; selects the group, mailbox and statistics.
  std::uint32_t actor_id = 0;
  /// When the message entered the NIC (engine clock, ns); 0 means "now",
  /// stamped by submit().
  std::uint64_t enqueue_ns = 0;
  /// Runs the handler to completion. Must not throw.
  void (*fn)(void* ctx, std::uint64_t arg) noexcept = nullptr;
  /// First argument of fn (the runtime, or the callable itself).
  void* ctx = nullptr;
  /// Second argument of fn (the message handle).
  std::uint64_t arg = 0;
};

static_assert(std::is_trivially_copyable_v<work_item>);

/// Returns a work_item that calls `f(arg)`; `f` must outlive the item's
/// execution (the scheduler stores only its address).
template <class F>
[[nodiscard]] work_item make_work_item(std::uint32_t actor_id, F& f,
                                       std::uint64_t arg = 0) noexcept {
  work_item w;
  w.actor_id = actor_id;
  w.fn = [](void* ctx, std::uint64_t a) noexcept { (*static_cast<F*>(ctx))(a); };
  w.ctx = &f;
  w.arg = arg;
  return w;
}

} // namespace ipipe::sched
