#pragma once
// DT, the distributed transactions of iPipe (SIGCOMM 2019), as ipipe
// actors: "dt_coordinator" (optimistic concurrency control and two-phase
// commit), "dt_participant" (a shard of bank accounts) and "dt_log" (the
// participants' append-only logs, on the host). The wire protocol and the
// design are described in Documentation/design/dt.rst.

#include <ipipe/runtime/ids.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace ipipe::apps::dt {

/// Registers the three actor types (idempotent, thread safe).
void register_actors();

inline constexpr const char* coordinator_type = "dt_coordinator";
inline constexpr const char* participant_type = "dt_participant";
inline constexpr const char* log_type = "dt_log";

inline constexpr std::uint8_t protocol_version = 1;
inline constexpr std::size_t transfer_size = 40; ///< TRANSFER request bytes
inline constexpr std::size_t audit_size = 24;    ///< AUDIT request bytes
inline constexpr std::size_t response_size = 56; ///< every response
inline constexpr std::uint32_t max_participants = 8;
inline constexpr std::uint32_t max_coordinators = 4;
inline constexpr std::uint32_t max_accounts = 1u << 20;
/// The largest amount of one transfer (and of an initial balance).
inline constexpr std::uint64_t max_amount = 1ull << 40;

/// The first payload byte of every DT message.
enum class kind : std::uint8_t {
  transfer = 1,     ///< client -> coordinator: move money between two accounts
  audit = 2,        ///< client -> coordinator: sum every account
  configure = 0x20, ///< operator: the actor's configuration, once after creation
  stats = 0x21,     ///< operator: return the actor's counters
  dump = 0x22,      ///< operator -> participant: balances and versions of a shard
  // 0x30..0x3f coordinator <-> participant, 0x50..0x5f participant <-> log.
};

/// Result of a client request.
enum class status : std::uint8_t {
  committed = 0, ///< TRANSFER: applied on every participant
  aborted = 1,   ///< TRANSFER: not applied anywhere; see detail
  error = 2,     ///< refused; see detail
  ok = 3,        ///< AUDIT: the sums follow
};

/// Why a transfer aborted or a request got status::error.
enum class detail : std::uint8_t {
  none = 0,
  conflict = 1,       ///< aborted: OCC validation failed (version or lock)
  insufficient = 2,   ///< aborted: the source account holds less than the amount
  timeout = 3,        ///< aborted: a participant did not answer in time
  bad_account = 4,    ///< error: an account out of range, or from == to
  bad_amount = 5,     ///< error: amount 0 or above max_amount
  busy = 6,           ///< error: too many transactions in flight, retry later
  not_configured = 7, ///< error: the actor has not received CONFIGURE yet
  bad_config = 8,     ///< error: CONFIGURE malformed or repeated with other values
  no_address = 9,     ///< error: the request cannot be answered later
};

/// A client request (IPIPE_MSG_REQUEST payload to a coordinator).
struct request {
  kind op = kind::transfer;
  std::uint32_t from = 0; ///< TRANSFER: source account
  std::uint32_t to = 0;   ///< TRANSFER: destination account
  std::uint64_t amount = 0;
  std::uint64_t client_id = 0; ///< echoed, for the client's matching
  std::uint64_t seq = 0;       ///< echoed
};

/// The answer to a client request.
struct response {
  status st = status::committed;
  kind op = kind::transfer;
  detail why = detail::none;
  std::uint64_t client_id = 0;
  std::uint64_t seq = 0;
  std::uint64_t txid = 0;     ///< TRANSFER: the transaction's id (0: none started)
  std::uint32_t accounts = 0; ///< AUDIT: accounts summed
  std::uint32_t in_doubt = 0; ///< AUDIT: prepared transactions not yet decided
  std::int64_t total = 0;     ///< AUDIT: sum of every balance
  std::int64_t expected = 0;  ///< AUDIT: accounts x initial balance
};

[[nodiscard]] std::vector<std::byte> encode(const request& r);
[[nodiscard]] std::vector<std::byte> encode(const response& r);
/// Decodes a response; nullopt if malformed.
[[nodiscard]] std::optional<response> decode_response(std::span<const std::byte> p);

