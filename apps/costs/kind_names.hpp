#pragma once
// Names of the applications' message kinds (the first payload byte), for
// the cost table: "get", "accept", "tokens"...

#include <string>

namespace ipipe::apps::costs {

/// Returns the name of kind `k` (a cost_key kind) of actor type `type`:
/// "tick", "empty", "reply", the protocol's name where known, else "0x<hex>".
[[nodiscard]] std::string kind_name(const std::string& type, int k);

} // namespace ipipe::apps::costs
