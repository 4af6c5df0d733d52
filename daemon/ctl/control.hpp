#pragma once

#include <ipipe/common/expected.hpp>
#include <ipipe/netlink/types.hpp>

#include <cstdint>
#include <optional>
#include <vector>

namespace ipipe::ctl {

/// The requests ipipectl makes, as an interface: the netlink socket in the
/// program, a fixed table in the tests.
class control {
public:
  virtual ~control() = default;

  /// `stats`: with the device's statistics (IPIPE_A_STATS).
  [[nodiscard]] virtual expected<netlink::dev_info> dev_get(std::uint32_t index, bool stats) = 0;
  [[nodiscard]] virtual expected<std::vector<netlink::dev_info>> dev_dump(bool stats) = 0;
  [[nodiscard]] virtual expected<void> params_set(std::uint32_t index,
                                                  const netlink::params_update& p) = 0;
  [[nodiscard]] virtual expected<std::vector<netlink::actor_info>>
  actor_dump(std::optional<std::uint32_t> index) = 0;
  [[nodiscard]] virtual expected<void> actor_migrate(std::uint32_t index, std::uint32_t actor_id,
                                                     std::uint32_t to) = 0;
};

} // namespace ipipe::ctl
