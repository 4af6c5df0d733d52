#pragma once

#include <cstdint>

/// Identifiers shared by every part of the actor runtime.
namespace ipipe::runtime {

/// An actor id as carried in `ipipe_msg_hdr::dst_actor`; 0 means "external
/// client", so it never names an actor.
using actor_id = std::uint32_t;

/// A distributed memory object id: `(owner actor id << 32) | sequence`.
///
/// The sequence starts at 1 and is never reused while the actor lives, and
/// it travels with the actor when it migrates, so an id stays valid on
/// either side. Actors keep ids, never pointers, which is what lets their
/// state move to memory at a different address.
using object_id = std::uint64_t;

/// Returns the actor that owns `id`.
[[nodiscard]] constexpr actor_id object_owner(object_id id) noexcept {
  return static_cast<actor_id>(id >> 32);
}

/// Returns the per-actor sequence number part of `id`.
[[nodiscard]] constexpr std::uint32_t object_seq(object_id id) noexcept {
  return static_cast<std::uint32_t>(id);
}

/// Returns the object id made of `owner` and `seq`.
[[nodiscard]] constexpr object_id make_object_id(actor_id owner, std::uint32_t seq) noexcept {
  return (object_id{owner} << 32) | seq;
}

} // namespace ipipe::runtime
