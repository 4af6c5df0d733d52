#include <ipipe/netlink/nl_error.hpp>

#include <linux/netlink.h>

#include <netlink/errno.h>

#include <cerrno>
#include <cstring>

namespace ipipe::netlink {

error error_from_nlmsgerr(const nlmsghdr* hdr) {
  if (hdr->nlmsg_len < NLMSG_LENGTH(sizeof(nlmsgerr)))
    return error{errc::protocol_error, "truncated netlink error message"};
  const auto* e = static_cast<const nlmsgerr*>(NLMSG_DATA(hdr));
  const int err_no = e->error < 0 ? -e->error : e->error;
  std::string msg;
  if (hdr->nlmsg_flags & NLM_F_ACK_TLVS) {
    // Without NLM_F_CAPPED the whole request follows the error code.
    std::size_t off = sizeof(nlmsgerr);
    if (!(hdr->nlmsg_flags & NLM_F_CAPPED))
      off += NLMSG_ALIGN(e->msg.nlmsg_len) - sizeof(nlmsghdr);
    const std::size_t total = hdr->nlmsg_len - NLMSG_HDRLEN;
    const char* base = static_cast<const char*>(NLMSG_DATA(hdr));
    while (off + NLA_HDRLEN <= total) {
      const auto* a = reinterpret_cast<const nlattr*>(base + off);
      if (a->nla_len < NLA_HDRLEN || off + a->nla_len > total)
        break;
      if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG) {
        const char* s = base + off + NLA_HDRLEN;
        msg.assign(s, strnlen(s, a->nla_len - NLA_HDRLEN));
      }
      off += NLA_ALIGN(a->nla_len);
    }
  }
  return kernel_error(err_no, std::move(msg));
}

error kernel_error(int err_no, std::string extack) {
  return error{errc::system_error, std::move(extack), err_no};
}

error libnl_error(int nle, std::string_view what) {
  std::string ctx{what};
  ctx += ": ";
  ctx += nl_geterror(nle < 0 ? -nle : nle);
  return error{errc::protocol_error, std::move(ctx)};
}

error family_missing() {
  return error{errc::not_found, std::string{family_missing_text}, ENOENT};
}

bool is_family_missing(const error& e) noexcept {
  return e.code() == errc::not_found && e.context() == family_missing_text;
}

std::string describe(const error& e) {
  if (e.code() != errc::system_error)
    return e.context().empty() ? e.message() : e.context();
  std::string why = std::strerror(e.sys_errno());
  if (e.context().empty())
    return why;
  return e.context() + " (" + why + ")";
}

} // namespace ipipe::netlink
