#pragma once

#include <utility>

namespace ipipe {

/// Runs a callable when the scope ends, unless released.
template <class F>
class [[nodiscard]] scope_exit {
public:
  explicit scope_exit(F f) noexcept(std::is_nothrow_move_constructible_v<F>) : f_(std::move(f)) {}
  scope_exit(const scope_exit&) = delete;
  scope_exit& operator=(const scope_exit&) = delete;
  ~scope_exit() {
    if (armed_)
      f_();
  }
  /// Cancels the call.
  void release() noexcept { armed_ = false; }

private:
  F f_;
  bool armed_ = true;
};

} // namespace ipipe
