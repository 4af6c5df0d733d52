#pragma once

#include <ipipe/netlink/types.hpp>

#include "output.hpp"
#include <optional>
#include <vector>

/// Rendering of the family's structs onto an output, one function per view.
/// The JSON shapes are an interface (scripts, the daemon's tests, jq):
/// Documentation/man/ipipectl.8 lists them; add keys, never rename.
namespace ipipe::ctl {

/// `status`: {"devices":[{dev, index, fw_name, fw_version, fw_state,
/// nic_cores, actors}]}; -s adds actors_nic, actors_host, requests.
void render_status(output& out, const std::vector<netlink::dev_info>& devs,
                   const std::vector<netlink::actor_info>& actors, bool stats);

/// `dev show`: {"devices":[{dev, index, bus, fw_name, fw_version,
/// abi_version, fw_state, nic_cores, nic_mem}]}; -s adds fcfs_cores_now,
/// drr_cores_now.
void render_devs(output& out, const std::vector<netlink::dev_info>& devs, bool stats);

/// `params show`: {"params":[{dev, index, tail_thresh_ns, mean_thresh_ns,
/// alpha_permille, drr_quantum_ns, fcfs_cores, fcfs_cores_now, drr_cores_now}]}.
void render_params(output& out, const std::vector<netlink::dev_info>& devs);

/// `actor list`: {"actors":[ACTOR...]}, ACTOR as in render_actor().
void render_actor_list(output& out, const std::vector<netlink::actor_info>& actors, bool stats);

/// `actor show`: {"actor":ACTOR}: {dev, index, id, type, location, group,
/// pinned, migrating, quarantined, requests, migrations, mean_ns, tail_ns,
/// p50_ns, p99_ns}, the percentiles null until the firmware reports them;
/// -s adds mailbox_len, mem_used, mem_quota.
void render_actor_show(output& out, const netlink::actor_info& a, bool stats);

/// `actor migrate` (JSON only): {"migrate":{dev, index, id, to}}.
void render_migrate(output& out, std::uint32_t dev, std::uint32_t id, std::uint32_t to);

/// One `events` line: {dev, index, event, type, actor, ts_ns, arg0, arg1}.
void render_event(output& out, const netlink::event& ev);

/// One actor with its request rate, for `top`.
struct top_row {
  netlink::actor_info actor;
  std::optional<double> rate_rps; ///< requests per second over the last interval
};

/// One `top` frame: {"interval_s":S,"actors":[ACTOR + rate_rps]} with the
/// busiest actors first.
void render_top(output& out, double interval_s, std::vector<top_row> rows, bool stats);

} // namespace ipipe::ctl
