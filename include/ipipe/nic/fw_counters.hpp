#pragma once

#include <linux/ipipe.h>

#include <atomic>
#include <cstdint>

namespace ipipe::nic {

/// The firmware's statistics counters (struct ipipe_fw_stats), updated from
/// any thread with relaxed atomics.
struct fw_counters {
  using counter = std::atomic<std::uint64_t>;
  counter admin_cmds{0};
  counter admin_errors{0};
  counter dma_cmds{0};
  counter dma_bytes{0};
  counter dma_errors{0};
  counter irqs_raised{0};
  counter doorbells{0};
  counter wire_rx_packets{0};
  counter wire_rx_dropped{0};
  counter wire_tx_packets{0};
  counter ring_rx_msgs{0};
  counter ring_tx_msgs{0};
  counter ring_bad_desc{0};
  counter migrations_to_host{0};
  counter migrations_to_nic{0};
  counter host_backlog_dropped{0};
  counter watchdog_kills{0};
  counter wire_tx_dropped{0};

  /// Adds `n` to `c`.
  static void add(counter& c, std::uint64_t n = 1) noexcept {
    c.fetch_add(n, std::memory_order_relaxed);
  }

  /// Returns a copy in the ABI layout, reserved fields zero.
  [[nodiscard]] ipipe_fw_stats snapshot() const noexcept;
};

} // namespace ipipe::nic
