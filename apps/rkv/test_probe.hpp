#pragma once
// Test support: an actor that records every message it gets, standing in
// for a neighbour of the actor under test.

#include <ipipe/runtime/actor.hpp>
#include <ipipe/runtime/actor_registry.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <vector>

namespace ipipe::apps::rkv::testing {

/// Returns the messages received by the probe with id `id`.
inline std::vector<runtime::message>& probe_inbox(runtime::actor_id id) {
  static std::map<runtime::actor_id, std::vector<runtime::message>> inbox;
  return inbox[id];
}

/// Records what it receives in probe_inbox(its id).
class probe final : public runtime::actor {
public:
  expected<void> init(runtime::actor_context&) override { return {}; }
  void handle(runtime::actor_context&, const runtime::message& msg) override {
    probe_inbox(msg.dst()).push_back(msg);
  }
};

/// Registers "t_rkv_probe" once.
inline void register_probe() {
  static std::once_flag once;
  std::call_once(once, [] {
    (void)runtime::actor_registry::add("t_rkv_probe", [] { return std::make_unique<probe>(); });
  });
}

} // namespace ipipe::apps::rkv::testing
