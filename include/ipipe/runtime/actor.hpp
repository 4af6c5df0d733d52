#pragma once

#include <ipipe/common/expected.hpp>
#include <ipipe/runtime/message.hpp>

namespace ipipe::runtime {

class actor_context;

/// An actor: the unit of code that runs on NIC cores or host cores.
///
/// Handlers run to completion, one message at a time per actor. All state
/// that must survive a migration lives in distributed memory objects
/// reached through the context; the C++ object itself is created afresh by
/// the type registry on whichever side the actor runs, so members may only
/// cache things restore() can rebuild (typically object ids).
class actor {
public:
  virtual ~actor() = default;

  /// Sets up the actor's state when it is created (allocates its DMOs).
  /// An error fails the creation.
  [[nodiscard]] virtual expected<void> init(actor_context& ctx) = 0;

  /// Handles one message. Replies and sends go through `ctx`.
  virtual void handle(actor_context& ctx, const message& msg) = 0;

  /// Returns how often the actor wants a tick message (see is_tick()), in
  /// ns; 0 (the default) for never. Protocols with timeouts (leader
  /// election, retransmission) use ticks: handlers never sleep.
  [[nodiscard]] virtual std::uint64_t tick_period_ns() const noexcept { return 0; }
  /// Returns how much one handler run may be charged before the watchdog
  /// stops the actor, in ns; 0 (the default) for the runtime's default.
  /// Actors that wait for files (a log made durable with fsync) need more
  /// than actors that only compute; an actor_spec's budget overrides it.
  [[nodiscard]] virtual std::uint64_t budget_ns() const noexcept { return 0; }
  /// Re-attaches to state rebuilt by a migration, instead of init(). The
  /// objects keep their ids; ctx.objects() lists them in id order.
  [[nodiscard]] virtual expected<void> restore(actor_context& ctx) {
    (void)ctx;
    return {};
  }
};

} // namespace ipipe::runtime
