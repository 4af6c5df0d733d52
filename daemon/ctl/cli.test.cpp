#include "cli.hpp"

#include <linux/ipipe.h>

#include <gtest/gtest.h>

#include "args.hpp"

namespace ipipe::ctl {
namespace {

cli_result parse(std::vector<std::string> args) {
  return parse_command_line(args);
}

invocation ok(std::vector<std::string> args) {
  cli_result r = parse(args);
  EXPECT_TRUE(r.inv) << r.err;
  return r.inv.value_or(invocation{});
}

// Returns the usage message, checking the exit status is 2.
std::string usage_of(std::vector<std::string> args) {
  cli_result r = parse(args);
  EXPECT_FALSE(r.inv);
  EXPECT_EQ(exit_usage, r.status);
  return r.err;
}

TEST(ipipectl_cli, global_options_come_before_the_object) {
  invocation i = ok({"-j", "-p", "-s", "-d", "ipipe2", "status"});
  EXPECT_TRUE(i.json);
  EXPECT_TRUE(i.pretty);
  EXPECT_TRUE(i.stats);
  EXPECT_EQ(std::optional<std::uint32_t>{2}, i.dev);
  EXPECT_EQ(command::status, i.cmd);
  EXPECT_TRUE(ok({"--json", "status"}).json);
}

TEST(ipipectl_cli, an_object_alone_means_show) {
  EXPECT_EQ(command::dev_show, ok({"dev"}).cmd);
  EXPECT_EQ(command::params_show, ok({"params"}).cmd);
  EXPECT_EQ(command::actor_list, ok({"actor"}).cmd);
  EXPECT_EQ(command::dev_show, ok({"dev", "list"}).cmd);
  EXPECT_EQ(command::params_show, ok({"params", "get"}).cmd);
}

TEST(ipipectl_cli, a_device_is_named_in_three_ways) {
  EXPECT_EQ(std::optional<std::uint32_t>{3}, ok({"dev", "show", "ipipe3"}).dev);
  EXPECT_EQ(std::optional<std::uint32_t>{3}, ok({"dev", "show", "/dev/ipipe3"}).dev);
  EXPECT_EQ(std::optional<std::uint32_t>{3}, ok({"params", "show", "3"}).dev);
  EXPECT_FALSE(ok({"params", "show"}).dev);
  EXPECT_EQ("ipipectl: Error: argument \"eth0\" is wrong: expected a device: ipipeN, "
            "/dev/ipipeN or N\n",
            usage_of({"dev", "show", "eth0"}));
  EXPECT_NE("", usage_of({"-d", "ipipe", "status"}));
}

TEST(ipipectl_cli, params_set_takes_pairs_after_an_optional_device) {
  invocation i =
      ok({"params", "set", "ipipe1", "tail_thresh_ns", "45000", "alpha-permille", "300"});
  EXPECT_EQ(command::params_set, i.cmd);
  EXPECT_EQ(std::optional<std::uint32_t>{1}, i.dev);
  EXPECT_EQ(std::optional<std::uint64_t>{45000}, i.params.tail_thresh_ns);
  EXPECT_EQ(std::optional<std::uint32_t>{300}, i.params.alpha_permille);
  EXPECT_FALSE(i.params.mean_thresh_ns);
  invocation j = ok({"-d", "ipipe4", "params", "set", "fcfs_cores", "0"});
  EXPECT_EQ(std::optional<std::uint32_t>{4}, j.dev);
  EXPECT_EQ(std::optional<std::uint32_t>{0}, j.params.fcfs_cores);
}

TEST(ipipectl_cli, params_set_refuses_bad_keys_and_numbers) {
  EXPECT_EQ("ipipectl: Error: argument \"tail\" is wrong: unknown parameter (one of "
            "tail_thresh_ns, mean_thresh_ns, alpha_permille, drr_quantum_ns, fcfs_cores)\n",
            usage_of({"params", "set", "ipipe0", "tail", "5"}));
  EXPECT_EQ("ipipectl: Error: argument \"12x\" is wrong: mean_thresh_ns expects an unsigned "
            "64-bit integer\n",
            usage_of({"params", "set", "ipipe0", "mean_thresh_ns", "12x"}));
  EXPECT_EQ("ipipectl: Error: argument \"-5\" is wrong: alpha_permille expects an unsigned "
            "32-bit integer\n",
            usage_of({"params", "set", "alpha_permille", "-5"}));
  EXPECT_EQ("ipipectl: Error: argument \"4294967296\" is wrong: drr_quantum_ns expects an "
            "unsigned 32-bit integer\n",
            usage_of({"params", "set", "drr_quantum_ns", "4294967296"}));
  EXPECT_EQ("ipipectl: Error: argument \"fcfs_cores\" is wrong: given twice\n",
            usage_of({"params", "set", "fcfs_cores", "1", "fcfs_cores", "2"}));
  EXPECT_EQ("ipipectl: Command line is not complete. Try option \"help\"\n",
            usage_of({"params", "set", "ipipe0", "tail_thresh_ns", "5", "fcfs_cores"}));
  EXPECT_NE("", usage_of({"params", "set"}));
}

TEST(ipipectl_cli, actor_commands_take_an_optional_device_then_an_id) {
  invocation s = ok({"actor", "show", "7"});
  EXPECT_EQ(command::actor_show, s.cmd);
  EXPECT_EQ(7u, s.actor_id);
  EXPECT_FALSE(s.dev);
  invocation m = ok({"actor", "migrate", "ipipe1", "9", "--to", "host"});
  EXPECT_EQ(command::actor_migrate, m.cmd);
  EXPECT_EQ(std::optional<std::uint32_t>{1}, m.dev);
  EXPECT_EQ(9u, m.actor_id);
  EXPECT_EQ(static_cast<std::uint32_t>(IPIPE_LOC_HOST), m.to);
  EXPECT_EQ(static_cast<std::uint32_t>(IPIPE_LOC_NIC),
            ok({"actor", "migrate", "9", "--to", "nic"}).to);
}

TEST(ipipectl_cli, actor_commands_refuse_bad_ids_and_destinations) {
  EXPECT_EQ("ipipectl: Error: argument \"0\" is wrong: expected an actor id (1..4294967295)\n",
            usage_of({"actor", "show", "0"}));
  EXPECT_NE("", usage_of({"actor", "show", "x"}));
  EXPECT_NE("", usage_of({"actor", "show"}));
  EXPECT_NE("", usage_of({"actor", "migrate", "5"}));
  EXPECT_NE("", usage_of({"actor", "migrate", "5", "--to", "disk"}));
  EXPECT_NE("", usage_of({"actor", "show", "ipipe0", "5", "6"}));
}

TEST(ipipectl_cli, unknown_words_are_named_the_devlink_way) {
  EXPECT_EQ("ipipectl: Object \"ring\" not found\n", usage_of({"ring"}));
  EXPECT_EQ("ipipectl: Command \"flush\" not found\n", usage_of({"params", "flush"}));
  EXPECT_NE("", usage_of({"--frobnicate", "status"}));
  EXPECT_EQ("ipipectl: Command line is not complete. Try option \"help\"\n", usage_of({}));
  EXPECT_EQ("ipipectl: Command line is not complete. Try option \"help\"\n", usage_of({"-j"}));
}

TEST(ipipectl_cli, top_and_events_take_counts_and_intervals) {
  invocation t = ok({"-j", "top", "-i", "0.5", "-n", "3"});
  EXPECT_EQ(command::top, t.cmd);
  EXPECT_DOUBLE_EQ(0.5, t.interval_s);
  EXPECT_EQ(std::optional<std::uint64_t>{3}, t.count);
  EXPECT_EQ(std::optional<std::uint64_t>{2}, ok({"events", "-n", "2"}).count);
  EXPECT_NE("", usage_of({"top", "-i", "0"}));
  EXPECT_NE("", usage_of({"top", "-n", "many"}));
}

TEST(ipipectl_cli, help_and_version_exit_zero_on_stdout) {
  for (auto args : std::vector<std::vector<std::string>>{
           {"help"}, {"params", "help"}, {"--help"}, {"-h"}, {"-V"}}) {
    cli_result r = parse(args);
    EXPECT_FALSE(r.inv);
    EXPECT_EQ(exit_ok, r.status);
    EXPECT_NE("", r.out);
    EXPECT_EQ("", r.err);
  }
  EXPECT_NE(std::string::npos, parse({"help"}).out.find("ipipectl [ OPTIONS ] OBJECT"));
}

} // namespace
} // namespace ipipe::ctl
