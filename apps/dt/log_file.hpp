#pragma once
// The participant log's file: an append-only sequence of checksummed
// records. A torn tail (a crash in the middle of a write) is cut off when
// the file is opened; every record before it is kept.

#include <ipipe/common/expected.hpp>
#include <ipipe/common/unique_fd.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace ipipe::apps::dt {

/// Records longer than this are damage (the longest real one is ~70 bytes).
inline constexpr std::size_t max_record = 1024;
/// Bytes before each record: u32 length, u32 FNV-1a of the length and body.
inline constexpr std::size_t record_hdr = 8;

/// What a log file held.
struct log_contents {
  std::vector<std::vector<std::byte>> records; ///< in append order
  std::uint64_t valid_bytes = 0;               ///< the prefix that checked out
  std::uint64_t damaged_bytes = 0;             ///< what followed it
};

/// Parses `data` as log records up to the first damaged one.
[[nodiscard]] log_contents parse_log(std::span<const std::byte> data);

/// Returns the record frame (header and body) of `body`.
[[nodiscard]] std::vector<std::byte> frame_record(std::span<const std::byte> body);

/// An open log file.
class log_file {
public:
  /// Opens (creating) `path`, cuts a damaged tail off and returns the file
  /// with the records it held in `out`.
  [[nodiscard]] static expected<log_file> open(const std::string& path, bool sync,
                                               log_contents& out);

  /// Appends one record, then fsyncs unless opened without sync.
  [[nodiscard]] expected<void> append(std::span<const std::byte> body);

private:
  log_file(unique_fd fd, bool sync, std::uint64_t size)
      : fd_(std::move(fd)), sync_(sync), size_(size) {}

  unique_fd fd_;
  bool sync_ = true;
  std::uint64_t size_ = 0; // end of the last whole record
};

} // namespace ipipe::apps::dt
