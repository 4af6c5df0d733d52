#pragma once

#include <ipipe/common/expected.hpp>
#include <ipipe/runtime/actor.hpp>

#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ipipe::runtime {

/// The process-wide table of actor types, by name.
///
/// Actors are created by type name, as the driver's ACTOR_CREATE command
/// and the migration stream ask; both the firmware and ipiped register the
/// same types, so a migration moves state, never code. Thread safe.
class actor_registry {
public:
  /// Makes a new, uninitialised actor of one type.
  using factory = std::function<std::unique_ptr<actor>()>;

  /// Registers `name` (1 to IPIPE_ACTOR_NAME_LEN - 1 bytes).
  /// errc::exists if taken, errc::invalid_argument for a bad name.
  [[nodiscard]] static expected<void> add(std::string_view name, factory make);
  /// Returns a new actor of type `name`, or errc::not_found.
  [[nodiscard]] static expected<std::unique_ptr<actor>> make(std::string_view name);
  /// Returns true if `name` is registered.
  [[nodiscard]] static bool contains(std::string_view name);
  /// Returns the registered names, sorted.
  [[nodiscard]] static std::vector<std::string> types();
};

/// Registers `T` (default constructible) under `name` at static
/// initialisation: `static actor_registrar<kv_memtable> reg{"kv_memtable"};`.
template <class T>
struct actor_registrar {
  /// Registers the type; a duplicate name aborts, as it is a build error.
  explicit actor_registrar(std::string_view name) {
    auto r = actor_registry::add(name, [] { return std::make_unique<T>(); });
    if (!r)
      std::terminate();
  }
};

} // namespace ipipe::runtime
