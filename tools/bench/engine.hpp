#pragma once

#include "arrivals.hpp"
#include "histogram.hpp"
#include "wire_socket.hpp"
#include "workload.hpp"
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace ipipe::bench {

/// How to run the load.
struct engine_config {
  rate_schedule schedule;                  ///< offered load over time
  double duration_s = 0;                   ///< stop sending after this (0: no limit)
  std::uint64_t requests = 0;              ///< stop sending after this many (0: no limit)
  std::uint64_t timeout_ms = 1000;         ///< per request, from its first send
  std::uint64_t interval_ms = 1000;        ///< sampling period of the series
  std::uint64_t seed = 1;                  ///< arrivals and workload
  unsigned max_attempts = 8;               ///< sends per request, redirects included
  const std::atomic<bool>* stop = nullptr; ///< set (by a signal) to stop sending early
};

/// One sampling interval of the series (--interval, --csv).
struct interval_sample {
  double t = 0;               ///< seconds since the start, at the interval's end
  double offered = 0;         ///< requests sent per second
  double achieved = 0;        ///< correct answers per second
  std::uint64_t p50_ns = 0;   ///< latency of the interval's answers
  std::uint64_t p99_ns = 0;   ///< latency of the interval's answers
  std::uint64_t errors = 0;   ///< wrong answers and error replies
  std::uint64_t timeouts = 0; ///< requests that timed out
};

/// Everything a run measured.
struct run_result {
  double elapsed_s = 0;            ///< start to the window's end or the last answer, if later
  double send_window_s = 0;        ///< start to --duration, else to the last send
  std::uint64_t sent = 0;          ///< requests issued (first attempts)
  std::uint64_t frames_sent = 0;   ///< datagrams sent, redirects included
  std::uint64_t ok = 0;            ///< correct answers: the latency samples
  std::uint64_t wrong = 0;         ///< answers that failed the check
  std::uint64_t error_replies = 0; ///< IPIPE_MSG_ERROR and application refusals
  std::uint64_t timeouts = 0;      ///< requests without an answer in time
  std::uint64_t late = 0;          ///< answers to requests that had timed out
  std::uint64_t redirects = 0;     ///< requests sent again elsewhere (NOT_LEADER)
  std::uint64_t gave_up = 0;       ///< requests dropped after max_attempts (counted in errors)
  std::uint64_t stray = 0;         ///< answers matching no request
  std::uint64_t bad_frames = 0;    ///< datagrams that failed to parse
  std::uint64_t send_failures = 0; ///< datagrams the socket refused
  histogram latency;               ///< ns, first send to answer, correct answers only
  histogram send_lag;              ///< ns, scheduled arrival to the actual send
  std::vector<interval_sample> intervals;     ///< the series
  std::map<std::string, std::uint64_t> extra; ///< the workload's counters
  std::vector<std::string> first_errors;      ///< the first few error reasons

  /// Returns wrong + error_replies + gave_up.
  [[nodiscard]] std::uint64_t errors() const noexcept { return wrong + error_replies + gave_up; }
  /// Returns correct answers per second over elapsed_s.
  [[nodiscard]] double throughput() const noexcept {
    return elapsed_s > 0 ? static_cast<double>(ok) / elapsed_s : 0;
  }
  /// Returns requests sent per second over send_window_s.
  [[nodiscard]] double offered() const noexcept {
    return send_window_s > 0 ? static_cast<double>(sent) / send_window_s : 0;
  }
};

/// Called at the end of each interval, from the engine's reporting thread.
using interval_callback = std::function<void(const interval_sample&)>;

/// Runs open-loop load from `wl` over `sock` and measures it.
///
/// A sender thread sleeps until each scheduled arrival (absolute deadlines,
/// so it never drifts; when late it sends at once and the lag is
/// recorded), reads the clock, enters the request in the table and sends.
/// A receiver thread polls the socket, matches answers by req_id, expires
/// timeouts and sends redirects. Two threads rather than one event loop so
/// that a burst of answers never delays a send: the schedule stays open
/// loop and the latency includes any queueing the target causes.
[[nodiscard]] run_result run_load(const engine_config& cfg, workload& wl, wire_socket& sock,
                                  const interval_callback& on_interval = {});

} // namespace ipipe::bench
