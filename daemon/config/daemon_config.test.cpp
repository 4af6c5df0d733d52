#include <ipipe/config/daemon_config.hpp>

#include <gtest/gtest.h>

#include <string>

namespace ipipe::config {
namespace {

/// Returns the error text of parsing `text`, or "" if it parsed.
std::string error_of(std::string_view text) {
  auto r = parse_config(text);
  if (r)
    return "";
  EXPECT_EQ(errc::config_error, r.err().code());
  return r.err().context();
}

TEST(config, a_full_file_parses_into_every_field) {
  auto r = parse_config(R"(
[daemon]
workers = 4
busy_poll_us = 0
handler_budget_ms = 250
state_dir = "/var/lib/ipipe"

[[device]]
path = "/dev/ipipe1"

[[device]]
socket = "/run/ipipe/nic.sock"

[params]
tail_thresh_ns = 1000000000
mean_thresh_ns = 1000
alpha_permille = 0
drr_quantum_ns = 100
fcfs_cores = 4096

[[actor]]
type = "echo"
mem_quota = 4096

[[actor]]
type = "kv"
id = 7
location = "host"
mem_quota = "64M"
pinned = true
)");
  ASSERT_TRUE(r) << r.err().context();
  daemon_config want;
  want.daemon = {4, 0, 250, "/var/lib/ipipe"};
  want.devices = {{device_kind::kernel, "/dev/ipipe1", 8},
                  {device_kind::direct, "/run/ipipe/nic.sock", 11}};
  want.params = {1000000000, 1000, 0, 100, 4096};
  want.actors = {{"echo", std::nullopt, actor_location::nic, 4096, false, 21},
                 {"kv", 7, actor_location::host, 64ull << 20, true, 25}};
  EXPECT_EQ(want, *r);
}

TEST(config, an_empty_file_gives_the_defaults_and_dev_ipipe0) {
  auto r = parse_config("");
  ASSERT_TRUE(r);
  EXPECT_EQ(daemon_settings{}, r->daemon);
  ASSERT_EQ(1u, r->devices.size());
  EXPECT_EQ("/dev/ipipe0", r->devices[0].path);
  EXPECT_EQ(params_config{}, r->params);
  EXPECT_TRUE(r->actors.empty());
}

TEST(config, the_shipped_example_parses) {
  auto r = load_config(IPIPE_EXAMPLE_CONF);
  ASSERT_TRUE(r) << r.err().context();
  EXPECT_EQ(2u, r->daemon.workers);
  EXPECT_EQ(std::optional<std::uint64_t>{50000}, r->params.tail_thresh_ns);
  ASSERT_EQ(2u, r->actors.size());
  EXPECT_EQ(actor_location::host, r->actors[1].location);
}

TEST(config, a_toml_syntax_error_keeps_its_line_and_column) {
  const std::string e = error_of("[daemon]\nworkers = 4\nstate_dir = \"/run\n");
  EXPECT_EQ(0u, e.find("ipiped.conf:3:")) << e;
  EXPECT_NE(std::string::npos, e.find("string")) << e;
  EXPECT_EQ(0u, error_of("[daemon]\n[daemon]\n").find("ipiped.conf:2:"));
}

TEST(config, unknown_tables_and_keys_are_errors) {
  EXPECT_EQ("ipiped.conf:2: deamon: unknown table", error_of("\n[deamon]\nworkers = 1\n"));
  EXPECT_EQ("ipiped.conf:1: verbose: unknown key", error_of("verbose = true\n"));
  EXPECT_EQ("ipiped.conf:3: daemon.wrkers: unknown key",
            error_of("[daemon]\nworkers = 1\nwrkers = 2\n"));
  EXPECT_EQ("ipiped.conf:2: params.tail_ns: unknown key", error_of("[params]\ntail_ns = 5\n"));
  EXPECT_EQ("ipiped.conf:3: device[0].node: unknown key",
            error_of("[[device]]\npath = \"/dev/ipipe0\"\nnode = 1\n"));
  EXPECT_EQ("ipiped.conf:4: actor[0].size: unknown key",
            error_of("[[actor]]\ntype = \"echo\"\nmem_quota = 1\nsize = 3\n"));
}

TEST(config, a_value_of_the_wrong_type_names_both_types) {
  EXPECT_EQ("ipiped.conf:2: daemon.workers: expected an integer, got a string",
            error_of("[daemon]\nworkers = \"4\"\n"));
  EXPECT_EQ("ipiped.conf:2: daemon.state_dir: expected a string, got an integer",
            error_of("[daemon]\nstate_dir = 1\n"));
  EXPECT_EQ("ipiped.conf:2: params.alpha_permille: expected an integer, got a float",
            error_of("[params]\nalpha_permille = 0.2\n"));
  EXPECT_EQ("ipiped.conf:3: actor[0].pinned: expected a boolean, got a string",
            error_of("[[actor]]\ntype = \"e\"\npinned = \"yes\"\nmem_quota = 1\n"));
  EXPECT_EQ("ipiped.conf:1: daemon: expected a table ([daemon]), got an integer",
            error_of("daemon = 1\n"));
  EXPECT_EQ("ipiped.conf:1: params: expected a table ([params]), got a string",
            error_of("params = \"x\"\n"));
}

TEST(config, numbers_outside_their_range_say_the_range) {
  EXPECT_EQ("ipiped.conf:2: daemon.workers: 0 is out of range (1..64)",
            error_of("[daemon]\nworkers = 0\n"));
  EXPECT_EQ("ipiped.conf:2: daemon.workers: 65 is out of range (1..64)",
            error_of("[daemon]\nworkers = 65\n"));
  EXPECT_EQ("ipiped.conf:2: daemon.busy_poll_us: 10001 is out of range (0..10000)",
            error_of("[daemon]\nbusy_poll_us = 10001\n"));
  EXPECT_EQ("ipiped.conf:2: daemon.busy_poll_us: -1 is out of range (0..10000)",
            error_of("[daemon]\nbusy_poll_us = -1\n"));
  EXPECT_EQ("ipiped.conf:2: daemon.handler_budget_ms: 0 is out of range (1..60000)",
            error_of("[daemon]\nhandler_budget_ms = 0\n"));
  EXPECT_EQ("ipiped.conf:2: daemon.handler_budget_ms: 60001 is out of range (1..60000)",
            error_of("[daemon]\nhandler_budget_ms = 60001\n"));
  EXPECT_EQ("ipiped.conf:2: params.tail_thresh_ns: 999 is out of range (1000..1000000000)",
            error_of("[params]\ntail_thresh_ns = 999\n"));
  EXPECT_EQ("ipiped.conf:2: params.mean_thresh_ns: 1000000001 is out of range "
            "(1000..1000000000)",
            error_of("[params]\nmean_thresh_ns = 1000000001\n"));
  EXPECT_EQ("ipiped.conf:2: params.alpha_permille: 1001 is out of range (0..1000)",
            error_of("[params]\nalpha_permille = 1001\n"));
  EXPECT_EQ("ipiped.conf:2: params.drr_quantum_ns: 99 is out of range (100..100000000)",
            error_of("[params]\ndrr_quantum_ns = 99\n"));
  EXPECT_EQ("ipiped.conf:2: params.fcfs_cores: 4097 is out of range (0..4096)",
            error_of("[params]\nfcfs_cores = 4097\n"));
  EXPECT_EQ("ipiped.conf:3: actor[0].id: 0 is out of range (1..4294967295)",
            error_of("[[actor]]\ntype = \"e\"\nid = 0\nmem_quota = 1\n"));
}

TEST(config, paths_must_be_absolute) {
  EXPECT_EQ("ipiped.conf:2: daemon.state_dir: expected an absolute path, got \"run/ipipe\"",
            error_of("[daemon]\nstate_dir = \"run/ipipe\"\n"));
  EXPECT_EQ("ipiped.conf:2: device[0].socket: expected an absolute path, got \"nic.sock\"",
            error_of("[[device]]\nsocket = \"nic.sock\"\n"));
}

TEST(config, a_device_has_exactly_one_of_path_and_socket) {
  const std::string both = "[[device]]\npath = \"/dev/ipipe0\"\nsocket = \"/run/s\"\n";
  EXPECT_EQ("ipiped.conf:1: device[0]: needs exactly one of \"path\" (a /dev/ipipeN node) or "
            "\"socket\" (the emulator's)",
            error_of(both));
  EXPECT_EQ(0u, error_of("[[device]]\npath = \"/dev/ipipe0\"\n\n[[device]]\n")
                    .find("ipiped.conf:4: device[1]: needs exactly one"));
}

TEST(config, a_device_is_named_once) {
  EXPECT_EQ("ipiped.conf:5: device[1].path: \"/dev/ipipe0\" is already device[0]",
            error_of("[[device]]\npath = \"/dev/ipipe0\"\n\n[[device]]\npath = \"/dev/ipipe0\"\n"));
}

TEST(config, device_and_actor_must_be_arrays_of_tables) {
  EXPECT_EQ("ipiped.conf:1: device: expected an array of tables ([[device]])",
            error_of("[device]\npath = \"/dev/ipipe0\"\n"));
  EXPECT_EQ("ipiped.conf:1: actor: expected an array of tables ([[actor]])",
            error_of("actor = [1, 2]\n"));
}

TEST(config, an_actor_needs_a_type_of_at_most_31_bytes) {
  EXPECT_EQ("ipiped.conf:2: actor[0].type: missing", error_of("\n[[actor]]\nmem_quota = 1\n"));
  EXPECT_EQ("ipiped.conf:2: actor[0].type: expected 1..31 bytes, got \"\"",
            error_of("[[actor]]\ntype = \"\"\nmem_quota = 1\n"));
  const std::string t32(32, 'x');
  EXPECT_EQ("ipiped.conf:2: actor[0].type: expected 1..31 bytes, got \"" + t32 + "\"",
            error_of("[[actor]]\ntype = \"" + t32 + "\"\nmem_quota = 1\n"));
  EXPECT_EQ("", error_of("[[actor]]\ntype = \"" + std::string(31, 'x') + "\"\nmem_quota = 1\n"));
}

TEST(config, an_actor_location_is_nic_or_host) {
  const std::string text = "[[actor]]\ntype = \"echo\"\nmem_quota = 1\n\n"
                           "[[actor]]\ntype = \"kv\"\nmem_quota = 1\n"
                           "location = \"disk\"\n";
  EXPECT_EQ("ipiped.conf:8: actor[1].location: expected \"nic\" or \"host\", got \"disk\"",
            error_of(text));
  EXPECT_EQ("ipiped.conf:3: actor[0].location: expected a string, got an integer",
            error_of("[[actor]]\ntype = \"e\"\nlocation = 1\nmem_quota = 1\n"));
}

TEST(config, an_actor_needs_a_positive_memory_quota) {
  EXPECT_EQ("ipiped.conf:1: actor[0].mem_quota: missing", error_of("[[actor]]\ntype = \"e\"\n"));
  EXPECT_EQ("ipiped.conf:3: actor[0].mem_quota: expected bytes or a size like \"64M\", got "
            "\"64Q\"",
            error_of("[[actor]]\ntype = \"e\"\nmem_quota = \"64Q\"\n"));
  EXPECT_EQ("ipiped.conf:3: actor[0].mem_quota: must be greater than 0",
            error_of("[[actor]]\ntype = \"e\"\nmem_quota = 0\n"));
  EXPECT_EQ("ipiped.conf:3: actor[0].mem_quota: must be greater than 0",
            error_of("[[actor]]\ntype = \"e\"\nmem_quota = \"0M\"\n"));
  EXPECT_EQ("ipiped.conf:3: actor[0].mem_quota: expected an integer or a string, got a boolean",
            error_of("[[actor]]\ntype = \"e\"\nmem_quota = true\n"));
}

TEST(config, actor_ids_are_unique) {
  EXPECT_EQ("ipiped.conf:7: actor[1].id: 5 is already used by actor[0]",
            error_of("[[actor]]\ntype = \"a\"\nid = 5\nmem_quota = 1\n"
                     "[[actor]]\ntype = \"b\"\nid = 5\nmem_quota = 1\n"));
}

TEST(config, a_file_that_cannot_be_opened_names_its_path) {
  auto r = load_config("/nonexistent/ipiped.conf");
  ASSERT_FALSE(r);
  EXPECT_EQ(errc::config_error, r.err().code());
  EXPECT_EQ("/nonexistent/ipiped.conf: cannot open", r.err().context());
}

TEST(config, errors_name_the_file_as_given) {
  auto r = parse_config("[daemon]\nworkers = 0\n", "/etc/ipipe/ipiped.conf");
  ASSERT_FALSE(r);
  EXPECT_EQ("/etc/ipipe/ipiped.conf:2: daemon.workers: 0 is out of range (1..64)",
            r.err().context());
}

TEST(config, sizes_take_binary_suffixes) {
  EXPECT_EQ(std::optional<std::uint64_t>{4096}, parse_size("4096"));
  EXPECT_EQ(std::optional<std::uint64_t>{512ull << 10}, parse_size("512K"));
  EXPECT_EQ(std::optional<std::uint64_t>{64ull << 20}, parse_size("64M"));
  EXPECT_EQ(std::optional<std::uint64_t>{64ull << 20}, parse_size("64MiB"));
  EXPECT_EQ(std::optional<std::uint64_t>{1ull << 30}, parse_size("1G"));
  EXPECT_EQ(std::optional<std::uint64_t>{2ull << 40}, parse_size("2T"));
  for (const char* bad : {"", "M", "64m", "64MB", "64 M", "-1", "1.5G", "20000000T"})
    EXPECT_FALSE(parse_size(bad)) << bad;
}

} // namespace
} // namespace ipipe::config
