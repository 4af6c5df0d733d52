#pragma once

#include <ipipe/common/expected.hpp>
#include <ipipe/runtime/ids.hpp>

#include "engine.hpp"
#include "rng.hpp"
#include "wire_socket.hpp"
#include "workload.hpp"
#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

namespace ipipe::bench {

/// Parameters of the DT workload.
struct dt_params {
  std::uint32_t accounts = 0;     ///< accounts 0..accounts-1 (from the first audit)
  std::uint64_t max_amount = 100; ///< transfers move 1..max_amount
  std::size_t targets = 1;        ///< coordinators, by target index: requests go round robin
  std::uint64_t seed = 1;
};

/// The DT workload: bank transfers between two distinct random accounts
/// over apps/dt's client protocol, to the coordinators. COMMITTED and
/// ABORTED (conflict, insufficient funds, timeout) are both correct
/// answers; an answer that does not parse or does not match its request is
/// wrong. Money is checked at the end by dt_audit(), not per answer: a
/// transfer's effect is only visible in the total.
class dt_workload final : public workload {
public:
  explicit dt_workload(const dt_params& p);

  outgoing next(std::uint64_t token, std::uint64_t n) override;
  verdict on_answer(std::uint64_t token, const ipipe_msg_hdr& hdr,
                    std::span<const std::byte> body) override;
  void on_timeout(std::uint64_t token) override;
  [[nodiscard]] std::map<std::string, std::uint64_t> counters() const override;

private:
  struct pending {
    std::uint64_t seq = 0;
    std::size_t target = 0;
  };

  dt_params p_;
  rng rng_;
  std::uint64_t client_id_; // random: concurrent runs do not share one
  std::uint64_t seq_ = 0;
  std::unordered_map<std::uint64_t, pending> pending_;
  std::map<std::string, std::uint64_t> c_;
};

/// What an AUDIT answered.
struct dt_audit_result {
  std::uint32_t accounts = 0;
  std::uint32_t in_doubt = 0; ///< prepared transactions still undecided
  std::int64_t total = 0;
  std::int64_t expected = 0;
  [[nodiscard]] bool conserved() const noexcept { return in_doubt == 0 && total == expected; }
};

/// Sends AUDIT to target `t` and waits up to `timeout_ms` for its answer;
/// while transactions are in doubt (a commit half applied) or the NIC
/// refuses it busy (shedding load) asks again,
/// `attempts` times in all, 100 ms apart. errc::timed_out if unanswered,
/// errc::protocol_error if the answer is malformed or an error.
[[nodiscard]] expected<dt_audit_result> dt_audit(wire_socket& sock, std::size_t t,
                                                 std::uint64_t timeout_ms, unsigned attempts = 20);

/// A DT deployment on one node, as --configure sets it up: the
/// coordinator, the participants and their dt_log (which ipiped hosts)
/// behind one NIC wire port.
struct dt_setup {
  runtime::actor_id coordinator = 0;
  std::vector<runtime::actor_id> participants; ///< 1..apps::dt::max_participants
  runtime::actor_id log = 0;
  std::uint32_t accounts = 0;
  std::int64_t initial = 0; ///< every account's balance at the start
  std::string log_dir;      ///< on the host running ipiped
  bool sync = true;         ///< fsync each log record
};

/// Sends CONFIGURE to the log, the participants and then the coordinator
/// behind the wire port `at`, and checks that each answers OK. The actors
/// answer a repeated CONFIGURE with the same values OK again, so it may be
/// sent before every run; different values are refused (bad_config).
[[nodiscard]] expected<void> configure_dt(const nic::endpoint& at, const dt_setup& s,
                                          std::uint64_t timeout_ms);

/// Adds the audit to the run's result: its figures in `extra`, and a wrong
/// answer (failing --fail-on-error) unless the total is conserved.
void apply_audit(run_result& r, const expected<dt_audit_result>& a);

} // namespace ipipe::bench
