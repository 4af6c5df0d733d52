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

// The smallest stateful actor: its count lives in a DMO, so it moves with
// the actor, and a client that sees the answers go 1, 2, 3... knows that
// no acknowledged request was lost or run twice, wherever it ran.
class counter_actor final : public runtime::actor {
public:
  expected<void> init(runtime::actor_context& ctx) override {
    auto o = ctx.dmo_malloc(sizeof(std::uint64_t));
    if (!o)
      return o.err();
    return {};
  }
  void handle(runtime::actor_context& ctx, const runtime::message& msg) override {
    if (msg.type() != IPIPE_MSG_REQUEST)
      return;
    const runtime::object_id o = ctx.objects().front();
    auto n = ctx.load<std::uint64_t>(o);
    if (!n)
      return;
    const std::uint64_t next = *n + 1;
    if (ctx.store(o, 0, next))
      (void)ctx.reply(runtime::as_bytes_of(next));
  }
};

} // namespace

void register_builtin_actors() {
  static const bool done = [] {
    bool ok = runtime::actor_registry::add("echo", [] {
                return std::make_unique<echo_actor>();
              }).has_value();
    ok &= runtime::actor_registry::add("counter", [] {
            return std::make_unique<counter_actor>();
          }).has_value();
    return ok;
  }();
  (void)done;
}

} // namespace ipipe::fw
