#pragma once

#include <ipipe/nic/actor_dispatch.hpp>
#include <ipipe/nic/actor_table.hpp>

namespace ipipe::nic {

/// The firmware's own dispatcher, used until the actor runtime plugs in:
/// routes requests through the actor table to built-in stateless actor
/// types. Registered types:
///   - "echo": replies IPIPE_MSG_REPLY with the same req_id and payload.
class builtin_dispatch final : public actor_dispatch {
public:
  /// Routes by `actors`, which must outlive this object.
  explicit builtin_dispatch(actor_table& actors) noexcept : actors_(actors) {}

  bool has_type(std::string_view name) const override;
  std::vector<std::string> types() const override;
  void deliver(const ipipe_msg_hdr& hdr, std::span<const std::byte> payload,
               message_sink& out) override;

private:
  actor_table& actors_;
};

} // namespace ipipe::nic
