#pragma once

#include <ipipe/common/expected.hpp>

#include <linux/ipipe.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

namespace ipipe::bench {

/// One request a workload wants sent.
struct outgoing {
  std::vector<std::byte> payload; ///< the message payload
  std::size_t target = 0;         ///< index into the targets
};

/// A workload's judgement of an answer.
struct verdict {
  enum class kind : std::uint8_t {
    ok,          ///< a correct answer: a latency sample
    wrong,       ///< a wrong answer: an error, never a latency sample
    error_reply, ///< IPIPE_MSG_ERROR or a refusal by the application: an error
    redirect,    ///< send the same payload again to `target` (a new req_id)
    retry_later, ///< like redirect, after a short pause (no leader known yet)
  };
  kind what = kind::ok;
  std::size_t target = 0; ///< redirect/retry_later: where to
  std::string why;        ///< wrong/error_reply: a short reason for the log
};

/// What a load generator asks of an application. Calls are serialised by
/// the engine (one lock), so a workload needs no locking of its own.
///
/// A request is named by its token, the req_id of its first attempt; a
/// redirect sends it again under a new req_id but the same token.
class workload {
public:
  virtual ~workload() = default;

  /// Returns the request with token `token`, the `n`-th of the run (0-based).
  /// The sequence of requests depends only on the seed and `n`.
  virtual outgoing next(std::uint64_t token, std::uint64_t n) = 0;
  /// Judges the answer `hdr` + `body` to request `token`.
  virtual verdict on_answer(std::uint64_t token, const ipipe_msg_hdr& hdr,
                            std::span<const std::byte> body) = 0;
  /// Request `token` got no answer in time (or ran out of redirects).
  virtual void on_timeout(std::uint64_t token) = 0;
  /// Returns the workload's own counters, by name, for the report.
  [[nodiscard]] virtual std::map<std::string, std::uint64_t> counters() const { return {}; }
};

/// Returns a short reason for an IPIPE_MSG_ERROR answer: its little-endian
/// u32 status.
[[nodiscard]] std::string error_reply_reason(std::span<const std::byte> body);

} // namespace ipipe::bench
