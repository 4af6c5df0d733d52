#include <ipipe/netlink/nl_error.hpp>

#include <linux/genetlink.h>
#include <linux/ipipe.h>
#include <linux/netlink.h>

#include <netlink/errno.h>

#include <cerrno>
#include <cstring>
#include <optional>

namespace ipipe::netlink {

namespace {

// Attribute names as ipipectl, sysfs and ipiped.conf spell them.
std::string_view dev_attr_name(unsigned type) noexcept {
  switch (type) {
  case IPIPE_A_DEV_INDEX:
    return "dev_index";
  case IPIPE_A_TAIL_THRESH_NS:
    return "tail_thresh_ns";
  case IPIPE_A_MEAN_THRESH_NS:
    return "mean_thresh_ns";
  case IPIPE_A_ALPHA_PERMILLE:
    return "alpha_permille";
  case IPIPE_A_DRR_QUANTUM_NS:
    return "drr_quantum_ns";
  case IPIPE_A_FCFS_CORES:
    return "fcfs_cores";
  case IPIPE_A_ACTOR:
    return "actor";
  default:
    return {};
  }
}

std::string_view actor_attr_name(unsigned type) noexcept {
  switch (type) {
  case IPIPE_A_ACTOR_ID:
    return "id";
  case IPIPE_A_ACTOR_LOCATION:
    return "location";
  default:
    return {};
  }
}

// Calls f(attr, its offset in the message) for each attribute in [off, end).
template <class F>
void for_each_attr(const char* msg, std::size_t off, std::size_t end, F&& f) {
  while (off + NLA_HDRLEN <= end) {
    const auto* a = reinterpret_cast<const nlattr*>(msg + off);
    if (a->nla_len < NLA_HDRLEN || off + a->nla_len > end)
      return;
    if (f(a, off))
      return;
    off += NLA_ALIGN(a->nla_len);
  }
}

} // namespace

std::string attr_at(const nlmsghdr* request, std::uint32_t offset) {
  const char* msg = reinterpret_cast<const char*>(request);
  std::string name;
  for_each_attr(
      msg, NLMSG_HDRLEN + GENL_HDRLEN, request->nlmsg_len, [&](const nlattr* a, std::size_t off) {
        const unsigned type = a->nla_type & NLA_TYPE_MASK;
        if (off == offset) {
          name = dev_attr_name(type);
          return true;
        }
        if (type != IPIPE_A_ACTOR || offset < off || offset >= off + a->nla_len)
          return false;
        for_each_attr(msg, off + NLA_HDRLEN, off + a->nla_len,
                      [&](const nlattr* n, std::size_t noff) {
                        if (noff != offset)
                          return false;
                        const std::string_view inner = actor_attr_name(n->nla_type & NLA_TYPE_MASK);
                        if (!inner.empty())
                          name = "actor." + std::string{inner};
                        return true;
                      });
        return true;
      });
  return name;
}

error error_from_nlmsgerr(const nlmsghdr* hdr, const nlmsghdr* request) {
  if (hdr->nlmsg_len < NLMSG_LENGTH(sizeof(nlmsgerr)))
    return error{errc::protocol_error, "truncated netlink error message"};
  const auto* e = static_cast<const nlmsgerr*>(NLMSG_DATA(hdr));
  const int err_no = e->error < 0 ? -e->error : e->error;
  std::string msg;
  std::optional<std::uint32_t> bad_offset;
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
      if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_OFFS &&
          a->nla_len >= NLA_HDRLEN + sizeof(std::uint32_t)) {
        std::uint32_t v;
        std::memcpy(&v, base + off + NLA_HDRLEN, sizeof(v));
        bad_offset = v;
      }
      off += NLA_ALIGN(a->nla_len);
    }
  }
  if (request && bad_offset && !msg.empty()) {
    if (std::string name = attr_at(request, *bad_offset); !name.empty())
      msg = name + ": " + msg;
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
