#pragma once

namespace ipipe::fw {

/// Registers the actor types every ipipe NIC has (idempotent):
///   - "echo": answers each request or actor message with its payload.
void register_builtin_actors();

} // namespace ipipe::fw
