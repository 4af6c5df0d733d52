#pragma once

#include <utility>

namespace ipipe {

/// Owns a file descriptor; closes it on destruction. Move-only.
class unique_fd {
public:
  unique_fd() noexcept = default;
  explicit unique_fd(int fd) noexcept : fd_(fd) {}
  unique_fd(const unique_fd&) = delete;
  unique_fd& operator=(const unique_fd&) = delete;
  unique_fd(unique_fd&& other) noexcept : fd_(other.release()) {}
  unique_fd& operator=(unique_fd&& other) noexcept {
    if (this != &other)
      reset(other.release());
    return *this;
  }
  ~unique_fd() { reset(); }

  /// Returns the descriptor, or -1.
  [[nodiscard]] int get() const noexcept { return fd_; }
  /// Returns true if a descriptor is held.
  [[nodiscard]] bool valid() const noexcept { return fd_ >= 0; }
  explicit operator bool() const noexcept { return valid(); }

  /// Gives up ownership and returns the descriptor.
  [[nodiscard]] int release() noexcept { return std::exchange(fd_, -1); }
  /// Closes the held descriptor and takes `fd`.
  void reset(int fd = -1) noexcept;

private:
  int fd_ = -1;
};

} // namespace ipipe
