#pragma once

#include <ipipe/nic/actor_dispatch.hpp>
#include <ipipe/node/nic_node.hpp>
#include <ipipe/runtime/event_sink.hpp>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ipipe::fw {

/// Counters of the runtime dispatcher.
struct dispatch_stats {
  std::uint64_t delivered = 0; ///< messages handed to the runtime
  std::uint64_t refused = 0;   ///< messages of a kind clients may not send
};

/// The firmware's dispatcher when the NIC runs the actor runtime: every
/// request goes to a node::nic_node (the runtime under the hybrid
/// scheduler), actors have state in DMOs, and the host runtime (ipiped)
/// joins through the ring context it creates with
/// IPIPE_RING_CREATE_F_RUNTIME. Migrations move state over that context,
/// whether the admin queue, an operator or the scheduler's policy asks.
///
/// Answers leave through dispatch_host::outbound(), which finds the ring
/// context or wire endpoint in hdr.client.
class runtime_dispatch final : public nic::actor_dispatch, private runtime::event_sink {
public:
  /// A dispatcher over a node built from `cfg` (its `events` and
  /// `on_migration_done` are installed by the dispatcher).
  explicit runtime_dispatch(node::node_config cfg);
  ~runtime_dispatch() override;
  runtime_dispatch(const runtime_dispatch&) = delete;
  runtime_dispatch& operator=(const runtime_dispatch&) = delete;

  bool has_type(std::string_view name) const override;
  std::vector<std::string> types() const override;
  void deliver(const ipipe_msg_hdr& hdr, std::span<const std::byte> payload,
               nic::message_sink& out) override;

  void bind(nic::dispatch_host& host) override { host_ = &host; }
  void start() override;
  void stop() override;
  ipipe_status actor_created(const ipipe_admin_cmd& cmd, std::uint32_t id) override;
  void actor_destroyed(std::uint32_t id) override;
  [[nodiscard]] bool moves_state() const noexcept override { return true; }
  ipipe_status migrate(std::uint32_t id, ipipe_location to) override;
  void params_changed(const ipipe_params& p) override;
  ipipe_status host_runtime(const std::optional<nic::host_runtime_rings>& rings) override;
  void reset() override;
  void refine(ipipe_actor_info& info) const override;
  void refine(ipipe_fw_stats& stats) const override;
  void doorbell() override { node_.wake(); }

  /// Returns the node (tests and statistics).
  [[nodiscard]] node::nic_node& node() noexcept { return node_; }
  /// Returns the counters.
  [[nodiscard]] dispatch_stats stats() const noexcept;

private:
  void raise(const ipipe_event& ev) noexcept override;
  void migration_done(runtime::actor_id id, bool push, bool ok);

  nic::dispatch_host* host_ = nullptr;
  node::nic_node node_;
  std::mutex life_; // start/stop/attach
  bool started_ = false;
  std::atomic<std::uint64_t> delivered_{0}, refused_{0};
};

} // namespace ipipe::fw
