#pragma once

#include <ipipe/common/expected.hpp>

#include <cstdint>
#include <string>
#include <string_view>

struct nlmsghdr;

/// How netlink failures become ipipe::error values.
///
/// A kernel rejection is errc::system_error with the errno and, as the
/// context, the extended ack text (possibly empty). An absent family is
/// errc::not_found with a fixed hint. Failures inside libnl are
/// errc::protocol_error with libnl's description.
namespace ipipe::netlink {

/// The text of the error that an absent "ipipe" family gives.
inline constexpr std::string_view family_missing_text =
    "ipipe generic netlink family not found: is ipipe.ko loaded?";

/// Returns the error of an NLMSG_ERROR message with a non-zero code: the
/// errno and the NLMSGERR_ATTR_MSG text, whether or not the request was
/// echoed (NETLINK_CAP_ACK). If the kernel points at an attribute
/// (NLMSGERR_ATTR_OFFS) of `request`, the text starts with its name
/// ("tail_thresh_ns: integer out of range"). A malformed message gives
/// errc::protocol_error.
[[nodiscard]] error error_from_nlmsgerr(const nlmsghdr* hdr, const nlmsghdr* request = nullptr);

/// Returns the name of the attribute at byte `offset` of `request`
/// ("mean_thresh_ns", "actor.location"), or "" if none starts there.
[[nodiscard]] std::string attr_at(const nlmsghdr* request, std::uint32_t offset);

/// Returns the error of a kernel rejection: errno and extack text.
[[nodiscard]] error kernel_error(int err_no, std::string extack = {});

/// Returns the error for a libnl failure code (a negative NLE_* value).
[[nodiscard]] error libnl_error(int nle, std::string_view what);

/// Returns the error for an absent "ipipe" family.
[[nodiscard]] error family_missing();

/// Returns true if `e` says the "ipipe" family is not registered.
[[nodiscard]] bool is_family_missing(const error& e) noexcept;

/// Returns the text an operator should see: "extack (strerror)" for a
/// kernel rejection with a reason, "strerror" without one, otherwise the
/// context.
[[nodiscard]] std::string describe(const error& e);

} // namespace ipipe::netlink
