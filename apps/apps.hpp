#pragma once

namespace ipipe::apps {

/// Registers the actor types of every application (RKV, ...) with the
/// runtime's registry; idempotent. The firmware and ipiped both call it:
/// a migration moves state, never code, so both sides know every type.
void register_all();

} // namespace ipipe::apps
