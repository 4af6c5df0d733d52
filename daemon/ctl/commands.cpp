#include "commands.hpp"

#include <ipipe/netlink/nl_error.hpp>

#include <fmt/format.h>

#include "output.hpp"
#include "render.hpp"
#include "units.hpp"

namespace ipipe::ctl {

namespace {

using netlink::actor_info;
using netlink::dev_info;

// The device the command names, or every device; their statistics too
// with `stats`.
expected<std::vector<dev_info>> devices(const invocation& inv, control& ctl, bool stats) {
  if (!inv.dev)
    return ctl.dev_dump(stats);
  auto d = ctl.dev_get(*inv.dev, stats);
  if (!d)
    return d.err();
  return std::vector<dev_info>{std::move(*d)};
}

expected<void> show_actor(const invocation& inv, control& ctl, output& out) {
  auto actors = ctl.actor_dump(inv.dev);
  if (!actors)
    return actors.err();
  for (const actor_info& a : *actors) {
    if (a.id == inv.actor_id) {
      render_actor_show(out, a, inv.stats);
      return {};
    }
  }
  return error{errc::not_found,
               inv.dev ? fmt::format("actor {} not found on {}", inv.actor_id, dev_name(*inv.dev))
                       : fmt::format("actor {} not found", inv.actor_id)};
}

} // namespace

expected<std::string> run_command(const invocation& inv, control& ctl) {
  output out{inv.json, inv.pretty};
  switch (inv.cmd) {
  case command::status: {
    auto devs = ctl.dev_dump(false);
    if (!devs)
      return devs.err();
    auto actors = ctl.actor_dump(std::nullopt);
    if (!actors)
      return actors.err();
    render_status(out, *devs, *actors, inv.stats);
    break;
  }
  case command::dev_show: {
    auto devs = devices(inv, ctl, inv.stats);
    if (!devs)
      return devs.err();
    render_devs(out, *devs, inv.stats);
    break;
  }
  case command::params_show: {
    auto devs = devices(inv, ctl, false);
    if (!devs)
      return devs.err();
    render_params(out, *devs);
    break;
  }
  case command::params_set: {
    const std::uint32_t index = inv.dev.value_or(0);
    if (auto r = ctl.params_set(index, inv.params); !r)
      return r.err();
    if (!inv.json)
      return std::string{};
    // -j answers with what the firmware now holds.
    auto d = ctl.dev_get(index, false);
    if (!d)
      return d.err();
    render_params(out, {*d});
    break;
  }
  case command::actor_list: {
    auto actors = ctl.actor_dump(inv.dev);
    if (!actors)
      return actors.err();
    render_actor_list(out, *actors, inv.stats);
    break;
  }
  case command::actor_show:
    if (auto r = show_actor(inv, ctl, out); !r)
      return r.err();
    break;
  case command::actor_migrate: {
    const std::uint32_t index = inv.dev.value_or(0);
    if (auto r = ctl.actor_migrate(index, inv.actor_id, inv.to); !r)
      return r.err();
    render_migrate(out, index, inv.actor_id, inv.to);
    break;
  }
  case command::events:
  case command::top:
    return error{errc::not_supported, "not a request-reply command"};
  }
  return out.str();
}

std::string error_line(const invocation& inv, const error& e) {
  return fmt::format("ipipectl: {}: {}\n", command_name(inv.cmd), netlink::describe(e));
}

} // namespace ipipe::ctl
