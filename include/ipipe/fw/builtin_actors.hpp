#pragma once

namespace ipipe::fw {

/// Registers the actor types every ipipe NIC has (idempotent):
///   - "echo": answers each request or actor message with its payload.
///   - "counter": answers each request with its running count (a
///     little-endian u64 kept in a DMO): 1, 2, 3...
void register_builtin_actors();

} // namespace ipipe::fw
