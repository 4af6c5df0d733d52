#include "history.hpp"

#include <fmt/core.h>

#include <charconv>
#include <fstream>
#include <map>
#include <sstream>

namespace ipipe::tools::rkvctl {

using apps::rkv::testing::operation;

namespace {

bool number(const std::string& s, std::uint64_t& v) {
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  return !s.empty() && r.ec == std::errc{} && r.ptr == s.data() + s.size();
}

} // namespace

expected<void> read_history(const std::string& path, std::vector<operation>& out) {
  std::ifstream in(path);
  if (!in)
    return error{errc::not_found, "cannot open " + path};
  std::string line;
  for (std::size_t n = 1; std::getline(in, line); ++n) {
    std::istringstream ls(line);
    std::string key, op, value, invoke, answer, extra;
    operation o;
    const bool parsed = static_cast<bool>(ls >> key >> op >> value >> invoke >> answer) &&
                        !(ls >> extra) && (op == "put" || op == "del" || op == "get") &&
                        number(invoke, o.invoke) && (answer == "-" || number(answer, o.answer));
    if (!parsed || (op == "get" && answer == "-"))
      return error{errc::protocol_error, fmt::format("{}:{}: not a history line", path, n)};
    o.key = key;
    o.write = op != "get";
    if (value != "-")
      o.value = value; // a write id, or "?" for a value the run did not write
    out.push_back(std::move(o));
  }
  return {};
}

history_verdict check(const std::vector<operation>& ops, std::uint64_t budget) {
  namespace lin = apps::rkv::testing;
  history_verdict v;
  v.operations = ops.size();
  std::map<std::string, std::vector<operation>> by_key;
  for (const auto& o : ops) {
    by_key[o.key].push_back(o);
    v.acked_writes += o.write && o.answer != operation::never_answered;
    v.reads_with_value += !o.write && o.value && *o.value != "?";
  }
  v.keys = by_key.size();
  for (const auto& [key, key_ops] : by_key) {
    const auto r = lin::check_register(key_ops, budget);
    if (r == lin::outcome::not_linearizable)
      v.bad_keys.push_back(key);
    else if (r == lin::outcome::undecided)
      v.undecided_keys.push_back(key);
  }
  return v;
}

} // namespace ipipe::tools::rkvctl
