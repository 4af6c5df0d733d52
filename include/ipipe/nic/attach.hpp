#pragma once

#include <ipipe/common/expected.hpp>
#include <ipipe/common/ring.hpp>
#include <ipipe/common/unique_fd.hpp>
#include <ipipe/nic/guarded_mapping.hpp>

#include <linux/ipipe.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

namespace ipipe::nic {

/// A buffer in the attached host memory.
struct host_buffer {
  std::byte* ptr = nullptr; ///< where the client sees it
  std::uint64_t bus = 0;    ///< the bus address the NIC is given
  std::size_t size = 0;     ///< bytes
};

/// How to attach.
struct attach_options {
  /// How long to wait for the connection, the handshake and READY.
  std::chrono::milliseconds timeout{5000};
  /// Write our peer id into hdr->host_peer so interrupts come to us even if
  /// other clients connect later.
  bool claim_host = true;
};

/// A direct attachment to `ipipe-nic`: connects to its ivshmem server
/// socket as a peer, maps BAR2 and the host-memory memfd (the direct-attach
/// extension), and drives the device the way the kernel driver does:
/// doorbells, interrupts and the admin queue.
///
/// One thread at a time may use the admin queue (submit/post/reap); irq
/// waits on different vectors may run concurrently.
class attachment {
public:
  attachment(const attachment&) = delete;
  attachment& operator=(const attachment&) = delete;
  ~attachment();

  // -- lifecycle ----------------------------------------------------------

  /// Connects to the server at `socket_path`, runs the handshake, maps the
  /// memories and waits until the firmware is READY.
  [[nodiscard]] static expected<std::unique_ptr<attachment>>
  connect(const std::string& socket_path, const attach_options& opt = {});

  // -- device -------------------------------------------------------------

  /// Returns our ivshmem peer id.
  [[nodiscard]] std::uint32_t peer_id() const noexcept { return id_; }
  /// Returns the number of vectors.
  [[nodiscard]] unsigned vectors() const noexcept { return vectors_; }
  /// Returns the BAR2 header page.
  [[nodiscard]] ipipe_hw_header* header() const noexcept;
  /// Returns all of BAR2.
  [[nodiscard]] std::span<std::byte> bar2() const noexcept { return bar2_.bytes(); }
  /// Returns the NIC data area (the DMA target range of BAR2).
  [[nodiscard]] std::span<std::byte> nic_data() const noexcept;
  /// Returns host memory (empty if the server is not in memfd mode).
  [[nodiscard]] std::span<std::byte> host_memory() const noexcept { return host_.bytes(); }

  /// Rings `peer`'s doorbell on `vec` (default: the firmware), like a write
  /// of IPIPE_DOORBELL(peer, vec) to BAR0.
  [[nodiscard]] expected<void> doorbell(unsigned vec, std::uint32_t peer = IPIPE_FW_PEER);
  /// Returns the eventfd that becomes readable when the NIC raises `vec`.
  [[nodiscard]] int irq_fd(unsigned vec) const noexcept;
  /// Waits up to `timeout` for an interrupt on `vec` and returns how many
  /// coalesced into it, or errc::timed_out.
  [[nodiscard]] expected<std::uint64_t> wait_irq(unsigned vec, std::chrono::milliseconds timeout);

  // -- host memory --------------------------------------------------------

  /// Allocates `size` bytes of host memory aligned to `align` (a power of
  /// two, at least 8), first fit. errc::no_space when nothing fits.
  [[nodiscard]] expected<host_buffer> alloc(std::size_t size, std::size_t align = 64);
  /// Returns a buffer from alloc() to the free list.
  void free(const host_buffer& b);

  // -- admin queue --------------------------------------------------------

  /// Submits one command (its cmd_id is replaced by ours), rings the admin
  /// doorbell and waits for its completion. A completion with an error
  /// status is a value, not an error: the error is only for transport
  /// failures (timed_out, queue_full). RESET is handled: the queues are
  /// re-synchronised after the firmware reformats them.
  [[nodiscard]] expected<ipipe_admin_cqe>
  submit(const ipipe_admin_cmd& cmd,
         std::chrono::milliseconds timeout = std::chrono::milliseconds{5000});
  /// Queues one command without ringing the doorbell; returns its cmd_id
  /// or errc::queue_full. Pair with doorbell(IPIPE_VEC_ADMIN) and reap().
  [[nodiscard]] expected<std::uint16_t> post(const ipipe_admin_cmd& cmd);
  /// Returns the next completion in order, waiting up to `timeout`.
  [[nodiscard]] expected<ipipe_admin_cqe> reap(std::chrono::milliseconds timeout);
  /// Resets the NIC through hdr->reset_request and the admin doorbell,
  /// waits for READY and re-synchronises the admin queue.
  [[nodiscard]] expected<void> reset(std::chrono::milliseconds timeout = std::chrono::milliseconds{
                                         5000});

  /// Reads pending server messages (peers joining and leaving) without
  /// blocking. Returns false once the server closed the connection: the
  /// NIC's process is gone, and every later call fails with errc::closed.
  bool poll_server();
  /// Returns true once the NIC is known to be gone.
  [[nodiscard]] bool gone() const noexcept { return gone_.load(std::memory_order_acquire); }
  /// Returns the server connection, readable when poll_server() has work.
  [[nodiscard]] int server_fd() const noexcept { return sock_.get(); }

private:
  attachment() = default;
  [[nodiscard]] expected<void> handshake(const attach_options& opt);
  void resync_admin();
  [[nodiscard]] expected<void> wait_reset_done(std::uint32_t before,
                                               std::chrono::milliseconds timeout);

  unique_fd sock_;
  std::mutex server_lock_; // one reader of sock_ at a time
  std::atomic<bool> gone_{false};
  std::uint32_t id_ = 0;
  unsigned vectors_ = 0;
  guarded_mapping bar2_;
  guarded_mapping host_;
  mutable std::mutex peers_lock_; // protects peers_
  std::map<std::uint32_t, std::vector<unique_fd>> peers_;

  std::mutex alloc_lock_;                       // protects free_
  std::map<std::uint64_t, std::uint64_t> free_; // offset -> bytes

  ring_view<ipipe_admin_cmd> sq_view_;
  ring_view<ipipe_admin_cqe> cq_view_;
  ring_producer<ipipe_admin_cmd> sq_;
  ring_consumer<ipipe_admin_cqe> cq_;
  std::uint16_t next_cmd_id_ = 1;
};

} // namespace ipipe::nic
