#pragma once

#include <ipipe/common/expected.hpp>
#include <ipipe/common/unique_fd.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace ipipe::nic {

/// The ivshmem server that QEMU's ivshmem-doorbell device (and any
/// direct-attach client) connects to, and peer 0 of it: the firmware.
///
/// Every peer gets one eventfd per vector. A peer interrupts peer P on
/// vector v by writing to P's eventfd v; the firmware polls its own eventfds
/// (the guest's doorbell writes reach them) and interrupts the host through
/// the host peer's eventfds (QEMU turns them into MSI-X).
///
/// Accepting and dropping clients happen on one thread (the event loop);
/// signal() may be called from any thread.
class ivshmem_server {
public:
  /// What the server hands out.
  struct config {
    std::string socket_path; ///< unix socket to listen on
    unsigned vectors = 4;    ///< eventfds per peer
    int shm_fd = -1;         ///< BAR2 memory (sent with tag -1)
    int host_mem_fd = -1;    ///< direct attach host memory (tag -2), or -1
  };

  /// A newly accepted client.
  struct client {
    std::uint32_t peer = 0; ///< its peer id
    int sock = -1;          ///< its socket, to watch for hang-up
  };

  ivshmem_server(const ivshmem_server&) = delete;
  ivshmem_server& operator=(const ivshmem_server&) = delete;
  ~ivshmem_server();

  /// Creates the firmware's eventfds, binds and listens on the socket (a
  /// stale socket file at that path is replaced).
  [[nodiscard]] static expected<std::unique_ptr<ivshmem_server>> listen(config cfg);

  /// Returns the listening socket.
  [[nodiscard]] int listen_fd() const noexcept { return listen_.get(); }
  /// Returns the firmware's own eventfd for vector `vec` (its doorbell).
  [[nodiscard]] int doorbell_fd(unsigned vec) const noexcept { return fw_fds_[vec].get(); }
  /// Returns the number of vectors per peer.
  [[nodiscard]] unsigned vectors() const noexcept { return cfg_.vectors; }

  /// Accepts one pending connection and runs the handshake with it.
  [[nodiscard]] expected<client> accept_client();

  /// Forgets peer `peer` (its socket hung up or sent data) and tells the
  /// remaining clients.
  void drop_client(std::uint32_t peer);

  /// Interrupts `peer` on vector `vec`. Returns false if there is no such
  /// peer or vector.
  bool signal(std::uint32_t peer, unsigned vec);

  /// Returns true if `peer` is a connected client.
  [[nodiscard]] bool connected(std::uint32_t peer) const;
  /// Returns the most recently connected client, or 0 if there is none.
  [[nodiscard]] std::uint32_t newest_peer() const;
  /// Returns the number of connected clients.
  [[nodiscard]] std::size_t client_count() const;

private:
  struct peer_state {
    unique_fd sock;
    std::vector<unique_fd> fds; // one per vector, signalled to interrupt it
  };

  explicit ivshmem_server(config cfg) : cfg_(std::move(cfg)) {}
  [[nodiscard]] expected<void> handshake(std::uint32_t id, peer_state& p);
  [[nodiscard]] std::uint32_t pick_id() const;

  config cfg_;
  unique_fd listen_;
  std::vector<unique_fd> fw_fds_;
  mutable std::mutex lock_; // protects peers_ and newest_
  std::map<std::uint32_t, peer_state> peers_;
  std::uint32_t next_id_ = 1;
  std::uint32_t newest_ = 0;
};

} // namespace ipipe::nic
