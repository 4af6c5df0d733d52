#pragma once

#include <ipipe/common/expected.hpp>
#include <ipipe/netlink/nl_ptr.hpp>
#include <ipipe/netlink/types.hpp>

#include <cstdint>
#include <optional>

struct nlmsghdr;

/// Building requests of the "ipipe" family and parsing its replies, with no
/// socket involved: everything here works on messages in memory.
namespace ipipe::netlink {

/// Returns a DEV_GET request: a do for `index`, a dump without it.
[[nodiscard]] expected<msg_ptr> build_dev_get(int family, std::optional<std::uint32_t> index,
                                              bool stats = false);
/// Returns a PARAMS_SET request carrying only the fields set in `p`.
[[nodiscard]] expected<msg_ptr> build_params_set(int family, std::uint32_t index,
                                                 const params_update& p);
/// Returns an ACTOR_GET dump request, filtered to `index` if given.
[[nodiscard]] expected<msg_ptr> build_actor_dump(int family, std::optional<std::uint32_t> index);
/// Returns an ACTOR_MIGRATE request moving `actor_id` to `to` (enum ipipe_location).
[[nodiscard]] expected<msg_ptr> build_actor_migrate(int family, std::uint32_t index,
                                                    std::uint32_t actor_id, std::uint32_t to);

/// Returns the genetlink command of a message of the family (0 if too short).
[[nodiscard]] std::uint8_t genl_cmd(const nlmsghdr* hdr) noexcept;

/// Returns the device of a DEV_GET reply.
[[nodiscard]] expected<dev_info> parse_dev(const nlmsghdr* hdr);
/// Returns the actor of an ACTOR_GET dump message.
[[nodiscard]] expected<actor_info> parse_actor(const nlmsghdr* hdr);
/// Returns the event of an EVENT notification.
[[nodiscard]] expected<event> parse_event(const nlmsghdr* hdr);
/// Returns the fields a PARAMS_SET request carries (the kernel's view).
[[nodiscard]] expected<params_update> parse_params_set(const nlmsghdr* hdr);
/// Returns (actor id, location) of an ACTOR_MIGRATE request.
struct migrate_request {
  std::uint32_t index = 0;
  std::uint32_t actor_id = 0;
  std::uint32_t to = 0;
};
[[nodiscard]] expected<migrate_request> parse_actor_migrate(const nlmsghdr* hdr);

} // namespace ipipe::netlink
