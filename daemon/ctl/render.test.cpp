#include "render.hpp"

#include <linux/ipipe.h>

#include <gtest/gtest.h>

#include "output.hpp"
#include "units.hpp"
#include <nlohmann/json.hpp>

namespace ipipe::ctl {
namespace {

using nlohmann::json;

netlink::dev_info dev0() {
  netlink::dev_info d;
  d.index = 0;
  d.name = "ipipe0";
  d.bus_name = "0000:00:03.0";
  d.fw_name = "ipipe-nic";
  d.fw_version = 0x000100;
  d.abi_version = 0x10000;
  d.fw_state = IPIPE_FW_STATE_READY;
  d.nic_cores = 4;
  d.nic_mem = 64ull << 20;
  d.params = {50000, 20000, 200, 10000, 0, 3, 1};
  return d;
}

netlink::actor_info actor(std::uint32_t id, std::uint32_t loc, std::uint64_t requests) {
  netlink::actor_info a;
  a.id = id;
  a.type = "echo";
  a.location = loc;
  a.group = IPIPE_GROUP_FCFS;
  a.flags = id == 2 ? IPIPE_ACTOR_F_PINNED : 0;
  a.requests = requests;
  a.migrations = 1;
  a.mean_ns = 1500;
  a.tail_ns = 9000;
  a.mailbox_len = 3;
  a.mem_used = 4096;
  a.mem_quota = 1 << 20;
  return a;
}

template <class F>
std::string text_of(F&& f) {
  output out{false};
  f(out);
  return out.str();
}

template <class F>
json json_of(F&& f) {
  output out{true};
  f(out);
  return json::parse(out.str());
}

TEST(ipipectl_render, units_read_like_people_write_them) {
  EXPECT_EQ("850ns", ns_text(850));
  EXPECT_EQ("1.5us", ns_text(1500));
  EXPECT_EQ("4.56ms", ns_text(4560000));
  EXPECT_EQ("1.20s", ns_text(1200000000));
  EXPECT_EQ("512", bytes_text(512));
  EXPECT_EQ("4K", bytes_text(4096));
  EXPECT_EQ("1.5M", bytes_text(3 << 19));
  EXPECT_EQ("64M", bytes_text(64 << 20));
  EXPECT_EQ("1.2.3", fw_version_text(0x010203));
  EXPECT_EQ("1.0", abi_version_text(0x10000));
}

TEST(ipipectl_render, status_counts_the_actors_of_each_device) {
  const std::vector devs{dev0()};
  const std::vector actors{actor(1, IPIPE_LOC_NIC, 10), actor(2, IPIPE_LOC_HOST, 5)};
  EXPECT_EQ("ipipe0: ipipe-nic 0.1.0 ready cores 4 actors 2\n",
            text_of([&](output& o) { render_status(o, devs, actors, false); }));
  EXPECT_EQ("ipipe0: ipipe-nic 0.1.0 ready cores 4 actors 2 (nic 1 host 1) requests 15\n",
            text_of([&](output& o) { render_status(o, devs, actors, true); }));
  const json j = json_of([&](output& o) { render_status(o, devs, actors, false); });
  EXPECT_EQ(json::parse(R"({"devices":[{"dev":"ipipe0","index":0,"fw_name":"ipipe-nic",
    "fw_version":"0.1.0","fw_state":"ready","nic_cores":4,"actors":2}]})"),
            j);
  const json s = json_of([&](output& o) { render_status(o, devs, actors, true); });
  EXPECT_EQ(1, s["devices"][0]["actors_host"]);
  EXPECT_EQ(15, s["devices"][0]["requests"]);
}

TEST(ipipectl_render, an_unknown_firmware_state_is_null_and_a_dash) {
  auto d = dev0();
  d.fw_state.reset();
  EXPECT_TRUE(
      json_of([&](output& o) { render_devs(o, {d}, false); })["devices"][0]["fw_state"].is_null());
  EXPECT_NE(std::string::npos,
            text_of([&](output& o) { render_devs(o, {d}, false); }).find("state -"));
}

