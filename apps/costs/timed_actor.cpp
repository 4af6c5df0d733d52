#include "timed_actor.hpp"

#include <ipipe/runtime/actor_context.hpp>
#include <ipipe/runtime/message.hpp>
#include <ipipe/sched/thread_engine.hpp>

#include <exception>
#include <utility>

namespace ipipe::apps::costs {

namespace {

class timed_actor final : public runtime::actor {
public:
  timed_actor(std::string type, std::unique_ptr<runtime::actor> inner)
      : type_(std::move(type)), inner_(std::move(inner)) {}

  expected<void> init(runtime::actor_context& ctx) override { return inner_->init(ctx); }
  expected<void> restore(runtime::actor_context& ctx) override { return inner_->restore(ctx); }
  std::uint64_t tick_period_ns() const noexcept override { return inner_->tick_period_ns(); }
  std::uint64_t budget_ns() const noexcept override { return inner_->budget_ns(); }

  void handle(runtime::actor_context& ctx, const runtime::message& msg) override {
    const int kind = runtime::is_tick(msg)                                            ? kind_tick
                     : msg.type() == IPIPE_MSG_REPLY || msg.type() == IPIPE_MSG_ERROR ? kind_reply
                     : msg.payload.empty()
                         ? kind_empty
                         : static_cast<int>(std::to_integer<std::uint8_t>(msg.payload[0]));
    // Thread CPU time: on a shared machine the wall clock would also
    // count the time the OS gave other threads during the handler.
    const std::uint64_t t0 = sched::thread_cpu_ns();
    inner_->handle(ctx, msg);
    cost_recorder::get().add({type_, ctx.side(), kind}, sched::thread_cpu_ns() - t0);
  }

private:
  std::string type_;
  std::unique_ptr<runtime::actor> inner_;
};

} // namespace

cost_recorder& cost_recorder::get() {
  static cost_recorder r;
  return r;
}

void cost_recorder::begin_run() {
  std::lock_guard l{mu_};
  runs_.emplace_back();
}

void cost_recorder::add(const cost_key& k, std::uint64_t ns) {
  std::lock_guard l{mu_};
  if (runs_.empty())
    runs_.emplace_back();
  runs_.back()[k].ns.push_back(ns);
}

std::vector<cost_run> cost_recorder::take() {
  std::lock_guard l{mu_};
  return std::exchange(runs_, {});
}

void register_timed(const std::string& type, runtime::actor_registry::factory make) {
  auto r = runtime::actor_registry::add(
      type, [type, make] { return std::make_unique<timed_actor>(type, make()); });
  if (!r)
    std::terminate(); // registered after the application: the costs would not be measured
}

} // namespace ipipe::apps::costs
