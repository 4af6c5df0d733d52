#pragma once

#include <ipipe/common/errc.hpp>

#include <cassert>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace ipipe {

/// An error: a code, the errno behind it (for errc::system_error), and a
/// human-readable context ("open /dev/ipipe0").
class error {
public:
  error() noexcept = default;
  error(errc code, std::string context = {}, int sys_errno = 0)
      : code_(code), errno_(sys_errno), context_(std::move(context)) {}

  /// Returns the error code.
  [[nodiscard]] errc code() const noexcept { return code_; }
  /// Returns the errno for errc::system_error, otherwise 0.
  [[nodiscard]] int sys_errno() const noexcept { return errno_; }
  /// Returns the context string given at construction.
  [[nodiscard]] const std::string& context() const noexcept { return context_; }
  /// Returns "context: code name" or "context: strerror(errno)".
  [[nodiscard]] std::string message() const;

  friend bool operator==(const error& e, errc c) noexcept { return e.code_ == c; }

private:
  errc code_ = errc::none;
  int errno_ = 0;
  std::string context_;
};

/// Either a value or an error (std::expected is C++23; we are on C++20).
template <class T>
class [[nodiscard]] expected {
public:
  using value_type = T;

  expected(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  expected(error err) : v_(std::in_place_index<1>, std::move(err)) {}
  expected(errc code) : v_(std::in_place_index<1>, error{code}) {}

  /// Returns true if this holds a value.
  [[nodiscard]] bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  [[nodiscard]] T& value() & {
    assert(has_value());
    return std::get<0>(v_);
  }
  [[nodiscard]] const T& value() const& {
    assert(has_value());
    return std::get<0>(v_);
  }
  [[nodiscard]] T&& value() && {
    assert(has_value());
    return std::get<0>(std::move(v_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  /// Returns the error; only valid when has_value() is false.
  [[nodiscard]] const error& err() const {
    assert(!has_value());
    return std::get<1>(v_);
  }

private:
  std::variant<T, error> v_;
};

/// expected<void>: success or an error.
template <>
class [[nodiscard]] expected<void> {
public:
  expected() = default;
  expected(error err) : err_(std::move(err)), ok_(false) {}
  expected(errc code) : err_(code), ok_(code == errc::none) {}

  [[nodiscard]] bool has_value() const noexcept { return ok_; }
  explicit operator bool() const noexcept { return ok_; }
  [[nodiscard]] const error& err() const {
    assert(!ok_);
    return err_;
  }

private:
  error err_;
  bool ok_ = true;
};

} // namespace ipipe