TEST(ipipectl_render, dev_show_has_identity_and_with_stats_the_core_split) {
  EXPECT_EQ("ipipe0: bus 0000:00:03.0 fw ipipe-nic 0.1.0 abi 1.0 state ready cores 4 mem 64M\n",
            text_of([&](output& o) { render_devs(o, {dev0()}, false); }));
  const json j = json_of([&](output& o) { render_devs(o, {dev0()}, true); });
  EXPECT_EQ(json::parse(R"({"devices":[{"dev":"ipipe0","index":0,"bus":"0000:00:03.0",
    "fw_name":"ipipe-nic","fw_version":"0.1.0","abi_version":"1.0","fw_state":"ready",
    "nic_cores":4,"nic_mem":67108864,"fcfs_cores_now":3,"drr_cores_now":1,"stats":{}}]})"),
            j);
}

TEST(ipipectl_render, dev_show_with_stats_lists_the_nics_counters_four_to_a_line) {
  auto d = dev0();
  d.stats = {{"admin_cmds", 12},
             {"dma_cmds", 3},
             {"dma_bytes", 4096},
             {"doorbells", 7},
             {"actors_recovered", 1}};
  EXPECT_EQ("ipipe0: bus 0000:00:03.0 fw ipipe-nic 0.1.0 abi 1.0 state ready cores 4 mem 64M "
            "fcfs_now 3 drr_now 1\n"
            "    admin_cmds 12 dma_cmds 3 dma_bytes 4096 doorbells 7\n"
            "    actors_recovered 1\n",
            text_of([&](output& o) { render_devs(o, {d}, true); }));
  const json j = json_of([&](output& o) { render_devs(o, {d}, true); });
  EXPECT_EQ(json::parse(R"({"admin_cmds":12,"dma_cmds":3,"dma_bytes":4096,"doorbells":7,
    "actors_recovered":1})"),
            j["devices"][0]["stats"]);
}

TEST(ipipectl_render, params_show_uses_the_keys_params_set_takes) {
  EXPECT_EQ("ipipe0: tail_thresh_ns 50000 mean_thresh_ns 20000 alpha_permille 200 "
            "drr_quantum_ns 10000 fcfs_cores 0 (now fcfs 3 drr 1)\n",
            text_of([&](output& o) { render_params(o, {dev0()}); }));
  EXPECT_EQ(json::parse(R"({"params":[{"dev":"ipipe0","index":0,"tail_thresh_ns":50000,
    "mean_thresh_ns":20000,"alpha_permille":200,"drr_quantum_ns":10000,"fcfs_cores":0,
    "fcfs_cores_now":3,"drr_cores_now":1}]})"),
            json_of([&](output& o) { render_params(o, {dev0()}); }));
}

TEST(ipipectl_render, an_actor_list_is_one_line_per_actor) {
  const std::vector actors{actor(1, IPIPE_LOC_NIC, 10), actor(2, IPIPE_LOC_HOST, 5)};
  EXPECT_EQ("ipipe0 actor 1: echo nic fcfs requests 10 migrations 1 mean 1.5us tail 9.0us\n"
            "ipipe0 actor 2: echo host fcfs pinned requests 5 migrations 1 mean 1.5us tail "
            "9.0us\n",
            text_of([&](output& o) { render_actor_list(o, actors, false); }));
  EXPECT_EQ("ipipe0 actor 1: echo nic fcfs requests 10 migrations 1 mean 1.5us tail 9.0us "
            "mailbox 3 mem 4K/1M\n",
            text_of([&](output& o) { render_actor_list(o, {actors[0]}, true); }));
  const json j = json_of([&](output& o) { render_actor_list(o, actors, false); });
  ASSERT_EQ(2u, j["actors"].size());
  EXPECT_EQ(json::parse(R"({"dev":"ipipe0","index":0,"id":2,"type":"echo","location":"host",
    "group":"fcfs","pinned":true,"migrating":false,"quarantined":false,"requests":5,
    "migrations":1,"mean_ns":1500,"tail_ns":9000})"),
            j["actors"][1]);
  EXPECT_TRUE(json_of([&](output& o) { render_actor_list(o, {}, false); })["actors"].empty());
}

