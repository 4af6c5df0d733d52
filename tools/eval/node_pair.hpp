#pragma once
// One ipipe node in this process: a NIC runtime and a host runtime joined
// by peer rings of ipiped's geometry, driven by the caller's thread. What
// leaves the node goes to a sink with the node's endpoint; answers to the
// operator are kept for call().

#include <ipipe/runtime/peer_channel.hpp>
#include <ipipe/runtime/runtime.hpp>

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

namespace ipipe::eval {

/// The operator's endpoint: configuration and audits come from here.
inline constexpr std::uint32_t operator_ep = 1;

class node_pair {
public:
  /// Receives a message leaving node `from`; hdr.client is its destination.
  using sink = std::function<void(std::uint32_t from, runtime::message&&)>;

  node_pair(std::uint32_t endpoint, sink out);
  node_pair(const node_pair&) = delete;
  node_pair& operator=(const node_pair&) = delete;

  /// Creates actor `id` of `type` on side `where` (known as remote on the
  /// other side); throws on failure.
  void create(ipipe_location where, const std::string& type, runtime::actor_id id,
              std::uint64_t quota);
  /// Sends `payload` to actor `id` from the operator, runs the node until
  /// it settles and returns the answer's payload; throws if none came.
  std::vector<std::byte> call(runtime::actor_id id, std::span<const std::byte> payload);
  /// Submits a request from `client` without running anything.
  void submit(runtime::actor_id id, std::uint32_t client, std::uint64_t req_id,
              std::span<const std::byte> payload);
  /// Delivers a message that arrived from the network.
  void deliver(runtime::message&& m) { nic.submit(std::move(m)); }
  /// Ticks both sides at `now_ns` (the actors' timers).
  void tick(std::uint64_t now_ns);
  /// One round of work on both sides; returns the units of work done.
  std::size_t run();
  /// Returns the runtime where actor `id` runs now.
  [[nodiscard]] runtime::runtime& where(runtime::actor_id id);
  /// Returns the node's endpoint.
  [[nodiscard]] std::uint32_t endpoint() const noexcept { return endpoint_; }

private:
  runtime::peer_rings rings_; // before the runtimes: they use it until destroyed

public:
  runtime::runtime nic;
  runtime::runtime host;

private:
  std::uint32_t endpoint_;
  std::uint64_t op_req_ = 0;
  std::vector<runtime::message> op_answers_;
};

/// Throws std::runtime_error naming `what` if `r` failed.
template <class T>
void check(const expected<T>& r, const std::string& what) {
  if (!r)
    throw std::runtime_error(what + ": " + r.err().message());
}

} // namespace ipipe::eval
