#pragma once

#include <cstdint>
#include <deque>
#include <unordered_map>
#include <vector>

namespace ipipe::bench {

/// Decides whether a GET's answer is allowed by the writes the client has
/// seen, without knowing the order in which the store applied them. It is
/// sound (it never calls a linearizable answer wrong) and strict where the
/// answer is determined.
///
/// Every write has a unique id (1, 2, ...); a write's *value* is its id,
/// or 0 for a DEL (the key is absent). Per key the checker keeps the set of
/// values the key may hold given the completed writes:
///  - an acknowledged write that overlapped no other write of the key (none
///    in flight when it was sent, none sent before it was acknowledged)
///    leaves exactly its value;
///  - an acknowledged write that overlapped another adds its value to the
///    set (either may have been applied last);
///  - a write whose outcome is unknown (timed out, refused) may be applied
///    at any later time: its value stays acceptable for good.
/// A GET sent at time s and answered at a may return a value of that set as
/// of s, of a write in flight at s, of a write sent between s and a, or of a
/// write with an unknown outcome. Before the first acknowledged write of a
/// key in this run, its content is unknown (earlier runs): such GETs are
/// `unverified`, never errors.
class rkv_checker {
public:
  /// How a write ended.
  enum class outcome : std::uint8_t {
    acked,   ///< OK (or NOT_FOUND for a DEL): applied
    unknown, ///< no answer, or an error: it may or may not be applied
  };
  /// How a GET's answer was judged.
  enum class judgement : std::uint8_t {
    ok,         ///< allowed
    wrong,      ///< not allowed: the store lost or reordered a write
    unverified, ///< the key's content was not determined
  };
  /// A GET in flight, from begin_read().
  struct read {
    std::uint32_t key = 0;
    bool known = false;                 ///< an acknowledged write preceded it
    std::uint64_t issued = 0;           ///< writes of the key sent before it
    std::vector<std::uint64_t> allowed; ///< values allowed as of its send
  };

  /// A write of `key` is sent: returns its id (DEL: `del` true).
  std::uint64_t begin_write(std::uint32_t key, bool del);
  /// Write `id` ended.
  void end_write(std::uint64_t id, outcome o);
  /// A GET of `key` is sent.
  [[nodiscard]] read begin_read(std::uint32_t key);
  /// Judges the answer to `r`: `value` is the id found in the value, or 0
  /// for NOT_FOUND.
  [[nodiscard]] judgement end_read(const read& r, std::uint64_t value) const;

private:
  struct write_state {
    std::uint32_t key = 0;
    std::uint64_t value = 0; // id, or 0 for DEL
    bool overlapped = false;
  };
  struct key_state {
    bool known = false;
    std::vector<std::uint64_t> candidates; // values after the completed writes
    std::vector<std::uint64_t> unknown;    // values of writes with unknown outcome
    std::vector<std::uint64_t> in_flight;  // ids of writes in flight
    std::uint64_t issued = 0;              // writes sent so far
    std::deque<std::pair<std::uint64_t, std::uint64_t>> recent; // (index, value), newest last
  };

  // Writes sent after a GET are looked up in `recent`; a GET answered after
  // more than this many writes to its key is unverified.
  static constexpr std::size_t recent_cap = 4096;

  std::uint64_t next_id_ = 1;
  std::unordered_map<std::uint64_t, write_state> writes_; // in flight
  std::unordered_map<std::uint32_t, key_state> keys_;
};

} // namespace ipipe::bench
