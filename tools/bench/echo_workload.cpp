#include "echo_workload.hpp"

#include <fmt/core.h>

#include "rng.hpp"
#include <algorithm>
#include <cstring>

namespace ipipe::bench {

std::string error_reply_reason(std::span<const std::byte> body) {
  std::uint32_t st = 0;
  if (body.size() < sizeof(st))
    return "IPIPE_MSG_ERROR without a status";
  std::memcpy(&st, body.data(), sizeof(st)); // little-endian on the wire and here
  std::uint32_t code = 0;                    // the runtime's reason, when it gives one
  if (body.size() < 2 * sizeof(code))
    return fmt::format("IPIPE_MSG_ERROR status {}", st);
  std::memcpy(&code, body.data() + sizeof(st), sizeof(code));
  return fmt::format("IPIPE_MSG_ERROR status {} reason {}", st, code);
}

void echo_workload::pattern(std::uint64_t token, std::span<std::byte> out) noexcept {
  std::uint64_t state = token;
  for (std::size_t i = 0; i < out.size(); i += 8) {
    const std::uint64_t w = rng::splitmix64(state);
    std::memcpy(out.data() + i, &w, std::min<std::size_t>(8, out.size() - i));
  }
}

outgoing echo_workload::next(std::uint64_t token, std::uint64_t n) {
  outgoing o;
  o.payload.resize(size_);
  pattern(token, o.payload);
  o.target = static_cast<std::size_t>(n % targets_);
  return o;
}

verdict echo_workload::on_answer(std::uint64_t token, const ipipe_msg_hdr& hdr,
                                 std::span<const std::byte> body) {
  if (hdr.type == IPIPE_MSG_ERROR)
    return {verdict::kind::error_reply, 0, error_reply_reason(body)};
  if (hdr.type != IPIPE_MSG_REPLY)
    return {verdict::kind::wrong, 0, fmt::format("message type {}, not a reply", hdr.type)};
  if (body.size() != size_)
    return {verdict::kind::wrong, 0, fmt::format("{} bytes, sent {}", body.size(), size_)};
  std::vector<std::byte> want(size_);
  pattern(token, want);
  if (!std::equal(body.begin(), body.end(), want.begin()))
    return {verdict::kind::wrong, 0, "payload differs from the request"};
  return {};
}

} // namespace ipipe::bench
