// The participant log's file format: [u32 length][u32 FNV-1a][body]...
#include "log_file.hpp"

#include <ipipe/common/sys.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <common/codec.hpp>
#include <cstring>

namespace ipipe::apps::dt {

namespace {

// FNV-1a over the length field and the body, so that a length torn into a
// plausible value is caught too.
std::uint32_t checksum(std::uint32_t len, std::span<const std::byte> body) {
  std::uint32_t h = 0x811c9dc5u;
  auto mix = [&h](std::byte b) { h = (h ^ static_cast<std::uint8_t>(b)) * 0x01000193u; };
  for (auto b : std::as_bytes(std::span<const std::uint32_t, 1>{&len, 1}))
    mix(b);
  for (auto b : body)
    mix(b);
  return h;
}

bool write_all(int fd, std::span<const std::byte> b) {
  while (!b.empty()) {
    const ssize_t n = ::write(fd, b.data(), b.size());
    if (n <= 0)
      return false;
    b = b.subspan(static_cast<std::size_t>(n));
  }
  return true;
}

} // namespace

log_contents parse_log(std::span<const std::byte> data) {
  log_contents out;
  reader rd(data);
  while (rd.left() >= record_hdr) {
    const auto len = rd.get<std::uint32_t>();
    const auto sum = rd.get<std::uint32_t>();
    if (len == 0 || len > max_record || len > rd.left())
      break;
    const auto body = rd.bytes(len);
    if (checksum(len, body) != sum)
      break;
    out.records.emplace_back(body.begin(), body.end());
    out.valid_bytes += record_hdr + len;
  }
  out.damaged_bytes = data.size() - out.valid_bytes;
  return out;
}

std::vector<std::byte> frame_record(std::span<const std::byte> body) {
  const auto len = static_cast<std::uint32_t>(body.size());
  writer w(SIZE_MAX);
  w.put(len).put(checksum(len, body)).bytes(body);
  auto d = w.data();
  return {d.begin(), d.end()};
}

expected<log_file> log_file::open(const std::string& path, bool sync, log_contents& out) {
  unique_fd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (!fd)
    return sys::last_error("open " + path);
  std::vector<std::byte> all;
  std::byte chunk[65536];
  ssize_t n;
  while ((n = ::pread(fd.get(), chunk, sizeof(chunk), static_cast<off_t>(all.size()))) > 0)
    all.insert(all.end(), chunk, chunk + n);
  if (n < 0)
    return sys::last_error("read " + path);
  out = parse_log(all);
  if (out.damaged_bytes != 0) {
    // A torn tail: appends must continue right after the last good record.
    if (::ftruncate(fd.get(), static_cast<off_t>(out.valid_bytes)) != 0 ||
        (sync && ::fsync(fd.get()) != 0))
      return sys::last_error("truncate " + path);
  }
  return log_file(std::move(fd), sync, out.valid_bytes);
}

expected<void> log_file::append(std::span<const std::byte> body) {
  if (body.empty() || body.size() > max_record)
    return errc::bad_length;
  const auto frame = frame_record(body);
  if (!write_all(fd_.get(), frame)) {
    auto e = sys::last_error("write log");
    // Never leave a torn record in front of later ones.
    (void)::ftruncate(fd_.get(), static_cast<off_t>(size_));
    return e;
  }
  size_ += frame.size();
  if (sync_ && ::fdatasync(fd_.get()) != 0)
    return sys::last_error("fdatasync log");
  return {};
}

} // namespace ipipe::apps::dt
