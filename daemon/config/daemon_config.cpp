#include <ipipe/config/daemon_config.hpp>

#include <toml++/toml.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <sstream>

namespace ipipe::config {

namespace {

constexpr std::size_t max_type_len = 31; // IPIPE_ACTOR_NAME_LEN - 1

std::string_view type_name(toml::node_type t) noexcept {
  switch (t) {
  case toml::node_type::table:
    return "a table";
  case toml::node_type::array:
    return "an array";
  case toml::node_type::string:
    return "a string";
  case toml::node_type::integer:
    return "an integer";
  case toml::node_type::floating_point:
    return "a float";
  case toml::node_type::boolean:
    return "a boolean";
  case toml::node_type::date:
    return "a date";
  case toml::node_type::time:
    return "a time";
  case toml::node_type::date_time:
    return "a date-time";
  default:
    return "nothing";
  }
}

std::string in_quotes(std::string_view s) {
  std::string q = "\"";
  q += s;
  q += '"';
  return q;
}

/// Reads one document; the first problem ends the reading.
class reader {
public:
  explicit reader(std::string_view source) : source_(source) {}

  /// Returns the error "<source>:<line>: <key>: <what>".
  error fail(const toml::source_region& where, std::string_view key, std::string_view what) const {
    std::ostringstream s;
    s << source_ << ':' << where.begin.line << ": " << key << ": " << what;
    return error{errc::config_error, s.str()};
  }
  error fail(const toml::node& n, std::string_view key, std::string_view what) const {
    return fail(n.source(), key, what);
  }

  /// Fails on the first key of `t` not in `allowed`.
  expected<void> only(const toml::table& t, std::string_view prefix,
                      std::initializer_list<std::string_view> allowed) const {
    for (const auto& [k, v] : t) {
      if (std::find(allowed.begin(), allowed.end(), k.str()) != allowed.end())
        continue;
      const std::string key =
          prefix.empty() ? std::string{k.str()} : std::string{prefix} + "." + std::string{k.str()};
      return fail(v, key, v.is_table() ? "unknown table" : "unknown key");
    }
    return {};
  }

  /// Returns the integer at `key` of `t` if present, checked against [lo, hi].
  expected<std::optional<std::uint64_t>> integer(const toml::table& t, std::string_view prefix,
                                                 std::string_view key, std::uint64_t lo,
                                                 std::uint64_t hi) const {
    const toml::node* n = t.get(key);
    if (!n)
      return std::optional<std::uint64_t>{};
    const std::string name = std::string{prefix} + "." + std::string{key};
    const auto* v = n->as_integer();
    if (!v)
      return fail(*n, name, "expected an integer, got " + std::string{type_name(n->type())});
    const std::int64_t x = v->get();
    if (x < 0 || static_cast<std::uint64_t>(x) < lo || static_cast<std::uint64_t>(x) > hi)
      return fail(*n, name,
                  std::to_string(x) + " is out of range (" + std::to_string(lo) + ".." +
                      std::to_string(hi) + ")");
    return std::optional<std::uint64_t>{static_cast<std::uint64_t>(x)};
  }

  /// Returns the string at `key` of `t` if present.
  expected<std::optional<std::string>> string(const toml::table& t, std::string_view prefix,
                                              std::string_view key) const {
    const toml::node* n = t.get(key);
    if (!n)
      return std::optional<std::string>{};
    const auto* v = n->as_string();
    if (!v)
      return fail(*n, std::string{prefix} + "." + std::string{key},
                  "expected a string, got " + std::string{type_name(n->type())});
    return std::optional<std::string>{v->get()};
  }

  expected<daemon_config> read(const toml::table& root) const;

private:
  expected<void> read_daemon(const toml::node& n, daemon_settings& out) const;
  expected<void> read_devices(const toml::node& n, std::vector<device_config>& out) const;
  expected<void> read_params(const toml::node& n, params_config& out) const;
  expected<void> read_actors(const toml::node& n, std::vector<actor_config>& out) const;
  expected<actor_config> read_actor(const toml::table& t, const std::string& name) const;

