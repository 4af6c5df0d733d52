#pragma once

#include <ipipe/common/expected.hpp>
#include <ipipe/runtime/ids.hpp>
#include <ipipe/runtime/message.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <type_traits>
#include <vector>

namespace ipipe::runtime {

/// Where the answer to a request goes, saved to answer it later: after a
/// consensus round commits a write, after a two-phase commit's votes are
/// in. Trivially copyable, so an actor may keep it in a DMO and the answer
/// survives a migration.
struct reply_token {
  ipipe_msg_hdr to{}; ///< the request's header (its source, client, req_id)
};
static_assert(std::is_trivially_copyable_v<reply_token>);

class runtime;
namespace internal {
struct actor_entry;
} // namespace internal

/// What a handler may do: reach its own DMOs, send to other actors, reply.
///
/// Every DMO call is confined to the running actor's objects. Once the
/// watchdog has stopped the actor (its handler overran its budget) every
/// call fails with errc::budget_exceeded, so a handler that keeps working
/// through the runtime is cut off at its next call.
class actor_context {
public:
  /// Created by the runtime around one init/handle/restore call.
  actor_context(runtime& rt, internal::actor_entry& e, const message* current) noexcept
      : rt_(rt), e_(e), current_(current) {}

  /// Returns the running actor's id.
  [[nodiscard]] actor_id self() const noexcept;
  /// Returns the message being handled, or nullptr in init()/restore().
  [[nodiscard]] const message* current() const noexcept { return current_; }
  /// Returns true once the watchdog stopped this actor: return quickly.
  [[nodiscard]] bool stop_requested() const noexcept;
  /// Returns true once reply() answered the current message, or
  /// defer_reply() took the answer over.
  [[nodiscard]] bool replied() const noexcept { return replied_; }
  /// Returns the side this actor runs on now (IPIPE_LOC_NIC or _HOST).
  [[nodiscard]] ipipe_location side() const noexcept;

  // -- DMOs -----------------------------------------------------------------

  /// Allocates a zero-filled object of `size` bytes from the actor's quota.
  [[nodiscard]] expected<object_id> dmo_malloc(std::uint64_t size);
  /// Frees an object.
  [[nodiscard]] expected<void> dmo_free(object_id id);
  /// Sets `len` bytes at `off` in `id` to `value`.
  [[nodiscard]] expected<void> dmo_memset(object_id id, std::uint64_t off, std::uint8_t value,
                                          std::uint64_t len);
  /// Copies between non-overlapping ranges of objects.
  [[nodiscard]] expected<void> dmo_memcpy(object_id dst, std::uint64_t dst_off, object_id src,
                                          std::uint64_t src_off, std::uint64_t len);
  /// Copies between possibly overlapping ranges of objects.
  [[nodiscard]] expected<void> dmo_memmove(object_id dst, std::uint64_t dst_off, object_id src,
                                           std::uint64_t src_off, std::uint64_t len);
  /// Reads `out.size()` bytes at `off` of `id`.
  [[nodiscard]] expected<void> dmo_read(object_id id, std::uint64_t off, std::span<std::byte> out);
  /// Writes `in` at `off` of `id`.
  [[nodiscard]] expected<void> dmo_write(object_id id, std::uint64_t off,
                                         std::span<const std::byte> in);
  /// Returns the ids of the actor's objects, ascending.
  [[nodiscard]] std::vector<object_id> objects() const;

  /// Returns the trivially copyable `T` stored at `off` of `id`.
  template <class T>
  [[nodiscard]] expected<T> load(object_id id, std::uint64_t off = 0) {
    static_assert(std::is_trivially_copyable_v<T>);
    T v{};
    if (auto r = dmo_read(id, off, std::as_writable_bytes(std::span<T, 1>{&v, 1})); !r)
      return r.err();
    return v;
  }
  /// Stores the trivially copyable `v` at `off` of `id`.
  template <class T>
  [[nodiscard]] expected<void> store(object_id id, std::uint64_t off, const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    return dmo_write(id, off, std::as_bytes(std::span<const T, 1>{&v, 1}));
  }

  // -- messages ---------------------------------------------------------------

  /// Sends an IPIPE_MSG_ACTOR message to `dst`, wherever it runs. A
  /// message to an unregistered actor is not delivered: an IPIPE_MSG_ERROR
  /// comes back to this actor instead.
  [[nodiscard]] expected<void> send(actor_id dst, std::span<const std::byte> payload,
                                    std::uint64_t req_id = 0);
  /// Sends an IPIPE_MSG_ACTOR message to actor `dst` of another node, at
  /// wire endpoint `endpoint` (the node's peer table; incoming messages
  /// carry the sender's endpoint in hdr.client). Delivery is best effort,
  /// as the network's: the protocol above must retry.
  [[nodiscard]] expected<void> send_remote(std::uint32_t endpoint, actor_id dst,
                                           std::span<const std::byte> payload,
                                           std::uint64_t req_id = 0);
  /// Replies to the message being handled (IPIPE_MSG_REPLY, same req_id),
  /// unless it asked for none (IPIPE_MSG_F_NO_REPLY).
  [[nodiscard]] expected<void> reply(std::span<const std::byte> payload);
  /// Takes over answering the message being handled: the runtime will not
  /// answer it (not even with an error if the handler fails), and the
  /// actor answers later with reply_to(), from any later handler.
  [[nodiscard]] expected<reply_token> defer_reply();
  /// Answers a request whose answer was deferred, as reply() would have.
  [[nodiscard]] expected<void> reply_to(const reply_token& to, std::span<const std::byte> payload);

private:
  [[nodiscard]] expected<void> usable() const;
  [[nodiscard]] expected<void> answerable() const;

  runtime& rt_;
  internal::actor_entry& e_;
  const message* current_;
  bool replied_ = false;
};

} // namespace ipipe::runtime
