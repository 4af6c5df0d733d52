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
#include <string>
#include <unordered_set>
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

/// What a check found.
enum class outcome : std::uint8_t {
  linearizable,
  not_linearizable,
  undecided, ///< the search gave up (its step budget ran out)
};

namespace internal {

/// Returns the operations the search needs, with the same outcome. An
/// unanswered write whose value no read returned is left out: wherever it
/// takes effect, no read follows it before the next write, so dropping it
/// changes no read. One that was read, if it alone wrote its value, took
/// effect before the first of those reads answered: that is its answer.
/// Without these, the writes caught by a crashed leader (hundreds in a run
/// of thousands of operations) may each take effect anywhere after their
/// start, and the search runs through every subset of them.
inline std::vector<operation> prune(const std::vector<operation>& all) {
  std::map<std::optional<std::string>, std::uint64_t> first_read; // earliest answer
  std::map<std::optional<std::string>, unsigned> writers;
  for (const auto& o : all) {
    if (o.write) {
      ++writers[o.value];
    } else {
      auto [it, fresh] = first_read.try_emplace(o.value, o.answer);
      if (!fresh)
        it->second = std::min(it->second, o.answer);
    }
  }
  std::vector<operation> ops;
  for (const auto& o : all) {
    if (!o.write || o.answer != operation::never_answered) {
      ops.push_back(o);
      continue;
    }
    const auto r = first_read.find(o.value);
    if (r == first_read.end())
      continue;
    ops.push_back(o);
    if (o.value && writers[o.value] == 1)
      ops.back().answer = std::max(o.invoke, r->second);
  }
  return ops;
}

} // namespace internal

/// Checks that the operations on one register, starting absent, can be
/// ordered so that each takes effect at one instant inside its interval
/// and every read returns the latest write before it. Gives up after
/// `budget` search steps (choices of the next write).
inline outcome check_register(const std::vector<operation>& all, std::uint64_t budget = 1'000'000) {
  const std::vector<operation> ops = internal::prune(all);
  const std::size_t n = ops.size();
  // Values as numbers (0: absent); ops in order of invocation.
  std::map<std::string, std::uint32_t> ids;
  std::vector<std::uint32_t> val(n);
  std::vector<std::size_t> order(n);
  std::size_t required = 0;
  for (std::size_t i = 0; i < n; ++i) {
    order[i] = i;
    if (ops[i].value)
      val[i] =
          ids.try_emplace(*ops[i].value, static_cast<std::uint32_t>(ids.size() + 1)).first->second;
    required += ops[i].answer != operation::never_answered;
  }
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return ops[a].invoke < ops[b].invoke; });

  // The search state: which ops took effect, and the value. A state seen
  // before leads nowhere new (Lowe's memoisation); states are found by a
  // Zobrist hash and compared whole.
  std::vector<std::uint64_t> done((n + 63) / 64, 0);
  auto is_done = [&](std::size_t i) { return (done[i / 64] >> (i % 64)) & 1; };
  auto flip = [&](std::size_t i) { done[i / 64] ^= std::uint64_t{1} << (i % 64); };
  std::vector<std::uint64_t> zobrist(n);
  std::uint64_t seed = 0x9e3779b97f4a7c15ull;
  for (auto& z : zobrist) {
    seed += 0x9e3779b97f4a7c15ull;
    z = (seed ^ (seed >> 31)) * 0xbf58476d1ce4e5b9ull;
  }
  struct seen_state {
    std::uint64_t hash;
    std::uint32_t value;
    std::vector<std::uint64_t> done;
    bool operator==(const seen_state& o) const {
      return hash == o.hash && value == o.value && done == o.done;
    }
  };
  struct by_hash {
    std::size_t operator()(const seen_state& s) const { return s.hash ^ (s.value * 0x2545f491ull); }
  };
  std::unordered_set<seen_state, by_hash> seen;
  std::uint64_t hash = 0;
  std::uint32_t value = 0;
  std::size_t linearized_required = 0;

  // Taking effect, and back. A frame is a write the search chose, or a
  // read it took because it could: a read that returns the current value
  // and may go next can go first in some linearization if in any (it
  // changes nothing and only frees the ops after it), so it is no choice.
  struct frame {
    std::size_t k; // position in `order`
    std::uint32_t before;
    bool chosen;
  };
  std::vector<frame> stack;
  auto take = [&](std::size_t k, bool chosen) {
    const std::size_t i = order[k];
    stack.push_back({k, value, chosen});
    flip(i);
    hash ^= zobrist[i];
    if (ops[i].write)
      value = val[i];
    linearized_required += ops[i].answer != operation::never_answered;
  };
  auto undo = [&] {
    const frame f = stack.back();
    stack.pop_back();
    const std::size_t i = order[f.k];
    flip(i);
    hash ^= zobrist[i];
    value = f.before;
    linearized_required -= ops[i].answer != operation::never_answered;
    return f;
  };
  // Ops invoked after the earliest answer among the pending ones cannot go
  // next: that one must take effect first.
  auto horizon = [&] {
    std::uint64_t h = operation::never_answered;
    for (std::size_t i = 0; i < n; ++i)
      if (!is_done(i))
        h = std::min(h, ops[i].answer);
    return h;
  };

  std::uint64_t steps = 0;
  std::size_t next_try = 0;
  for (;;) {
    for (bool more = true; more;) {
      more = false;
      const std::uint64_t h = horizon();
      for (std::size_t k = 0; k < n && ops[order[k]].invoke <= h; ++k) {
        const std::size_t i = order[k];
        if (!is_done(i) && !ops[i].write && val[i] == value) {
          take(k, false);
          more = true;
          break;
        }
      }
    }
    if (linearized_required == required)
      return outcome::linearizable;
    if (++steps > budget)
      return outcome::undecided;
    const std::uint64_t h = horizon();
    bool advanced = false;
    for (std::size_t k = next_try; k < n && ops[order[k]].invoke <= h; ++k) {
      const std::size_t i = order[k];
      if (is_done(i) || !ops[i].write)
        continue;
      flip(i);
      const bool fresh = seen.insert({hash ^ zobrist[i], val[i], done}).second;
      flip(i);
      if (!fresh)
        continue;
      take(k, true);
      next_try = 0;
      advanced = true;
      break;
    }
    if (advanced)
      continue;
    // Back to the last choice, and on to the write after it.
    while (!stack.empty() && !stack.back().chosen)
      (void)undo();
    if (stack.empty())
      return outcome::not_linearizable;
    next_try = undo().k + 1;
  }
}

/// Returns true if check_register() finds `ops` linearizable.
inline bool linearizable_register(const std::vector<operation>& ops,
                                  std::uint64_t budget = 1'000'000) {
  return check_register(ops, budget) == outcome::linearizable;
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
