#pragma once
// A linearizability checker for histories of registers (one per key), in
// the manner of Wing & Gong with Lowe's memoisation (as Knossos and
// porcupine do): depth-first search over the minimal pending operations,
// caching (linearized set, register value) pairs already explored. Test
// support only.

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace ipipe::apps::rkv::testing {

/// One operation on one register: a write (PUT, or DEL writing "absent")
/// or a read, with the times it was invoked and answered.
struct operation {
  std::string key;
  bool write = false;
  std::optional<std::string> value; ///< written or read; nullopt = absent
  std::uint64_t invoke = 0;
  /// When the answer came; never_answered for a write whose outcome is
  /// unknown (it may or may not have taken effect). Unanswered reads are
  /// left out of histories: they constrain nothing.
  std::uint64_t answer = never_answered;
  static constexpr std::uint64_t never_answered = std::numeric_limits<std::uint64_t>::max();
};

/// Returns true if the operations on one register, starting absent, can
/// be ordered so that each takes effect at one instant inside its
/// interval and every read returns the latest write before it. Gives up
/// (returns false) after `budget` search steps.
inline bool linearizable_register(const std::vector<operation>& ops,
                                  std::uint64_t budget = 50'000'000) {
  const std::size_t n = ops.size();
  std::size_t required = 0;
  for (const auto& o : ops)
    required += o.answer != operation::never_answered;
  std::vector<bool> done(n, false);
  std::set<std::pair<std::vector<bool>, std::optional<std::string>>> seen;
  std::uint64_t steps = 0;

  // Iterative DFS: stack of (chosen op, value before it).
  struct frame {
    std::size_t op;
    std::optional<std::string> before;
    bool required;
  };
  std::vector<frame> stack;
  std::optional<std::string> state;
  std::size_t linearized_required = 0;
  std::size_t next_try = 0; // first candidate index to try at this depth

  // The ops sorted by invocation: candidates are those invoked before the
  // earliest answer among the ops not yet linearized.
  std::vector<std::size_t> order(n);
  for (std::size_t i = 0; i < n; ++i)
    order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return ops[a].invoke < ops[b].invoke; });

  for (;;) {
    if (linearized_required == required)
      return true;
    if (++steps > budget)
      return false;
    std::uint64_t min_answer = operation::never_answered;
    for (std::size_t i = 0; i < n; ++i)
      if (!done[i])
        min_answer = std::min(min_answer, ops[i].answer);
    bool advanced = false;
    for (std::size_t k = next_try; k < n; ++k) {
      const std::size_t i = order[k];
      if (ops[i].invoke > min_answer)
        break; // every later one is invoked even later
      if (done[i])
        continue;
      const auto& o = ops[i];
      if (!o.write && o.value != state)
        continue;
      std::optional<std::string> after = o.write ? o.value : state;
      done[i] = true;
      if (!seen.insert({done, after}).second) {
        done[i] = false;
        continue;
      }
      const bool req = o.answer != operation::never_answered;
      stack.push_back({k, state, req});
      state = after;
      linearized_required += req;
      next_try = 0;
      advanced = true;
      break;
    }
    if (advanced)
      continue;
    if (stack.empty())
      return false;
    // Backtrack: undo the last choice and try the next candidate after it.
    frame f = stack.back();
    stack.pop_back();
    done[order[f.op]] = false;
    state = f.before;
    linearized_required -= f.required;
    next_try = f.op + 1;
  }
}

/// Checks every register of a history; returns the keys that fail.
inline std::vector<std::string> check_history(const std::vector<operation>& history) {
  std::map<std::string, std::vector<operation>> by_key;
  for (const auto& o : history)
    by_key[o.key].push_back(o);
  std::vector<std::string> bad;
  for (const auto& [k, ops] : by_key)
    if (!linearizable_register(ops))
      bad.push_back(k);
  return bad;
}

} // namespace ipipe::apps::rkv::testing
