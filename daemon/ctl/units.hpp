#pragma once

#include <cstdint>
#include <string>

/// Numbers as people read them in ipipectl's text output.
namespace ipipe::ctl {

/// Returns a duration: "850ns", "12.3us", "4.56ms", "1.20s".
[[nodiscard]] std::string ns_text(std::uint64_t ns);
/// Returns a size in binary units: "512", "4K", "1.5M", "64M", "2G".
[[nodiscard]] std::string bytes_text(std::uint64_t bytes);
/// Returns a firmware version, (major << 16) | (minor << 8) | patch: "1.2.3".
[[nodiscard]] std::string fw_version_text(std::uint32_t v);
/// Returns an ABI version, (major << 16) | minor: "1.0".
[[nodiscard]] std::string abi_version_text(std::uint32_t v);
/// Returns the device name of index `index`: "ipipe0".
[[nodiscard]] std::string dev_name(std::uint32_t index);

} // namespace ipipe::ctl
