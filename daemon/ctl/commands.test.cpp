#include "commands.hpp"

#include <ipipe/netlink/nl_error.hpp>

#include <linux/ipipe.h>

#include <gtest/gtest.h>

#include "follow.hpp"
#include <cerrno>
#include <nlohmann/json.hpp>

namespace ipipe::ctl {
namespace {

using nlohmann::json;

// A NIC table in memory, and the calls made to it.
class fake_control final : public control {
public:
  std::vector<netlink::dev_info> devs;
  std::vector<netlink::actor_info> actors;
  std::optional<error> fail;
  std::vector<std::string> calls;

  expected<netlink::dev_info> dev_get(std::uint32_t index, bool stats) override {
    calls.push_back("dev_get " + std::to_string(index) + (stats ? " -s" : ""));
    if (fail)
      return *fail;
    for (auto& d : devs)
      if (d.index == index)
        return d;
    return netlink::kernel_error(ENODEV, "dev_index: no such ipipe device");
  }
  expected<std::vector<netlink::dev_info>> dev_dump(bool stats) override {
    calls.push_back(stats ? "dev_dump -s" : "dev_dump");
    if (fail)
      return *fail;
    return devs;
  }
  expected<void> params_set(std::uint32_t index, const netlink::params_update& p) override {
    calls.push_back("params_set " + std::to_string(index));
    if (fail)
      return *fail;
    for (auto& d : devs) {
      if (d.index == index && p.mean_thresh_ns)
        d.params.mean_thresh_ns = *p.mean_thresh_ns;
    }
    return {};
  }
  expected<std::vector<netlink::actor_info>>
  actor_dump(std::optional<std::uint32_t> index) override {
    calls.push_back(index ? "actor_dump " + std::to_string(*index) : "actor_dump");
    if (fail)
      return *fail;
    std::vector<netlink::actor_info> out;
    for (auto& a : actors) {
      a.requests += 100; // every dump sees 100 more requests
      if (!index || a.dev_index == *index)
        out.push_back(a);
    }
    return out;
  }
  expected<void> actor_migrate(std::uint32_t index, std::uint32_t id, std::uint32_t to) override {
    calls.push_back("actor_migrate " + std::to_string(index) + " " + std::to_string(id) + " " +
                    std::to_string(to));
    if (fail)
      return *fail;
    return {};
  }
};

fake_control nic() {
  fake_control f;
  netlink::dev_info d;
  d.index = 0;
  d.fw_name = "ipipe-nic";
  d.fw_state = IPIPE_FW_STATE_READY;
  d.nic_cores = 4;
  d.params.mean_thresh_ns = 20000;
  f.devs.push_back(d);
  netlink::actor_info a;
  a.id = 5;
  a.type = "echo";
  f.actors.push_back(a);
  return f;
}

invocation inv(command c, bool as_json = true) {
  invocation i;
  i.cmd = c;
  i.json = as_json;
  return i;
}

TEST(ipipectl_commands, params_set_sends_then_reads_back_in_json) {
  fake_control f = nic();
  invocation i = inv(command::params_set);
  i.params.mean_thresh_ns = 33000;
  auto r = run_command(i, f);
  ASSERT_TRUE(r);
  EXPECT_EQ((std::vector<std::string>{"params_set 0", "dev_get 0"}), f.calls);
  EXPECT_EQ(33000, json::parse(*r)["params"][0]["mean_thresh_ns"]);
  i.json = false;
  auto quiet = run_command(i, f);
  ASSERT_TRUE(quiet);
  EXPECT_EQ("", *quiet);
}

TEST(ipipectl_commands, a_kernel_rejection_prints_the_extack_text) {
  fake_control f = nic();
  f.fail = netlink::kernel_error(ERANGE, "tail_thresh_ns: integer out of range");
  invocation i = inv(command::params_set);
  i.params.tail_thresh_ns = 5;
  auto r = run_command(i, f);
  ASSERT_FALSE(r);
  EXPECT_EQ("ipipectl: params set: tail_thresh_ns: integer out of range (Numerical result out "
            "of range)\n",
            error_line(i, r.err()));
}

TEST(ipipectl_commands, an_absent_family_says_to_load_the_module) {
  EXPECT_EQ("ipipectl: status: ipipe generic netlink family not found: is ipipe.ko loaded?\n",
            error_line(inv(command::status), netlink::family_missing()));
}

TEST(ipipectl_commands, show_commands_take_one_device_or_all) {
  fake_control f = nic();
  invocation i = inv(command::params_show);
  ASSERT_TRUE(run_command(i, f));
  i.dev = 0;
  ASSERT_TRUE(run_command(i, f));
  i.dev = 3;
  auto missing = run_command(i, f);
  ASSERT_FALSE(missing);
  EXPECT_EQ(ENODEV, missing.err().sys_errno());
  EXPECT_EQ((std::vector<std::string>{"dev_dump", "dev_get 0", "dev_get 3"}), f.calls);
}

TEST(ipipectl_commands, dev_show_asks_the_kernel_for_statistics_only_with_s) {
  fake_control f = nic();
  invocation i = inv(command::dev_show);
  ASSERT_TRUE(run_command(i, f));
  i.stats = true;
  ASSERT_TRUE(run_command(i, f));
  i.dev = 0;
  ASSERT_TRUE(run_command(i, f));
  EXPECT_EQ((std::vector<std::string>{"dev_dump", "dev_dump -s", "dev_get 0 -s"}), f.calls);
}

TEST(ipipectl_commands, status_json_parses) {
  fake_control f = nic();
  auto r = run_command(inv(command::status), f);
  ASSERT_TRUE(r);
  const json j = json::parse(*r);
  EXPECT_EQ("ready", j["devices"][0]["fw_state"]);
  EXPECT_EQ(1, j["devices"][0]["actors"]);
}

TEST(ipipectl_commands, actor_show_finds_the_id_or_says_it_is_not_there) {
  fake_control f = nic();
  invocation i = inv(command::actor_show);
  i.actor_id = 5;
  auto r = run_command(i, f);
  ASSERT_TRUE(r);
  EXPECT_EQ(5, json::parse(*r)["actor"]["id"]);
  i.actor_id = 6;
  i.dev = 0;
  auto none = run_command(i, f);
  ASSERT_FALSE(none);
  EXPECT_EQ("ipipectl: actor show: actor 6 not found on ipipe0\n", error_line(i, none.err()));
}

TEST(ipipectl_commands, actor_migrate_defaults_to_ipipe0) {
  fake_control f = nic();
  invocation i = inv(command::actor_migrate);
  i.actor_id = 5;
  i.to = IPIPE_LOC_HOST;
  auto r = run_command(i, f);
  ASSERT_TRUE(r);
  EXPECT_EQ("host", json::parse(*r)["migrate"]["to"]);
  EXPECT_EQ(std::vector<std::string>{"actor_migrate 0 5 1"}, f.calls);
}

TEST(ipipectl_commands, top_emits_the_frames_asked_for_with_rates) {
  fake_control f = nic();
  invocation i = inv(command::top);
  i.interval_s = 0.01;
  i.count = 3;
  std::vector<std::string> frames;
  std::atomic<bool> stop{false};
  auto r = run_top(
      i, f, [&](std::string_view s) { frames.emplace_back(s); }, stop, false);
  ASSERT_TRUE(r);
  ASSERT_EQ(3u, frames.size());
  for (const std::string& s : frames) {
    const json j = json::parse(s);
    ASSERT_EQ(1u, j["actors"].size());
    EXPECT_GT(j["actors"][0]["rate_rps"].get<double>(), 0.0);
  }
  EXPECT_EQ(4u, f.calls.size()); // one sample before the first frame
}

TEST(ipipectl_commands, top_stops_when_asked) {
  fake_control f = nic();
  invocation i = inv(command::top);
  i.interval_s = 0.01;
  std::atomic<bool> stop{true};
  int frames = 0;
  ASSERT_TRUE(run_top(
      i, f, [&](std::string_view) { ++frames; }, stop, false));
  EXPECT_EQ(0, frames);
}

} // namespace
} // namespace ipipe::ctl
