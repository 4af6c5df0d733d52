#pragma once

#include "engine.hpp"
#include "wire_socket.hpp"
#include <CLI/CLI.hpp>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace ipipe::bench {

/// The command line, as typed.
struct options {
  std::vector<std::string> targets; ///< ADDR:PORT[/ACTOR]
  std::uint32_t actor = 1;
  std::vector<std::string> replicas; ///< HANDLE=ADDR:PORT[/ACTOR]
  double rate = 1000;
  std::string ramp;
  double duration_s = 0;
  std::uint64_t requests = 0;
  std::uint64_t timeout_ms = 1000;
  std::uint64_t interval_ms = 0;
  std::uint64_t seed = 1;
  std::string workload = "echo";
  std::size_t size = 64;
  std::string mix = "80:18:2";
  std::uint32_t keys = 1000;
  std::size_t value_size = 64;
  unsigned max_attempts = 8;
  bool json = false;
  std::string csv;
  std::string history; ///< rkv: write the history of operations here
  bool fail_on_error = false;
  bool configure = false; ///< dt, rta: send CONFIGURE before the load
  // dt
  std::uint32_t accounts = 0; ///< 0: as the first AUDIT says
  std::uint64_t max_amount = 100;
  std::int64_t initial = 1000;
  std::vector<std::uint32_t> participants;
  std::uint32_t log_actor = 0;
  std::string log_dir;
  bool no_sync = false;
  // rta
  std::vector<std::uint32_t> counts;
  std::uint64_t window_us = 100'000;
  std::uint32_t lateness = 1;
  std::uint32_t top_k = 10;
  std::uint32_t lang_mask = 0x3;
  bool hashtags_only = false;
  std::uint32_t max_terms = 4096;
  std::uint32_t retain = 64;
  std::uint32_t gap_us = 100;
  std::uint32_t query_every = 100;
};

/// What the options mean, checked.
struct plan {
  engine_config engine;
  std::vector<target> targets;
  std::map<std::uint32_t, std::size_t> replica_of; ///< leader_hint handle -> target index
  unsigned mix[3] = {80, 18, 2};                   ///< get, put, del weights
};

/// Declares the options on `app`.
void add_options(CLI::App& app, options& o);

/// Checks what CLI11 cannot: addresses, the ramp, the mix. Fails with an
/// error whose context is "argument "--x" is wrong: reason".
[[nodiscard]] expected<plan> make_plan(const options& o);

/// Returns true if the RKV workload is built in.
[[nodiscard]] bool have_rkv() noexcept;
/// Returns true if the DT workload is built in.
[[nodiscard]] bool have_dt() noexcept;
/// Returns true if the RTA workload is built in.
[[nodiscard]] bool have_rta() noexcept;

} // namespace ipipe::bench
