#pragma once
// RKV, the replicated key-value store of iPipe (SIGCOMM 2019), as ipipe
// actors: "rkv_consensus" (Multi-Paxos, one per replica), "rkv_memtable"
// (the LSM memtable, a skiplist in DMOs) and "rkv_sstable" (sorted files on
// the host). The wire protocol and the actors' design are described in
// Documentation/design/apps.rst.

#include <ipipe/runtime/ids.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ipipe::apps::rkv {

/// Registers the three actor types (idempotent, thread safe).
void register_actors();

inline constexpr const char* consensus_type = "rkv_consensus";
inline constexpr const char* memtable_type = "rkv_memtable";
inline constexpr const char* sstable_type = "rkv_sstable";

inline constexpr std::uint8_t protocol_version = 1;
inline constexpr std::size_t max_key = 64;     ///< longest key, bytes
inline constexpr std::size_t max_value = 4000; ///< longest value, bytes
inline constexpr std::size_t request_hdr_size = 24;
inline constexpr std::size_t response_hdr_size = 32;
/// dst_actor of a reply sent after commit (see apps.rst, "Replies").
inline constexpr runtime::actor_id client_actor = 0xffffffffu;

/// The first payload byte of every RKV message.
enum class kind : std::uint8_t {
  get = 1,          ///< client: read a key
  put = 2,          ///< client: write a key
  del = 3,          ///< client: delete a key
  configure = 0x20, ///< operator: the actor's configuration, once after creation
  stats = 0x21,     ///< operator: return the actor's counters
  // 0x30..0x3f consensus, 0x40..0x4f memtable, 0x50..0x5f sstable: internal.
};

/// Result of a client request.
enum class status : std::uint8_t {
  ok = 0,
  not_found = 1,
  not_leader = 2, ///< ask the replica at leader_hint (0: unknown, retry later)
  error = 3,      ///< see detail
};

/// Why a request got status::error.
enum class detail : std::uint8_t {
  none = 0,
  key_too_long = 1,   ///< key longer than max_key (or empty)
  value_too_long = 2, ///< value longer than max_value
  busy = 3,           ///< the replicated log is full: retry later
  no_address = 4,     ///< the request carried no reply address
  not_configured = 5, ///< the actor has not received CONFIGURE yet
  bad_config = 6,     ///< CONFIGURE was malformed or repeated with other values
  internal = 7,       ///< a DMO or disk operation failed
};

/// A client request (IPIPE_MSG_REQUEST payload to a consensus actor).
struct request {
  kind op = kind::get;
  std::uint64_t client_id = 0; ///< chosen by the client, non-zero
  std::uint64_t seq = 0;       ///< per client_id, increasing; one write outstanding
  std::string key;
  std::string value; ///< PUT only
};

/// A reply to a client.
struct response {
  status st = status::ok;
  kind op = kind::get;
  detail why = detail::none;
  std::uint64_t client_id = 0;
  std::uint64_t seq = 0;
  std::uint32_t leader_hint = 0; ///< NOT_LEADER: the leader's wire endpoint
  std::string value;             ///< GET with status::ok
};

/// Encodes a request (no length checks: oversize requests can be built, to
/// test the servers).
[[nodiscard]] std::vector<std::byte> encode(const request& r);
/// Encodes a response.
[[nodiscard]] std::vector<std::byte> encode(const response& r);
/// Decodes a response; nullopt if malformed.
[[nodiscard]] std::optional<response> decode_response(std::span<const std::byte> p);

/// One replica as the consensus actors know it.
struct replica {
  std::uint32_t endpoint = 0;      ///< wire endpoint of the replica's node
  runtime::actor_id consensus = 0; ///< its consensus actor id
};

inline constexpr std::uint32_t replicas = 3;
/// consensus_config::flags: this replica restarted with an empty state and
/// must learn the log before it votes again.
inline constexpr std::uint32_t cfg_rejoin = 1u << 0;

/// CONFIGURE of "rkv_consensus".
struct consensus_config {
  std::uint32_t self = 0;  ///< this replica's index in `peers`
  std::uint32_t flags = 0; ///< cfg_*
  runtime::actor_id memtable = 0;
  runtime::actor_id sstable = 0;
  std::uint32_t election_ticks = 10; ///< base election timeout, in ticks
  std::uint32_t log_capacity = 4096; ///< log ring slots (power of two)
  std::array<replica, replicas> peers{};
};

/// CONFIGURE of "rkv_memtable".
struct memtable_config {
  runtime::actor_id consensus = 0;
  runtime::actor_id sstable = 0;
  std::uint32_t flush_bytes = 1 << 20; ///< flush when the skiplist holds more
};

/// CONFIGURE of "rkv_sstable".
struct sstable_config {
  std::string dir;             ///< directory of the files, created if missing
  std::uint32_t max_files = 4; ///< compact when there are more files
};

[[nodiscard]] std::vector<std::byte> encode(const consensus_config& c);
[[nodiscard]] std::vector<std::byte> encode(const memtable_config& c);
[[nodiscard]] std::vector<std::byte> encode(const sstable_config& c);
/// Returns the payload of a STATS request.
[[nodiscard]] std::vector<std::byte> stats_request();
/// Decodes a STATS reply: the counters, named as in apps.rst.
[[nodiscard]] std::optional<std::vector<std::uint64_t>> decode_stats(std::span<const std::byte> p);

/// Counter positions in a STATS reply (all three actors use the prefix).
enum stat : std::size_t {
  st_requests = 0,  ///< messages handled (ticks excluded)
  st_malformed = 1, ///< payloads dropped: truncated, garbage, unknown kind
  st_oversize = 2,  ///< requests refused for a too long key or value
  st_foreign = 3,   ///< internal messages from senders not in the config
  st_not_leader = 4,
  st_busy = 5,
  st_committed = 6, ///< consensus: log entries applied
  st_elections = 7, ///< consensus: elections started
  st_flushes = 8,   ///< memtable/sstable: flushes done
  st_compactions = 9,
  // consensus gauges, filled in when STATS is answered
  st_role = 10,      ///< 0 follower, 1 candidate, 2 leader, 3 learner (rejoining)
  st_commit = 11,    ///< commit index
  st_applied = 12,   ///< applied index
  st_durable = 13,   ///< index whose effects are in the sstable files
  st_log_start = 14, ///< first log index retained
  st_ballot = 15,    ///< highest ballot promised
  st_count = 16,
};

} // namespace ipipe::apps::rkv
