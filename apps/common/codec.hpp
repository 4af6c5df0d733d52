#pragma once
// A bounded little-endian binary codec for application payloads.
//
// Every read is checked against what is left of the input: a short or
// malformed payload makes the reader fail (and stay failed), it never reads
// past the end. Writers refuse to grow past their limit (the largest
// message payload by default), so an encoder cannot build a message the
// runtime would reject.

#include <linux/ipipe.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>
#include <type_traits>
#include <vector>

namespace ipipe::apps {

/// Reads fixed-size integers and byte runs from a payload, bounds checked.
class reader {
public:
  explicit reader(std::span<const std::byte> in) noexcept : in_(in) {}

  /// Returns the next little-endian integer, or 0 once the input is short.
  template <class T>
  T get() noexcept {
    static_assert(std::is_integral_v<T>);
    T v{};
    if (!take(sizeof(T)))
      return 0;
    std::memcpy(&v, in_.data() + pos_ - sizeof(T), sizeof(T));
    return v;
  }
  /// Returns the next `n` bytes (empty once the input is short).
  std::span<const std::byte> bytes(std::size_t n) noexcept {
    if (!take(n))
      return {};
    return in_.subspan(pos_ - n, n);
  }
  /// Returns the next `n` bytes as a string view.
  std::string_view str(std::size_t n) noexcept {
    auto b = bytes(n);
    return {reinterpret_cast<const char*>(b.data()), b.size()};
  }
  /// Returns true while every read so far fitted.
  [[nodiscard]] bool ok() const noexcept { return ok_; }
  /// Returns true if every read fitted and the input is used up.
  [[nodiscard]] bool done() const noexcept { return ok_ && pos_ == in_.size(); }
  /// Returns the bytes not read yet.
  [[nodiscard]] std::size_t left() const noexcept { return ok_ ? in_.size() - pos_ : 0; }

private:
  bool take(std::size_t n) noexcept {
    if (!ok_ || n > in_.size() - pos_) {
      ok_ = false;
      return false;
    }
    pos_ += n;
    return true;
  }

  std::span<const std::byte> in_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

/// Appends little-endian integers and byte runs up to a size limit.
class writer {
public:
  explicit writer(std::size_t limit = IPIPE_MSG_MAX_PAYLOAD) : limit_(limit) {}

  /// Appends an integer (or an enumerator, as its underlying type).
  template <class T>
  writer& put(T v) {
    static_assert(std::is_integral_v<T> || std::is_enum_v<T>);
    return raw(&v, sizeof(T));
  }
  /// Appends bytes.
  writer& bytes(std::span<const std::byte> b) { return raw(b.data(), b.size()); }
  /// Appends the characters of `s`.
  writer& str(std::string_view s) { return raw(s.data(), s.size()); }
  /// Returns true if `n` more bytes fit.
  [[nodiscard]] bool fits(std::size_t n) const noexcept { return ok_ && n <= limit_ - out_.size(); }
  /// Returns true if nothing was refused.
  [[nodiscard]] bool ok() const noexcept { return ok_; }
  /// Returns the bytes written.
  [[nodiscard]] std::size_t size() const noexcept { return out_.size(); }
  /// Returns the payload.
  [[nodiscard]] std::span<const std::byte> data() const noexcept { return out_; }
  /// Overwrites an integer written earlier at `off` (a count known late).
  template <class T>
  void patch(std::size_t off, T v) noexcept {
    if (off + sizeof(T) <= out_.size())
      std::memcpy(out_.data() + off, &v, sizeof(T));
  }

private:
  writer& raw(const void* p, std::size_t n) {
    if (!fits(n)) {
      ok_ = false;
      return *this;
    }
    const auto* b = static_cast<const std::byte*>(p);
    out_.insert(out_.end(), b, b + n);
    return *this;
  }

  std::vector<std::byte> out_;
  std::size_t limit_;
  bool ok_ = true;
};

/// Returns the bytes of `s`.
inline std::span<const std::byte> as_byte_span(std::string_view s) noexcept {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

} // namespace ipipe::apps
