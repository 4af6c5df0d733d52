#pragma once
// What ipipe-rkvctl sends and prints, apart from the socket: the CONFIGURE
// messages of one replica and the rendering of a STATS reply.

#include <ipipe/common/expected.hpp>

#include <cstdint>
#include <rkv/rkv.hpp>
#include <span>
#include <string>
#include <vector>

namespace ipipe::tools::rkvctl {

/// One replica as the launcher describes it.
struct replica_setup {
  std::uint32_t self = 0;               ///< this replica's index, 0..2
  std::vector<std::uint32_t> endpoints; ///< wire handle of each replica, by index
  std::uint32_t consensus = 1;          ///< actor ids, the same on every replica
  std::uint32_t memtable = 2;
  std::uint32_t sstable = 3;
  std::string dir;     ///< the sstable's directory
  bool rejoin = false; ///< restarted: learn before voting
  std::uint32_t flush_bytes = 1u << 20;
  std::uint32_t max_files = 4;
  std::uint32_t log_capacity = 4096;
  std::uint32_t election_ticks = 10;
};

/// One CONFIGURE to send: the actor and the payload.
struct configure_step {
  std::uint32_t actor = 0;
  const char* what = "";
  std::vector<std::byte> payload;
};

/// Returns the CONFIGUREs of a replica in the order apps.rst asks for
/// (sstable, memtable, consensus), or an error naming the bad field.
[[nodiscard]] expected<std::vector<configure_step>> configure_steps(const replica_setup& s);

/// Returns true if `reply` is an OK answer to CONFIGURE; else `why` says
/// what came back.
[[nodiscard]] bool configure_ok(std::span<const std::byte> reply, std::string& why);

/// Returns the name of counter `i` of a STATS reply ("commit").
[[nodiscard]] const char* stat_name(std::size_t i) noexcept;
/// Returns the name of a consensus role gauge ("leader").
[[nodiscard]] const char* role_name(std::uint64_t role) noexcept;
/// Returns "name=value ..." (text) or a JSON object of the counters.
[[nodiscard]] std::string render_stats(const std::vector<std::uint64_t>& v, bool json);

} // namespace ipipe::tools::rkvctl
