#include <ipipe/runtime/actor_context.hpp>
#include <ipipe/runtime/runtime.hpp>

#include "actor_entry.hpp"

namespace ipipe::runtime {

actor_id actor_context::self() const noexcept {
  return e_.id;
}

bool actor_context::stop_requested() const noexcept {
  return e_.stop;
}

expected<void> actor_context::usable() const {
  if (e_.stop)
    return error{errc::budget_exceeded, "actor stopped by the watchdog"};
  if (!e_.store)
    return error{errc::closed, "actor has no objects here"};
  return {};
}

expected<object_id> actor_context::dmo_malloc(std::uint64_t size) {
  if (auto u = usable(); !u)
    return u.err();
  return e_.store->malloc(size);
}

expected<void> actor_context::dmo_free(object_id id) {
  if (auto u = usable(); !u)
    return u;
  return e_.store->free(id);
}

expected<void> actor_context::dmo_memset(object_id id, std::uint64_t off, std::uint8_t value,
                                         std::uint64_t len) {
  if (auto u = usable(); !u)
    return u;
  return e_.store->memset(id, off, value, len);
}

expected<void> actor_context::dmo_memcpy(object_id dst, std::uint64_t dst_off, object_id src,
                                         std::uint64_t src_off, std::uint64_t len) {
  if (auto u = usable(); !u)
    return u;
  return e_.store->memcpy(dst, dst_off, src, src_off, len);
}

expected<void> actor_context::dmo_memmove(object_id dst, std::uint64_t dst_off, object_id src,
                                          std::uint64_t src_off, std::uint64_t len) {
  if (auto u = usable(); !u)
    return u;
  return e_.store->memmove(dst, dst_off, src, src_off, len);
}

expected<void> actor_context::dmo_read(object_id id, std::uint64_t off, std::span<std::byte> out) {
  if (auto u = usable(); !u)
    return u;
  return e_.store->read(id, off, out);
}

expected<void> actor_context::dmo_write(object_id id, std::uint64_t off,
                                        std::span<const std::byte> in) {
  if (auto u = usable(); !u)
    return u;
  return e_.store->write(id, off, in);
}

std::vector<object_id> actor_context::objects() const {
  std::vector<object_id> ids;
  if (!usable())
    return ids;
  for (const auto& en : e_.store->entries())
    ids.push_back(en.id);
  return ids;
}

expected<void> actor_context::send(actor_id dst, std::span<const std::byte> payload,
                                   std::uint64_t req_id) {
  if (e_.stop)
    return error{errc::budget_exceeded, "actor stopped by the watchdog"};
  if (payload.size() > IPIPE_MSG_MAX_PAYLOAD)
    return error{errc::bad_length, "payload larger than IPIPE_MSG_MAX_PAYLOAD"};
  auto r = rt_.emit(e_, message::make(IPIPE_MSG_ACTOR, dst, e_.id, req_id, payload));
  if (r == route::rejected)
    return error{errc::not_found, "destination actor not registered or not reachable"};
  return {};
}

expected<void> actor_context::send_remote(std::uint32_t endpoint, actor_id dst,
                                          std::span<const std::byte> payload,
                                          std::uint64_t req_id) {
  if (e_.stop)
    return error{errc::budget_exceeded, "actor stopped by the watchdog"};
  if (payload.size() > IPIPE_MSG_MAX_PAYLOAD)
    return error{errc::bad_length, "payload larger than IPIPE_MSG_MAX_PAYLOAD"};
  if (endpoint == 0 || dst == 0)
    return error{errc::invalid_argument, "remote sends need an endpoint and an actor"};
  message m = message::make(IPIPE_MSG_ACTOR, dst, e_.id, req_id, payload, IPIPE_MSG_F_WIRE);
  m.hdr.client = endpoint;
  if (rt_.emit(e_, std::move(m)) == route::rejected)
    return error{errc::not_found, "no way out of this node"};
  return {};
}

ipipe_location actor_context::side() const noexcept {
  return rt_.side();
}

expected<void> actor_context::answerable() const {
  if (e_.stop)
    return error{errc::budget_exceeded, "actor stopped by the watchdog"};
  if (current_ == nullptr)
    return error{errc::invalid_argument, "no message to reply to"};
  if (current_->hdr.type == IPIPE_MSG_REPLY || current_->hdr.type == IPIPE_MSG_ERROR)
    return error{errc::invalid_argument, "replies are not answered"};
  if (replied_)
    return error{errc::exists, "already replied"};
  return {};
}

expected<void> actor_context::reply(std::span<const std::byte> payload) {
  if (auto a = answerable(); !a)
    return a;
  if (payload.size() > IPIPE_MSG_MAX_PAYLOAD)
    return error{errc::bad_length, "payload larger than IPIPE_MSG_MAX_PAYLOAD"};
  replied_ = true;
  return reply_to(reply_token{current_->hdr}, payload);
}

expected<reply_token> actor_context::defer_reply() {
  if (auto a = answerable(); !a)
    return a.err();
  replied_ = true;
  return reply_token{current_->hdr};
}

expected<void> actor_context::reply_to(const reply_token& to, std::span<const std::byte> payload) {
  if (e_.stop)
    return error{errc::budget_exceeded, "actor stopped by the watchdog"};
  if (to.to.type == IPIPE_MSG_REPLY || to.to.type == IPIPE_MSG_ERROR)
    return error{errc::invalid_argument, "not a saved request"};
  if (payload.size() > IPIPE_MSG_MAX_PAYLOAD)
    return error{errc::bad_length, "payload larger than IPIPE_MSG_MAX_PAYLOAD"};
  if ((to.to.flags & IPIPE_MSG_F_NO_REPLY) != 0)
    return {};
  message m = message::make(IPIPE_MSG_REPLY, to.to.src_actor, e_.id, to.to.req_id, payload);
  m.hdr.client = to.to.client; // the wire stack needs the endpoint back
  // A request that came in from another node (an actor there, not a
  // client) is answered there, not to the local actor of the same id.
  if (m.hdr.client != 0 && m.hdr.dst_actor != 0)
    m.hdr.flags |= IPIPE_MSG_F_WIRE;
  (void)rt_.emit(e_, std::move(m));
  return {};
}

} // namespace ipipe::runtime
