#include "cli.hpp"

#include <fmt/format.h>

#include "args.hpp"
#include <CLI/CLI.hpp>
#include <algorithm>
#include <sstream>

namespace ipipe::ctl {

namespace {

constexpr std::string_view version = "ipipectl 0.1.0";

cli_result usage(std::string message) {
  cli_result r;
  r.status = exit_usage;
  r.err = "ipipectl: " + message + "\n";
  return r;
}

// The CLI11 subcommands and the positional words they collect.
struct grammar {
  CLI::App app{"ipipectl: control of ipipe SmartNICs", "ipipectl"};
  CLI::App* status = nullptr;
  CLI::App* dev = nullptr;
  CLI::App* dev_show = nullptr;
  CLI::App* params = nullptr;
  CLI::App* params_show = nullptr;
  CLI::App* params_set = nullptr;
  CLI::App* actor = nullptr;
  CLI::App* actor_list = nullptr;
  CLI::App* actor_show = nullptr;
  CLI::App* actor_migrate = nullptr;
  CLI::App* events = nullptr;
  CLI::App* top = nullptr;

  std::string dev_opt;
  std::vector<std::string> words;
  std::string to;
  bool show_version = false;
  invocation inv;

  grammar() {
    app.require_subcommand(1);
    app.footer(usage_text());
    app.set_help_flag("-h,--help", "print this help and exit");
    app.add_flag("-j,--json", inv.json, "JSON output");
    app.add_flag("-p,--pretty", inv.pretty, "indented JSON");
    app.add_flag("-s,--stats,--statistics", inv.stats, "add statistics");
    app.add_option("-d,--dev", dev_opt, "the device: ipipeN, /dev/ipipeN or N");
    app.add_flag("-V,--version", show_version, "print the version and exit");
    app.fallthrough();

    status = app.add_subcommand("status", "devices at a glance");

    dev = app.add_subcommand("dev", "devices")->require_subcommand(0, 1);
    dev_show = dev->add_subcommand("show", "identity and state of devices");
    dev_show->alias("list");
    dev_show->add_option("DEV", words)->expected(0, 1);

    params = app.add_subcommand("params", "scheduling parameters")->require_subcommand(0, 1);
    params_show = params->add_subcommand("show", "parameters as the firmware reports them");
    params_show->alias("get");
    params_show->alias("list");
    params_show->add_option("DEV", words)->expected(0, 1);
    params_set = params->add_subcommand("set", "change parameters (CAP_NET_ADMIN)");
    params_set->add_option("ARGS", words, "[DEV] PARAM VALUE [PARAM VALUE ...]")->required();

    actor = app.add_subcommand("actor", "actors")->require_subcommand(0, 1);
    actor_list = actor->add_subcommand("list", "the actors of devices");
    actor_list->add_option("DEV", words)->expected(0, 1);
    actor_show = actor->add_subcommand("show", "one actor");
    actor_show->add_option("ARGS", words, "[DEV] ID")->required()->expected(1, 2);
    actor_migrate = actor->add_subcommand("migrate", "move an actor (CAP_NET_ADMIN)");
    actor_migrate->add_option("ARGS", words, "[DEV] ID")->required()->expected(1, 2);
    actor_migrate->add_option("--to", to, "host or nic")
        ->required()
        ->check(CLI::IsMember({"host", "nic"}));

    events = app.add_subcommand("events", "follow firmware events until SIGINT");
    events->add_option("-n,--count", inv.count, "stop after this many events");

    top = app.add_subcommand("top", "a live view of the actors");
    top->add_option("-i,--interval", inv.interval_s, "seconds between frames")
        ->check(CLI::Range(0.0, 3600.0));
    top->add_option("-n,--iterations", inv.count, "stop after this many frames");
  }

  // The command chosen; `dev`, `params` and `actor` alone mean show/list.
  command chosen() const {
    if (status->parsed())
      return command::status;
    if (dev->parsed())
      return command::dev_show;
    if (params->parsed())
      return params_set->parsed() ? command::params_set : command::params_show;
    if (actor->parsed()) {
      if (actor_show->parsed())
        return command::actor_show;
      if (actor_migrate->parsed())
        return command::actor_migrate;
      return command::actor_list;
    }
    if (events->parsed())
      return command::events;
    return command::top;
  }