TEST(ipipectl_render, actor_show_has_the_percentiles_the_firmware_measured) {
  auto a = actor(1, IPIPE_LOC_NIC, 10);
  a.p50_ns = 1200;
  a.p99_ns = 8000;
  EXPECT_EQ("ipipe0 actor 1: echo nic fcfs\n    requests 10 migrations 1 mean 1.5us tail 9.0us "
            "p50 1.2us p99 8.0us\n",
            text_of([&](output& o) { render_actor_show(o, a, false); }));
  const json j = json_of([&](output& o) { render_actor_show(o, a, false); });
  EXPECT_EQ(1200, j["actor"]["p50_ns"]);
  EXPECT_EQ(8000, j["actor"]["p99_ns"]);
}

TEST(ipipectl_render, actor_show_has_percentiles_as_unknown_when_nothing_was_measured) {
  const auto a = actor(1, IPIPE_LOC_NIC, 10);
  EXPECT_EQ("ipipe0 actor 1: echo nic fcfs\n    requests 10 migrations 1 mean 1.5us tail 9.0us "
            "p50 - p99 -\n",
            text_of([&](output& o) { render_actor_show(o, a, false); }));
  const json j = json_of([&](output& o) { render_actor_show(o, a, true); });
  EXPECT_TRUE(j["actor"]["p50_ns"].is_null());
  EXPECT_TRUE(j["actor"]["p99_ns"].is_null());
  EXPECT_EQ(1048576, j["actor"]["mem_quota"]);
  EXPECT_EQ(3, j["actor"]["mailbox_len"]);
}

TEST(ipipectl_render, migrate_answers_only_in_json) {
  EXPECT_EQ("", text_of([](output& o) { render_migrate(o, 0, 5, IPIPE_LOC_HOST); }));
  EXPECT_EQ(json::parse(R"({"migrate":{"dev":"ipipe0","index":0,"id":5,"to":"host"}})"),
            json_of([](output& o) { render_migrate(o, 0, 5, IPIPE_LOC_HOST); }));
}

TEST(ipipectl_render, an_event_is_one_line) {
  const netlink::event ev{1, "ipipe1", IPIPE_EV_ACTOR_MIGRATED, 5, 123, IPIPE_LOC_HOST, 12300};
  EXPECT_EQ("ipipe1 actor-migrated actor 5 to host in 12.3us ts 123\n",
            text_of([&](output& o) { render_event(o, ev); }));
  output out{true};
  render_event(out, ev);
  const std::string line = out.str();
  EXPECT_EQ(1, std::count(line.begin(), line.end(), '\n'));
  EXPECT_EQ(json::parse(R"({"dev":"ipipe1","index":1,"event":"actor-migrated","type":1,
    "actor":5,"ts_ns":123,"arg0":1,"arg1":12300})"),
            json::parse(line));
}

TEST(ipipectl_render, top_puts_the_busiest_first) {
  std::vector<top_row> rows{{actor(1, IPIPE_LOC_NIC, 10), 5.0},
                            {actor(2, IPIPE_LOC_HOST, 5), std::nullopt},
                            {actor(3, IPIPE_LOC_NIC, 50), 50.0}};
  const json j = json_of([&](output& o) { render_top(o, 0.5, rows, false); });
  EXPECT_EQ(0.5, j["interval_s"]);
  ASSERT_EQ(3u, j["actors"].size());
  EXPECT_EQ(3, j["actors"][0]["id"]);
  EXPECT_EQ(50.0, j["actors"][0]["rate_rps"]);
  EXPECT_TRUE(j["actors"][2]["rate_rps"].is_null());
  const std::string t = text_of([&](output& o) { render_top(o, 0.5, rows, false); });
  EXPECT_EQ(0u, t.find("ipipectl top: 3 actors, every 0.5s\nDEV"));
  EXPECT_LT(t.find("  50.0 "), t.find("   5.0 "));
}

TEST(ipipectl_render, pretty_json_is_indented) {
  output out{true, true};
  render_params(out, {dev0()});
  EXPECT_NE(std::string::npos, out.str().find("\n  \"params\""));
}

} // namespace
} // namespace ipipe::ctl
