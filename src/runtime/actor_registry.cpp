#include <ipipe/runtime/actor_registry.hpp>

#include <linux/ipipe.h>

#include <map>
#include <mutex>

namespace ipipe::runtime {

namespace {

struct registry_state {
  std::mutex m; // protects types
  std::map<std::string, actor_registry::factory, std::less<>> types;
};

// A function-local static, so registrars in other translation units may
// run before or after this file's static initialisation.
registry_state& state() {
  static registry_state s;
  return s;
}

} // namespace

expected<void> actor_registry::add(std::string_view name, factory make) {
  if (name.empty() || name.size() >= IPIPE_ACTOR_NAME_LEN || name.find('\0') != name.npos)
    return error{errc::invalid_argument, "actor type name must be 1..31 bytes"};
  if (!make)
    return error{errc::invalid_argument, "no factory"};
  auto& s = state();
  std::lock_guard l(s.m);
  if (!s.types.emplace(std::string{name}, std::move(make)).second)
    return error{errc::exists, "actor type already registered"};
  return {};
}

expected<std::unique_ptr<actor>> actor_registry::make(std::string_view name) {
  factory f;
  {
    auto& s = state();
    std::lock_guard l(s.m);
    auto it = s.types.find(name);
    if (it == s.types.end())
      return error{errc::not_found, "unregistered actor type"};
    f = it->second;
  }
  auto a = f();
  if (!a)
    return error{errc::invalid_argument, "factory returned nothing"};
  return a;
}

bool actor_registry::contains(std::string_view name) {
  auto& s = state();
  std::lock_guard l(s.m);
  return s.types.find(name) != s.types.end();
}

std::vector<std::string> actor_registry::types() {
  auto& s = state();
  std::lock_guard l(s.m);
  std::vector<std::string> out;
  for (const auto& [n, f] : s.types)
    out.push_back(n);
  return out;
}

} // namespace ipipe::runtime
