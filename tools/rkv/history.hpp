#pragma once
// Histories written by `ipipe-bench --workload rkv --history FILE`, read
// back and checked for linearizability with apps/rkv's checker (one
// register per key, starting absent).

#include <ipipe/common/expected.hpp>

#include <cstdint>
#include <rkv/linearizability.hpp>
#include <string>
#include <vector>

namespace ipipe::tools::rkvctl {

/// Appends the operations of the history file `path` to `out`.
[[nodiscard]] expected<void> read_history(const std::string& path,
                                          std::vector<apps::rkv::testing::operation>& out);

/// What a check of a history found.
struct history_verdict {
  std::size_t operations = 0;
  std::size_t keys = 0;
  std::size_t acked_writes = 0;
  std::size_t reads_with_value = 0;        ///< reads that returned a written value
  std::vector<std::string> bad_keys;       ///< keys whose operations are not linearizable
  std::vector<std::string> undecided_keys; ///< keys whose search ran out of steps
};

/// Checks every key of `ops`, each with at most `budget` search steps.
[[nodiscard]] history_verdict check(const std::vector<apps::rkv::testing::operation>& ops,
                                    std::uint64_t budget = 1'000'000);

} // namespace ipipe::tools::rkvctl
