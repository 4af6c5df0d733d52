#include "render.hpp"

#include <linux/ipipe.h>

#include "units.hpp"
#include <algorithm>

namespace ipipe::ctl {

namespace {

using netlink::actor_info;
using netlink::dev_info;

void dev_head(output& out, std::uint32_t index) {
  out.field("dev", "{}", dev_name(index));
  out.json_field("index", index);
}

std::string fw_state_text(const dev_info& d) {
  return d.fw_state ? std::string{netlink::fw_state_name(*d.fw_state)} : std::string{"-"};
}

std::optional<std::string> fw_state_json(const dev_info& d) {
  if (!d.fw_state)
    return std::nullopt;
  return std::string{netlink::fw_state_name(*d.fw_state)};
}

// The fields an actor has in every view, after its device.
void actor_core(output& out, const actor_info& a) {
  out.field("id", " actor {}:", a.id);
  out.field("type", " {}", a.type);
  out.field("location", " {}", netlink::location_name(a.location));
  out.field("group", " {}", netlink::group_name(a.group));
  out.field("pinned", "{}", (a.flags & IPIPE_ACTOR_F_PINNED) != 0,
            (a.flags & IPIPE_ACTOR_F_PINNED) ? " pinned" : "");
  out.field("migrating", "{}", (a.flags & IPIPE_ACTOR_S_MIGRATING) != 0,
            (a.flags & IPIPE_ACTOR_S_MIGRATING) ? " migrating" : "");
  out.field("quarantined", "{}", (a.flags & IPIPE_ACTOR_S_QUARANTINED) != 0,
            (a.flags & IPIPE_ACTOR_S_QUARANTINED) ? " quarantined" : "");
}

// The NIC's counters, four to a line in text, as ip -s does.
void dev_stats(output& out, const dev_info& d) {
  out.open_object("stats");
  std::size_t n = 0;
  for (const auto& [name, value] : d.stats) {
    out.text(n++ % 4 == 0 ? "\n    " : " ");
    out.field(name, fmt::format("{} {{}}", name), value);
  }
  out.close_object();
}

void actor_latency(output& out, const actor_info& a) {
  out.field("requests", " requests {}", a.requests);
  out.field("migrations", " migrations {}", a.migrations);
  out.field("mean_ns", " mean {}", a.mean_ns, ns_text(a.mean_ns));
  out.field("tail_ns", " tail {}", a.tail_ns, ns_text(a.tail_ns));
}

void actor_stats(output& out, const actor_info& a) {
  out.field("mailbox_len", " mailbox {}", a.mailbox_len);
  out.field("mem_used", " mem {}", a.mem_used, bytes_text(a.mem_used));
  out.field("mem_quota", "/{}", a.mem_quota, bytes_text(a.mem_quota));
}

} // namespace

void render_status(output& out, const std::vector<dev_info>& devs,
                   const std::vector<actor_info>& actors, bool stats) {
  out.open_array("devices");
  for (const dev_info& d : devs) {
    std::uint64_t n = 0, on_host = 0, requests = 0;
    for (const actor_info& a : actors) {
      if (a.dev_index != d.index)
        continue;
      ++n;
      on_host += a.location == IPIPE_LOC_HOST;
      requests += a.requests;
    }
    out.open_object();
    out.field("dev", "{}:", dev_name(d.index));
    out.json_field("index", d.index);
    out.field("fw_name", " {}", d.fw_name);
    out.field("fw_version", " {}", fw_version_text(d.fw_version));
    out.field("fw_state", " {}", fw_state_json(d), fw_state_text(d));
    out.field("nic_cores", " cores {}", d.nic_cores);
    out.field("actors", " actors {}", n);
    if (stats) {
      out.field("actors_nic", " (nic {}", n - on_host);
      out.field("actors_host", " host {})", on_host);
      out.field("requests", " requests {}", requests);
    }
    out.text("\n");
    out.close_object();
  }
  out.close_array();
}

void render_devs(output& out, const std::vector<dev_info>& devs, bool stats) {
  out.open_array("devices");
  for (const dev_info& d : devs) {
    out.open_object();
    out.field("dev", "{}:", dev_name(d.index));
    out.json_field("index", d.index);
    out.field("bus", " bus {}", d.bus_name);
    out.field("fw_name", " fw {}", d.fw_name);
    out.field("fw_version", " {}", fw_version_text(d.fw_version));
    out.field("abi_version", " abi {}", abi_version_text(d.abi_version));
    out.field("fw_state", " state {}", fw_state_json(d), fw_state_text(d));
    out.field("nic_cores", " cores {}", d.nic_cores);
    out.field("nic_mem", " mem {}", d.nic_mem, bytes_text(d.nic_mem));
    if (stats) {
      out.field("fcfs_cores_now", " fcfs_now {}", d.params.fcfs_cores_now);
      out.field("drr_cores_now", " drr_now {}", d.params.drr_cores_now);
      dev_stats(out, d);
    }
    out.text("\n");
    out.close_object();
  }
  out.close_array();
}

void render_params(output& out, const std::vector<dev_info>& devs) {
  out.open_array("params");
  for (const dev_info& d : devs) {
    const netlink::sched_params& p = d.params;
    out.open_object();
    out.field("dev", "{}:", dev_name(d.index));
    out.json_field("index", d.index);
    // The text keys are the ones `params set` takes.
    out.field("tail_thresh_ns", " tail_thresh_ns {}", p.tail_thresh_ns);
    out.field("mean_thresh_ns", " mean_thresh_ns {}", p.mean_thresh_ns);
    out.field("alpha_permille", " alpha_permille {}", p.alpha_permille);
    out.field("drr_quantum_ns", " drr_quantum_ns {}", p.drr_quantum_ns);
    out.field("fcfs_cores", " fcfs_cores {}", p.fcfs_cores);
    out.field("fcfs_cores_now", " (now fcfs {}", p.fcfs_cores_now);
    out.field("drr_cores_now", " drr {})", p.drr_cores_now);
    out.text("\n");
    out.close_object();
  }
  out.close_array();
}

void render_actor_list(output& out, const std::vector<actor_info>& actors, bool stats) {
  out.open_array("actors");
  for (const actor_info& a : actors) {
    out.open_object();
    dev_head(out, a.dev_index);
    actor_core(out, a);
    actor_latency(out, a);
    if (stats)
      actor_stats(out, a);
    out.text("\n");
    out.close_object();
  }
  out.close_array();
}

void render_actor_show(output& out, const actor_info& a, bool stats) {
  out.open_object("actor");
  dev_head(out, a.dev_index);
  actor_core(out, a);
  out.text("\n   ");
  actor_latency(out, a);
  // Percentiles of the execution time; null where nothing was measured.
  out.field("p50_ns", " p50 {}", a.p50_ns, a.p50_ns ? ns_text(*a.p50_ns) : "-");
  out.field("p99_ns", " p99 {}", a.p99_ns, a.p99_ns ? ns_text(*a.p99_ns) : "-");
  if (stats) {
    out.text("\n   ");
    actor_stats(out, a);
  }
  out.text("\n");
  out.close_object();
}

void render_migrate(output& out, std::uint32_t dev, std::uint32_t id, std::uint32_t to) {
  out.open_object("migrate");
  out.json_field("dev", dev_name(dev));
  out.json_field("index", dev);
  out.json_field("id", id);
  out.json_field("to", netlink::location_name(to));
  out.close_object();
}

void render_event(output& out, const netlink::event& ev) {
  out.field("dev", "{}", ev.dev_name.empty() ? dev_name(ev.dev_index) : ev.dev_name);
  out.json_field("index", ev.dev_index);
  out.field("event", " {}", netlink::event_name(ev.type));
  out.json_field("type", ev.type);
  out.field("actor", " actor {}", ev.actor_id);
  switch (ev.type) {
  case IPIPE_EV_ACTOR_MIGRATED:
    out.text(" to " + std::string{netlink::location_name(static_cast<std::uint32_t>(ev.arg0))} +
             " in " + ns_text(ev.arg1));
    break;
  case IPIPE_EV_ACTOR_DOWNGRADED:
  case IPIPE_EV_ACTOR_UPGRADED:
    out.text(" tail " + ns_text(ev.arg0));
    break;
  case IPIPE_EV_ACTOR_KILLED:
    out.text(" overrun " + ns_text(ev.arg0));
    break;
  case IPIPE_EV_FW_ERROR:
    out.text(" status " + std::to_string(ev.arg0));
    break;
  case IPIPE_EV_MIGRATE_REQUEST:
    out.text(" to " + std::string{netlink::location_name(static_cast<std::uint32_t>(ev.arg0))});
    break;
  default:
    break;
  }
  out.field("ts_ns", " ts {}", ev.ts_ns);
  out.json_field("arg0", ev.arg0);
  out.json_field("arg1", ev.arg1);
  out.text("\n");
}

void render_top(output& out, double interval_s, std::vector<top_row> rows, bool stats) {
  std::stable_sort(rows.begin(), rows.end(), [](const top_row& a, const top_row& b) {
    return a.rate_rps.value_or(-1) > b.rate_rps.value_or(-1);
  });
  out.json_field("interval_s", interval_s);
  out.text(fmt::format("ipipectl top: {} actors, every {}s\n", rows.size(), interval_s));
  out.text(fmt::format("{:<8} {:>6} {:<12} {:<5} {:<5} {:>10} {:>9} {:>9} {:>6}{}\n", "DEV", "ID",
                       "TYPE", "LOC", "GROUP", "REQ/S", "MEAN", "TAIL", "MIGR",
                       stats ? fmt::format(" {:>7} {:>15}", "MAILBOX", "MEM") : ""));
  out.open_array("actors");
  for (const top_row& r : rows) {
    const actor_info& a = r.actor;
    out.open_object();
    out.field("dev", "{:<8}", dev_name(a.dev_index));
    out.json_field("index", a.dev_index);
    out.field("id", " {:>6}", a.id);
    out.field("type", " {:<12}", a.type);
    out.field("location", " {:<5}", netlink::location_name(a.location));
    out.field("group", " {:<5}", netlink::group_name(a.group));
    out.field("rate_rps", " {:>10}", r.rate_rps,
              r.rate_rps ? fmt::format("{:.1f}", *r.rate_rps) : std::string{"-"});
    out.field("requests", "", a.requests, "");
    out.field("mean_ns", " {:>9}", a.mean_ns, ns_text(a.mean_ns));
    out.field("tail_ns", " {:>9}", a.tail_ns, ns_text(a.tail_ns));
    out.field("migrations", " {:>6}", a.migrations);
    if (stats) {
      out.field("mailbox_len", " {:>7}", a.mailbox_len);
      out.field("mem_used", " {:>15}", a.mem_used,
                bytes_text(a.mem_used) + "/" + bytes_text(a.mem_quota));
      out.json_field("mem_quota", a.mem_quota);
    }
    out.text("\n");
    out.close_object();
  }
  out.close_array();
}

} // namespace ipipe::ctl