  std::string source_;
};

template <class T>
void assign(std::optional<T>& out, const std::optional<std::uint64_t>& v) {
  if (v)
    out = static_cast<T>(*v);
}

expected<daemon_config> reader::read(const toml::table& root) const {
  daemon_config cfg;
  if (auto r = only(root, "", {"daemon", "device", "params", "actor"}); !r)
    return r.err();
  if (const toml::node* n = root.get("daemon")) {
    if (auto r = read_daemon(*n, cfg.daemon); !r)
      return r.err();
  }
  if (const toml::node* n = root.get("device")) {
    if (auto r = read_devices(*n, cfg.devices); !r)
      return r.err();
  }
  if (cfg.devices.empty())
    cfg.devices.push_back({device_kind::kernel, "/dev/ipipe0", 0});
  if (const toml::node* n = root.get("params")) {
    if (auto r = read_params(*n, cfg.params); !r)
      return r.err();
  }
  if (const toml::node* n = root.get("actor")) {
    if (auto r = read_actors(*n, cfg.actors); !r)
      return r.err();
  }
  return cfg;
}

expected<void> reader::read_daemon(const toml::node& n, daemon_settings& out) const {
  const toml::table* t = n.as_table();
  if (!t)
    return fail(n, "daemon",
                "expected a table ([daemon]), got " + std::string{type_name(n.type())});
  if (auto r = only(*t, "daemon", {"workers", "busy_poll_us", "handler_budget_ms", "state_dir"});
      !r)
    return r;
  auto workers = integer(*t, "daemon", "workers", 1, 64);
  if (!workers)
    return workers.err();
  if (*workers)
    out.workers = static_cast<std::uint32_t>(**workers);
  auto poll = integer(*t, "daemon", "busy_poll_us", 0, 10000);
  if (!poll)
    return poll.err();
  if (*poll)
    out.busy_poll_us = static_cast<std::uint32_t>(**poll);
  auto budget = integer(*t, "daemon", "handler_budget_ms", 1, 60000);
  if (!budget)
    return budget.err();
  if (*budget)
    out.handler_budget_ms = static_cast<std::uint32_t>(**budget);
  auto dir = string(*t, "daemon", "state_dir");
  if (!dir)
    return dir.err();
  if (*dir) {
    if (!std::filesystem::path{**dir}.is_absolute())
      return fail(*t->get("state_dir"), "daemon.state_dir",
                  "expected an absolute path, got " + in_quotes(**dir));
    out.state_dir = **dir;
  }
  return {};
}

expected<void> reader::read_devices(const toml::node& n, std::vector<device_config>& out) const {
  const toml::array* a = n.as_array();
  if (!a || !a->is_array_of_tables())
    return fail(n, "device", "expected an array of tables ([[device]])");
  for (std::size_t i = 0; i < a->size(); ++i) {
    const toml::table& t = *a->get(i)->as_table();
    const std::string name = "device[" + std::to_string(i) + "]";
    if (auto r = only(t, name, {"path", "socket"}); !r)
      return r;
    auto path = string(t, name, "path");
    if (!path)
      return path.err();
    auto socket = string(t, name, "socket");
    if (!socket)
      return socket.err();
    if (path->has_value() == socket->has_value())
      return fail(t, name,
                  "needs exactly one of \"path\" (a /dev/ipipeN node) or \"socket\" "
                  "(the emulator's)");
    device_config d;
    d.kind = *path ? device_kind::kernel : device_kind::direct;
    d.path = *path ? **path : **socket;
    d.line = static_cast<int>(t.source().begin.line);
    const char* key = *path ? "path" : "socket";
    const toml::node& at = *t.get(key);
    if (!std::filesystem::path{d.path}.is_absolute())
      return fail(at, name + "." + key, "expected an absolute path, got " + in_quotes(d.path));
    for (std::size_t j = 0; j < out.size(); ++j) {
      if (out[j].path == d.path)
        return fail(at, name + "." + key,
                    in_quotes(d.path) + " is already device[" + std::to_string(j) + "]");
    }
    out.push_back(std::move(d));
  }
  return {};
}

expected<void> reader::read_params(const toml::node& n, params_config& out) const {
  const toml::table* t = n.as_table();
  if (!t)
    return fail(n, "params",
                "expected a table ([params]), got " + std::string{type_name(n.type())});
  if (auto r = only(
          *t, "params",
          {"tail_thresh_ns", "mean_thresh_ns", "alpha_permille", "drr_quantum_ns", "fcfs_cores"});
      !r)
    return r;
  // The ranges of the kernel's netlink policy and sysfs (kmod/params.c).
  auto tail = integer(*t, "params", "tail_thresh_ns", 1000, 1000000000);
  if (!tail)
    return tail.err();
  auto mean = integer(*t, "params", "mean_thresh_ns", 1000, 1000000000);
  if (!mean)
    return mean.err();
  auto alpha = integer(*t, "params", "alpha_permille", 0, 1000);
  if (!alpha)
    return alpha.err();
  auto quantum = integer(*t, "params", "drr_quantum_ns", 100, 100000000);
  if (!quantum)
    return quantum.err();
  auto fcfs = integer(*t, "params", "fcfs_cores", 0, 4096);
  if (!fcfs)
    return fcfs.err();
  assign(out.tail_thresh_ns, *tail);
  assign(out.mean_thresh_ns, *mean);
  assign(out.alpha_permille, *alpha);
  assign(out.drr_quantum_ns, *quantum);
  assign(out.fcfs_cores, *fcfs);
  return {};
}

expected<actor_config> reader::read_actor(const toml::table& t, const std::string& name) const {
  if (auto r = only(t, name, {"type", "id", "location", "mem_quota", "pinned"}); !r)
    return r.err();
  actor_config a;
  a.line = static_cast<int>(t.source().begin.line);
  auto type = string(t, name, "type");
  if (!type)
    return type.err();
  if (!*type)
    return fail(t, name + ".type", "missing");
  if ((*type)->empty() || (*type)->size() > max_type_len)
    return fail(*t.get("type"), name + ".type",
                "expected 1.." + std::to_string(max_type_len) + " bytes, got " + in_quotes(**type));
  a.type = **type;

  auto id = integer(t, name, "id", 1, std::numeric_limits<std::uint32_t>::max());
  if (!id)
    return id.err();
  assign(a.id, *id);

  auto loc = string(t, name, "location");
  if (!loc)
    return loc.err();
  if (*loc) {
    if (**loc == "nic")
      a.location = actor_location::nic;
    else if (**loc == "host")
      a.location = actor_location::host;
    else
      return fail(*t.get("location"), name + ".location",
                  "expected \"nic\" or \"host\", got " + in_quotes(**loc));
  }

  const toml::node* quota = t.get("mem_quota");
  if (!quota)
    return fail(t, name + ".mem_quota", "missing");
  if (const auto* i = quota->as_integer()) {
    if (i->get() <= 0)
      return fail(*quota, name + ".mem_quota", "must be greater than 0");
    a.mem_quota = static_cast<std::uint64_t>(i->get());
  } else if (const auto* s = quota->as_string()) {
    auto bytes = parse_size(s->get());
    if (!bytes)
      return fail(*quota, name + ".mem_quota",
                  "expected bytes or a size like \"64M\", got " + in_quotes(s->get()));
    if (*bytes == 0)
      return fail(*quota, name + ".mem_quota", "must be greater than 0");
    a.mem_quota = *bytes;
  } else {
    return fail(*quota, name + ".mem_quota",
                "expected an integer or a string, got " + std::string{type_name(quota->type())});
  }

  if (const toml::node* p = t.get("pinned")) {
    const auto* b = p->as_boolean();
    if (!b)
      return fail(*p, name + ".pinned",
                  "expected a boolean, got " + std::string{type_name(p->type())});
    a.pinned = b->get();
  }
  return a;
}

expected<void> reader::read_actors(const toml::node& n, std::vector<actor_config>& out) const {
  const toml::array* arr = n.as_array();
  if (!arr || !arr->is_array_of_tables())
    return fail(n, "actor", "expected an array of tables ([[actor]])");
  for (std::size_t i = 0; i < arr->size(); ++i) {
    const std::string name = "actor[" + std::to_string(i) + "]";
    const toml::table& t = *arr->get(i)->as_table();
    auto a = read_actor(t, name);
    if (!a)
      return a.err();
    for (std::size_t j = 0; a->id && j < out.size(); ++j) {
      if (out[j].id == a->id)
        return fail(*t.get("id"), name + ".id",
                    std::to_string(*a->id) + " is already used by actor[" + std::to_string(j) +
                        "]");
    }
    out.push_back(std::move(*a));
  }
  return {};
}

} // namespace

std::optional<std::uint64_t> parse_size(std::string_view text) noexcept {
  std::uint64_t n = 0;
  const char* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, n);
  if (ec != std::errc{} || p == text.data())
    return std::nullopt;
  std::string_view suffix{p, static_cast<std::size_t>(end - p)};
  unsigned shift = 0;
  if (!suffix.empty()) {
    switch (suffix.front()) {
    case 'K':
      shift = 10;
      break;
    case 'M':
      shift = 20;
      break;
    case 'G':
      shift = 30;
      break;
    case 'T':
      shift = 40;
      break;
    default:
      return std::nullopt;
    }
    suffix.remove_prefix(1);
    if (!suffix.empty() && suffix != "iB")
      return std::nullopt;
  }
  if (n > (std::numeric_limits<std::uint64_t>::max() >> shift))
    return std::nullopt;
  return n << shift;
}

expected<daemon_config> parse_config(std::string_view text, std::string_view source) {
  toml::table root;
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    std::ostringstream s;
    s << source << ':' << e.source().begin.line << ':' << e.source().begin.column << ": "
      << e.description();
    return error{errc::config_error, s.str()};
  }
  return reader{source}.read(root);
}

expected<daemon_config> load_config(const std::filesystem::path& path) {
  std::ifstream in{path, std::ios::binary};
  if (!in)
    return error{errc::config_error, path.string() + ": cannot open", errno};
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad())
    return error{errc::config_error, path.string() + ": cannot read", errno};
  return parse_config(text.str(), path.string());
}

} // namespace ipipe::config