/// Where an actor of another node (or of this one: endpoint 0) is reached.
struct address {
  std::uint32_t endpoint = 0; ///< wire endpoint of its node, 0 = this node
  runtime::actor_id actor = 0;
};

/// CONFIGURE of "dt_coordinator".
struct coordinator_config {
  std::uint32_t id = 1;              ///< 1..65535, unique among coordinators: txids carry it
  std::uint32_t accounts = 0;        ///< accounts 0..accounts-1, account a on participant a % n
  std::int64_t initial = 0;          ///< every account's initial balance (AUDIT's expectation)
  std::vector<address> participants; ///< by index, 1..max_participants
};

/// participant_config::flags: the participant was restarted; rebuild the
/// shard from the log before serving.
inline constexpr std::uint16_t cfg_recover = 1u << 0;

/// CONFIGURE of "dt_participant".
struct participant_config {
  std::uint16_t flags = 0;           ///< cfg_*
  std::uint32_t index = 0;           ///< this participant's index
  std::uint32_t participants = 1;    ///< how many share the accounts
  std::uint32_t accounts = 0;        ///< all accounts, as the coordinator's
  std::int64_t initial = 0;          ///< every account's initial balance
  runtime::actor_id log = 0;         ///< this node's dt_log actor
  std::vector<address> coordinators; ///< who may send transactions, 1..max_coordinators
};

/// dt_log_config::flags: write without fsync (tests on a slow disk; an
/// actor or process restart still recovers, a power loss may not).
inline constexpr std::uint32_t log_no_sync = 1u << 0;

/// CONFIGURE of "dt_log".
struct log_config {
  std::string dir;         ///< directory of the log files, created if missing
  std::uint32_t flags = 0; ///< log_*
};

[[nodiscard]] std::vector<std::byte> encode(const coordinator_config& c);
[[nodiscard]] std::vector<std::byte> encode(const participant_config& c);
[[nodiscard]] std::vector<std::byte> encode(const log_config& c);
/// Returns the payload of a STATS request.
[[nodiscard]] std::vector<std::byte> stats_request();
/// Decodes a STATS reply: the counters, positions as in `stat`.
[[nodiscard]] std::optional<std::vector<std::uint64_t>> decode_stats(std::span<const std::byte> p);
/// Returns the payload of a DUMP request from local account index `first`.
[[nodiscard]] std::vector<std::byte> dump_request(std::uint32_t first);

/// One account as DUMP returns it.
struct account_state {
  std::uint32_t account = 0; ///< global account number
  std::int64_t balance = 0;
  std::uint64_t version = 0; ///< committed transfers that touched it
  bool locked = false;       ///< prepared by an undecided transaction
};
/// Decodes a DUMP reply; nullopt if malformed. `more` is set when the
/// shard has accounts past the last one returned.
[[nodiscard]] std::optional<std::vector<account_state>> decode_dump(std::span<const std::byte> p,
                                                                    bool& more);

/// Counter positions in a STATS reply (all three actors use the prefix).
enum stat : std::size_t {
  st_requests = 0,      ///< messages handled (ticks excluded)
  st_malformed = 1,     ///< payloads dropped: truncated, garbage, unknown kind
  st_refused = 2,       ///< requests answered with status::error
  st_foreign = 3,       ///< internal messages from senders not in the configuration
  st_undeliverable = 4, ///< IPIPE_MSG_ERROR answers to our own sends
  st_committed = 5,     ///< coordinator/participant: transactions committed
  st_aborted = 6,       ///< coordinator/participant: transactions aborted
  st_conflicts = 7,     ///< coordinator: aborts by OCC; participant: NO votes
  st_retries = 8,       ///< coordinator: phase messages resent; participant: queries
  st_in_flight = 9,     ///< gauge: coordinator transactions / participant prepared
  st_recovered = 10,    ///< participant: log records replayed; log: records read back
  st_appends = 11,      ///< log: records appended (participant: sent)
  st_damaged = 12,      ///< log: bytes of a torn tail cut off on open
  st_audits = 13,       ///< coordinator: audits answered
  st_recovering = 14,   ///< gauge: participant replaying its log
  st_misplaced = 15,    ///< log: messages dropped because it was moved to the NIC
  st_count = 16,
};

} // namespace ipipe::apps::dt