  // A word CLI11 could not place: an unknown object or command, in
  // devlink's words, or CLI11's own message for anything else.
  cli_result unplaced(const CLI::Error& e) const {
    const std::vector<std::string> rest = app.remaining();
    if (rest.empty() && app.get_subcommands().empty())
      return usage(incomplete_command().message);
    if (rest.empty() || rest.front().starts_with("-"))
      return usage(e.what());
    if (app.get_subcommands().empty())
      return usage(fmt::format("Object \"{}\" not found", rest.front()));
    const CLI::App* object = app.get_subcommands().front();
    if (!object->get_subcommands({}).empty() && object->get_subcommands().empty())
      return usage(fmt::format("Command \"{}\" not found", rest.front()));
    return usage(e.what());
  }
};

// Parameter names never look like devices: ipipeN, /dev/..., or a number.
bool looks_like_dev(std::string_view w) {
  return w.starts_with("ipipe") || w.starts_with("/") ||
         (!w.empty() && w.find_first_not_of("0123456789") == std::string_view::npos);
}

// "help" in place of an object or a command prints the grammar.
bool asks_for_help(const std::vector<std::string>& args) {
  return std::find(args.begin(), args.end(), "help") != args.end();
}

} // namespace

std::string_view command_name(command c) noexcept {
  switch (c) {
  case command::status:
    return "status";
  case command::dev_show:
    return "dev show";
  case command::params_show:
    return "params show";
  case command::params_set:
    return "params set";
  case command::actor_list:
    return "actor list";
  case command::actor_show:
    return "actor show";
  case command::actor_migrate:
    return "actor migrate";
  case command::events:
    return "events";
  case command::top:
    return "top";
  }
  return "?";
}

std::string usage_text() {
  return R"(Usage: ipipectl [ OPTIONS ] OBJECT { COMMAND | help }
where  OBJECT := { status | dev | params | actor | events | top }
       OPTIONS := { -j[son] | -p[retty] | -s[tatistics] | -d DEV | -V[ersion] | -h[elp] }

       ipipectl status
       ipipectl dev show [ DEV ]
       ipipectl params show [ DEV ]
       ipipectl params set [ DEV ] PARAM VALUE [ PARAM VALUE ... ]
       ipipectl actor list [ DEV ]
       ipipectl actor show [ DEV ] ID
       ipipectl actor migrate [ DEV ] ID --to { host | nic }
       ipipectl events [ -n COUNT ]
       ipipectl top [ -i SECONDS ] [ -n ITERATIONS ]
where  DEV := { ipipeN | /dev/ipipeN | N }   (default: -d DEV; show: all, else ipipe0)
       PARAM := { tail_thresh_ns | mean_thresh_ns | alpha_permille |
                  drr_quantum_ns | fcfs_cores }
Exit status: 0 ok, 1 netlink or kernel error, 2 usage error.
)";
}

cli_result parse_command_line(const std::vector<std::string>& args) {
  if (asks_for_help(args)) {
    cli_result r;
    r.out = usage_text();
    return r;
  }
  grammar g;
  std::vector<std::string> reversed(args.rbegin(), args.rend()); // CLI11 pops from the back
  try {
    g.app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    cli_result r;
    r.out = g.app.help();
    return r;
  } catch (const CLI::ExtrasError& e) {
    return g.unplaced(e);
  } catch (const CLI::RequiredError& e) {
    if (g.show_version) {
      cli_result r;
      r.out = std::string{version} + "\n";
      return r;
    }
    return g.unplaced(e);
  } catch (const CLI::ParseError& e) {
    return usage(e.what());
  }
  if (g.show_version) {
    cli_result r;
    r.out = std::string{version} + "\n";
    return r;
  }

  invocation inv = g.inv;
  inv.cmd = g.chosen();
  if (!g.dev_opt.empty()) {
    auto d = parse_dev(g.dev_opt);
    if (!d)
      return usage(d.error.message);
    inv.dev = d.value;
  }
  std::span<const std::string> words{g.words};
  // An optional DEV comes first: [DEV] ID, [DEV] PARAM VALUE ...
  const bool dev_first =
      (inv.cmd == command::actor_show || inv.cmd == command::actor_migrate) ? words.size() == 2
      : inv.cmd == command::params_set ? !words.empty() && looks_like_dev(words[0])
                                       : words.size() == 1;
  if (dev_first) {
    auto d = parse_dev(words.front());
    if (!d)
      return usage(d.error.message);
    inv.dev = d.value;
    words = words.subspan(1);
  }
  switch (inv.cmd) {
  case command::params_set: {
    auto p = parse_param_pairs(words);
    if (!p)
      return usage(p.error.message);
    inv.params = *p.value;
    break;
  }
  case command::actor_show:
  case command::actor_migrate: {
    auto id = parse_actor_id(words.front());
    if (!id)
      return usage(id.error.message);
    inv.actor_id = *id.value;
    inv.to = *netlink::parse_location(g.to.empty() ? "nic" : g.to);
    break;
  }
  case command::top:
    if (inv.interval_s <= 0)
      return usage(
          invalid_argument(fmt::format("{}", inv.interval_s), "the interval must be positive")
              .message);
    break;
  default:
    break;
  }
  cli_result r;
  r.inv = inv;
  return r;
}

} // namespace ipipe::ctl
