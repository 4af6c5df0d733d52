#include <ipipe/nic/fw_counters.hpp>

namespace ipipe::nic {

ipipe_fw_stats fw_counters::snapshot() const noexcept {
  auto get = [](const counter& c) { return c.load(std::memory_order_relaxed); };
  ipipe_fw_stats s{};
  s.admin_cmds = get(admin_cmds);
  s.admin_errors = get(admin_errors);
  s.dma_cmds = get(dma_cmds);
  s.dma_bytes = get(dma_bytes);
  s.dma_errors = get(dma_errors);
  s.irqs_raised = get(irqs_raised);
  s.doorbells = get(doorbells);
  s.wire_rx_packets = get(wire_rx_packets);
  s.wire_rx_dropped = get(wire_rx_dropped);
  s.wire_tx_packets = get(wire_tx_packets);
  s.ring_rx_msgs = get(ring_rx_msgs);
  s.ring_tx_msgs = get(ring_tx_msgs);
  s.ring_bad_desc = get(ring_bad_desc);
  s.migrations_to_host = get(migrations_to_host);
  s.migrations_to_nic = get(migrations_to_nic);
  s.host_backlog_dropped = get(host_backlog_dropped);
  s.watchdog_kills = get(watchdog_kills);
  s.wire_tx_dropped = get(wire_tx_dropped);
  return s;
}

} // namespace ipipe::nic
