#pragma once

#include <ipipe/common/expected.hpp>
#include <ipipe/common/unique_fd.hpp>
#include <ipipe/nic/dma_provider.hpp>
#include <ipipe/nic/firmware.hpp>
#include <ipipe/nic/guarded_mapping.hpp>
#include <ipipe/nic/interrupt_line.hpp>
#include <ipipe/nic/ivshmem_server.hpp>
#include <ipipe/nic/options.hpp>
#include <ipipe/nic/wire_port.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ipipe::nic {

/// Everything `ipipe-nic` is started with.
struct emulator_config {
  std::string socket_path;               ///< ivshmem server socket
  host_mem_spec host_mem;                ///< guest RAM file or memfd
  std::uint64_t nic_mem_size = 64 << 20; ///< BAR2 bytes
  firmware_config fw;                    ///< cores, vectors, heartbeat
  std::optional<endpoint> wire;          ///< UDP wire port, if any
  /// Peer nodes on the wire, by handle (1..255): the endpoints actors name
  /// in actor_context::send_remote().
  std::vector<std::pair<std::uint32_t, endpoint>> peers;
  bool verbose = false; ///< log peers and events to stderr
  /// The actor dispatcher (the runtime's); nullptr: the built-in one. Must
  /// outlive the emulator.
  actor_dispatch* dispatch = nullptr;
};

/// The whole emulated SmartNIC: BAR2 memory, host memory, the ivshmem
/// server, the firmware and (optionally) the wire port, driven by one
/// epoll event loop.
class emulator final : public interrupt_line {
public:
  emulator(const emulator&) = delete;
  emulator& operator=(const emulator&) = delete;
  ~emulator() override;

  /// Creates the memories, listens on the socket and boots the firmware
  /// (the header is READY when this returns).
  [[nodiscard]] static expected<std::unique_ptr<emulator>> create(const emulator_config& cfg);

  /// Runs the event loop until request_stop() or until `stop_fd` (for
  /// example a signalfd) becomes readable.
  [[nodiscard]] expected<void> run(int stop_fd = -1);
  /// Makes run() return soon; safe from any thread.
  void request_stop() noexcept;

  /// Returns the firmware.
  [[nodiscard]] firmware& fw() noexcept { return *fw_; }
  /// Returns the ivshmem server.
  [[nodiscard]] ivshmem_server& server() noexcept { return *server_; }
  /// Returns the UDP port the wire port is bound to, or 0 without one.
  [[nodiscard]] std::uint16_t wire_port_number() const noexcept;

  /// Interrupts the host peer: hdr->host_peer if the driver set it to a
  /// connected peer, else the most recently connected client.
  bool raise(unsigned vec) override;

private:
  explicit emulator(const emulator_config& cfg);
  void on_client_hangup(std::uint32_t peer);
  void log(const std::string& what) const;

  emulator_config cfg_;
  unique_fd bar2_fd_;
  guarded_mapping bar2_;
  std::unique_ptr<dma_provider> host_;
  int host_fd_ = -1; // memfd mode: the fd handed to clients
  std::unique_ptr<ivshmem_server> server_;
  std::unique_ptr<firmware> fw_;
  std::unique_ptr<wire_port> wire_;
  unique_fd stop_event_;
};

} // namespace ipipe::nic
