#include <ipipe/nic/builtin_dispatch.hpp>

#include <cstring>

namespace ipipe::nic {
namespace {

constexpr std::string_view echo_type = "echo";

ipipe_msg_hdr reply_header(const ipipe_msg_hdr& req, std::uint16_t type, std::uint32_t len) {
  ipipe_msg_hdr h{};
  h.dst_actor = req.src_actor;
  h.src_actor = req.dst_actor;
  h.req_id = req.req_id;
  h.len = len;
  h.type = type;
  h.client = req.client;
  return h;
}

} // namespace

ipipe_status check_msg_hdr(const ipipe_msg_hdr& hdr, std::size_t payload_bytes) noexcept {
  if (hdr.len > IPIPE_MSG_MAX_PAYLOAD || hdr.len != payload_bytes)
    return IPIPE_STS_BAD_LEN;
  if (hdr.type >= IPIPE_MSG_TYPE_LAST || hdr.resv != 0 ||
      (hdr.flags & ~(IPIPE_MSG_F_NO_REPLY | IPIPE_MSG_F_FORWARDED | IPIPE_MSG_F_WIRE)) != 0)
    return IPIPE_STS_BAD_FIELD;
  return IPIPE_STS_OK;
}

bool send_error_reply(const ipipe_msg_hdr& req, ipipe_status status, message_sink& out) {
  if ((req.flags & IPIPE_MSG_F_NO_REPLY) != 0)
    return true;
  const auto s = static_cast<std::uint32_t>(status);
  const std::byte body[4] = {std::byte(s & 0xff), std::byte((s >> 8) & 0xff),
                             std::byte((s >> 16) & 0xff), std::byte(s >> 24)};
  return out.send(reply_header(req, IPIPE_MSG_ERROR, sizeof(body)), body);
}

bool builtin_dispatch::has_type(std::string_view name) const {
  return name == echo_type;
}

std::vector<std::string> builtin_dispatch::types() const {
  return {std::string(echo_type)};
}

void builtin_dispatch::deliver(const ipipe_msg_hdr& hdr, std::span<const std::byte> payload,
                               message_sink& out) {
  if (hdr.type != IPIPE_MSG_REQUEST) {
    send_error_reply(hdr, IPIPE_STS_BAD_FIELD, out);
    return;
  }
  auto actor = actors_.find_for_request(hdr.dst_actor);
  if (!actor) {
    send_error_reply(hdr, IPIPE_STS_NOT_FOUND, out);
    return;
  }
  // The built-in dispatcher cannot forward to host-resident actors; the
  // runtime's dispatcher does.
  if (actor->location != IPIPE_LOC_NIC) {
    send_error_reply(hdr, IPIPE_STS_BUSY, out);
    return;
  }
  if (actor->type == echo_type) {
    if ((hdr.flags & IPIPE_MSG_F_NO_REPLY) == 0)
      out.send(reply_header(hdr, IPIPE_MSG_REPLY, static_cast<std::uint32_t>(payload.size())),
               payload);
    return;
  }
  send_error_reply(hdr, IPIPE_STS_NOT_FOUND, out);
}

} // namespace ipipe::nic
