#pragma once

#include <ipipe/common/expected.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

/// The daemon's configuration, /etc/ipipe/ipiped.conf (TOML). The schema
/// is documented in Documentation/admin-guide.rst and ipiped.conf(5).
namespace ipipe::config {

/// The [daemon] table.
struct daemon_settings {
  std::uint32_t workers = 1;            ///< host worker threads, 1..64
  std::uint32_t busy_poll_us = 50;      ///< busy-poll before sleeping, 0..10000
  std::uint32_t handler_budget_ms = 10; ///< default charged time of a handler run, 1..60000
  std::string state_dir = "/run/ipipe";

  friend bool operator==(const daemon_settings&, const daemon_settings&) = default;
};

/// How a [[device]] is reached.
enum class device_kind : std::uint8_t {
  /// A /dev/ipipeN node of ipipe.ko (`path`).
  kernel = 0,
  /// Direct attach to the ipipe-nic emulator's socket (`socket`).
  direct = 1,
};

/// One [[device]] table.
struct device_config {
  device_kind kind = device_kind::kernel;
  std::string path; ///< the node or the socket
  int line = 0;     ///< where the table starts, for later messages

  friend bool operator==(const device_config&, const device_config&) = default;
};

/// The [params] table: only the keys given are pushed to the NIC.
struct params_config {
  std::optional<std::uint64_t> tail_thresh_ns; ///< 1000..1000000000
  std::optional<std::uint64_t> mean_thresh_ns; ///< 1000..1000000000
  std::optional<std::uint32_t> alpha_permille; ///< 0..1000
  std::optional<std::uint32_t> drr_quantum_ns; ///< 100..100000000
  std::optional<std::uint32_t> fcfs_cores;     ///< 0 (automatic)..4096

  friend bool operator==(const params_config&, const params_config&) = default;
};

/// Where an actor starts.
enum class actor_location : std::uint8_t {
  nic = 0,  ///< IPIPE_LOC_NIC
  host = 1, ///< IPIPE_LOC_HOST
};

/// One [[actor]] table.
struct actor_config {
  std::string type;                ///< registered type name, 1..31 bytes
  std::optional<std::uint32_t> id; ///< absent: the NIC picks one
  actor_location location = actor_location::nic;
  std::uint64_t mem_quota = 0; ///< bytes of DMO arena, > 0
  bool pinned = false;         ///< never migrate
  int line = 0;                ///< where the table starts

  friend bool operator==(const actor_config&, const actor_config&) = default;
};

/// The whole file.
struct daemon_config {
  daemon_settings daemon;
  std::vector<device_config> devices; ///< /dev/ipipe0 if the file names none
  params_config params;
  std::vector<actor_config> actors;

  friend bool operator==(const daemon_config&, const daemon_config&) = default;
};

/// The default location of the file.
inline constexpr std::string_view default_path = "/etc/ipipe/ipiped.conf";

/// Returns the configuration in `text`, or errc::config_error whose context
/// is one line: "<source>:<line>: <key>: <what is wrong>" (TOML syntax
/// errors: "<source>:<line>:<column>: <what toml++ says>").
[[nodiscard]] expected<daemon_config> parse_config(std::string_view text,
                                                   std::string_view source = "ipiped.conf");

/// Returns the configuration in file `path`; errors name the path as given.
[[nodiscard]] expected<daemon_config> load_config(const std::filesystem::path& path);

/// Returns `text` as bytes: a count with an optional binary suffix K, M, G
/// or T (also KiB, MiB, GiB, TiB), e.g. "64M"; nothing on a bad form or an
/// overflow.
[[nodiscard]] std::optional<std::uint64_t> parse_size(std::string_view text) noexcept;

} // namespace ipipe::config
