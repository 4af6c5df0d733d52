#pragma once
// Per-message-type service times of application actors, for the scheduler
// study's APPS workload (Documentation/evaluation.rst). A timed_actor wraps
// an application's actor and records how long each handle() call took, by
// actor type, runtime side and message kind (the first payload byte).

#include <ipipe/runtime/actor.hpp>
#include <ipipe/runtime/actor_registry.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

namespace ipipe::apps::costs {

/// Handler times of one (actor type, side, kind).
struct cost_samples {
  std::vector<std::uint64_t> ns;
};

/// Where a sample belongs. `kind` is the first payload byte of a request,
/// or one of the kind_* values below.
using cost_key = std::tuple<std::string, ipipe_location, int>;

/// cost_key kinds that are not a first payload byte.
inline constexpr int kind_tick = -1, kind_empty = -2, kind_reply = -3;

/// The samples of one run of a workload.
using cost_run = std::map<cost_key, cost_samples>;

/// Every sample recorded so far, by run, process wide (thread safe).
class cost_recorder {
public:
  /// Returns the process's recorder.
  static cost_recorder& get();
  /// Starts a run: later samples belong to it.
  void begin_run();
  /// Records one handler run in the current run.
  void add(const cost_key& k, std::uint64_t ns);
  /// Returns every run and forgets them.
  std::vector<cost_run> take();

private:
  std::mutex mu_;
  std::vector<cost_run> runs_;
};

/// Registers `type` as a timed wrapper of the actors `make` builds. Must run
/// before the application registers its own types: the application's
/// registration of the same name then finds it taken (the apps ignore that).
void register_timed(const std::string& type, runtime::actor_registry::factory make);

} // namespace ipipe::apps::costs
