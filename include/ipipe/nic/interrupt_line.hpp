#pragma once

namespace ipipe::nic {

/// How the firmware interrupts the host: one MSI-X vector at a time.
class interrupt_line {
public:
  virtual ~interrupt_line() = default;
  /// Signals vector `vec` to the host. Returns false if no host is there to
  /// receive it. Must be safe to call from any thread.
  virtual bool raise(unsigned vec) = 0;
};

} // namespace ipipe::nic
