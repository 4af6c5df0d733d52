#include <ipipe/fw/builtin_actors.hpp>

#include <ipipe/runtime/actor.hpp>
#include <ipipe/runtime/actor_context.hpp>
#include <ipipe/runtime/actor_registry.hpp>

namespace ipipe::fw {
namespace {

// Stateless: it works the same on either side, which makes it the actor of
// choice for ring, wire and migration plumbing tests.
class echo_actor final : public runtime::actor {
public:
  expected<void> init(runtime::actor_context&) override { return {}; }
  void handle(runtime::actor_context& ctx, const runtime::message& msg) override {
    if (msg.type() == IPIPE_MSG_REQUEST || msg.type() == IPIPE_MSG_ACTOR)
      (void)ctx.reply(msg.payload);
  }
};

} // namespace

void register_builtin_actors() {
  static const bool done = [] {
    return runtime::actor_registry::add("echo", [] { return std::make_unique<echo_actor>(); })
      .has_value();
  }();
  (void)done;
}

} // namespace ipipe::fw
