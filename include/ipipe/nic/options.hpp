#pragma once

#include <ipipe/common/expected.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace ipipe::nic {

/// Where host memory comes from (--host-mem).
struct host_mem_spec {
  enum class kind : std::uint8_t {
    file,  ///< "file:PATH": a QEMU memory-backend-file
    memfd, ///< "memfd:SIZE": direct attach, the emulator creates it
  };
  kind type = kind::memfd; ///< which of the two
  std::string path;        ///< file: the path
  std::uint64_t size = 0;  ///< memfd: the size in bytes
};

/// An IPv4 address and UDP port (--wire ADDR:PORT), host byte order.
struct endpoint {
  std::uint32_t addr = 0; ///< IPv4 address
  std::uint16_t port = 0; ///< UDP port
};

/// Returns the bytes in "4096", "64K", "64M", "1G" (binary multiples; an
/// optional trailing "iB" or "B" is accepted). Rejects zero and overflow.
[[nodiscard]] expected<std::uint64_t> parse_size(std::string_view s);

/// Parses "file:PATH" or "memfd:SIZE".
[[nodiscard]] expected<host_mem_spec> parse_host_mem(std::string_view s);

/// Parses "A.B.C.D:PORT".
[[nodiscard]] expected<endpoint> parse_endpoint(std::string_view s);

} // namespace ipipe::nic
